//! API keys: shown once, stored hashed, carry a role, revocable.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn key_is_shown_once_and_works_as_a_bearer() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let resp = app
        .send(
            Method::POST,
            "/api/v1/api-keys",
            Some(&admin.access),
            Some(json!({"name": "website intake form", "role": "READ_ONLY"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with("hk_"));
    assert_eq!(created["role"], "READ_ONLY");
    assert_eq!(created["created_by"], app.alpha.admin_id.as_str());
    let prefix = created["prefix"].as_str().unwrap();
    assert!(key.contains(prefix.trim_start_matches("hk_…")));

    // Never shown again.
    let listed = app
        .get("/api/v1/api-keys", &admin.access)
        .await
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(&key));
    let one = app
        .get(&format!("/api/v1/api-keys/{id}"), &admin.access)
        .await;
    assert_eq!(one.status(), StatusCode::OK);
    assert!(!one.text().await.unwrap().contains(&key));

    // Stored only as a hash.
    let keys = app
        .state
        .store
        .scoped(app.alpha.id.parse().unwrap())
        .list_api_keys()
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    let by_hash = app
        .state
        .store
        .scoped(app.alpha.id.parse().unwrap())
        .api_key_by_hash(&key)
        .await
        .unwrap();
    assert!(by_hash.is_none(), "the raw key must not be what is stored");

    // It authenticates with its role: read settings yes, write no.
    assert_eq!(
        app.get("/api/v1/settings/firm", &key).await.status(),
        StatusCode::OK
    );
    let resp = app
        .send(
            Method::PATCH,
            "/api/v1/settings/firm",
            Some(&key),
            Some(json!({"name": "X"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn revoked_keys_stop_working_at_once() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let (id, key) = app.api_key_with_role(&app.alpha, "STAFF").await;
    assert_eq!(app.get("/api/v1/me", &key).await.status(), StatusCode::OK);
    let resp = app
        .send(
            Method::DELETE,
            &format!("/api/v1/api-keys/{id}"),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = app.get("/api/v1/me", &key).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let listed: Value = app
        .get("/api/v1/api-keys", &admin.access)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["api_keys"][0]["revoked_at"].is_string());
    // Revoking twice is fine; an unknown id is 404.
    let resp = app
        .send(
            Method::DELETE,
            &format!("/api/v1/api-keys/{id}"),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = app
        .send(
            Method::DELETE,
            &format!("/api/v1/api-keys/{}", uuid::Uuid::new_v4()),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn forged_and_malformed_keys_are_401() {
    let app = spawn_app().await;
    let (_, key) = app.api_key_with_role(&app.alpha, "ADMIN").await;
    let mut flipped = key.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    // The same secret presented as another firm's key.
    let other_tenant = format!(
        "hk_{}_{}",
        app.bravo.id.replace('-', ""),
        key.rsplit('_').next().unwrap()
    );
    for bad in [flipped, other_tenant, "hk_".into(), "hk_abc_def".into()] {
        assert_eq!(
            app.get("/api/v1/me", &bad).await.status(),
            StatusCode::UNAUTHORIZED,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn key_names_are_validated() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    for name in ["", "   ", &"x".repeat(101)] {
        let resp = app
            .send(
                Method::POST,
                "/api/v1/api-keys",
                Some(&admin.access),
                Some(json!({"name": name, "role": "STAFF"})),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn keys_do_not_outlive_their_creators_standing() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let (second_id, second) = app.user_with_role(&app.alpha, "ADMIN").await;
    let create = |role: &'static str| {
        let (app, token) = (&app, second.access.clone());
        async move {
            let resp = app
                .send(
                    Method::POST,
                    "/api/v1/api-keys",
                    Some(&token),
                    Some(json!({"name": format!("{role} integration"), "role": role})),
                )
                .await;
            assert_eq!(resp.status(), StatusCode::CREATED);
            let body: Value = resp.json().await.unwrap();
            body["key"].as_str().unwrap().to_owned()
        }
    };
    let admin_key = create("ADMIN").await;
    let staff_key = create("STAFF").await;
    assert_eq!(
        app.get("/api/v1/users", &admin_key).await.status(),
        StatusCode::OK
    );

    // Demoted to STAFF: the ADMIN key dies, the STAFF key lives.
    let resp = app
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{second_id}"),
            Some(&admin.access),
            Some(json!({"role": "STAFF"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/me", &admin_key).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/me", &staff_key).await.status(),
        StatusCode::OK
    );

    // Deactivated: every key they created dies.
    let resp = app
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{second_id}"),
            Some(&admin.access),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/me", &staff_key).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let page: Value = app
        .get("/api/v1/audit?action=api_key.revoke", &admin.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
}
