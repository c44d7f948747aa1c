//! Liveness, readiness (failing when the database goes away), metrics, and
//! the OpenAPI document and docs page.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn healthz_and_readyz() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["shared_state"], "in-process");
}

#[tokio::test]
async fn readyz_fails_when_the_sqlite_database_is_closed() {
    let app = spawn_app().await;
    app.state.store.close().await;
    let resp = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["database"], "unavailable");
    // Liveness is unaffected: the process is fine, its database is not.
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn readyz_follows_postgres_going_away_and_coming_back() {
    let Some(app) = spawn_app_pg().await else {
        return;
    };
    let name = app.db.url().rsplit('/').next().unwrap().to_owned();
    let ready = || async {
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(ready().await, StatusCode::OK);

    // The database refuses connections and drops the ones it has.
    admin_sql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    admin_sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .await;
    assert_eq!(ready().await, StatusCode::SERVICE_UNAVAILABLE);
    // Authenticated requests that need the database answer 503, not 401.
    let resp = app
        .login_raw("alpha", &app.alpha.admin_email, PASSWORD)
        .await;
    assert!(resp.status().is_server_error(), "{}", resp.status());
    assert!(error_code(resp).await == "unavailable");

    admin_sql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    let mut back = false;
    for _ in 0..30 {
        if ready().await == StatusCode::OK {
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(back, "readiness did not recover");
    app.admin(&app.alpha).await;
}

async fn admin_sql(sql: &str) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(&hermes_testkit::pg_admin_url())
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut c)
        .await
        .unwrap();
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    app.get("/api/v1/me", &admin.access).await;
    app.get(
        &format!("/api/v1/users/{}", app.alpha.admin_id),
        &admin.access,
    )
    .await;
    let resp = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = resp.text().await.unwrap();
    assert!(
        text.contains(
            "hermes_http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"200\"}"
        ),
        "{text}"
    );
    // Ids never become labels.
    assert!(text.contains("route=\"/api/v1/users/{id}\""));
    assert!(!text.contains(&app.alpha.admin_id));
    assert!(text.contains("hermes_http_request_duration_seconds_bucket"));
    assert!(text.contains("hermes_db_pool_connections{state=\"max\"}"));
    assert!(text.contains("hermes_login_total{outcome=\"success\"}"));
}

#[tokio::test]
async fn openapi_document_covers_every_route_with_its_errors() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let doc: Value = resp.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{id}",
        "/api/v1/audit",
        "/api/v1/settings/firm",
        "/.well-known/jwks.json",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains_key(p), "{p} undocumented");
    }
    // Every /api/v1 operation documents its error responses in the error shape.
    for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/api/v1")) {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let errors: Vec<_> = responses.keys().filter(|s| s.starts_with('4')).collect();
            assert!(!errors.is_empty(), "{method} {path} documents no errors");
            for code in errors {
                let schema = &responses[code]["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(
                    schema, "#/components/schemas/ErrorBody",
                    "{method} {path} {code}"
                );
            }
        }
    }
}

#[tokio::test]
async fn interactive_docs_are_served_from_the_binary() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("cdn") && !html.contains("unpkg"),
        "docs must not load from a CDN"
    );
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-initializer.js",
    ] {
        let resp = app
            .client
            .get(app.url(&format!("/api/docs/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{asset}");
    }
    let init = app
        .client
        .get(app.url("/api/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/api/v1/openapi.json"));
}

/// A private Redis on a free port, killed on drop: the machine's shared
/// Redis must not be stopped by a test.
struct PrivateRedis {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl PrivateRedis {
    fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let dir = tempfile::tempdir().ok()?;
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    !hermes_testkit::services_required(),
                    "redis-server is required: {e}"
                );
                return None;
            }
        };
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some(Self {
            child,
            url: format!("redis://127.0.0.1:{port}"),
            _dir: dir,
        })
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn readyz_fails_when_redis_goes_away_while_requests_fail_open() {
    let Some(mut redis) = PrivateRedis::start() else {
        return;
    };
    let url = redis.url.clone();
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), move |s| {
        s.redis.url = Some(url);
    })
    .await;
    let session = app.admin(&app.alpha).await;
    let ready = || async { app.client.get(app.url("/readyz")).send().await.unwrap() };
    let resp = ready().await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["shared_state"], "ok");

    redis.child.kill().unwrap();
    redis.child.wait().unwrap();
    let resp = ready().await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["shared_state"], "unavailable");
    assert_eq!(body["database"], "ok");
    // Requests still work: limits fail open, revocations come from the
    // database.
    assert_eq!(
        app.get("/api/v1/me", &session.access).await.status(),
        StatusCode::OK
    );
    app.send(
        reqwest::Method::POST,
        "/api/v1/auth/logout",
        Some(&session.access),
        None,
    )
    .await;
    assert_eq!(
        app.get("/api/v1/me", &session.access).await.status(),
        StatusCode::UNAUTHORIZED,
        "a logout without Redis still holds (the database has it)"
    );
}

#[tokio::test]
async fn slow_requests_time_out_with_json() {
    use std::io::{Read, Write};
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.server.request_timeout_secs = 1;
    })
    .await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let response = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        // Headers promise a body that never fully arrives.
        s.write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"tenant\":",
        )
        .unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).to_string()
    })
    .await
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("\"code\":\"timeout\""), "{response}");
}
