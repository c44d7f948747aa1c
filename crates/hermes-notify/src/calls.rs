//! Twilio's Calls resource, for the one thing HERMES does to a live call
//! from outside its media stream: redirect it to new TwiML (a warm
//! transfer's `<Dial>`). `POST {base}/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`
//! with `Twiml=…`, basic auth with the firm's account SID and auth token.

use std::time::Duration;

use crate::SendError;

#[derive(Clone)]
pub struct TwilioCalls {
    http: reqwest::Client,
    base_url: String,
}

impl TwilioCalls {
    pub fn new(base_url: &str) -> Result<Self, SendError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| SendError::permanent(format!("twilio client: {e}")))?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
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
            self.base_url
        );
        let resp = self
            .http
            .post(url)
            .basic_auth(account_sid, Some(auth_token))
            .form(&[("Twiml", twiml)])
            .send()
            .await
            .map_err(|e| SendError::transient(format!("twilio: {}", e.without_url())))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let code = resp
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v["code"].as_i64());
        Err(SendError {
            permanent: status.is_client_error() && status.as_u16() != 429,
            message: match code {
                Some(code) => format!("twilio: HTTP {status}, error {code}"),
                None => format!("twilio: HTTP {status}"),
            },
        })
    }
}
