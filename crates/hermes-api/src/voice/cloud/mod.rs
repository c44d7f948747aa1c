//! Cloud speech providers behind the engine interfaces of
//! [`super::speech`], one module per vendor:
//!
//! - [`deepgram`]: recognition over Deepgram's live-streaming WebSocket
//!   (the utterance streamed in chunks, then flushed).
//! - [`openai`]: recognition (`/v1/audio/transcriptions`) and synthesis
//!   (`/v1/audio/speech`, raw PCM read as it streams) on OpenAI or any
//!   server that speaks its audio API.
//! - [`elevenlabs`]: streaming synthesis (`/v1/text-to-speech/{voice}/stream`,
//!   raw PCM read chunk by chunk).
//!
//! Why a firm would pick one: better recognition of names and numbers, or
//! a voice of its own. Why they are never alone: a call puts the node's
//! local engines behind them ([`super::speech::Fallback`]), so a provider
//! that is down, slow or refuses our key costs the caller one short wait.
//!
//! Each client takes its `base_url` (tests point it at the fakes in
//! `hermes-testkit`), a key, model or voice names and a deadline. Every
//! failure becomes one [`SpeechError`]: a timeout as `Timeout`, anything
//! else as `Failed` with the HTTP status and, at most, the provider's
//! short error code. Keys are held as [`SecretString`], sent in headers
//! marked sensitive, and never printed; what the caller said, or what the
//! agent was about to say, is never in an error or a log line (provider
//! error bodies are not quoted, only their machine-readable codes).

pub mod deepgram;
pub mod elevenlabs;
pub mod openai;

use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::mpsc;

use super::speech::SpeechError;

/// Where a provider is, the key it knows this node by, and how long one
/// request may take: what every vendor's configuration has.
#[derive(Clone)]
pub struct Account {
    /// The API root (each vendor's module says what it appends).
    pub base_url: String,
    pub api_key: SecretString,
    /// The whole of one request: a transcription, or one sentence's audio.
    pub timeout: Duration,
}

impl Account {
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>, timeout: Duration) -> Self {
        Account {
            base_url: base_url.into(),
            api_key: SecretString::from(api_key.into()),
            timeout,
        }
    }

    /// Connection set-up: never longer than two seconds (a provider that
    /// slow to answer a handshake is not one to wait for).
    fn connect_timeout(&self) -> Duration {
        self.timeout.min(Duration::from_secs(2))
    }
}

/// Never shows the key.
impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The HTTP client of one provider: rustls (reqwest's `rustls` feature:
/// aws-lc-rs and the system's trust store), a bounded connect; our own
/// deadlines bound each request.
pub(crate) fn http_client(
    provider: &str,
    account: &Account,
) -> Result<reqwest::Client, SpeechError> {
    reqwest::Client::builder()
        .connect_timeout(account.connect_timeout())
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| SpeechError::failed(provider, format!("HTTP client: {e}")))
}

/// `prefix` + the key, as a header value that is never printed.
pub(crate) fn secret_header(
    provider: &str,
    prefix: &str,
    key: &SecretString,
) -> Result<HeaderValue, SpeechError> {
    let mut value = HeaderValue::from_str(&format!("{prefix}{}", key.expose_secret()))
        .map_err(|_| SpeechError::failed(provider, "the API key is not a valid header value"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// `base` (with or without a trailing slash) + `path`, which must be
/// `http(s)` (or `ws(s)` for a WebSocket).
pub(crate) fn endpoint(
    provider: &str,
    base: &str,
    path: &str,
    schemes: &[&str],
) -> Result<url::Url, SpeechError> {
    let url = url::Url::parse(&format!("{}{path}", base.trim_end_matches('/')))
        .map_err(|e| SpeechError::failed(provider, format!("base_url: {e}")))?;
    if !schemes.contains(&url.scheme()) {
        return Err(SpeechError::failed(
            provider,
            format!("base_url must start with {}://", schemes.join(":// or ")),
        ));
    }
    Ok(url)
}

/// A failure to talk to the provider at all.
pub(crate) fn transport(provider: &str, e: &reqwest::Error) -> SpeechError {
    if e.is_timeout() {
        SpeechError::timeout(provider)
    } else if e.is_connect() {
        SpeechError::failed(provider, "could not connect")
    } else {
        // reqwest's message names the URL, never headers or bodies.
        SpeechError::failed(provider, format!("request failed: {e}"))
    }
}

/// An answer that is not a success, by status: the key refused, a rate
/// limit, the provider's own trouble, or our request refused (with the
/// provider's short error code when it gave one).
pub(crate) fn status_error(provider: &str, status: u16, code: Option<&str>) -> SpeechError {
    let what = match status {
        401 | 403 => "the API key was refused".to_owned(),
        429 => "rate limited (or out of quota)".to_owned(),
        500..=599 => "the service is failing".to_owned(),
        _ => match code {
            Some(c) => format!("the request was refused ({c})"),
            None => "the request was refused".to_owned(),
        },
    };
    SpeechError::failed(provider, format!("{what} (HTTP {status})"))
}

/// The response if it is a success, else its [`status_error`] (the body
/// is read for a machine-readable error code, never quoted whole).
pub(crate) async fn check(
    provider: &str,
    response: reqwest::Response,
) -> Result<reqwest::Response, SpeechError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.bytes().await.unwrap_or_default();
    let code = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| error_code(&v));
    Err(status_error(provider, status.as_u16(), code.as_deref()))
}

/// The short code of a provider's error body: OpenAI's `error.code` or
/// `error.type`, ElevenLabs' `detail.status`, Deepgram's `err_code`.
pub(crate) fn error_code(body: &serde_json::Value) -> Option<String> {
    [
        &body["error"]["code"],
        &body["error"]["type"],
        &body["detail"]["status"],
        &body["err_code"],
    ]
    .iter()
    .filter_map(|v| v.as_str())
    .find_map(identifier)
    .map(str::to_owned)
}

/// `s` if it is an identifier (letters, digits, `_`, `-`, `.`; at most 64
/// characters): a message in prose could repeat what was sent.
pub(crate) fn identifier(s: &str) -> Option<&str> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    ok.then_some(s)
}

/// Reads a body of raw 16-bit little-endian mono PCM as it arrives and
/// sends it on piece by piece (an odd byte waits for its pair). Returns
/// the number of samples; a receiver that went away ends it early.
pub(crate) async fn stream_pcm(
    provider: &str,
    mut response: reqwest::Response,
    out: &mpsc::Sender<Vec<i16>>,
) -> Result<usize, SpeechError> {
    let mut odd: Option<u8> = None;
    let mut total = 0;
    while let Some(bytes) = response
        .chunk()
        .await
        .map_err(|e| transport(provider, &e))?
    {
        let mut piece = Vec::with_capacity(bytes.len() / 2 + 1);
        let mut rest: &[u8] = &bytes;
        if let (Some(lo), Some((hi, tail))) = (odd, rest.split_first()) {
            piece.push(i16::from_le_bytes([lo, *hi]));
            rest = tail;
            odd = None;
        }
        let pairs = rest.chunks_exact(2);
        if let [last] = pairs.remainder() {
            odd = Some(*last);
        }
        piece.extend(pairs.map(|p| i16::from_le_bytes([p[0], p[1]])));
        if piece.is_empty() {
            continue;
        }
        total += piece.len();
        if out.send(piece).await.is_err() {
            return Ok(total);
        }
    }
    if total == 0 {
        return Err(SpeechError::failed(provider, "the answer held no audio"));
    }
    Ok(total)
}

/// Sends a synthesis request and passes its raw PCM answer on as it
/// streams, all within `limit`.
pub(crate) async fn speak(
    provider: &str,
    limit: Duration,
    request: reqwest::RequestBuilder,
    out: &mpsc::Sender<Vec<i16>>,
) -> Result<(), SpeechError> {
    within(provider, limit, async {
        let response = request.send().await.map_err(|e| transport(provider, &e))?;
        stream_pcm(provider, check(provider, response).await?, out).await?;
        Ok(())
    })
    .await
}

/// Runs `job` within `limit`, a timeout becoming [`SpeechError::Timeout`].
pub(crate) async fn within<T>(
    provider: &str,
    limit: Duration,
    job: impl Future<Output = Result<T, SpeechError>>,
) -> Result<T, SpeechError> {
    tokio::time::timeout(limit, job)
        .await
        .unwrap_or_else(|_| Err(SpeechError::timeout(provider)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_machine_codes_are_taken_from_error_bodies() {
        let openai = json!({"error": {"message": "Incorrect API key provided: sk-…", "type": "invalid_request_error", "code": "invalid_api_key"}});
        assert_eq!(error_code(&openai).as_deref(), Some("invalid_api_key"));
        let eleven = json!({"detail": {"status": "voice_not_found", "message": "A voice with id … was not found"}});
        assert_eq!(error_code(&eleven).as_deref(), Some("voice_not_found"));
        // Prose is never taken, even where a code should be.
        let prose = json!({"error": {"code": "the caller said their name is Maria"}});
        assert_eq!(error_code(&prose), None);
        assert_eq!(error_code(&json!("nope")), None);
    }

    #[test]
    fn statuses_say_what_went_wrong() {
        let e = status_error("openai", 401, Some("invalid_api_key")).to_string();
        assert_eq!(e, "openai: the API key was refused (HTTP 401)");
        let e = status_error("deepgram", 429, None).to_string();
        assert!(e.contains("rate limited") && e.contains("429"), "{e}");
        let e = status_error("elevenlabs", 503, None).to_string();
        assert!(e.contains("failing") && e.contains("503"), "{e}");
        let e = status_error("openai", 400, Some("invalid_value")).to_string();
        assert!(e.contains("(invalid_value)") && e.contains("400"), "{e}");
    }

    #[test]
    fn accounts_never_show_their_key() {
        let a = Account::new("https://x", "sk-very-secret", Duration::from_secs(9));
        assert!(!format!("{a:?}").contains("sk-very-secret"));
        assert_eq!(a.connect_timeout(), Duration::from_secs(2));
    }

    #[test]
    fn endpoints_keep_the_base_path_and_check_the_scheme() {
        let u = endpoint(
            "openai",
            "http://127.0.0.1:9/v1/",
            "/audio/speech",
            &["http", "https"],
        )
        .unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9/v1/audio/speech");
        assert!(endpoint("deepgram", "https://x", "/v1/listen", &["ws", "wss"]).is_err());
        assert!(endpoint("openai", "not a url", "/x", &["http"]).is_err());
    }
}
