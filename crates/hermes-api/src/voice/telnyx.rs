//! Telnyx (TeXML): how its webhooks are checked, the TeXML that connects
//! a call to a bidirectional stream, the stream's dialect (with its media
//! put back in order: Telnyx does not promise it), and the transfer. The
//! webhooks and the stream themselves are [`super::phone`]'s.
//!
//! A firm sets up one TeXML Application: voice URL
//! `https://…/voice/telnyx/{firm}/incoming`, call-progress events URL
//! `…/voice/telnyx/{firm}/status`; and in HERMES its public key (to check
//! Telnyx's signatures) and an API key (for transfers). Why TeXML rather
//! than Call Control: see [`hermes_voice::telnyx`].
//!
//! Every webhook is checked against `telnyx-signature-ed25519` and
//! `telnyx-timestamp` with the firm's public key, and refused (403) when
//! the signature does not match, is missing, or is more than five minutes
//! from now, before anything else happens.

use hermes_core::TenantId;
use hermes_store::CallRow;
use hermes_voice::telnyx::{
    self as wire, Inbound as WireIn, MediaOrder, Outbound as WireOut, Problem,
};
use hermes_voice::twiml;

use super::phone::{self, Heard, Request, Started, Webhook};
use crate::state::AppState;

/// Telnyx's dialect: messages to Telnyx carry no stream id; media comes
/// through a reorder buffer three frames (60 ms) deep, which only delays
/// a frame that overtook another.
pub(crate) struct Telnyx {
    order: MediaOrder,
    /// The buffer's late, duplicate and lost counts, last seen.
    seen: (u64, u64, u64),
}

impl Default for Telnyx {
    fn default() -> Self {
        Telnyx {
            order: MediaOrder::new(3),
            seen: (0, 0, 0),
        }
    }
}

impl phone::Wire for Telnyx {
    const PROVIDER: &'static str = "telnyx";

    async fn verify(state: &AppState, slug: &str, req: Request<'_>) -> Option<Webhook> {
        let (tenant, settings, _) = phone::firm(state, slug).await?;
        let Some(key) = settings
            .telnyx_public_key
            .as_deref()
            .and_then(|k| wire::PublicKey::parse(k).ok())
        else {
            phone::refused("telnyx", tenant.id, &"the firm has no Telnyx public key");
            return None;
        };
        let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
        if let Err(e) = wire::verify(
            &key,
            header(wire::SIGNATURE_HEADER),
            header(wire::TIMESTAMP_HEADER),
            req.body,
            chrono::Utc::now().timestamp(),
        ) {
            phone::refused("telnyx", tenant.id, &e);
            return None;
        }
        Some(Webhook {
            tenant,
            form: phone::form_urlencoded(req.body).into_iter().collect(),
        })
    }

    /// A bidirectional stream in RTP mode, PCMU at 8 kHz both ways: the
    /// telephone's own codec. `codec` is the caller's side (Telnyx's
    /// default is the call's own codec, which may be A-law or G.722);
    /// `bidirectionalCodec` only ours.
    fn connect(url: &str, parameters: &[(&str, &str)]) -> String {
        twiml::connect_stream_with(
            url,
            &[
                ("codec", "PCMU"),
                ("bidirectionalMode", "rtp"),
                ("bidirectionalCodec", "PCMU"),
                ("bidirectionalSamplingRate", "8000"),
            ],
            parameters,
        )
    }

    fn start(&mut self, text: &str) -> Result<Option<Started>, Problem> {
        match wire::parse(text)? {
            WireIn::Start(s) => {
                if !s.media_format.is_pcmu_8k() {
                    // We asked for PCMU; decoding anything else as μ-law
                    // is noise, but the call goes on (a person may still
                    // be reached by the keypad) and the log says why.
                    tracing::error!(format = ?s.media_format, "Telnyx streams audio other than the PCMU at 8 kHz asked for");
                    super::problem("media_format");
                }
                Ok(Some(Started {
                    token: s
                        .custom_parameters
                        .get("token")
                        .cloned()
                        .unwrap_or_default(),
                    account: s.user_id,
                }))
            }
            WireIn::Connected { .. } => Ok(None),
            other => {
                if let WireIn::Error { code, title, .. } = &other {
                    tracing::warn!(?code, %title, "Telnyx reported a media-stream error");
                }
                super::problem("before_start");
                Ok(None)
            }
        }
    }

    fn heard(&mut self, text: &str) -> Result<Vec<Heard>, Problem> {
        Ok(match wire::parse(text)? {
            WireIn::Media(m) => {
                if !matches!(m.track.as_str(), "inbound" | "inbound_track" | "") {
                    return Ok(vec![]);
                }
                let mut heard: Vec<Heard> = self
                    .order
                    .push(m.chunk, m.payload)
                    .into_iter()
                    .map(Heard::Audio)
                    .collect();
                let (late, dup, lost) = self.order.counts();
                for (now, before, kind) in [
                    (late, self.seen.0, "late_frame"),
                    (dup, self.seen.1, "duplicate_frame"),
                    (lost, self.seen.2, "lost_frame"),
                ] {
                    heard.extend((before..now).map(|_| Heard::Odd(kind)));
                }
                self.seen = (late, dup, lost);
                heard
            }
            WireIn::Dtmf { digit } => vec![Heard::Dtmf(digit)],
            WireIn::Mark { name } => vec![Heard::Played(name)],
            WireIn::Stop { .. } => vec![Heard::Stop],
            WireIn::Error {
                code,
                title,
                detail,
            } => {
                tracing::warn!(?code, %title, %detail, "Telnyx reported a media-stream error");
                vec![Heard::Odd("provider_error")]
            }
            WireIn::Start(_) | WireIn::Connected { .. } => vec![Heard::Odd("out_of_order")],
        })
    }

    fn media(&self, ulaw: &[u8]) -> String {
        WireOut::media(ulaw).to_json()
    }

    fn mark(&self, name: &str) -> String {
        WireOut::mark(name).to_json()
    }

    fn clear(&self) -> String {
        WireOut::Clear.to_json()
    }

    async fn transfer(state: &AppState, tenant: TenantId, call: &CallRow, account: &str) -> bool {
        transfer(state, tenant, call, account).await
    }
}

/// Hands a Telnyx call to a person: TeXML's call update replaces the
/// stream with `<Dial>` to the firm's transfer number or on-call contact
/// (a caller nobody answers for hears that they will be called back).
/// The person is not briefed first: TeXML's `<Number>` documents no
/// whisper URL; the intake is in the dashboard.
async fn transfer(state: &AppState, tenant: TenantId, call: &CallRow, account_sid: &str) -> bool {
    let base = &state.voice.config.telnyx_api_base;
    super::record::transfer(state, tenant, |target| async move {
        let key = target.secret(|s| &s.telnyx_api_key, "Telnyx API key")?;
        let texml = target.dial(call, None);
        hermes_notify::TelnyxCalls::new(base)?
            .update(account_sid, &key, &call.provider_call_id, &texml)
            .await
    })
    .await
}
