//! Twilio: the incoming-call webhook, the status callback, and the Media
//! Streams WebSocket that carries the call's audio both ways.
//!
//! Every webhook is checked against `X-Twilio-Signature` with the firm's
//! own auth token (403 otherwise) before anything else happens. The media
//! stream is not a webhook: its URL carries nothing secret, so the TwiML
//! hands the stream a token (a value sealed by this server naming the
//! tenant and the call) as a custom parameter, and the stream is refused
//! unless its `start` message carries a token that opens.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hermes_core::TenantId;
use hermes_store::{CallProgress, NewCall};
use hermes_voice::twilio::{self as wire, Inbound as WireIn, Outbound as WireOut};
use hermes_voice::{g711, signature, twiml};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::session::{self, CallSpec, Inbound, Outbound};
use crate::client::ClientInfo;
use crate::state::AppState;

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

fn forbidden() -> Response {
    (StatusCode::FORBIDDEN, "invalid signature").into_response()
}

/// The URL Twilio called, as it signed it.
fn signed_url(state: &AppState, headers: &HeaderMap, uri: &Uri, client: &ClientInfo) -> String {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    if let Some(base) = &state.voice.config.public_url {
        return format!("{}{path}", base.trim_end_matches('/'));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if client.https { "https" } else { "http" };
    format!("{scheme}://{host}{path}")
}

fn ws_base(state: &AppState, headers: &HeaderMap, client: &ClientInfo) -> String {
    let base = match &state.voice.config.public_url {
        Some(b) => b.trim_end_matches('/').to_owned(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("{}://{host}", if client.https { "https" } else { "http" })
        }
    };
    base.replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1)
}

/// A verified webhook: the tenant and the form's fields.
struct Webhook {
    tenant: hermes_store::Tenant,
    form: HashMap<String, String>,
}

async fn verify(
    state: &AppState,
    slug: &str,
    headers: &HeaderMap,
    uri: &Uri,
    client: &ClientInfo,
    body: &Bytes,
) -> Option<Webhook> {
    let tenant = super::tenant_by_slug(state, slug).await?;
    let (_, secrets) = super::settings::load_all(state, tenant.id).await.ok()?;
    let token = secrets.twilio_auth_token?;
    let params: Vec<(String, String)> = form_urlencoded(body);
    let given = headers.get("x-twilio-signature")?.to_str().ok()?;
    let url = signed_url(state, headers, uri, client);
    if !signature::verify(&token, &url, &params, given) {
        tracing::warn!(tenant = %tenant.id, "a Twilio webhook with a bad signature was refused");
        super::problem("bad_signature");
        return None;
    }
    Some(Webhook {
        tenant,
        form: params.into_iter().collect(),
    })
}

fn form_urlencoded(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
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

/// `POST /voice/twilio/{tenant}/incoming`: a call is ringing.
pub async fn incoming(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    client: ClientInfo,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let Some(hook) = verify(&state, &slug, &headers, &uri, &client, &body).await else {
        return forbidden();
    };
    let call_sid = hook.form.get("CallSid").cloned().unwrap_or_default();
    if call_sid.is_empty() {
        return (StatusCode::BAD_REQUEST, "CallSid is missing").into_response();
    }
    let store = state.store.scoped(hook.tenant.id);
    let call = match store
        .create_call(&NewCall {
            id: Uuid::now_v7(),
            provider: "twilio".into(),
            provider_call_id: call_sid.clone(),
            from_number: hook.form.get("From").cloned(),
            to_number: hook.form.get("To").cloned(),
        })
        .await
    {
        Ok(c) => c,
        // Twilio retried the webhook: answer the same way again.
        Err(hermes_store::StoreError::Conflict(_)) => {
            match store.call_by_provider_id("twilio", &call_sid).await {
                Ok(Some(c)) => c,
                _ => return apology(),
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "could not record an incoming call");
            return apology();
        }
    };
    let url = format!(
        "{}/voice/twilio/{}/stream",
        ws_base(&state, &headers, &client),
        hook.tenant.slug.as_ref()
    );
    let token = stream_token(&state, hook.tenant.id, call.id);
    metrics::counter!("hermes_calls_total", "provider" => "twilio").increment(1);
    xml(twiml::connect_stream(
        &url,
        &[("token", token.as_str()), ("call", &call.id.to_string())],
    ))
}

/// What a caller hears when even the call record could not be written:
/// the firm's number still answers, and says how to reach it.
fn apology() -> Response {
    xml(twiml::say_and_hang_up(
        "We're sorry, we can't take your call right now. Please call back in a few minutes. If this is an emergency, hang up and dial 911.",
    ))
}

/// `POST /voice/twilio/{tenant}/status`: how the call ended, from Twilio.
pub async fn status(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    client: ClientInfo,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let Some(hook) = verify(&state, &slug, &headers, &uri, &client, &body).await else {
        return forbidden();
    };
    let sid = hook.form.get("CallSid").cloned().unwrap_or_default();
    let status = hook.form.get("CallStatus").cloned().unwrap_or_default();
    let store = state.store.scoped(hook.tenant.id);
    if let Ok(Some(call)) = store.call_by_provider_id("twilio", &sid).await {
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
            // Twilio's word only fills in calls that never streamed.
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

/// `POST /voice/twilio/{tenant}/briefing/{call}`: what the person taking
/// a transferred call hears before the caller is put through.
pub async fn briefing(
    State(state): State<AppState>,
    Path((slug, call)): Path<(String, Uuid)>,
    client: ClientInfo,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let Some(hook) = verify(&state, &slug, &headers, &uri, &client, &body).await else {
        return forbidden();
    };
    xml(twiml::briefing(
        &super::record::briefing(&state, hook.tenant.id, call).await,
    ))
}

/// `GET /voice/twilio/{tenant}/stream`: the media stream.
pub async fn stream(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(tenant) = super::tenant_by_slug(&state, &slug).await else {
        return (StatusCode::NOT_FOUND, "no such firm").into_response();
    };
    ws.max_message_size(wire::MAX_MESSAGE_BYTES)
        .read_buffer_size(wire::READ_BUFFER_BYTES)
        .on_upgrade(move |socket| media(state, tenant.id, socket))
}

async fn media(state: AppState, tenant: TenantId, mut socket: WebSocket) {
    // Until `start`, nothing but `connected` is expected.
    let start = loop {
        let Some(Ok(msg)) = socket.recv().await else {
            return;
        };
        match msg {
            Message::Text(t) => match wire::parse(&t) {
                Ok(WireIn::Start(s)) => break s,
                Ok(WireIn::Connected { .. }) => {}
                Ok(_) => super::problem("before_start"),
                Err(p) => {
                    tracing::info!(problem = %p, "a media-stream message was not understood");
                    super::problem("malformed");
                }
            },
            Message::Close(_) => return,
            _ => super::problem("binary"),
        }
    };
    let token = start
        .custom_parameters
        .get("token")
        .cloned()
        .unwrap_or_default();
    let Some(call_id) = open_stream_token(&state, tenant, &token) else {
        tracing::warn!(%tenant, "a media stream without a valid token was refused");
        super::problem("bad_token");
        let _ = socket.send(Message::Close(None)).await;
        return;
    };
    let store = state.store.scoped(tenant);
    let call = match store.call(call_id).await {
        Ok(Some(c)) => c,
        _ => return,
    };
    let _ = store
        .update_call(
            call_id,
            &CallProgress {
                status: "in_progress".into(),
                turns: serde_json::Value::Null,
                ..Default::default()
            },
        )
        .await;
    let stream_sid = start.stream_sid.clone();
    let Some(engines) = state.voice.wait_for_engines().await else {
        tracing::error!("no speech engines: a call could not be taken");
        return;
    };
    let firm = super::firm_voice(&state, tenant).await;
    let call_engines = state.voice.for_call(&engines, &firm.speech);
    let spec = CallSpec {
        tenant,
        call_id,
        rate: 8_000,
        from: call.from_number.clone(),
    };
    let (in_tx, in_rx) = mpsc::channel::<Inbound>(256);
    let (out_tx, mut out_rx) = mpsc::channel::<Outbound>(256);
    let pipeline = tokio::spawn(session::run(
        state.clone(),
        spec,
        call_engines,
        in_rx,
        out_tx,
    ));

    let mut transfer = false;
    loop {
        tokio::select! {
            msg = socket.recv() => {
                let Some(Ok(msg)) = msg else { break };
                match msg {
                    Message::Text(t) => match wire::parse(&t) {
                        Ok(WireIn::Media { ulaw, track, .. }) => {
                            if track != "inbound" && !track.is_empty() {
                                continue;
                            }
                            let pcm: Vec<i16> = ulaw.iter().map(|b| g711::ulaw_decode(*b)).collect();
                            if in_tx.try_send(Inbound::Audio(pcm)).is_err() {
                                super::problem("backlog");
                            }
                        }
                        Ok(WireIn::Dtmf { digit }) => { let _ = in_tx.send(Inbound::Dtmf(digit)).await; }
                        Ok(WireIn::Mark { name }) => { let _ = in_tx.send(Inbound::Played(name)).await; }
                        Ok(WireIn::Stop { .. }) => break,
                        Ok(WireIn::Start(_)) | Ok(WireIn::Connected { .. }) => super::problem("out_of_order"),
                        Err(p) => {
                            tracing::info!(problem = %p, "a media-stream message was not understood");
                            super::problem("malformed");
                        }
                    },
                    Message::Binary(_) => super::problem("binary"),
                    Message::Close(_) => break,
                    Message::Ping(_) | Message::Pong(_) => {}
                }
            },
            out = out_rx.recv() => {
                let Some(out) = out else { break };
                let msg = match out {
                    Outbound::Audio(frame) => {
                        let ulaw: Vec<u8> = frame.iter().map(|s| g711::ulaw_encode(*s)).collect();
                        WireOut::media(&stream_sid, &ulaw)
                    }
                    Outbound::Mark(name) => WireOut::mark(&stream_sid, &name),
                    Outbound::Clear => WireOut::clear(&stream_sid),
                    Outbound::Transcript { .. } => continue,
                    Outbound::End { transfer: t } => {
                        transfer = t;
                        break;
                    }
                };
                if socket.send(Message::Text(msg.to_json().into())).await.is_err() {
                    break;
                }
            },
        }
    }
    let _ = in_tx.send(Inbound::Hangup).await;
    drop(in_tx);
    // Drain what the pipeline still says while it finishes the intake.
    let mut pipeline = pipeline;
    let outcome = loop {
        tokio::select! {
            r = &mut pipeline => break r.unwrap_or_default(),
            m = out_rx.recv() => if m.is_none() {
                break (&mut pipeline).await.unwrap_or_default();
            },
        }
    };
    if transfer || outcome.transferred {
        super::record::transfer(&state, tenant, &call, start.account_sid.as_str()).await;
    }
    let _ = socket.send(Message::Close(None)).await;
    super::record::finish(&state, tenant, call_id, outcome, 8_000).await;
}
