//! Every way a Clio request can fail, in the terms the caller acts on.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ClioError {
    /// 401: the access token is expired or revoked — refresh, or the
    /// connection needs the firm to reconnect.
    #[error("Clio rejected the access token (401)")]
    Unauthorized,
    /// 403: the connected Clio user may not do this.
    #[error("Clio forbade the request (403): {0}")]
    Forbidden(String),
    /// 404.
    #[error("Clio has no such record (404)")]
    NotFound,
    /// 429 after the retries allowed: try again after `retry_after`.
    #[error("Clio's rate limit is reached; retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// 4xx other than the above: the request is wrong and retrying will
    /// not help (the body says why).
    #[error("Clio refused the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// 5xx after the retries allowed.
    #[error("Clio failed ({status}) after retries")]
    Server { status: u16 },
    /// No answer in time, after the retries allowed. The request may have
    /// reached Clio: writes must be idempotent or checked before retrying.
    #[error("Clio did not answer in time")]
    Timeout,
    /// The network: refused, reset, DNS, TLS.
    #[error("could not reach Clio: {0}")]
    Network(String),
    /// An answer that is not what Clio's API documents.
    #[error("Clio's answer could not be read: {0}")]
    Decode(String),
    /// The OAuth endpoints' own errors (`invalid_grant`, …).
    #[error("Clio's authorization server said {error}: {description}")]
    OAuth { error: String, description: String },
}

impl ClioError {
    /// Worth trying again later (the outbox retries these with backoff;
    /// the others go to the dead letters at once).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ClioError::RateLimited { .. }
                | ClioError::Server { .. }
                | ClioError::Timeout
                | ClioError::Network(_)
        )
    }

    pub(crate) fn from_reqwest(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            ClioError::Timeout
        } else if e.is_decode() {
            ClioError::Decode(e.to_string())
        } else {
            ClioError::Network(e.to_string())
        }
    }
}

/// Clio's error body: `{"error": {"type": …, "message": …}}`.
pub(crate) fn message_of(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let e = v.get("error")?;
            e.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_owned)
                .or_else(|| e.as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| body.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clio_error_bodies_are_read_and_others_are_kept_short() {
        assert_eq!(
            message_of(r#"{"error":{"type":"InvalidFields","message":"name is missing"}}"#),
            "name is missing"
        );
        assert_eq!(message_of(r#"{"error":"invalid_grant"}"#), "invalid_grant");
        assert_eq!(message_of(&"x".repeat(1000)).len(), 300);
        assert!(ClioError::Timeout.is_transient());
        assert!(!ClioError::Unauthorized.is_transient());
        assert!(
            !ClioError::Rejected {
                status: 422,
                message: String::new()
            }
            .is_transient()
        );
    }
}
