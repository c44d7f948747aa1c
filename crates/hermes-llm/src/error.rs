//! The one error every operation returns.
//!
//! Callers do not branch on the variant to decide what to say: any error
//! means "answer from the local path". The variants exist for metrics and
//! logs (a server that keeps timing out, a model that keeps breaking its
//! schema), so none of them carries what the caller said or what the model
//! answered: the messages are safe to log.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// The deadline passed before the answer (or, when streaming, its first
    /// token) arrived.
    #[error("the language model did not answer within {0:?}")]
    Timeout(Duration),
    /// The server answered with a non-success status other than 429.
    #[error("the language model server answered HTTP {status}")]
    Http { status: u16 },
    /// 429: the server or the provider's quota asks us to slow down. Not
    /// retried here: the caller has a conversation to keep going.
    #[error("the language model server is rate limiting (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// The body was not the chat-completions shape (not JSON, no choices,
    /// a broken event stream).
    #[error("malformed response from the language model: {0}")]
    Malformed(String),
    /// The model declined (a `refusal`, or `finish_reason: content_filter`).
    #[error("the language model refused")]
    Refused,
    /// Well-formed, but not what was asked for: a label outside the enum,
    /// JSON that does not fit the schema, no tool call, empty text.
    #[error("invalid output from the language model: {0}")]
    Invalid(String),
    /// Connecting, sending or reading failed (refused connection, reset,
    /// TLS, a body cut short).
    #[error("could not reach the language model: {0}")]
    Transport(String),
    /// The configuration cannot work (an unusable base URL, an API key that
    /// is not a valid header value).
    #[error("language model configuration: {0}")]
    Config(String),
}

impl LlmError {
    pub(crate) fn transport(e: reqwest::Error) -> Self {
        // reqwest's Display includes the URL, which is configuration, not
        // caller data; the source chain says what actually failed.
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            source = s.source();
        }
        LlmError::Transport(msg)
    }
}
