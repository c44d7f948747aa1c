//! Fake cloud speech providers for tests: Deepgram's live WebSocket,
//! OpenAI's audio endpoints and ElevenLabs' streaming synthesis, all on
//! one server on `127.0.0.1:0` ([`FakeSpeech::start`]).
//!
//! They behave; they do not echo. Recognition really listens: the audio
//! a client sends (linear16 frames over the socket, a WAV in the
//! multipart upload) is searched for the pilot tones of
//! [`crate::voice::PilotStt`], and the transcript is the line they name
//! (nothing heard, an empty transcript, as the real services answer
//! silence). Synthesis answers with [`crate::voice::tone`] at the rate the
//! request asked for, as raw PCM streamed in uneven chunks (an odd number
//! of bytes, so a client must carry half a sample over). Like the real
//! services they check the key (401 otherwise, with the service's error
//! shape), the required fields and formats (400/422 otherwise), and the
//! Deepgram socket closes after 10 s without a message.
//!
//! Each vendor can be switched ([`FakeSpeech::set_mode`]) to fail (500),
//! to be slow, to hang (accept and never answer), or to close early (the
//! connection cut after the first audio). [`FakeSpeech::served`] counts
//! the answers each gave, so a test can tell who spoke.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use serde_json::{Value, json};

use crate::voice::{PilotStt, tone};

pub const DEEPGRAM_KEY: &str = "dg-test-0123456789abcdef";
pub const OPENAI_KEY: &str = "sk-test-0123456789abcdef";
pub const ELEVENLABS_KEY: &str = "xi-test-0123456789abcdef";
/// The one voice the fake ElevenLabs has.
pub const ELEVENLABS_VOICE: &str = "JBFqnCBsd6RMkjVDRZzb";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    Deepgram,
    OpenAi,
    ElevenLabs,
}

/// How a vendor behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Answers, after this long.
    Slow(Duration),
    /// 500 (for Deepgram: the handshake).
    Fail,
    /// Takes the request and never answers.
    Hang,
    /// Cuts the connection after the first audio (received or sent).
    CloseEarly,
}

struct Shared {
    pilot: PilotStt,
    ms_per_word: u32,
    modes: Mutex<HashMap<&'static str, Mode>>,
    served: Mutex<HashMap<&'static str, u32>>,
    deepgram_frames: AtomicU64,
}

impl Vendor {
    fn key(self) -> &'static str {
        match self {
            Vendor::Deepgram => "deepgram",
            Vendor::OpenAi => "openai",
            Vendor::ElevenLabs => "elevenlabs",
        }
    }
}

impl Shared {
    fn mode(&self, v: Vendor) -> Mode {
        let modes = self.modes.lock().unwrap_or_else(|e| e.into_inner());
        modes.get(v.key()).copied().unwrap_or(Mode::Normal)
    }

    fn count(&self, v: Vendor) {
        let mut served = self.served.lock().unwrap_or_else(|e| e.into_inner());
        *served.entry(v.key()).or_default() += 1;
    }

    /// The line the audio names, or nothing.
    fn hear(&self, audio_16k: &[i16]) -> String {
        self.pilot
            .hear(audio_16k)
            .map(|i| self.pilot.line(i).to_owned())
            .unwrap_or_default()
    }

    /// What every mode but `Normal` does before the answer: wait, or
    /// never answer. `Fail` and `CloseEarly` are the handlers' own.
    async fn delay(&self, v: Vendor) {
        match self.mode(v) {
            Mode::Slow(d) => tokio::time::sleep(d).await,
            Mode::Hang => std::future::pending::<()>().await,
            _ => {}
        }
    }
}

/// The running fakes; they stop when this is dropped.
pub struct FakeSpeech {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeSpeech {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeSpeech {
    /// The fakes, recognising the pilot tones of `lines` and speaking
    /// `ms_per_word` of tone per word.
    pub async fn start(lines: &[&str], ms_per_word: u32) -> FakeSpeech {
        let shared = Arc::new(Shared {
            pilot: PilotStt::new(lines),
            ms_per_word,
            modes: Mutex::default(),
            served: Mutex::default(),
            deepgram_frames: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/v1/listen", any(deepgram))
            .route("/v1/audio/transcriptions", post(openai_transcribe))
            .route("/v1/audio/speech", post(openai_speech))
            .route(
                "/v1/text-to-speech/{voice_id}/stream",
                post(elevenlabs_stream),
            )
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake speech server");
        let addr = listener.local_addr().expect("local address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeSpeech {
            addr,
            shared,
            server,
        }
    }

    /// Deepgram's `base_url` (`ws://…`; the client adds `/v1/listen`).
    pub fn deepgram_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// OpenAI's `base_url`, up to `/v1`.
    pub fn openai_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// ElevenLabs' `base_url` (the client adds `/v1/text-to-speech/…`).
    pub fn elevenlabs_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_mode(&self, vendor: Vendor, mode: Mode) {
        let mut modes = self.shared.modes.lock().unwrap_or_else(|e| e.into_inner());
        modes.insert(vendor.key(), mode);
    }

    /// Answers `vendor` gave (transcripts, or audio streamed to the end).
    pub fn served(&self, vendor: Vendor) -> u32 {
        let served = self.shared.served.lock().unwrap_or_else(|e| e.into_inner());
        served.get(vendor.key()).copied().unwrap_or(0)
    }

    /// Binary audio frames Deepgram has received, over all sockets.
    pub fn deepgram_frames(&self) -> u64 {
        self.shared.deepgram_frames.load(Ordering::Relaxed)
    }
}

fn error(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn pcm_le(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// Raw PCM as a chunked body in uneven pieces (1001 bytes: half samples
/// straddle the chunks), a few milliseconds apart; cut after the first
/// piece when `close_early`.
fn streamed_pcm(
    shared: Arc<Shared>,
    vendor: Vendor,
    samples: Vec<i16>,
    close_early: bool,
) -> Response {
    let bytes = pcm_le(&samples);
    let pieces: Vec<Bytes> = bytes.chunks(1001).map(Bytes::copy_from_slice).collect();
    let count = pieces.len();
    let stream = futures_util::stream::unfold(0usize, move |i| {
        let piece = pieces.get(i).cloned();
        let shared = shared.clone();
        async move {
            if close_early && i == 1 {
                return Some((Err(std::io::Error::other("cut short")), i + 1));
            }
            let piece = piece?;
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
            if i + 1 == count {
                shared.count(vendor);
            }
            Some((Ok::<_, std::io::Error>(piece), i + 1))
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from_stream(stream))
        .expect("a valid response")
}

// --- Deepgram -----------------------------------------------------------------

async fn deepgram(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let key_ok = auth
        .split_once(' ')
        .is_some_and(|(scheme, key)| scheme.eq_ignore_ascii_case("token") && key == DEEPGRAM_KEY);
    if !key_ok {
        return error(
            StatusCode::UNAUTHORIZED,
            json!({"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials.", "request_id": uuid::Uuid::new_v4()}),
        );
    }
    // Raw audio must say what it is: with `encoding`, `sample_rate` is
    // required.
    let rate = match (
        params.get("encoding").map(String::as_str),
        params.get("sample_rate"),
    ) {
        (Some("linear16"), Some(r)) => r.parse::<u32>().ok(),
        _ => None,
    };
    let Some(rate) = rate.filter(|r| hermes_voice::resample::RATES.contains(r)) else {
        return error(
            StatusCode::BAD_REQUEST,
            json!({"err_code": "Bad Request", "err_msg": "this fake takes encoding=linear16 with a sample_rate of 8000, 16000, 22050 or 24000"}),
        );
    };
    if params.get("channels").is_some_and(|c| c != "1") {
        return error(
            StatusCode::BAD_REQUEST,
            json!({"err_code": "Bad Request", "err_msg": "this fake takes one channel"}),
        );
    }
    if shared.mode(Vendor::Deepgram) == Mode::Fail {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"err_code": "INTERNAL_SERVER_ERROR", "err_msg": "failing on purpose"}),
        );
    }
    let Ok(ws) = ws else {
        return error(
            StatusCode::BAD_REQUEST,
            json!({"err_code": "Bad Request", "err_msg": "a WebSocket upgrade is required"}),
        );
    };
    ws.on_upgrade(move |socket| listen(shared, socket, rate))
}

/// One live session: audio in, results out on `Finalize`, the summary
/// and a normal close on `CloseStream`.
async fn listen(shared: Arc<Shared>, mut socket: WebSocket, rate: u32) {
    let mode = shared.mode(Vendor::Deepgram);
    let mut pending: Vec<i16> = Vec::new();
    let mut odd: Option<u8> = None;
    let mut start = 0.0f64;
    loop {
        let message = match tokio::time::timeout(Duration::from_secs(10), socket.recv()).await {
            Err(_) => {
                // Deepgram's NET-0001: no audio within 10 seconds.
                let _ = socket
                    .send(Message::Close(Some(CloseFrame {
                        code: 1011,
                        reason: "NET-0001".into(),
                    })))
                    .await;
                return;
            }
            Ok(Some(Ok(m))) => m,
            Ok(_) => return,
        };
        match message {
            Message::Binary(bytes) => {
                shared.deepgram_frames.fetch_add(1, Ordering::Relaxed);
                if mode == Mode::CloseEarly {
                    // Cut: no close frame, no results.
                    return;
                }
                let mut data: &[u8] = &bytes;
                if let (Some(lo), Some((hi, rest))) = (odd, data.split_first()) {
                    pending.push(i16::from_le_bytes([lo, *hi]));
                    data = rest;
                    odd = None;
                }
                let pairs = data.chunks_exact(2);
                if let [last] = pairs.remainder() {
                    odd = Some(*last);
                }
                pending.extend(pairs.map(|p| i16::from_le_bytes([p[0], p[1]])));
            }
            Message::Text(text) => {
                let kind = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v["type"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                match kind.as_str() {
                    "Finalize" | "CloseStream" => {
                        shared.delay(Vendor::Deepgram).await;
                        if !pending.is_empty() || kind == "Finalize" {
                            let audio = std::mem::take(&mut pending);
                            let duration = audio.len() as f64 / f64::from(rate);
                            let heard = hermes_voice::resample::convert(rate, 16_000, &audio)
                                .map(|a| shared.hear(&a))
                                .unwrap_or_default();
                            let result = json!({
                                "type": "Results",
                                "channel_index": [0, 1],
                                "duration": duration,
                                "start": start,
                                "is_final": true,
                                "speech_final": true,
                                "from_finalize": kind == "Finalize",
                                "channel": {"alternatives": [{"transcript": heard, "confidence": 0.99, "words": []}]},
                                "metadata": {"request_id": uuid::Uuid::new_v4(), "model_info": {"name": "fake", "version": "1", "arch": "fake"}, "model_uuid": uuid::Uuid::new_v4()},
                            });
                            start += duration;
                            if socket
                                .send(Message::Text(result.to_string().into()))
                                .await
                                .is_err()
                            {
                                return;
                            }
                            shared.count(Vendor::Deepgram);
                        }
                        if kind == "CloseStream" {
                            let summary = json!({
                                "type": "Metadata",
                                "transaction_key": "deprecated",
                                "request_id": uuid::Uuid::new_v4(),
                                "sha256": "",
                                "created": "2025-01-01T00:00:00.000Z",
                                "duration": start,
                                "channels": 1,
                            });
                            let _ = socket.send(Message::Text(summary.to_string().into())).await;
                            let _ = socket
                                .send(Message::Close(Some(CloseFrame {
                                    code: 1000,
                                    reason: "".into(),
                                })))
                                .await;
                            return;
                        }
                    }
                    // KeepAlive and anything else: nothing to say.
                    _ => {}
                }
            }
            Message::Close(_) => return,
            _ => {}
        }
    }
}

// --- OpenAI -------------------------------------------------------------------

fn openai_error(status: StatusCode, kind: &str, code: Option<&str>, message: &str) -> Response {
    error(
        status,
        json!({"error": {"message": message, "type": kind, "param": null, "code": code}}),
    )
}

/// `None` when the bearer key is right, else the 401 to answer.
fn openai_auth(headers: &HeaderMap) -> Option<Response> {
    let ok = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {OPENAI_KEY}"));
    (!ok).then(|| {
        openai_error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            Some("invalid_api_key"),
            "Incorrect API key provided.",
        )
    })
}

/// The mode's answer before any real work: `Some` for `Fail`.
fn failing(shared: &Shared, vendor: Vendor) -> Option<Response> {
    (shared.mode(vendor) == Mode::Fail).then(|| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": {"message": "failing on purpose", "type": "server_error"}}),
        )
    })
}

fn bad_request(message: &str) -> Response {
    openai_error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        None,
        message,
    )
}

async fn openai_transcribe(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    if let Some(refused) = openai_auth(&headers) {
        return refused;
    }
    let mut file: Option<(String, Bytes)> = None;
    let mut model = None;
    let mut format = "json".to_owned();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return bad_request("Could not parse multipart form"),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let Ok(data) = field.bytes().await else {
            return bad_request("Could not parse multipart form");
        };
        match name.as_str() {
            "file" => file = Some((file_name.unwrap_or_default(), data)),
            "model" => model = Some(String::from_utf8_lossy(&data).into_owned()),
            "response_format" => format = String::from_utf8_lossy(&data).into_owned(),
            _ => {}
        }
    }
    let Some((file_name, data)) = file else {
        return bad_request("you must provide a file");
    };
    if model.is_none_or(|m| m.trim().is_empty()) {
        return bad_request("you must provide a model parameter");
    }
    let supported = [
        "flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm",
    ];
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    if !ext.is_some_and(|e| supported.contains(&e.as_str())) {
        return bad_request("Invalid file format.");
    }
    if !matches!(format.as_str(), "json" | "text") {
        return bad_request("this fake answers response_format json or text");
    }
    // The fake reads WAV only (the real service reads the rest too).
    let Some(audio) = read_wav(&data) else {
        return bad_request("Invalid file format.");
    };
    if let Some(failed) = failing(&shared, Vendor::OpenAi) {
        return failed;
    }
    shared.delay(Vendor::OpenAi).await;
    if shared.mode(Vendor::OpenAi) == Mode::CloseEarly {
        return cut_short();
    }
    let text = shared.hear(&audio);
    shared.count(Vendor::OpenAi);
    if format == "text" {
        return (StatusCode::OK, format!("{text}\n")).into_response();
    }
    axum::Json(
        json!({"text": text, "usage": {"type": "duration", "seconds": audio.len() / 16_000}}),
    )
    .into_response()
}

/// A 200 whose body breaks off: the connection is cut.
fn cut_short() -> Response {
    let stream =
        futures_util::stream::once(async { Err::<Bytes, _>(std::io::Error::other("cut short")) });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .expect("a valid response")
}

/// A mono 16-bit WAV, at 16 kHz (converted from the rates a call meets).
fn read_wav(data: &[u8]) -> Option<Vec<i16>> {
    let reader = hound::WavReader::new(std::io::Cursor::new(data)).ok()?;
    let spec = reader.spec();
    if spec.channels != 1 || spec.bits_per_sample != 16 {
        return None;
    }
    let samples: Vec<i16> = reader.into_samples().collect::<Result<_, _>>().ok()?;
    hermes_voice::resample::convert(spec.sample_rate, 16_000, &samples).ok()
}

/// The body's fields, or the 400 to answer (not an object, or a field
/// the service does not take).
fn fields(body: &[u8], known: &[&str]) -> Result<serde_json::Map<String, Value>, String> {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return Err("the body must be a JSON object".into());
    };
    match fields.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(format!("Unrecognized request argument supplied: {k}")),
        None => Ok(fields),
    }
}

fn text_of<'a>(fields: &'a serde_json::Map<String, Value>, key: &str) -> &'a str {
    fields.get(key).and_then(Value::as_str).unwrap_or_default()
}

async fn openai_speech(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refused) = openai_auth(&headers) {
        return refused;
    }
    let known = [
        "model",
        "input",
        "voice",
        "response_format",
        "speed",
        "instructions",
        "stream_format",
    ];
    let request = match fields(&body, &known) {
        Ok(f) => f,
        Err(e) => return bad_request(&e),
    };
    if text_of(&request, "model").trim().is_empty() || text_of(&request, "voice").trim().is_empty()
    {
        return bad_request("model and voice are required");
    }
    let input = text_of(&request, "input");
    if input.is_empty() || input.chars().count() > 4096 {
        return bad_request("input must be 1 to 4096 characters");
    }
    // Raw PCM is 24 kHz 16-bit mono; the real default is mp3, which this
    // fake does not make.
    if text_of(&request, "response_format") != "pcm" {
        return bad_request("this fake answers response_format pcm only");
    }
    if let Some(failed) = failing(&shared, Vendor::OpenAi) {
        return failed;
    }
    shared.delay(Vendor::OpenAi).await;
    let audio = tone(input, shared.ms_per_word, 24_000);
    let close = shared.mode(Vendor::OpenAi) == Mode::CloseEarly;
    streamed_pcm(shared, Vendor::OpenAi, audio, close)
}

// --- ElevenLabs ---------------------------------------------------------------

async fn elevenlabs_stream(
    State(shared): State<Arc<Shared>>,
    Path(voice_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let detail = |status: StatusCode, code: &str, message: &str| {
        error(
            status,
            json!({"detail": {"status": code, "message": message}}),
        )
    };
    if headers.get("xi-api-key").and_then(|v| v.to_str().ok()) != Some(ELEVENLABS_KEY) {
        return detail(
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            "Invalid API key",
        );
    }
    if voice_id != ELEVENLABS_VOICE {
        return detail(
            StatusCode::NOT_FOUND,
            "voice_not_found",
            "A voice with that id was not found.",
        );
    }
    let known = [
        "text",
        "model_id",
        "language_code",
        "voice_settings",
        "seed",
        "previous_text",
        "next_text",
    ];
    let request = match fields(&body, &known) {
        Ok(f) => f,
        Err(e) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"detail": [{"loc": ["body"], "msg": e, "type": "value_error"}]}),
            );
        }
    };
    let text = text_of(&request, "text");
    if text.trim().is_empty() {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"detail": [{"loc": ["body", "text"], "msg": "Field required", "type": "missing"}]}),
        );
    }
    // Real default: mp3_44100_128, which this fake does not make.
    let rate = params
        .get("output_format")
        .and_then(|f| f.strip_prefix("pcm_"))
        .and_then(|r| r.parse::<u32>().ok())
        .filter(|r| [8_000, 16_000, 22_050, 24_000, 44_100, 48_000].contains(r));
    let Some(rate) = rate else {
        return detail(
            StatusCode::BAD_REQUEST,
            "invalid_output_format",
            "this fake answers pcm_* output formats only",
        );
    };
    if shared.mode(Vendor::ElevenLabs) == Mode::Fail {
        return detail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "failing on purpose",
        );
    }
    shared.delay(Vendor::ElevenLabs).await;
    let audio = tone(text, shared.ms_per_word, rate);
    let close = shared.mode(Vendor::ElevenLabs) == Mode::CloseEarly;
    streamed_pcm(shared, Vendor::ElevenLabs, audio, close)
}
