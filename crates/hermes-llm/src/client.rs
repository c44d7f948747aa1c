//! The HTTP client: one `POST {base_url}/chat/completions`, plain or
//! streamed, always under a deadline.
//!
//! There are no retries. A retry after a 429 or a 500 would spend the
//! caller's turn waiting; the agent's local path answers instead, and the
//! next turn tries the model again.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use reqwest::header::{HeaderValue, RETRY_AFTER};
use secrecy::ExposeSecret;
use tokio::time::{Instant, timeout_at};
use tracing::debug;

use crate::config::LlmConfig;
use crate::error::LlmError;
use crate::wire::{AssistantMessage, ChatChunk, ChatCompletion, ChatRequest};

/// A point in time a call must finish by, and the budget it came from (for
/// the error message).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    pub at: Instant,
    pub budget: Duration,
}

impl Deadline {
    pub fn after(budget: Duration) -> Self {
        Deadline {
            at: Instant::now() + budget,
            budget,
        }
    }
}

/// A client for one configured model. Cheap to clone (the connection pool
/// and the configuration are shared).
#[derive(Clone)]
pub struct LlmClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: LlmConfig,
    endpoint: reqwest::Url,
    authorization: Option<HeaderValue>,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl LlmClient {
    /// Validates the configuration and builds the connection pool. Makes no
    /// request: a server that is down shows up as errors (and fallbacks)
    /// on the calls, not here.
    pub fn new(config: LlmConfig) -> Result<Self, LlmError> {
        let base = config.base_url.trim_end_matches('/');
        let endpoint = reqwest::Url::parse(&format!("{base}/chat/completions"))
            .map_err(|e| LlmError::Config(format!("base_url: {e}")))?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(LlmError::Config("base_url must be http or https".into()));
        }
        let authorization = match &config.api_key {
            None => None,
            Some(key) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose_secret()))
                    .map_err(|_| {
                    LlmError::Config("api_key is not a valid header value".into())
                })?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            // Our own deadlines bound every call; this only keeps idle
            // pooled connections from piling up.
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| LlmError::Config(format!("HTTP client: {e}")))?;
        Ok(LlmClient {
            inner: Arc::new(Inner {
                http,
                config,
                endpoint,
                authorization,
            }),
        })
    }

    pub fn config(&self) -> &LlmConfig {
        &self.inner.config
    }

    fn post(&self, request: &ChatRequest) -> reqwest::RequestBuilder {
        let mut builder = self
            .inner
            .http
            .post(self.inner.endpoint.clone())
            .json(request);
        if let Some(auth) = &self.inner.authorization {
            builder = builder.header(reqwest::header::AUTHORIZATION, auth.clone());
        }
        builder
    }

    /// One non-streaming completion, parsed, by `deadline`.
    pub(crate) async fn complete(
        &self,
        request: &ChatRequest,
        deadline: Deadline,
    ) -> Result<AssistantMessage, LlmError> {
        debug_assert!(!request.stream);
        let call = async {
            let response = self
                .post(request)
                .send()
                .await
                .map_err(LlmError::transport)?;
            let response = check_status(response)?;
            let body = response.bytes().await.map_err(LlmError::transport)?;
            let completion: ChatCompletion =
                serde_json::from_slice(&body).map_err(|e| malformed("completion", &e))?;
            let choice = completion
                .choices
                .into_iter()
                .next()
                .ok_or_else(|| LlmError::Malformed("no choices".into()))?;
            if choice
                .message
                .refusal
                .as_deref()
                .is_some_and(|r| !r.is_empty())
                || choice.finish_reason.as_deref() == Some("content_filter")
            {
                return Err(LlmError::Refused);
            }
            if choice.finish_reason.as_deref() == Some("length") {
                return Err(LlmError::Invalid("cut off at max_tokens".into()));
            }
            Ok(choice.message)
        };
        let started = Instant::now();
        let result = match timeout_at(deadline.at, call).await {
            Ok(result) => result,
            Err(_) => Err(LlmError::Timeout(deadline.budget)),
        };
        // Latency and outcome only: never the prompt or the answer.
        match &result {
            Ok(_) => debug!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "completion"
            ),
            Err(e) => {
                debug!(elapsed_ms = started.elapsed().as_millis() as u64, error = %e, "completion failed")
            }
        }
        result
    }

    /// A streamed completion as the pieces of text the server sends, in
    /// order. The stream ends after `data: [DONE]`, or with one error: the
    /// first piece of text not there by `first_token`, all of it not there
    /// by `total`, an HTTP error, a broken stream, a refusal.
    pub(crate) fn stream_text(
        &self,
        mut request: ChatRequest,
        first_token: Deadline,
        total: Deadline,
    ) -> BoxStream<'static, Result<String, LlmError>> {
        request.stream = true;
        let state = StreamState::Start {
            client: self.clone(),
            request: Box::new(request),
        };
        stream::unfold(state, move |state| next_piece(state, first_token, total)).boxed()
    }
}

type Events = Pin<Box<dyn Stream<Item = Result<Event, EventStreamError<reqwest::Error>>> + Send>>;

enum StreamState {
    Start {
        client: LlmClient,
        request: Box<ChatRequest>,
    },
    Reading {
        events: Events,
        got_text: bool,
        finished: bool,
    },
    Done,
}

/// The first deadline that applies before any text has arrived.
fn before_first(first_token: Deadline, total: Deadline) -> Deadline {
    if first_token.at <= total.at {
        first_token
    } else {
        total
    }
}

async fn next_piece(
    state: StreamState,
    first_token: Deadline,
    total: Deadline,
) -> Option<(Result<String, LlmError>, StreamState)> {
    let (mut events, mut got_text, mut finished) = match state {
        StreamState::Done => return None,
        StreamState::Start { client, request } => {
            let limit = before_first(first_token, total);
            let sent = timeout_at(limit.at, async {
                let response = client
                    .post(&request)
                    .send()
                    .await
                    .map_err(LlmError::transport)?;
                check_status(response)
            })
            .await;
            match sent {
                Ok(Ok(response)) => {
                    let events: Events = Box::pin(response.bytes_stream().eventsource());
                    (events, false, false)
                }
                Ok(Err(e)) => return Some((Err(e), StreamState::Done)),
                Err(_) => return Some((Err(LlmError::Timeout(limit.budget)), StreamState::Done)),
            }
        }
        StreamState::Reading {
            events,
            got_text,
            finished,
        } => (events, got_text, finished),
    };
    loop {
        let limit = if got_text {
            total
        } else {
            before_first(first_token, total)
        };
        let fail = |e| Some((Err(e), StreamState::Done));
        let event = match timeout_at(limit.at, events.next()).await {
            Err(_) => return fail(LlmError::Timeout(limit.budget)),
            // A server that closes after a finish_reason but without
            // `[DONE]` has still said everything; one that just stops may
            // have been cut off mid-sentence, and half a sentence must not
            // be spoken.
            Ok(None) if finished => return None,
            Ok(None) => {
                return fail(LlmError::Transport("stream ended before [DONE]".into()));
            }
            Ok(Some(Err(EventStreamError::Transport(e)))) => {
                return fail(LlmError::transport(e));
            }
            Ok(Some(Err(_))) => return fail(LlmError::Malformed("broken event stream".into())),
            Ok(Some(Ok(event))) => event,
        };
        let data = event.data.trim();
        if data == "[DONE]" {
            return None;
        }
        if data.is_empty() {
            continue;
        }
        let chunk: ChatChunk = match serde_json::from_str(data) {
            Ok(chunk) => chunk,
            Err(e) => return fail(malformed("stream chunk", &e)),
        };
        if chunk.error.is_some() {
            return fail(LlmError::Malformed("error event in the stream".into()));
        }
        let mut text = String::new();
        for choice in chunk.choices.iter().take(1) {
            // Cut off by max_tokens: what came so far may end mid-sentence.
            if choice.finish_reason.as_deref() == Some("length") {
                return fail(LlmError::Invalid("cut off at max_tokens".into()));
            }
            if choice
                .delta
                .refusal
                .as_deref()
                .is_some_and(|r| !r.is_empty())
                || choice.finish_reason.as_deref() == Some("content_filter")
            {
                return fail(LlmError::Refused);
            }
            if choice.finish_reason.is_some() {
                finished = true;
            }
            if let Some(content) = &choice.delta.content {
                text.push_str(content);
            }
        }
        if !text.is_empty() {
            got_text = true;
            return Some((
                Ok(text),
                StreamState::Reading {
                    events,
                    got_text,
                    finished,
                },
            ));
        }
    }
}

fn check_status(response: reqwest::Response) -> Result<reqwest::Response, LlmError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        return Err(LlmError::RateLimited { retry_after });
    }
    Err(LlmError::Http {
        status: status.as_u16(),
    })
}

/// A parse error without serde's excerpt of the input (which could be what
/// the caller said).
fn malformed(what: &str, e: &serde_json::Error) -> LlmError {
    LlmError::Malformed(format!(
        "{what}: {:?} error at line {} column {}",
        e.classify(),
        e.line(),
        e.column()
    ))
}
