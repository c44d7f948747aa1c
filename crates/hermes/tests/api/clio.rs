//! Connecting a firm's Clio account: the OAuth flow end to end against a
//! fake Clio (its authorization server and `who_am_i`), refresh ahead of
//! expiry, a refresh Clio refuses, and disconnecting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode as AxStatus};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

pub(crate) const REDIRECT: &str = "https://hermes.example/api/v1/integrations/clio/callback";

#[derive(Default)]
struct Seen {
    exchanges: Vec<HashMap<String, String>>,
    refreshes: usize,
    refresh_ok: bool,
    deauthorized: Vec<String>,
    admin: bool,
}

#[derive(Clone, Default)]
struct FakeClio(Arc<Mutex<Seen>>);

async fn token(
    State(f): State<FakeClio>,
    Form(form): Form<HashMap<String, String>>,
) -> impl IntoResponse {
    let mut s = f.0.lock().unwrap();
    let app_ok = form.get("client_id").map(String::as_str) == Some("hermes-app")
        && form.get("client_secret").map(String::as_str) == Some("app-secret");
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code")
            if app_ok
                && form.get("code").map(String::as_str) == Some("good-code")
                && form.get("redirect_uri").map(String::as_str) == Some(REDIRECT) =>
        {
            s.exchanges.push(form);
            axum::Json(json!({"access_token": "at-1", "refresh_token": "rt-1",
                              "token_type": "bearer", "expires_in": 2_592_000}))
            .into_response()
        }
        Some("refresh_token")
            if app_ok
                && s.refresh_ok
                && form.get("refresh_token").map(String::as_str) == Some("rt-1") =>
        {
            s.refreshes += 1;
            axum::Json(
                json!({"access_token": "at-2", "token_type": "bearer", "expires_in": 2_592_000}),
            )
            .into_response()
        }
        _ => (
            AxStatus::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant", "error_description": "no"})),
        )
            .into_response(),
    }
}

async fn deauthorize(State(f): State<FakeClio>, headers: HeaderMap) -> impl IntoResponse {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_start_matches("Bearer ")
        .to_owned();
    f.0.lock().unwrap().deauthorized.push(bearer);
    AxStatus::OK
}

async fn who_am_i(State(f): State<FakeClio>, headers: HeaderMap) -> impl IntoResponse {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !matches!(auth, "Bearer at-1" | "Bearer at-2") {
        return AxStatus::UNAUTHORIZED.into_response();
    }
    let roles: Vec<&str> = if f.0.lock().unwrap().admin {
        vec!["Admin"]
    } else {
        vec![]
    };
    axum::Json(
        json!({"data": {"id": 7, "name": "Pat Admin", "email": "pat@alpha.example",
                               "account_owner": false, "roles": roles, "enabled": true}}),
    )
    .into_response()
}

async fn fake_clio(admin: bool) -> (String, FakeClio) {
    let f = FakeClio::default();
    {
        let mut s = f.0.lock().unwrap();
        s.refresh_ok = true;
        s.admin = admin;
    }
    let app = axum::Router::new()
        .route("/oauth/token", post(token))
        .route("/oauth/deauthorize", post(deauthorize))
        .route("/api/v4/users/who_am_i.json", get(who_am_i))
        .with_state(f.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, f)
}

async fn app_with_clio(base: &str) -> TestApp {
    let base = base.to_owned();
    spawn_with(hermes_testkit::TestDb::sqlite(), move |s| {
        s.clio.client_id = Some("hermes-app".into());
        s.clio.client_secret = serde_json::from_value(json!("app-secret")).unwrap();
        s.clio.redirect_url = Some(REDIRECT.into());
        s.clio.host = Some(base);
    })
    .await
}

/// Starts an authorization as `token`; returns the state Clio would carry.
pub(crate) async fn authorize(app: &TestApp, token: &str, region: &str) -> String {
    let resp = app
        .get(
            &format!("/api/v1/integrations/clio/connect?region={region}"),
            token,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FOUND);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let url = url::Url::parse(&location).unwrap();
    assert_eq!(url.path(), "/oauth/authorize");
    let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], "hermes-app");
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["response_type"], "code");
    q["state"].clone()
}

pub(crate) async fn come_back(app: &TestApp, query: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/integrations/clio/callback?{query}")))
        .send()
        .await
        .unwrap()
}

async fn expire_token(app: &TestApp) {
    let store = app.state.store.scoped(tenant_of(app));
    let row = store.clio_connection().await.unwrap().unwrap();
    store
        .update_clio_tokens(
            &row.tokens,
            chrono::Utc::now(),
            hermes_store::AuditEvent::new(hermes_store::Actor::System, "test.expire"),
        )
        .await
        .unwrap();
}

fn tenant_of(app: &TestApp) -> hermes_core::TenantId {
    app.alpha.id.parse().unwrap()
}

#[tokio::test]
async fn a_firm_connects_clio_its_token_is_refreshed_and_it_disconnects() {
    let (base, fake) = fake_clio(true).await;
    let app = app_with_clio(&base).await;
    let admin = app.admin(&app.alpha).await;
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;

    // Only admins connect; the region is checked.
    let resp = app
        .get("/api/v1/integrations/clio/connect?region=us", &staff.access)
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = app
        .get("/api/v1/integrations/clio/connect?region=uk", &admin.access)
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(resp).await, "validation_failed");

    let state = authorize(&app, &admin.access, "eu").await;
    assert!(state.starts_with(&format!("{}.", app.alpha.slug)));
    // A state HERMES did not issue, or a declined authorization: 400.
    let resp = come_back(
        &app,
        &format!("code=good-code&state={}.forged", app.alpha.slug),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = come_back(&app, "error=access_denied").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    let resp = come_back(&app, &format!("code=good-code&state={state}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "connected", "{body}");
    assert_eq!(body["region"], "eu");
    assert_eq!(body["clio_user"]["name"], "Pat Admin");
    assert_eq!(body["warnings"], json!([]));
    assert_eq!(fake.0.lock().unwrap().exchanges.len(), 1);
    // The state works once.
    let resp = come_back(&app, &format!("code=good-code&state={state}")).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // Anyone who reads settings sees the connection, never a token; the
    // database holds them sealed.
    let resp = app.get("/api/v1/integrations/clio", &staff.access).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("\"connected\"") && !text.contains("at-1") && !text.contains("rt-1"),
        "{text}"
    );
    let row = app
        .state
        .store
        .scoped(tenant_of(&app))
        .clio_connection()
        .await
        .unwrap()
        .unwrap();
    let needle = b"at-1";
    assert!(!row.tokens.windows(needle.len()).any(|w| w == needle));

    // A fresh token is used as is; one about to expire is refreshed first.
    let c = hermes_api::clio::client_for(&app.state, tenant_of(&app))
        .await
        .unwrap();
    let me: Value = c.get("/users/who_am_i.json", "id,name", &[]).await.unwrap();
    assert_eq!(me["id"], 7);
    assert_eq!(fake.0.lock().unwrap().refreshes, 0);
    expire_token(&app).await;
    let c = hermes_api::clio::client_for(&app.state, tenant_of(&app))
        .await
        .unwrap();
    assert_eq!(fake.0.lock().unwrap().refreshes, 1);
    let me: Value = c.get("/users/who_am_i.json", "id", &[]).await.unwrap();
    assert_eq!(me["id"], 7, "the new token works");

    // A refresh Clio refuses: the firm must reconnect.
    fake.0.lock().unwrap().refresh_ok = false;
    expire_token(&app).await;
    assert!(
        hermes_api::clio::client_for(&app.state, tenant_of(&app))
            .await
            .is_err()
    );
    let body = app
        .get_json("/api/v1/integrations/clio", &admin.access)
        .await;
    assert_eq!(body["status"], "needs_reconnect");

    // Disconnect: revoked at Clio, forgotten here.
    let resp = app
        .send(
            Method::DELETE,
            "/api/v1/integrations/clio",
            Some(&staff.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = app
        .send(
            Method::DELETE,
            "/api/v1/integrations/clio",
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(fake.0.lock().unwrap().deauthorized, vec!["at-2".to_owned()]);
    let body = app
        .get_json("/api/v1/integrations/clio", &admin.access)
        .await;
    assert_eq!(body["status"], "not_connected");
    let resp = app
        .send(
            Method::DELETE,
            "/api/v1/integrations/clio",
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // Every step audited.
    let audit = app.get_json("/api/v1/audit?limit=100", &admin.access).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for a in [
        "clio.authorize",
        "clio.connect",
        "clio.refresh",
        "clio.refresh_failed",
        "clio.disconnect",
    ] {
        assert!(actions.contains(&a), "{a} not in {actions:?}");
    }
}

#[tokio::test]
async fn a_clio_user_who_is_not_an_administrator_is_connected_with_a_warning() {
    let (base, _fake) = fake_clio(false).await;
    let app = app_with_clio(&base).await;
    let admin = app.admin(&app.alpha).await;
    let state = authorize(&app, &admin.access, "us").await;
    let body: Value = come_back(&app, &format!("code=good-code&state={state}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "connected");
    let warning = body["warnings"][0].as_str().unwrap_or_default();
    assert!(warning.contains("conflict checks"), "{body}");
}

#[tokio::test]
async fn without_a_clio_registration_connecting_says_so() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let resp = app
        .get("/api/v1/integrations/clio/connect?region=us", &admin.access)
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(resp).await, "clio_not_configured");
}
