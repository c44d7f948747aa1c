//! Tenant isolation over HTTP: another firm's resource answers 404 exactly
//! like a missing one, on every route that takes an id, and lists never
//! show another firm's rows.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// Every route with an id in its path, and how this test reaches it.
const ID_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/users/{id}"),
    ("PATCH", "/api/v1/users/{id}"),
    ("DELETE", "/api/v1/users/{id}"),
    ("GET", "/api/v1/api-keys/{id}"),
    ("DELETE", "/api/v1/api-keys/{id}"),
];

async fn cross_tenant(app: TestApp) {
    let alpha_admin = app.admin(&app.alpha).await;
    let (bravo_user, bravo_user_session) = app.user_with_role(&app.bravo, "STAFF").await;
    let (bravo_key, bravo_key_secret) = app.api_key_with_role(&app.bravo, "STAFF").await;

    for (method, template) in ID_ROUTES {
        let id = if template.contains("users") {
            &bravo_user
        } else {
            &bravo_key
        };
        let method: Method = method.parse().unwrap();
        let body =
            (method == Method::PATCH).then(|| json!({"name": "Taken Over", "role": "ADMIN"}));
        let theirs = app
            .send(
                method.clone(),
                &template.replace("{id}", id),
                Some(&alpha_admin.access),
                body.clone(),
            )
            .await;
        let missing = app
            .send(
                method.clone(),
                &template.replace("{id}", &uuid::Uuid::new_v4().to_string()),
                Some(&alpha_admin.access),
                body,
            )
            .await;
        assert_eq!(
            theirs.status(),
            StatusCode::NOT_FOUND,
            "{method} {template}"
        );
        assert_eq!(
            missing.status(),
            StatusCode::NOT_FOUND,
            "{method} {template}"
        );
        assert_eq!(
            theirs.text().await.unwrap(),
            missing.text().await.unwrap(),
            "{method} {template}: another firm's resource must look missing"
        );
    }

    // Bravo's user and key are untouched.
    assert_eq!(
        app.get("/api/v1/me", &bravo_user_session.access)
            .await
            .status(),
        StatusCode::OK
    );
    let me: Value = app
        .get("/api/v1/me", &bravo_user_session.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "Test User");
    assert_eq!(me["role"], "STAFF");
    assert_eq!(
        app.get("/api/v1/me", &bravo_key_secret).await.status(),
        StatusCode::OK
    );

    // Lists are per firm.
    let users: Value = app
        .get("/api/v1/users", &alpha_admin.access)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        users["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["id"] != bravo_user.as_str())
    );
    let keys: Value = app
        .get("/api/v1/api-keys", &alpha_admin.access)
        .await
        .json()
        .await
        .unwrap();
    assert!(keys["api_keys"].as_array().unwrap().is_empty());
    let audit: Value = app
        .get("/api/v1/audit?limit=200", &alpha_admin.access)
        .await
        .json()
        .await
        .unwrap();
    for e in audit["entries"].as_array().unwrap() {
        assert_ne!(e["target"]["id"], bravo_user.as_str());
        assert_ne!(e["target"]["id"], app.bravo.id.as_str());
    }
    let firm: Value = app
        .get("/api/v1/settings/firm", &alpha_admin.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(firm["slug"], "alpha");
}

#[tokio::test]
async fn other_tenants_resources_are_404_sqlite() {
    cross_tenant(spawn_app().await).await;
}

#[tokio::test]
async fn other_tenants_resources_are_404_postgres() {
    if let Some(app) = spawn_app_pg().await {
        cross_tenant(app).await;
    }
}

#[tokio::test]
async fn every_id_route_is_covered_by_the_isolation_test() {
    let app = spawn_app().await;
    let doc = app.public_json("/api/v1/openapi.json").await;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.contains('{') {
            for method in item.as_object().unwrap().keys() {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let covered: BTreeSet<String> = ID_ROUTES.iter().map(|(m, p)| format!("{m} {p}")).collect();
    assert_eq!(
        documented, covered,
        "add new id routes to ID_ROUTES so tenant isolation is tested on them"
    );
}

#[tokio::test]
async fn a_token_cannot_be_pointed_at_another_tenant() {
    // A user of alpha presenting alpha's token gets alpha's data, however
    // the request is phrased; there is no tenant parameter to tamper with.
    let app = spawn_app().await;
    let alpha = app.admin(&app.alpha).await;
    let resp = app
        .client
        .get(app.url("/api/v1/users?tenant=bravo"))
        .bearer_auth(&alpha.access)
        .header("x-tenant", "bravo")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let users: Value = resp.json().await.unwrap();
    assert!(
        users["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["email"].as_str().unwrap().ends_with("alpha.example"))
    );
}
