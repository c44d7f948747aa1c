//! Clio's OAuth 2.0 authorization-code flow, per region: the page the
//! firm's admin is sent to, the code exchange, refresh, deauthorization.
//!
//! The `state` that protects the redirect is made, stored and checked by
//! the caller (it is bound to a tenant and a user there); this module
//! only carries it.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{ClioError, message_of};

/// HERMES's registration as a Clio application.
#[derive(Clone)]
pub struct App {
    pub client_id: String,
    pub client_secret: SecretString,
    /// Where Clio sends the admin back (`…/api/v1/integrations/clio/callback`).
    pub redirect_uri: String,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// What the token endpoint gives.
#[derive(Debug, Deserialize)]
pub struct Tokens {
    pub access_token: SecretString,
    /// Clio sends one with the code exchange; a refresh may not rotate it.
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    /// Seconds the access token lives.
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub token_type: Option<String>,
}

/// The authorize page on `host` (a [`crate::Region::host`]).
pub fn authorize_url(host: &str, app: &App, state: &str) -> String {
    let mut url = url::Url::parse(&format!("{}/oauth/authorize", host.trim_end_matches('/')))
        .expect("a region host is a URL");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &app.client_id)
        .append_pair("redirect_uri", &app.redirect_uri)
        .append_pair("state", state);
    url.into()
}

/// Exchanges the code the callback received.
pub async fn exchange_code(
    http: &reqwest::Client,
    host: &str,
    app: &App,
    code: &str,
) -> Result<Tokens, ClioError> {
    token_request(
        http,
        host,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", &app.client_id),
            ("client_secret", app.client_secret.expose_secret()),
            ("redirect_uri", &app.redirect_uri),
        ],
    )
    .await
}

/// A new access token from the refresh token.
pub async fn refresh(
    http: &reqwest::Client,
    host: &str,
    app: &App,
    refresh_token: &SecretString,
) -> Result<Tokens, ClioError> {
    token_request(
        http,
        host,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
            ("client_id", &app.client_id),
            ("client_secret", app.client_secret.expose_secret()),
        ],
    )
    .await
}

/// Revokes the connection's tokens at Clio.
pub async fn deauthorize(
    http: &reqwest::Client,
    host: &str,
    access_token: &SecretString,
) -> Result<(), ClioError> {
    let resp = http
        .post(format!("{}/oauth/deauthorize", host.trim_end_matches('/')))
        .bearer_auth(access_token.expose_secret())
        .form(&[("token", access_token.expose_secret())])
        .send()
        .await
        .map_err(ClioError::from_reqwest)?;
    let status = resp.status();
    // Already revoked is as good as revoked.
    if status.is_success() || status.as_u16() == 401 {
        return Ok(());
    }
    let text = resp.text().await.unwrap_or_default();
    Err(ClioError::Rejected {
        status: status.as_u16(),
        message: message_of(&text),
    })
}

async fn token_request(
    http: &reqwest::Client,
    host: &str,
    form: &[(&str, &str)],
) -> Result<Tokens, ClioError> {
    let resp = http
        .post(format!("{}/oauth/token", host.trim_end_matches('/')))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(form)
        .send()
        .await
        .map_err(ClioError::from_reqwest)?;
    let status = resp.status();
    let text = resp.text().await.map_err(ClioError::from_reqwest)?;
    if status.is_success() {
        return serde_json::from_str(&text).map_err(|e| ClioError::Decode(e.to_string()));
    }
    if status.is_server_error() {
        return Err(ClioError::Server {
            status: status.as_u16(),
        });
    }
    #[derive(Deserialize)]
    struct OAuthError {
        error: String,
        #[serde(default)]
        error_description: String,
    }
    match serde_json::from_str::<OAuthError>(&text) {
        Ok(e) => Err(ClioError::OAuth {
            error: e.error,
            description: e.error_description,
        }),
        Err(_) => Err(ClioError::Rejected {
            status: status.as_u16(),
            message: message_of(&text),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorize_url_carries_the_app_and_the_state_escaped() {
        let app = App {
            client_id: "abc".into(),
            client_secret: SecretString::from("s"),
            redirect_uri: "https://hermes.example/api/v1/integrations/clio/callback".into(),
        };
        let url = authorize_url(crate::Region::Eu.host(), &app, "st&ate");
        let parsed = url::Url::parse(&url).unwrap();
        assert_eq!(parsed.host_str(), Some("eu.app.clio.com"));
        assert_eq!(parsed.path(), "/oauth/authorize");
        let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "abc");
        assert_eq!(q["state"], "st&ate");
        assert_eq!(q["redirect_uri"], app.redirect_uri);
        assert!(!format!("{app:?}").contains("client_secret: "));
    }
}
