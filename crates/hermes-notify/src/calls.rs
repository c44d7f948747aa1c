//! The providers' call resources, for the one thing HERMES does to a live
//! call from outside its media stream: replace what the call is doing with
//! new instructions (a warm transfer's `<Dial>`).
//!
//! - Twilio: `POST {base}/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`
//!   with `Twiml=…`, basic auth with the firm's account SID and auth token.
//! - Telnyx (TeXML, its Twilio-compatible call update):
//!   `POST {base}/v2/texml/Accounts/{account_sid}/Calls/{call_sid}` with
//!   `Texml=…` (form-encoded, CamelCase keys), bearer auth with the firm's
//!   API key:
//!   <https://developers.telnyx.com/api-reference/texml-rest-commands/update-call>.

use std::time::Duration;

use crate::SendError;

/// A provider's REST API: a client and where it is.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base_url: String,
}

impl Api {
    fn new(provider: &str, base_url: &str) -> Result<Self, SendError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| SendError::permanent(format!("{provider} client: {e}")))?;
        Ok(Api {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }
}

/// A request sent: `Ok` on 2xx, else the provider's error code when its
/// body names one (`code` for Twilio, `errors[0].code` for Telnyx).
async fn outcome(
    provider: &str,
    sent: reqwest::Result<reqwest::Response>,
) -> Result<(), SendError> {
    let resp =
        sent.map_err(|e| SendError::transient(format!("{provider}: {}", e.without_url())))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let body = resp.json::<serde_json::Value>().await.unwrap_or_default();
    let code = body
        .get("code")
        .or_else(|| body.pointer("/errors/0/code"))
        .map(|c| c.to_string().trim_matches('"').to_owned());
    Err(SendError {
        permanent: status.is_client_error() && status.as_u16() != 429,
        message: match code {
            Some(code) => format!("{provider}: HTTP {status}, error {code}"),
            None => format!("{provider}: HTTP {status}"),
        },
    })
}

#[derive(Clone)]
pub struct TwilioCalls(Api);

impl TwilioCalls {
    pub fn new(base_url: &str) -> Result<Self, SendError> {
        Api::new("twilio", base_url).map(TwilioCalls)
    }

    /// Replaces what the call is doing with `twiml`.
    pub async fn redirect(
        &self,
        account_sid: &str,
        auth_token: &str,
        call_sid: &str,
        twiml: &str,
    ) -> Result<(), SendError> {
        let url = format!(
            "{}/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}.json",
            self.0.base_url
        );
        let sent = self
            .0
            .http
            .post(url)
            .basic_auth(account_sid, Some(auth_token))
            .form(&[("Twiml", twiml)])
            .send()
            .await;
        outcome("twilio", sent).await
    }
}

#[derive(Clone)]
pub struct TelnyxCalls(Api);

impl TelnyxCalls {
    /// `base_url`: `https://api.telnyx.com` (the `/v2` is added here).
    pub fn new(base_url: &str) -> Result<Self, SendError> {
        Api::new("telnyx", base_url).map(TelnyxCalls)
    }

    /// Replaces what the TeXML call is doing with `texml`. `call_sid` is
    /// TeXML's `CallSid` (the call's `call_control_id`).
    pub async fn update(
        &self,
        account_sid: &str,
        api_key: &str,
        call_sid: &str,
        texml: &str,
    ) -> Result<(), SendError> {
        // The ids go in path segments: escape them (a call control id is
        // `v3:…`, and nothing from a webhook may reshape the URL).
        let mut url = reqwest::Url::parse(&self.0.base_url)
            .map_err(|e| SendError::permanent(format!("telnyx: bad API base: {e}")))?;
        url.path_segments_mut()
            .map_err(|_| SendError::permanent("telnyx: bad API base"))?
            .pop_if_empty()
            .extend(["v2", "texml", "Accounts", account_sid, "Calls", call_sid]);
        let sent = self
            .0
            .http
            .post(url)
            .bearer_auth(api_key)
            .form(&[("Texml", texml)])
            .send()
            .await;
        outcome("telnyx", sent).await
    }
}
