//! The provider `hermes simulate` plays. Twilio and Telnyx (TeXML) place
//! a call the same way — a signed form webhook answered with
//! `<Connect><Stream>`, then a media stream of JSON messages — and differ
//! in how the webhook is signed and in the messages' field names. The
//! simulated caller itself is the same for both.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hermes_voice::telnyx::Signer;
use serde_json::{Value, json};

pub enum Provider {
    /// Webhooks signed with the firm's auth token (`X-Twilio-Signature`).
    Twilio { auth_token: String },
    /// Webhooks signed with Ed25519 by this key pair, whose public key the
    /// firm has set as its `telnyx_public_key`.
    Telnyx { signer: Arc<Signer> },
}

/// A message from the server, in either dialect: their `media`, `mark`
/// and `clear` have the same shape.
pub enum Heard {
    /// Agent audio, 8 kHz PCM.
    Media(Vec<i16>),
    Mark(String),
    Clear,
    Other,
}

pub fn read(text: &str) -> Heard {
    let v: Value = serde_json::from_str(text).unwrap_or_default();
    match v["event"].as_str().unwrap_or_default() {
        "media" => {
            let payload = v["media"]["payload"].as_str().unwrap_or_default();
            let ulaw = STANDARD.decode(payload).unwrap_or_default();
            Heard::Media(hermes_voice::g711::ulaw_to_pcm(&ulaw))
        }
        "mark" => Heard::Mark(v["mark"]["name"].as_str().unwrap_or_default().to_owned()),
        "clear" => Heard::Clear,
        _ => Heard::Other,
    }
}

impl Provider {
    /// The path segment of the provider's routes (`/voice/{name}/…`).
    pub fn name(&self) -> &'static str {
        match self {
            Provider::Twilio { .. } => "twilio",
            Provider::Telnyx { .. } => "telnyx",
        }
    }

    /// A fresh call id as the provider makes them (Telnyx's `CallSid` is
    /// the call control id).
    pub fn call_sid(&self) -> String {
        let id = uuid::Uuid::new_v4().simple();
        match self {
            Provider::Twilio { .. } => format!("CA{id}"),
            Provider::Telnyx { .. } => format!("v3:{id}"),
        }
    }

    pub fn stream_id(&self) -> String {
        match self {
            Provider::Twilio { .. } => format!("MZ{}", uuid::Uuid::new_v4().simple()),
            Provider::Telnyx { .. } => uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Posts `form` to `{base_url}/voice/{provider}/{tenant}/{hook}`,
    /// signed as the provider signs.
    pub async fn post(
        &self,
        http: &reqwest::Client,
        base_url: &str,
        tenant: &str,
        hook: &str,
        form: &[(String, String)],
    ) -> reqwest::Result<reqwest::Response> {
        let url = format!(
            "{}/voice/{}/{tenant}/{hook}",
            base_url.trim_end_matches('/'),
            self.name()
        );
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let req = http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded");
        let req = match self {
            Provider::Twilio { auth_token } => req.header(
                "X-Twilio-Signature",
                hermes_voice::signature::sign(auth_token, &url, form),
            ),
            Provider::Telnyx { signer } => {
                let now = chrono::Utc::now().timestamp();
                req.header(hermes_voice::telnyx::TIMESTAMP_HEADER, now.to_string())
                    .header(
                        hermes_voice::telnyx::SIGNATURE_HEADER,
                        signer.sign(now, body.as_bytes()),
                    )
            }
        };
        req.body(body).send().await
    }

    pub fn connected(&self) -> String {
        match self {
            Provider::Twilio { .. } => {
                json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})
            }
            Provider::Telnyx { .. } => json!({"event": "connected", "version": "1.0.0"}),
        }
        .to_string()
    }

    /// `start`, carrying the answer's `<Parameter>`s.
    pub fn start(
        &self,
        stream: &str,
        account: &str,
        call_sid: &str,
        (from, to): (&str, &str),
        params: Vec<(String, String)>,
    ) -> String {
        let params: serde_json::Map<String, Value> =
            params.into_iter().map(|(k, v)| (k, v.into())).collect();
        match self {
            Provider::Twilio { .. } => json!({
                "event": "start", "sequenceNumber": "1", "streamSid": stream,
                "start": {
                    "streamSid": stream, "accountSid": account, "callSid": call_sid,
                    "tracks": ["inbound"], "customParameters": params,
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
                }
            }),
            Provider::Telnyx { .. } => json!({
                "event": "start", "sequence_number": "1", "stream_id": stream,
                "start": {
                    "user_id": account, "call_control_id": call_sid,
                    "call_session_id": uuid::Uuid::new_v4().to_string(),
                    "from": from, "to": to, "custom_parameters": params,
                    "media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1}
                }
            }),
        }
        .to_string()
    }

    /// The caller's `seq`-th message, media chunk `chunk`, `ms` into the
    /// stream.
    pub fn media(&self, stream: &str, seq: u64, chunk: u64, ms: u64, ulaw: &[u8]) -> String {
        let payload = STANDARD.encode(ulaw);
        match self {
            Provider::Twilio { .. } => json!({
                "event": "media", "sequenceNumber": seq.to_string(), "streamSid": stream,
                "media": {"track": "inbound", "chunk": chunk.to_string(), "timestamp": ms.to_string(), "payload": payload}
            }),
            Provider::Telnyx { .. } => json!({
                "event": "media", "sequence_number": seq.to_string(), "stream_id": stream,
                "media": {"track": "inbound", "chunk": chunk.to_string(), "timestamp": ms.to_string(), "payload": payload}
            }),
        }
        .to_string()
    }

    pub fn dtmf(&self, stream: &str, key: char) -> String {
        match self {
            Provider::Twilio { .. } => json!({
                "event": "dtmf", "streamSid": stream,
                "dtmf": {"track": "inbound_track", "digit": key.to_string()}
            }),
            Provider::Telnyx { .. } => json!({
                "event": "dtmf", "stream_id": stream,
                "occurred_at": chrono::Utc::now().to_rfc3339(),
                "dtmf": {"digit": key.to_string()}
            }),
        }
        .to_string()
    }

    /// The echo of a mark once what came before it has played.
    pub fn mark(&self, stream: &str, name: &str) -> String {
        match self {
            Provider::Twilio { .. } => {
                json!({"event": "mark", "streamSid": stream, "mark": {"name": name}})
            }
            Provider::Telnyx { .. } => {
                json!({"event": "mark", "stream_id": stream, "mark": {"name": name}})
            }
        }
        .to_string()
    }

    pub fn stop(&self, stream: &str, account: &str, call_sid: &str) -> String {
        match self {
            Provider::Twilio { .. } => json!({
                "event": "stop", "streamSid": stream,
                "stop": {"accountSid": account, "callSid": call_sid}
            }),
            Provider::Telnyx { .. } => json!({
                "event": "stop", "stream_id": stream,
                "stop": {"user_id": account, "call_control_id": call_sid}
            }),
        }
        .to_string()
    }
}
