//! The audit log over HTTP: what gets recorded, filters, pagination, and
//! the hash chain holding up end to end.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

async fn page(app: &TestApp, token: &str, query: &str) -> Value {
    let resp = app.get(&format!("/api/v1/audit{query}"), token).await;
    assert_eq!(resp.status(), StatusCode::OK, "{query}");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn security_events_and_writes_are_recorded() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    app.login_raw("alpha", &app.alpha.admin_email, "wrong password!!")
        .await;
    let (user_id, user) = app.user_with_role(&app.alpha, "STAFF").await;
    app.send(
        Method::PATCH,
        &format!("/api/v1/users/{user_id}"),
        Some(&admin.access),
        Some(json!({"role": "ATTORNEY"})),
    )
    .await;
    let (key_id, _) = app.api_key_with_role(&app.alpha, "STAFF").await;
    app.send(
        Method::DELETE,
        &format!("/api/v1/api-keys/{key_id}"),
        Some(&admin.access),
        None,
    )
    .await;
    app.send(
        Method::PATCH,
        "/api/v1/settings/firm",
        Some(&admin.access),
        Some(json!({"time_zone": "America/New_York"})),
    )
    .await;
    app.send(
        Method::POST,
        "/api/v1/auth/logout",
        Some(&user.access),
        None,
    )
    .await;
    app.send(
        Method::DELETE,
        &format!("/api/v1/users/{user_id}"),
        Some(&admin.access),
        None,
    )
    .await;

    let all = page(&app, &admin.access, "?limit=200").await;
    let entries = all["entries"].as_array().unwrap();
    let actions: BTreeSet<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "tenant.create",
        "auth.login",
        "user.create",
        "user.update",
        "user.delete",
        "api_key.create",
        "api_key.revoke",
        "settings.update",
        "auth.logout",
    ] {
        assert!(
            actions.contains(expected),
            "{expected} missing from {actions:?}"
        );
    }
    // Each entry names actor, target, outcome, client and its chain links.
    let update = entries
        .iter()
        .find(|e| e["action"] == "user.update")
        .unwrap();
    assert_eq!(update["actor"]["type"], "user");
    assert_eq!(update["actor"]["id"], app.alpha.admin_id.as_str());
    assert_eq!(update["target"]["type"], "user");
    assert_eq!(update["target"]["id"], user_id.as_str());
    assert_eq!(update["outcome"], "success");
    assert_eq!(update["ip"], "127.0.0.1");
    assert_eq!(update["details"]["role"], "ATTORNEY");
    assert_eq!(update["hash"].as_str().unwrap().len(), 64);
    let failure = entries
        .iter()
        .find(|e| e["action"] == "auth.login" && e["outcome"] == "failure")
        .unwrap();
    assert_eq!(failure["details"]["reason"], "wrong password");
    // Newest first, and each links to the one before it.
    for w in entries.windows(2) {
        assert_eq!(
            w[0]["seq"].as_i64().unwrap(),
            w[1]["seq"].as_i64().unwrap() + 1
        );
        assert_eq!(w[0]["prev_hash"], w[1]["hash"]);
    }
    // Nothing secret is in the log.
    let text = serde_json::to_string(&all).unwrap();
    assert!(!text.contains(PASSWORD));
    assert!(!text.contains("wrong password!!"));
    assert!(!text.contains("$argon2"));
}

#[tokio::test]
async fn filters_and_pages() {
    let app = spawn_app().await;
    for _ in 0..7 {
        app.admin(&app.alpha).await;
    }
    let admin = app.admin(&app.alpha).await;
    let logins = page(&app, &admin.access, "?action=auth.login&limit=3").await;
    assert_eq!(logins["entries"].as_array().unwrap().len(), 3);
    let mut seen = 3;
    let mut before = logins["next_before"].as_i64().unwrap();
    loop {
        let p = page(
            &app,
            &admin.access,
            &format!("?action=auth.login&limit=3&before={before}"),
        )
        .await;
        seen += p["entries"].as_array().unwrap().len();
        match p["next_before"].as_i64() {
            Some(b) => before = b,
            None => break,
        }
    }
    assert_eq!(seen, 8);

    let by_actor = page(
        &app,
        &admin.access,
        &format!("?actor_id={}", app.alpha.admin_id),
    )
    .await;
    assert!(
        by_actor["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"]["id"] == app.alpha.admin_id.as_str())
    );
    let future = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let none = page(&app, &admin.access, &format!("?since={future}")).await;
    assert!(none["entries"].as_array().unwrap().is_empty());
    assert!(none["next_before"].is_null());

    for bad in [
        "?limit=0",
        "?limit=201",
        "?outcome=maybe",
        "?since=1900-01-01T00:00:00Z",
    ] {
        let resp = app.get(&format!("/api/v1/audit{bad}"), &admin.access).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    for bad in ["?since=yesterday", "?before=abc", "?colour=blue"] {
        let resp = app.get(&format!("/api/v1/audit{bad}"), &admin.access).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error_code(resp).await, "bad_request");
    }
}

async fn verify_cli(app: &TestApp, tenant: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_hermes"))
        .args(["audit", "verify", "--tenant", tenant])
        .env("HERMES_DATABASE__URL", app.db.url())
        .env("HERMES_DATA_DIR", app.settings.data_dir.as_os_str())
        .output()
        .unwrap()
}

async fn chain_tamper(app: TestApp) {
    for _ in 0..3 {
        app.admin(&app.alpha).await;
    }
    let out = verify_cli(&app, "alpha").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("intact"), "{stdout}");

    // Someone with database access rewrites history.
    app.db
        .execute_as_admin("UPDATE audit_log SET ip = '10.9.9.9' WHERE seq = 2")
        .await;
    let out = verify_cli(&app, "alpha").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("TAMPERED"), "{stdout}");
    assert!(stdout.contains("entry 2"), "{stdout}");
    // The other firm's chain is unaffected.
    assert!(verify_cli(&app, "bravo").await.status.success());
    // An unknown firm is an error, not "intact".
    assert_eq!(verify_cli(&app, "nobody").await.status.code(), Some(2));
}

#[tokio::test]
async fn audit_verify_catches_an_edited_row_sqlite() {
    chain_tamper(spawn_app().await).await;
}

#[tokio::test]
async fn audit_verify_catches_an_edited_row_postgres() {
    if let Some(app) = spawn_app_pg().await {
        chain_tamper(app).await;
    }
}
