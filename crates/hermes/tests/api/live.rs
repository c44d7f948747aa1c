//! `GET /api/v1/events`: the dashboard's live updates, read as a browser
//! would (a server-sent event stream), on one node and across two nodes
//! sharing PostgreSQL and Redis.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::conflicts::open_review;
use crate::helpers::*;

/// Opens `token`'s event stream on `app`; events arrive on the channel as
/// (name, data). Returns once the server has answered (subscribed).
async fn listen(app: &TestApp, token: &str) -> mpsc::UnboundedReceiver<(String, Value)> {
    let mut resp = app
        .client
        .get(app.url("/api/v1/events"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut buf = String::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(cut) = buf.find("\n\n") {
                let block: String = buf.drain(..cut + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if !data.is_empty()
                    && tx
                        .send((name, serde_json::from_str(&data).unwrap()))
                        .is_err()
                {
                    return;
                }
            }
        }
    });
    rx
}

/// The next event, within a few seconds.
async fn next(rx: &mut mpsc::UnboundedReceiver<(String, Value)>) -> (String, Value) {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no live event within 10 s")
        .expect("the stream ended")
}

/// Starts a text conversation at `slug` (an intake is created).
async fn converse(app: &TestApp, slug: &str) {
    crate::intake::start(app, slug).await;
}

#[tokio::test]
async fn each_stream_hears_only_its_firm_and_what_its_role_may_read() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    let (_, reader) = app.user_with_role(&app.alpha, "READ_ONLY").await;
    let other = app.admin(&app.bravo).await;
    let mut staff_rx = listen(&app, &staff.access).await;
    let mut reader_rx = listen(&app, &reader.access).await;
    let mut other_rx = listen(&app, &other.access).await;

    // A review opens at alpha: staff hear of it, read-only users do not.
    let review = open_review(&app, &admin.access).await;
    let (name, data) = next(&mut staff_rx).await;
    assert_eq!(name, "review");
    assert_eq!(data, json!({"kind": "review", "id": review}));
    // An intake begins at alpha: both hear it; for the reader it is the
    // first thing heard.
    converse(&app, &app.alpha.slug).await;
    let (name, data) = next(&mut reader_rx).await;
    assert_eq!(name, "intake", "{data}");
    let alpha_intake = data["id"].as_str().unwrap().to_owned();
    let found = app
        .get(&format!("/api/v1/intakes/{alpha_intake}"), &reader.access)
        .await;
    assert_eq!(found.status(), StatusCode::OK);

    // Bravo's admin heard none of it: the first event is bravo's own.
    converse(&app, &app.bravo.slug).await;
    let (name, data) = next(&mut other_rx).await;
    assert_eq!(name, "intake");
    assert_ne!(data["id"], alpha_intake.as_str());
    let found = app
        .get(
            &format!("/api/v1/intakes/{}", data["id"].as_str().unwrap()),
            &other.access,
        )
        .await;
    assert_eq!(found.status(), StatusCode::OK);

    // Without a token there is no stream.
    let resp = app.send(Method::GET, "/api/v1/events", None, None).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn live_updates_reach_a_dashboard_on_another_node() {
    let Some(redis) = hermes_testkit::redis_url().await else {
        return;
    };
    let Some(db) = hermes_testkit::TestDb::postgres().await else {
        return;
    };
    let prefix = format!("hermes-test-{}:", uuid::Uuid::new_v4().simple());
    let a = spawn_with(db, move |s| {
        s.redis.url = Some(redis);
        s.redis.key_prefix = prefix;
    })
    .await;
    let b = spawn_node(&a, |_| {}).await;
    let admin = a.admin(&a.alpha).await;
    // Watching on node b; things happen on node a.
    let mut rx = listen(&b, &admin.access).await;
    let review = open_review(&a, &admin.access).await;
    let (name, data) = next(&mut rx).await;
    assert_eq!((name.as_str(), &data["id"]), ("review", &json!(review)));
    converse(&a, &a.alpha.slug).await;
    let (name, _) = next(&mut rx).await;
    assert_eq!(name, "intake");
}

#[tokio::test]
async fn a_stream_ends_when_its_user_changes_and_reconnects_with_the_new_role() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let (id, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    let mut rx = listen(&app, &staff.access).await;
    // Demoted to read-only: the open stream ends at once (it was opened
    // with a role the user no longer has)…
    let resp = app
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin.access),
            Some(json!({"role": "READ_ONLY"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let ended = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("the stream was still open 10 s after the demotion");
    assert!(ended.is_none(), "{ended:?}");
    // …and a new one hears as read-only: no reviews.
    let mut rx = listen(&app, &staff.access).await;
    open_review(&app, &admin.access).await;
    converse(&app, &app.alpha.slug).await;
    let (name, _) = next(&mut rx).await;
    assert_eq!(name, "intake");
}
