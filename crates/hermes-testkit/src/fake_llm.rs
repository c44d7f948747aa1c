//! A scripted OpenAI-compatible chat-completions server for tests.
//!
//! [`FakeLlm::start`] binds `127.0.0.1:0` and serves
//! `POST /v1/chat/completions`, plain JSON or, when the request says
//! `"stream": true`, server-sent events (`data: {chunk}` … `data: [DONE]`).
//! Each request takes the next [`Reply`] from a queue ([`FakeLlm::push`]);
//! when the queue is empty, a responder closure decides from the request
//! body ([`FakeLlm::respond_with`]), which suits tests whose requests run
//! concurrently; with neither, the answer is a 500. Every request body is
//! recorded ([`FakeLlm::requests`]) for assertions on what the client sent.
//!
//! A reply's shape follows the request: text scripted as a [`Reply::Stream`]
//! is sent whole to a non-streaming request, and a [`Reply::Text`] is sent
//! as one chunk to a streaming one.
//!
//! The server lives as long as the `FakeLlm` (dropping it stops accepting
//! connections; a request left hanging ends with the test's runtime).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::stream;
use serde_json::{Value, json};

/// What the fake answers one request with.
#[derive(Debug, Clone)]
pub enum Reply {
    /// An assistant message with this content.
    Text(String),
    /// An assistant message whose content is this JSON, serialised.
    Json(Value),
    /// An assistant message with one tool call; `arguments` is sent as the
    /// string it is (so tests can send invalid JSON).
    ToolCall { name: String, arguments: String },
    /// A refusal (`message.refusal`, or `delta.refusal` when streaming).
    Refusal(String),
    /// Streamed content: each piece after its delay. The finish chunk and
    /// `[DONE]` follow the last.
    Stream(Vec<(Duration, String)>),
    /// Like `Stream`, but the connection is cut after the pieces: no finish
    /// chunk, no `[DONE]`, no end of the chunked body.
    StreamThenDrop(Vec<(Duration, String)>),
    /// Server-sent events as scripted: each string is one event's data
    /// (sent as `data: {it}`), after its delay; nothing is added, not even
    /// `[DONE]`. For odd servers: error events, `finish_reason: length`.
    Events(Vec<(Duration, String)>),
    /// Waits, then answers with the inner reply (headers included, so this
    /// is also a delay before the first token).
    Delay(Duration, Box<Reply>),
    /// A non-success status with a JSON error body, and `Retry-After`
    /// (seconds) when given.
    Status {
        status: u16,
        retry_after: Option<u64>,
    },
    /// 200 with this body as it is (`Content-Type: application/json`):
    /// garbage, or a hand-written completion the other variants cannot
    /// express.
    Malformed(String),
    /// Never answers.
    Hang,
    /// Sends the status line and headers, then cuts the connection.
    Drop,
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Self {
        Reply::Text(text.into())
    }

    pub fn json(value: Value) -> Self {
        Reply::Json(value)
    }

    /// A tool call whose arguments are `arguments` serialised.
    pub fn tool_call(name: impl Into<String>, arguments: Value) -> Self {
        Reply::ToolCall {
            name: name.into(),
            arguments: arguments.to_string(),
        }
    }

    /// `pieces` streamed with `delay` before each.
    pub fn stream<S: Into<String>>(pieces: impl IntoIterator<Item = S>, delay: Duration) -> Self {
        Reply::Stream(pieces.into_iter().map(|p| (delay, p.into())).collect())
    }

    pub fn status(status: u16) -> Self {
        Reply::Status {
            status,
            retry_after: None,
        }
    }

    /// 429 with `Retry-After: seconds`.
    pub fn rate_limited(seconds: u64) -> Self {
        Reply::Status {
            status: 429,
            retry_after: Some(seconds),
        }
    }

    /// This reply, after `delay`.
    pub fn after(self, delay: Duration) -> Self {
        Reply::Delay(delay, Box::new(self))
    }
}

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The JSON body (`Value::Null` if it was not JSON).
    pub body: Value,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
}

type Responder = dyn Fn(&Value) -> Reply + Send + Sync;

#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<Reply>>,
    responder: Mutex<Option<Arc<Responder>>>,
    requests: Mutex<Vec<Recorded>>,
}

/// The running fake server. See the module docs.
pub struct FakeLlm {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeLlm {
    pub async fn start() -> FakeLlm {
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake LLM server");
        let addr = listener.local_addr().expect("local address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeLlm {
            addr,
            shared,
            server,
        }
    }

    /// The API root to configure a client with: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues a reply for the next request.
    pub fn push(&self, reply: Reply) -> &Self {
        self.shared.queue.lock().unwrap().push_back(reply);
        self
    }

    /// Decides replies from the request body once the queue is empty.
    pub fn respond_with(&self, responder: impl Fn(&Value) -> Reply + Send + Sync + 'static) {
        *self.shared.responder.lock().unwrap() = Some(Arc::new(responder));
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The bodies of every request received so far.
    pub fn bodies(&self) -> Vec<Value> {
        self.requests().into_iter().map(|r| r.body).collect()
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The text of a request's system message, for responders that tell
/// requests apart by their task.
pub fn system_prompt(body: &Value) -> &str {
    body["messages"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == "system"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
}

/// The text of a request's last user message.
pub fn user_message(body: &Value) -> &str {
    body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
}

async fn chat(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.requests.lock().unwrap().push(Recorded {
        body: body.clone(),
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    });
    let scripted = shared.queue.lock().unwrap().pop_front();
    let reply = match scripted {
        Some(reply) => reply,
        None => {
            let responder = shared.responder.lock().unwrap().clone();
            match responder {
                Some(responder) => responder(&body),
                None => {
                    return (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "fake LLM: no scripted reply",
                    )
                        .into_response();
                }
            }
        }
    };
    let streaming = body["stream"].as_bool().unwrap_or(false);
    let model = body["model"].as_str().unwrap_or("fake").to_owned();
    answer(reply, streaming, &model).await
}

async fn answer(mut reply: Reply, streaming: bool, model: &str) -> Response {
    while let Reply::Delay(delay, inner) = reply {
        tokio::time::sleep(delay).await;
        reply = *inner;
    }
    let message = match reply {
        Reply::Delay(..) => unreachable!("unwrapped above"),
        Reply::Hang => std::future::pending().await,
        Reply::Status {
            status,
            retry_after,
        } => {
            let status = StatusCode::from_u16(status).expect("a valid status code");
            let mut response = (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                json!({"error": {"message": "fake error", "type": "server_error"}}).to_string(),
            )
                .into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, seconds.into());
            }
            return response;
        }
        Reply::Malformed(body) => {
            return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        }
        Reply::Drop => return cut_off(Vec::new(), streaming),
        Reply::StreamThenDrop(pieces) => {
            let mut events = vec![(Duration::ZERO, sse(&role_chunk(model)))];
            events.extend(
                pieces
                    .into_iter()
                    .map(|(d, p)| (d, sse(&content_chunk(model, &p)))),
            );
            return cut_off(events, true);
        }
        Reply::Events(events) => {
            let events = events
                .into_iter()
                .map(|(d, data)| (d, format!("data: {data}\n\n")))
                .collect();
            return event_stream(events);
        }
        Reply::Stream(pieces) if streaming => {
            let mut events = vec![(Duration::ZERO, sse(&role_chunk(model)))];
            events.extend(
                pieces
                    .into_iter()
                    .map(|(d, p)| (d, sse(&content_chunk(model, &p)))),
            );
            events.push((Duration::ZERO, sse(&finish_chunk(model, "stop"))));
            events.push((Duration::ZERO, "data: [DONE]\n\n".to_owned()));
            return event_stream(events);
        }
        Reply::Stream(pieces) => {
            let mut text = String::new();
            for (delay, piece) in pieces {
                tokio::time::sleep(delay).await;
                text.push_str(&piece);
            }
            json!({"role": "assistant", "content": text})
        }
        Reply::Text(text) => json!({"role": "assistant", "content": text}),
        Reply::Json(value) => json!({"role": "assistant", "content": value.to_string()}),
        Reply::Refusal(text) => json!({"role": "assistant", "content": null, "refusal": text}),
        Reply::ToolCall { name, arguments } => json!({
            "role": "assistant",
            "content": null,
            "tool_calls": [{
                "id": "call_fake_1",
                "type": "function",
                "function": { "name": name, "arguments": arguments },
            }],
        }),
    };
    let finish = if message.get("tool_calls").is_some() {
        "tool_calls"
    } else {
        "stop"
    };
    if streaming {
        let mut delta = message.clone();
        if let Some(calls) = delta.get_mut("tool_calls").and_then(Value::as_array_mut) {
            for (i, call) in calls.iter_mut().enumerate() {
                call["index"] = json!(i);
            }
        }
        let events = vec![
            (Duration::ZERO, sse(&chunk(model, delta, None))),
            (Duration::ZERO, sse(&finish_chunk(model, finish))),
            (Duration::ZERO, "data: [DONE]\n\n".to_owned()),
        ];
        return event_stream(events);
    }
    let completion = json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{ "index": 0, "message": message, "finish_reason": finish }],
        "usage": { "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0 },
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        completion.to_string(),
    )
        .into_response()
}

fn chunk(model: &str, delta: Value, finish: Option<&str>) -> Value {
    json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }],
    })
}

fn role_chunk(model: &str) -> Value {
    chunk(model, json!({"role": "assistant", "content": ""}), None)
}

fn content_chunk(model: &str, text: &str) -> Value {
    chunk(model, json!({"content": text}), None)
}

fn finish_chunk(model: &str, reason: &str) -> Value {
    chunk(model, json!({}), Some(reason))
}

fn sse(value: &Value) -> String {
    format!("data: {value}\n\n")
}

fn event_stream(events: Vec<(Duration, String)>) -> Response {
    let body = stream::unfold(VecDeque::from(events), |mut events| async move {
        let (delay, event) = events.pop_front()?;
        tokio::time::sleep(delay).await;
        Some((Ok::<_, Infallible>(Bytes::from(event)), events))
    });
    sse_response(Body::from_stream(body))
}

/// Sends `events`, then fails the body so the server drops the connection
/// without finishing the response.
fn cut_off(events: Vec<(Duration, String)>, streaming: bool) -> Response {
    let body = stream::unfold(
        (VecDeque::from(events), false),
        |(mut events, failed)| async move {
            if failed {
                return None;
            }
            match events.pop_front() {
                Some((delay, event)) => {
                    tokio::time::sleep(delay).await;
                    Some((Ok(Bytes::from(event)), (events, false)))
                }
                None => Some((
                    Err(std::io::Error::other("fake LLM: connection dropped")),
                    (events, true),
                )),
            }
        },
    );
    if streaming {
        sse_response(Body::from_stream(body))
    } else {
        (
            [(header::CONTENT_TYPE, "application/json")],
            Body::from_stream(body),
        )
            .into_response()
    }
}

fn sse_response(body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
