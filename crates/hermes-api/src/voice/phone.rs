//! What the telephone providers' transports (Twilio, Telnyx) share: the
//! webhook's firm and form, the answer that opens the media stream and
//! records the call, the status callback, the stream token, and the media
//! stream itself, from `start` to the call's record.
//!
//! Each provider brings a [`Wire`]: its webhook check (Twilio's HMAC,
//! Telnyx's Ed25519), the XML that connects a call to the stream, the
//! stream's JSON dialect, and its transfer; everything else is here once,
//! and [`routes`] mounts it under `/voice/{provider}/{tenant}/…`.
//!
//! The media stream is not a webhook: its URL carries nothing secret, so
//! the answer hands the stream a token (a value sealed by this server
//! naming the tenant and the call) as a custom parameter, and the stream
//! is refused unless its `start` carries a token that opens.
//!
//! Whatever a provider sends that is not understood (not JSON, an unknown
//! event, a binary frame, a frame over the size limit, a frame out of its
//! place) is logged, counted in `hermes_voice_stream_problems_total` by
//! kind, and survived: the call goes on.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequest, FromRequestParts, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hermes_core::TenantId;
use hermes_store::{CallProgress, CallRow, NewCall};
use hermes_voice::stream::Problem;
use hermes_voice::{g711, twiml};
use uuid::Uuid;

use super::session::{self, CallSpec, Inbound, Outbound};
use super::settings::{Telephony, TelephonySecrets};
use super::speech::TextToSpeech;
use crate::client::ClientInfo;
use crate::state::AppState;

pub(crate) fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

fn forbidden() -> Response {
    (StatusCode::FORBIDDEN, "invalid signature").into_response()
}

/// This server as the provider reaches it: `public_url`, else the
/// request's own host and scheme.
fn base(state: &AppState, headers: &HeaderMap, client: &ClientInfo) -> String {
    if let Some(base) = &state.voice.config.public_url {
        return base.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if client.https { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// The URL the provider called, as it signed it.
pub(crate) fn called_url(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    client: &ClientInfo,
) -> String {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    format!("{}{path}", base(state, headers, client))
}

/// A firm a provider webhook names, with its telephony settings; `None`
/// when there is no such firm (refused like a bad signature).
pub(crate) async fn firm(
    state: &AppState,
    slug: &str,
) -> Option<(hermes_store::Tenant, Telephony, TelephonySecrets)> {
    let tenant = super::tenant_by_slug(state, slug).await?;
    let (settings, secrets) = super::settings::load_all(state, tenant.id).await.ok()?;
    Some((tenant, settings, secrets))
}

pub(crate) fn form_urlencoded(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// A webhook as it came, for its signature to be checked.
pub(crate) struct Request<'a> {
    pub headers: &'a HeaderMap,
    pub uri: &'a Uri,
    pub client: &'a ClientInfo,
    pub body: &'a Bytes,
}

/// A webhook whose signature `W` has checked, and this server as the
/// provider reached it: what every provider webhook handler takes
/// (refused with 403 otherwise, before anything else happens).
pub(crate) struct Signed<W> {
    pub hook: Webhook,
    pub base: String,
    wire: PhantomData<W>,
}

impl<W: Wire> FromRequest<AppState> for Signed<W> {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let params = Path::<HashMap<String, String>>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let slug = params.get("tenant").cloned().unwrap_or_default();
        let Ok(client) = ClientInfo::from_request_parts(&mut parts, state).await;
        let (headers, uri) = (parts.headers.clone(), parts.uri.clone());
        let body = Bytes::from_request(axum::extract::Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let req = Request {
            headers: &headers,
            uri: &uri,
            client: &client,
            body: &body,
        };
        match W::verify(state, &slug, req).await {
            Some(hook) => Ok(Signed {
                hook,
                base: base(state, &headers, &client),
                wire: PhantomData,
            }),
            None => Err(forbidden()),
        }
    }
}

/// A verified webhook: the tenant and the form's fields.
pub(crate) struct Webhook {
    pub tenant: hermes_store::Tenant,
    pub form: HashMap<String, String>,
}

/// Logs and counts a webhook whose signature was refused.
pub(crate) fn refused(provider: &'static str, tenant: TenantId, why: &dyn std::fmt::Display) {
    tracing::warn!(%tenant, provider, reason = %why, "a webhook with a bad signature was refused");
    super::problem("bad_signature");
}

/// The stream token: the call id and tenant sealed by this server.
fn stream_token(state: &AppState, tenant: TenantId, call: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(
        state
            .secrets
            .seal(&format!("{tenant}/stream"), call.as_bytes()),
    )
}

fn open_stream_token(state: &AppState, tenant: TenantId, token: &str) -> Option<Uuid> {
    let sealed = URL_SAFE_NO_PAD.decode(token).ok()?;
    let plain = state
        .secrets
        .open(&format!("{tenant}/stream"), &sealed)
        .ok()?;
    Uuid::from_slice(&plain).ok()
}

/// A provider's webhooks and stream: `/voice/{provider}/{tenant}/incoming`,
/// `…/status` and `…/stream`.
pub(crate) fn routes<W: Wire>() -> Router<AppState> {
    let at = |hook: &str| format!("/voice/{}/{{tenant}}/{hook}", W::PROVIDER);
    Router::new()
        .route(&at("incoming"), post(incoming::<W>))
        .route(&at("status"), post(status::<W>))
        .route(&at("stream"), get(stream::<W>))
}

/// `POST /voice/{provider}/{tenant}/incoming`: a call is ringing
/// (`CallSid`, `From`, `To` in the form, as both Twilio and TeXML send
/// them). Records it (once: a provider retrying the webhook gets the same
/// answer) and answers with the provider's `connect` to the stream.
async fn incoming<W: Wire>(
    State(state): State<AppState>,
    Signed { hook, base, .. }: Signed<W>,
) -> Response {
    let provider = W::PROVIDER;
    let call_sid = hook.form.get("CallSid").cloned().unwrap_or_default();
    if call_sid.is_empty() {
        return (StatusCode::BAD_REQUEST, "CallSid is missing").into_response();
    }
    let store = state.store.scoped(hook.tenant.id);
    let call = match store
        .create_call(&NewCall {
            id: Uuid::now_v7(),
            provider: provider.into(),
            provider_call_id: call_sid.clone(),
            from_number: hook.form.get("From").cloned(),
            to_number: hook.form.get("To").cloned(),
            metered: true,
        })
        .await
    {
        Ok(c) => {
            over_allowance(&state, hook.tenant.id, &c).await;
            c
        }
        Err(hermes_store::StoreError::Conflict(_)) => {
            match store.call_by_provider_id(provider, &call_sid).await {
                Ok(Some(c)) => c,
                _ => return apology(),
            }
        }
        Err(e) => {
            tracing::error!(error = %e, provider, "could not record an incoming call");
            return apology();
        }
    };
    crate::live::publish(
        &state,
        hook.tenant.id,
        crate::live::LiveEvent::Call {
            id: call.id,
            status: call.status.clone(),
        },
    );
    let ws_base = base
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    let url = format!(
        "{ws_base}/voice/{provider}/{}/stream",
        hook.tenant.slug.as_ref()
    );
    let token = stream_token(&state, hook.tenant.id, call.id);
    metrics::counter!("hermes_calls_total", "provider" => provider).increment(1);
    xml(W::connect(
        &url,
        &[("token", token.as_str()), ("call", &call.id.to_string())],
    ))
}

/// A new call past the plan's monthly allowance: counted, and the admins
/// told (once a month, in the background: the provider is waiting for
/// the answer).
async fn over_allowance(state: &AppState, tenant: TenantId, call: &hermes_store::CallRow) {
    let Ok(t) = state.tenant(tenant).await else {
        return;
    };
    if crate::quota::message_only(t.plan, call.month_ordinal) {
        metrics::counter!("hermes_calls_over_allowance_total").increment(1);
        let state = state.clone();
        let plan = t.plan;
        tokio::spawn(async move {
            crate::quota::tell_admins(&state, tenant, plan, &crate::quota::this_month()).await;
        });
    }
}

/// What a caller hears when even the call record could not be written:
/// the firm's number still answers, and says how to reach it.
fn apology() -> Response {
    xml(twiml::say_and_hang_up(
        "We're sorry, we can't take your call right now. Please call back in a few minutes. If this is an emergency, hang up and dial 911.",
    ))
}

/// `POST /voice/{provider}/{tenant}/status`: the status callback
/// (`CallSid`, `CallStatus`): how the call ended.
async fn status<W: Wire>(
    State(state): State<AppState>,
    Signed { hook, .. }: Signed<W>,
) -> Response {
    let provider = W::PROVIDER;
    let sid = hook.form.get("CallSid").cloned().unwrap_or_default();
    let status = hook.form.get("CallStatus").cloned().unwrap_or_default();
    let store = state.store.scoped(hook.tenant.id);
    if let Ok(Some(call)) = store.call_by_provider_id(provider, &sid).await {
        let ended = matches!(
            status.as_str(),
            "completed" | "busy" | "no-answer" | "failed" | "canceled"
        );
        let progress = CallProgress {
            status: if ended {
                "ended".into()
            } else {
                call.status.clone()
            },
            // A call that streamed gets its outcome from the stream (the
            // intake's end, a transfer), which may still be writing it;
            // the provider's word only fills in calls that never streamed.
            outcome: (ended && call.status == "ringing").then(|| status.replace('-', "_")),
            turns: serde_json::Value::Null,
            ended_at: ended.then(chrono::Utc::now),
            ..Default::default()
        };
        if let Err(e) = store.update_call(call.id, &progress).await {
            tracing::warn!(error = %e, "could not record a call's status");
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

// --- the media stream ---------------------------------------------------------

/// What a stream's `start` says that the call needs.
pub(crate) struct Started {
    /// The stream token from the custom parameters (empty when absent).
    pub token: String,
    /// The provider's account, for the transfer's REST call.
    pub account: String,
}

/// One message from the provider, in the pipeline's terms.
pub(crate) enum Heard {
    /// Caller audio, μ-law 8 kHz, in order.
    Audio(Vec<u8>),
    Dtmf(char),
    /// Everything up to this mark has been played.
    Played(String),
    Stop,
    /// Understood, but not right here: counted under this kind.
    Odd(&'static str),
}

/// A provider: how its webhooks are checked, how a ringing call is
/// connected to the stream, the stream's JSON dialect, and its way of
/// handing a call to a person.
pub(crate) trait Wire: Default + Send + 'static {
    const PROVIDER: &'static str;
    /// The webhook, if its signature is right (403 otherwise).
    fn verify(
        state: &AppState,
        slug: &str,
        req: Request<'_>,
    ) -> impl Future<Output = Option<Webhook>> + Send;
    /// The answer (TwiML, TeXML) that connects a ringing call to the
    /// stream at `url`, passing `parameters` to its `start`.
    fn connect(url: &str, parameters: &[(&str, &str)]) -> String;
    /// A message before the stream has started: `Some` when it is the
    /// `start`.
    fn start(&mut self, text: &str) -> Result<Option<Started>, Problem>;
    /// A message after `start`.
    fn heard(&mut self, text: &str) -> Result<Vec<Heard>, Problem>;
    fn media(&self, ulaw: &[u8]) -> String;
    fn mark(&self, name: &str) -> String;
    fn clear(&self) -> String;
    /// Hands the call to a person; `false` when that could not be placed.
    fn transfer(
        state: &AppState,
        tenant: TenantId,
        call: &CallRow,
        account: &str,
    ) -> impl Future<Output = bool> + Send;
}

fn not_understood(p: &Problem) {
    tracing::info!(problem = %p, "a media-stream message was not understood");
    super::problem(match p {
        Problem::TooLarge(_) => "oversized",
        Problem::UnknownEvent(_) => "unknown_event",
        Problem::NotJson(_) | Problem::Malformed { .. } => "malformed",
    });
}

/// What the caller hears when a transfer could not be placed: the intake
/// has their details, so the firm has their message.
const NOBODY_FREE: &str = "I'm sorry, I couldn't connect you right now. I've passed your details to the firm, and someone will call you back as soon as possible. Goodbye.";

/// The stream's largest message: the provider's text frames are small,
/// but a peer may send more; axum closes the socket above this.
const MAX_FRAME_BYTES: usize = 256 * 1024;

/// `GET /voice/{provider}/{tenant}/stream`: the media stream.
async fn stream<W: Wire>(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ws: WebSocketUpgrade,
) -> Response {
    let wire = W::default();
    let Some(tenant) = super::tenant_by_slug(&state, &slug).await else {
        return (StatusCode::NOT_FOUND, "no such firm").into_response();
    };
    // The call counts as in progress (a stopping node waits for it) from
    // here to its record's last write; a failed upgrade drops it at once.
    let in_progress = state.drain.call();
    // Over the parsers' own limit but under the socket's, so an oversized
    // message is counted and survived, not a reason to drop the call.
    ws.max_message_size(MAX_FRAME_BYTES)
        .read_buffer_size(hermes_voice::twilio::READ_BUFFER_BYTES)
        .on_upgrade(move |socket| async move {
            media(state, tenant.id, socket, wire).await;
            drop(in_progress);
        })
}

async fn media<W: Wire>(state: AppState, tenant: TenantId, mut socket: WebSocket, mut wire: W) {
    // Until `start`, nothing but `connected` is expected.
    let started = loop {
        let Some(Ok(msg)) = socket.recv().await else {
            return;
        };
        match msg {
            Message::Text(t) => match wire.start(&t) {
                Ok(Some(s)) => break s,
                Ok(None) => {}
                Err(p) => not_understood(&p),
            },
            Message::Close(_) => return,
            Message::Binary(_) => super::problem("binary"),
            Message::Ping(_) | Message::Pong(_) => {}
        }
    };
    let Some(call_id) = open_stream_token(&state, tenant, &started.token) else {
        tracing::warn!(%tenant, provider = W::PROVIDER, "a media stream without a valid token was refused");
        super::problem("bad_token");
        let _ = socket.send(Message::Close(None)).await;
        return;
    };
    let store = state.store.scoped(tenant);
    let call = match store.call(call_id).await {
        Ok(Some(c)) => c,
        _ => return,
    };
    super::record::answered(&state, tenant, call_id).await;
    let Some(engines) = state.voice.wait_for_engines().await else {
        tracing::error!("no speech engines: a call could not be taken");
        return;
    };
    let firm = super::firm_voice(&state, tenant).await;
    let call_engines = state.voice.for_call(&engines, &firm.speech);
    let tts = call_engines.tts.clone();
    // Past the plan's allowance the call is still answered, as a message.
    let plan = state
        .tenant(tenant)
        .await
        .map_or(hermes_core::Plan::Professional, |t| t.plan);
    let spec = CallSpec {
        tenant,
        call_id,
        rate: 8_000,
        from: call.from_number.clone(),
        message_only: crate::quota::message_only(plan, call.month_ordinal),
        office: crate::agent::office_for_number(&state, tenant, call.to_number.as_deref()).await,
    };
    let mut pipeline = session::start(state.clone(), spec, call_engines);
    let in_tx = pipeline.inbound.clone();

    let mut transfer = false;
    'call: loop {
        tokio::select! {
            msg = socket.recv() => {
                let Some(Ok(msg)) = msg else { break };
                let heard = match msg {
                    Message::Text(t) => wire.heard(&t).unwrap_or_else(|p| {
                        not_understood(&p);
                        Vec::new()
                    }),
                    Message::Binary(_) => vec![Heard::Odd("binary")],
                    Message::Close(_) => break,
                    Message::Ping(_) | Message::Pong(_) => Vec::new(),
                };
                for h in heard {
                    match h {
                        Heard::Audio(ulaw) => {
                            let pcm = g711::ulaw_to_pcm(&ulaw);
                            if in_tx.try_send(Inbound::Audio(pcm)).is_err() {
                                super::problem("backlog");
                            }
                        }
                        Heard::Dtmf(digit) => { let _ = in_tx.send(Inbound::Dtmf(digit)).await; }
                        Heard::Played(name) => { let _ = in_tx.send(Inbound::Played(name)).await; }
                        Heard::Stop => break 'call,
                        Heard::Odd(kind) => super::problem(kind),
                    }
                }
            },
            out = pipeline.outbound.recv() => {
                let Some(out) = out else { break };
                let msg = match out {
                    Outbound::Audio(frame) => {
                        // Whole 20 ms frames (Telnyx takes no less): the last is padded
        // with μ-law silence.
        let mut ulaw: Vec<u8> = frame.iter().map(|s| g711::ulaw_encode(*s)).collect();
        ulaw.resize(160, 0xFF);
                        wire.media(&ulaw)
                    }
                    Outbound::Mark(name) => wire.mark(&name),
                    Outbound::Clear => wire.clear(),
                    Outbound::Transcript { .. } => continue,
                    Outbound::End { transfer: t } => {
                        transfer = t;
                        break;
                    }
                };
                if socket.send(Message::Text(msg.into())).await.is_err() {
                    break;
                }
            },
        }
    }
    drop(in_tx);
    let mut outcome = pipeline.finish().await;
    if (transfer || outcome.transferred)
        && !W::transfer(&state, tenant, &call, &started.account).await
    {
        // Nobody can be reached: the caller hears that their message is
        // taken (the intake is the message), and the record says so.
        say(&mut socket, &mut wire, tts.as_ref(), NOBODY_FREE).await;
        outcome.transferred = false;
        outcome.outcome = "needs_review".into();
    }
    let _ = socket.send(Message::Close(None)).await;
    super::record::finish(&state, tenant, call_id, outcome, 8_000).await;
}

/// Says `line` on the stream after the pipeline has ended, paced in real
/// time, and waits (a little) until the provider reports it played.
async fn say<W: Wire>(socket: &mut WebSocket, wire: &mut W, tts: &dyn TextToSpeech, line: &str) {
    let audio = match tts.synthesize(line).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "could not synthesise the transfer's fallback");
            return;
        }
    };
    let Ok(audio) = hermes_voice::resample::convert(tts.sample_rate(), 8_000, &audio) else {
        return;
    };
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    for frame in audio.chunks(160) {
        tick.tick().await;
        let ulaw: Vec<u8> = frame.iter().map(|s| g711::ulaw_encode(*s)).collect();
        if socket
            .send(Message::Text(wire.media(&ulaw).into()))
            .await
            .is_err()
        {
            return;
        }
    }
    const MARK: &str = "fallback";
    if socket
        .send(Message::Text(wire.mark(MARK).into()))
        .await
        .is_err()
    {
        return;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(msg)) = socket.recv().await {
            let Message::Text(t) = msg else { continue };
            let heard = wire.heard(&t).unwrap_or_default();
            if heard
                .iter()
                .any(|h| matches!(h, Heard::Played(n) if n == MARK) || matches!(h, Heard::Stop))
            {
                return;
            }
        }
    })
    .await;
}
