//! The browser test phone: anyone at the firm talks to its agent from the
//! dashboard. One WebSocket per call:
//!
//! - first message, text: `{"type":"start","token":"<access token>"}` —
//!   the dashboard's own token (a browser cannot set headers on a
//!   WebSocket, and a token in the URL would end up in access logs);
//!   answered by `{"type":"started","call_id":…}`;
//! - then binary messages: the microphone as 16 kHz 16-bit little-endian
//!   mono PCM, any length; text `{"type":"dtmf","digit":"0"}`,
//!   `{"type":"mark","name":…}` (when the page reports what it has played,
//!   having said `"marks":true` at the start), `{"type":"hangup"}`;
//! - from the server: binary 20 ms frames of the agent at 16 kHz, and text
//!   `{"type":"transcript","speaker":…,"text":…}`, `{"type":"clear"}`,
//!   `{"type":"mark","name":…}`, `{"type":"end"}`.
//!
//! A page that does not report marks gets them acknowledged as they are
//! sent (the server paces audio in real time, so that is nearly true).

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use hermes_store::NewCall;
use serde::Deserialize;
use uuid::Uuid;

use super::session::{self, CallSpec, Inbound, Outbound};
use crate::state::AppState;

/// Largest message: 1 s of 16 kHz audio is 32 KiB.
const MAX_MESSAGE_BYTES: usize = 256 * 1024;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMsg {
    Start {
        token: String,
        #[serde(default)]
        marks: bool,
    },
    Dtmf {
        digit: char,
    },
    Mark {
        name: String,
    },
    Hangup,
}

pub async fn stream(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    // In progress (a stopping node waits for it) until the record is
    // written; see `crate::drain`.
    let in_progress = state.drain.call();
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            call(state, socket).await;
            drop(in_progress);
        })
}

async fn send_json(socket: &mut WebSocket, v: serde_json::Value) -> bool {
    socket
        .send(Message::Text(v.to_string().into()))
        .await
        .is_ok()
}

async fn call(state: AppState, mut socket: WebSocket) {
    let start = tokio::time::timeout(std::time::Duration::from_secs(10), socket.recv()).await;
    let (token, marks) = match start {
        Ok(Some(Ok(Message::Text(t)))) => match serde_json::from_str::<ClientMsg>(&t) {
            Ok(ClientMsg::Start { token, marks }) => (token, marks),
            _ => {
                send_json(&mut socket, serde_json::json!({"type": "error", "error": "the first message must be {\"type\":\"start\",\"token\":…}"})).await;
                return;
            }
        },
        _ => return,
    };
    let principal = match crate::auth::authenticate_token(&state, &token).await {
        Ok(p) => p,
        Err(_) => {
            send_json(
                &mut socket,
                serde_json::json!({"type": "error", "error": "authentication required"}),
            )
            .await;
            return;
        }
    };
    let tenant = principal.tenant;
    let call_id = Uuid::now_v7();
    let store = state.store.scoped(tenant);
    if let Err(e) = store
        .create_call(&NewCall {
            id: call_id,
            provider: "browser".into(),
            provider_call_id: call_id.to_string(),
            from_number: None,
            to_number: None,
            metered: false,
        })
        .await
    {
        tracing::error!(error = %e, "could not record a browser call");
        send_json(
            &mut socket,
            serde_json::json!({"type": "error", "error": "could not start the call"}),
        )
        .await;
        return;
    }
    super::record::answered(&state, tenant, call_id).await;
    let Some(engines) = state.voice.wait_for_engines().await else {
        send_json(
            &mut socket,
            serde_json::json!({"type": "error", "error": "speech engines are not available"}),
        )
        .await;
        return;
    };
    if !send_json(
        &mut socket,
        serde_json::json!({"type": "started", "call_id": call_id}),
    )
    .await
    {
        return;
    }
    metrics::counter!("hermes_calls_total", "provider" => "browser").increment(1);
    let firm = super::firm_voice(&state, tenant).await;
    let call_engines = state.voice.for_call(&engines, &firm.speech);
    let spec = CallSpec {
        tenant,
        call_id,
        rate: 16_000,
        from: None,
        // The test phone is not metered: it is the firm trying its agent.
        message_only: false,
        office: None,
    };
    let mut pipeline = session::start(state.clone(), spec, call_engines);
    let in_tx = pipeline.inbound.clone();
    let mut odd_byte: Option<u8> = None;
    loop {
        tokio::select! {
            msg = socket.recv() => {
                let Some(Ok(msg)) = msg else { break };
                match msg {
                    Message::Binary(bytes) => {
                        let mut data: Vec<u8> = odd_byte.take().into_iter().collect();
                        data.extend_from_slice(&bytes);
                        if data.len() % 2 == 1 {
                            odd_byte = data.pop();
                        }
                        let pcm: Vec<i16> = data.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
                        if in_tx.try_send(Inbound::Audio(pcm)).is_err() {
                            super::problem("backlog");
                        }
                    }
                    Message::Text(t) => match serde_json::from_str::<ClientMsg>(&t) {
                        Ok(ClientMsg::Dtmf { digit }) => { let _ = in_tx.send(Inbound::Dtmf(digit)).await; }
                        Ok(ClientMsg::Mark { name }) => { let _ = in_tx.send(Inbound::Played(name)).await; }
                        Ok(ClientMsg::Hangup) => break,
                        Ok(ClientMsg::Start { .. }) => super::problem("out_of_order"),
                        Err(_) => super::problem("malformed"),
                    },
                    Message::Close(_) => break,
                    Message::Ping(_) | Message::Pong(_) => {}
                }
            },
            out = pipeline.outbound.recv() => {
                let Some(out) = out else { break };
                let sent = match out {
                    Outbound::Audio(frame) => {
                        let bytes: Vec<u8> = frame.iter().flat_map(|s| s.to_le_bytes()).collect();
                        socket.send(Message::Binary(bytes.into())).await.is_ok()
                    }
                    Outbound::Mark(name) => {
                        if !marks {
                            let _ = in_tx.send(Inbound::Played(name.clone())).await;
                        }
                        send_json(&mut socket, serde_json::json!({"type": "mark", "name": name})).await
                    }
                    Outbound::Clear => send_json(&mut socket, serde_json::json!({"type": "clear"})).await,
                    Outbound::Transcript { speaker, text } => {
                        send_json(&mut socket, serde_json::json!({"type": "transcript", "speaker": speaker, "text": text})).await
                    }
                    Outbound::End { .. } => {
                        send_json(&mut socket, serde_json::json!({"type": "end"})).await;
                        break;
                    }
                };
                if !sent {
                    break;
                }
            },
        }
    }
    drop(in_tx);
    let outcome = pipeline.finish().await;
    let _ = socket.send(Message::Close(None)).await;
    super::record::finish(&state, tenant, call_id, outcome, 16_000).await;
}
