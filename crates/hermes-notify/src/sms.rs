//! SMS through Twilio's Programmable Messaging REST API:
//! `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form
//! encoded (`To`, `From` or `MessagingServiceSid`, `Body`), HTTP Basic
//! authentication with the account SID and auth token. `base_url` is
//! configurable so tests can aim it at a validating mock of Twilio's
//! published OpenAPI document.

use std::time::Duration;

use crate::SendError;

#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioConfig {
    /// `AC…`.
    pub account_sid: String,
    /// Secret: never logged (see the `Debug` impl).
    pub auth_token: String,
    /// The sending number (E.164), or a Messaging Service SID (`MG…`).
    pub from: String,
    /// `https://api.twilio.com` unless testing.
    #[serde(default = "default_base_url")]
    pub base_url: String,
}

pub fn default_base_url() -> String {
    "https://api.twilio.com".into()
}

impl std::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"[redacted]")
            .field("from", &self.from)
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// Sends SMS through Twilio.
#[derive(Clone)]
pub struct TwilioSms {
    config: TwilioConfig,
    http: reqwest::Client,
}

impl TwilioSms {
    pub fn new(config: TwilioConfig) -> Result<Self, SendError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| SendError::permanent(format!("twilio client: {e}")))?;
        Ok(Self { config, http })
    }

    /// Sends one message; returns Twilio's message SID.
    pub async fn send(&self, to: &str, body: &str) -> Result<String, SendError> {
        let c = &self.config;
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            c.base_url.trim_end_matches('/'),
            c.account_sid
        );
        let from_key = if c.from.starts_with("MG") {
            "MessagingServiceSid"
        } else {
            "From"
        };
        let resp = self
            .http
            .post(url)
            .basic_auth(&c.account_sid, Some(&c.auth_token))
            .form(&[("To", to), (from_key, c.from.as_str()), ("Body", body)])
            .send()
            .await
            // Without the URL: it is harmless, but the error text is
            // stored with the job.
            .map_err(|e| SendError::transient(format!("twilio: {}", e.without_url())))?;
        let status = resp.status();
        if status.is_success() {
            let v: serde_json::Value = resp.json().await.unwrap_or_default();
            return Ok(v["sid"].as_str().unwrap_or_default().to_owned());
        }
        // Twilio's error document carries a numeric code worth keeping;
        // its message may repeat the recipient, so it is not kept.
        let code = resp
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v["code"].as_i64());
        let message = match code {
            Some(code) => format!("twilio: HTTP {status}, error {code}"),
            None => format!("twilio: HTTP {status}"),
        };
        // 4xx is a request Twilio will refuse again (bad number, bad
        // credentials), except rate limiting and timeouts.
        let permanent = status.is_client_error()
            && status != reqwest::StatusCode::TOO_MANY_REQUESTS
            && status != reqwest::StatusCode::REQUEST_TIMEOUT;
        Err(SendError { permanent, message })
    }
}
