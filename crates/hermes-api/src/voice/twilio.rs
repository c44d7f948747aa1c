//! Twilio: how its webhooks are checked, the TwiML that connects a call to
//! Media Streams, the stream's dialect, the transfer and its briefing.
//! The webhooks and the stream themselves are [`super::phone`]'s.
//!
//! Every webhook is checked against `X-Twilio-Signature` with the firm's
//! own auth token (403 otherwise) before anything else happens.

use axum::extract::{Path, State};
use axum::response::Response;
use hermes_core::TenantId;
use hermes_store::CallRow;
use hermes_voice::twilio::{self as wire, Inbound as WireIn, Outbound as WireOut, Problem};
use hermes_voice::{signature, twiml};
use uuid::Uuid;

use super::phone::{self, Heard, Request, Signed, Started, Webhook, xml};
use crate::state::AppState;

/// `POST /voice/twilio/{tenant}/briefing/{call}`: what the person taking
/// a transferred call hears before the caller is put through.
pub(crate) async fn briefing(
    State(state): State<AppState>,
    Path((_, call)): Path<(String, Uuid)>,
    signed: Signed<Twilio>,
) -> Response {
    xml(twiml::briefing(
        &super::record::briefing(&state, signed.hook.tenant.id, call).await,
    ))
}

/// Twilio's Media Streams dialect: every message to Twilio names the
/// stream (`streamSid`), learnt from `start`.
#[derive(Default)]
pub(crate) struct Twilio {
    stream_sid: String,
}

impl phone::Wire for Twilio {
    const PROVIDER: &'static str = "twilio";

    async fn verify(state: &AppState, slug: &str, req: Request<'_>) -> Option<Webhook> {
        let (tenant, _, secrets) = phone::firm(state, slug).await?;
        let token = secrets.twilio_auth_token?;
        let params = phone::form_urlencoded(req.body);
        let given = req.headers.get("x-twilio-signature")?.to_str().ok()?;
        let url = phone::called_url(state, req.headers, req.uri, req.client);
        if !signature::verify(&token, &url, &params, given) {
            phone::refused("twilio", tenant.id, &"X-Twilio-Signature does not match");
            return None;
        }
        Some(Webhook {
            tenant,
            form: params.into_iter().collect(),
        })
    }

    fn connect(url: &str, parameters: &[(&str, &str)]) -> String {
        twiml::connect_stream(url, parameters)
    }

    fn start(&mut self, text: &str) -> Result<Option<Started>, Problem> {
        match wire::parse(text)? {
            WireIn::Start(s) => {
                self.stream_sid = s.stream_sid;
                Ok(Some(Started {
                    token: s
                        .custom_parameters
                        .get("token")
                        .cloned()
                        .unwrap_or_default(),
                    account: s.account_sid,
                }))
            }
            WireIn::Connected { .. } => Ok(None),
            _ => {
                super::problem("before_start");
                Ok(None)
            }
        }
    }

    fn heard(&mut self, text: &str) -> Result<Vec<Heard>, Problem> {
        Ok(match wire::parse(text)? {
            WireIn::Media { ulaw, track, .. } if track == "inbound" || track.is_empty() => {
                vec![Heard::Audio(ulaw)]
            }
            WireIn::Media { .. } => vec![],
            WireIn::Dtmf { digit } => vec![Heard::Dtmf(digit)],
            WireIn::Mark { name } => vec![Heard::Played(name)],
            WireIn::Stop { .. } => vec![Heard::Stop],
            WireIn::Start(_) | WireIn::Connected { .. } => vec![Heard::Odd("out_of_order")],
        })
    }

    fn media(&self, ulaw: &[u8]) -> String {
        WireOut::media(&self.stream_sid, ulaw).to_json()
    }

    fn mark(&self, name: &str) -> String {
        WireOut::mark(&self.stream_sid, name).to_json()
    }

    fn clear(&self) -> String {
        WireOut::clear(&self.stream_sid).to_json()
    }

    async fn transfer(state: &AppState, tenant: TenantId, call: &CallRow, account: &str) -> bool {
        transfer(state, tenant, call, account).await
    }
}

/// Hands a Twilio call to a person: the call is redirected (REST) to
/// `<Dial>` the firm's transfer number or on-call contact; whoever answers
/// hears a briefing first, and a caller nobody answers for hears that they
/// will be called back.
async fn transfer(state: &AppState, tenant: TenantId, call: &CallRow, account_sid: &str) -> bool {
    let config = &state.voice.config;
    super::record::transfer(state, tenant, |target| async move {
        let token = target.secret(|s| &s.twilio_auth_token, "Twilio auth token")?;
        let whisper = config.public_url.as_ref().map(|b| {
            format!(
                "{}/voice/twilio/{}/briefing/{}",
                b.trim_end_matches('/'),
                target.slug,
                call.id
            )
        });
        let twiml = target.dial(call, whisper.as_deref());
        hermes_notify::TwilioCalls::new(&config.twilio_api_base)?
            .redirect(account_sid, &token, &call.provider_call_id, &twiml)
            .await
    })
    .await
}
