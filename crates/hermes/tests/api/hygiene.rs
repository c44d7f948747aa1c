//! HTTP hygiene: security headers, request ids, body limits, JSON errors
//! everywhere, CORS.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn security_headers_on_every_response() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let responses = [
        app.get("/api/v1/me", &admin.access).await,
        app.client.get(app.url("/healthz")).send().await.unwrap(),
        app.client
            .get(app.url("/no/such/route"))
            .send()
            .await
            .unwrap(),
        app.login_raw("alpha", "x@y.example", "nope").await,
    ];
    for resp in responses {
        let h = resp.headers();
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "no-referrer");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        // Plain HTTP from an untrusted peer: no HSTS.
        assert!(!h.contains_key("strict-transport-security"));
    }
    let resp = app.get("/api/v1/me", &admin.access).await;
    assert_eq!(resp.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn hsts_behind_a_tls_proxy_or_when_forced() {
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
    let forced = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.server.force_hsts = true
    })
    .await;
    let resp = forced
        .client
        .get(forced.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert!(resp.headers().contains_key("strict-transport-security"));
    // An untrusted client claiming https does not get HSTS... nor anything else.
    let plain = spawn_app().await;
    let resp = plain
        .client
        .get(plain.url("/healthz"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(!resp.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn request_ids_in_and_out() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    let generated = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&generated).is_ok());
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "nginx-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "nginx-abc-123");
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "evil id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(resp.headers()["x-request-id"], "evil id with spaces");
}

#[tokio::test]
async fn oversized_bodies_are_413_json() {
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.server.body_limit_bytes = 1024;
    })
    .await;
    let big = "x".repeat(4096);
    let resp = app
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"tenant": "alpha", "email": big, "password": "p"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(resp).await, "payload_too_large");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(resp).await, "not_found");
    let resp = app
        .client
        .delete(app.url("/api/v1/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(resp.headers().contains_key("allow"));
    assert_eq!(error_code(resp).await, "method_not_allowed");
}

#[tokio::test]
async fn cors_only_for_configured_origins() {
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.server.cors_origins = vec!["https://dashboard.example".into()];
    })
    .await;
    let preflight = |origin: &'static str| {
        let app = &app;
        async move {
            app.client
                .request(Method::OPTIONS, app.url("/api/v1/me"))
                .header("origin", origin)
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", "authorization")
                .send()
                .await
                .unwrap()
        }
    };
    let ok = preflight("https://dashboard.example").await;
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://dashboard.example"
    );
    let other = preflight("https://evil.example").await;
    assert!(!other.headers().contains_key("access-control-allow-origin"));
    // Without configuration, no cross-origin access at all.
    let closed = spawn_app().await;
    let resp = closed
        .client
        .get(closed.url("/healthz"))
        .header("origin", "https://dashboard.example")
        .send()
        .await
        .unwrap();
    assert!(!resp.headers().contains_key("access-control-allow-origin"));
}
