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
