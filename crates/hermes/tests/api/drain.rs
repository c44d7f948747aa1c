//! Draining: a node given its stop signal takes no new connections but
//! keeps the calls it holds going until they hang up (at most
//! `server.drain_secs`), then stops. The same through nginx, with the real
//! binary and SIGTERM, is in nginx.rs.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The browser phone's first line, heard by the pilot recogniser.
const LINES: &[&str] = &["yes"];

/// Opens a browser call on `app` as its alpha admin; returns the socket
/// once the agent has begun to speak (its first transcript line).
async fn browser_call(app: &TestApp) -> Socket {
    let admin = app.admin(&app.alpha).await;
    let url = format!("{}/voice/browser", app.address.replacen("http", "ws", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send(Message::Text(
        json!({"type": "start", "token": admin.access})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let started = next_json(&mut ws).await;
    assert_eq!(started["type"], "started", "{started}");
    let first = agent_line(&mut ws).await;
    assert!(first.contains("not a lawyer"), "{first}");
    ws
}

/// The next text message, as JSON (audio frames skipped).
async fn next_json(ws: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("the call went quiet")
            .expect("the call ended")
            .expect("the socket failed");
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

/// The agent's next transcript line.
async fn agent_line(ws: &mut Socket) -> String {
    loop {
        let m = next_json(ws).await;
        if m["type"] == "transcript" && m["speaker"] == "agent" {
            return m["text"].as_str().unwrap().to_owned();
        }
    }
}

/// Whether a new connection to `addr` is refused within 10 s.
async fn refuses_connections(address: &str) -> bool {
    let addr = address.trim_start_matches("http://").to_owned();
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_progress_survives_its_nodes_stop_signal_until_it_hangs_up() {
    let mut app = spawn_app().await;
    crate::voice::install_engines(&app, LINES, 15);
    // Another node on the same database, to read the call's record once
    // the first has gone.
    let other = spawn_node(&app, |_| {}).await;
    let admin = other.admin(&other.alpha).await;
    let mut ws = browser_call(&app).await;

    app.signal_shutdown();
    // The listener closes at once: a proxy's next connection goes to
    // another node...
    assert!(
        refuses_connections(&app.address).await,
        "a draining node still accepts connections"
    );
    // ...but the node is still there for its call,
    assert!(
        !app.stopped_within(Duration::from_millis(1500)).await,
        "the node stopped under a call in progress"
    );
    // which goes on as if nothing happened: the caller answers, the agent
    // hears it and moves on.
    ws.send(Message::Binary(
        pcm_bytes(&hermes_testkit::voice::pilot(0, 700, 16_000, 0.25)).into(),
    ))
    .await
    .unwrap();
    ws.send(Message::Binary(pcm_bytes(&vec![0i16; 16_000]).into()))
        .await
        .unwrap();
    let mut heard = Vec::new();
    loop {
        let m = next_json(&mut ws).await;
        if m["type"] == "transcript" {
            let speaker = m["speaker"].as_str().unwrap_or_default();
            heard.push(format!(
                "{speaker}: {}",
                m["text"].as_str().unwrap_or_default()
            ));
            if speaker == "agent" && heard.iter().any(|h| h.starts_with("caller:")) {
                break;
            }
        }
    }
    assert!(
        heard.iter().any(|h| h == "caller: yes"),
        "the caller was not heard after the stop signal: {heard:#?}"
    );
    assert!(!app.stopped_within(Duration::from_millis(200)).await);

    // The caller hangs up: the node writes the call's record and stops.
    ws.send(Message::Text(json!({"type": "hangup"}).to_string().into()))
        .await
        .unwrap();
    assert!(
        app.stopped_within(Duration::from_secs(30)).await,
        "the node did not stop after its last call ended"
    );
    let calls = other.get_json("/api/v1/calls", &admin.access).await;
    let call = &calls["calls"][0];
    assert_eq!(call["provider"], "browser", "{calls:#}");
    assert_eq!(call["status"], "ended", "{call:#}");
    assert!(call["outcome"].is_string(), "{call:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_node_waits_for_its_calls_no_longer_than_drain_secs() {
    let mut app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.server.drain_secs = 1;
    })
    .await;
    crate::voice::install_engines(&app, LINES, 15);
    let _ws = browser_call(&app).await;
    app.signal_shutdown();
    // The call never hangs up; the node stops anyway, a second after the
    // requests in flight (none) have finished.
    assert!(
        app.stopped_within(Duration::from_secs(15)).await,
        "the node waited past server.drain_secs"
    );
}

#[tokio::test]
async fn a_draining_node_is_not_ready() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    app.state.drain.begin();
    let resp = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "draining", "{body}");
    // The node itself is fine: its dependencies still answer.
    assert_eq!(body["database"], "ok", "{body}");
}

fn pcm_bytes(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}
