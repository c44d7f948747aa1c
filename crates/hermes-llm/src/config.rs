//! How to reach the model, and how long to wait for it.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;

/// Where the chat-completions server is and how long each call may take.
///
/// `base_url` is the API root the server documents, up to and including
/// `/v1`: `https://api.openai.com/v1`, `http://127.0.0.1:8000/v1` (vLLM),
/// `http://127.0.0.1:11434/v1` (Ollama), `http://127.0.0.1:8080/v1`
/// (llama.cpp server). `/chat/completions` is appended.
#[derive(Clone)]
pub struct LlmConfig {
    pub base_url: String,
    /// Sent as `Authorization: Bearer …` when set. Local servers usually
    /// need none. Never printed by `Debug`.
    pub api_key: Option<SecretString>,
    pub model: String,
    /// The deadline of one non-streaming operation (all of `classify`'s
    /// concurrent samples share it), from sending to the parsed answer.
    pub request_timeout: Duration,
    /// Streaming: the longest wait from sending to the first piece of text.
    pub first_token_timeout: Duration,
    /// Streaming: the deadline for the whole text.
    pub stream_timeout: Duration,
    /// TCP (and TLS) connection set-up; also bounded by the deadlines above.
    pub connect_timeout: Duration,
    /// Upper bound on generated tokens per request (`max_tokens`), so a
    /// rambling model cannot eat the deadline. `None` leaves the field out,
    /// for servers that refuse it (OpenAI's reasoning models want
    /// `max_completion_tokens`, which the local servers do not all know).
    pub max_tokens: Option<u32>,
}

impl LlmConfig {
    /// Defaults sized for a phone conversation: a caller notices a pause of
    /// a second or two, so the model gets little more than that before the
    /// agent answers from the local path.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        LlmConfig {
            base_url: base_url.into(),
            api_key: None,
            model: model.into(),
            request_timeout: Duration::from_millis(2500),
            first_token_timeout: Duration::from_millis(1200),
            stream_timeout: Duration::from_secs(4),
            connect_timeout: Duration::from_millis(500),
            max_tokens: Some(512),
        }
    }

    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(key.into()));
        self
    }
}

impl fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("model", &self.model)
            .field("request_timeout", &self.request_timeout)
            .field("first_token_timeout", &self.first_token_timeout)
            .field("stream_timeout", &self.stream_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_tokens", &self.max_tokens)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_key() {
        let cfg = LlmConfig::new("http://127.0.0.1:1/v1", "m").with_api_key("sk-very-secret");
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("sk-very-secret"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }
}
