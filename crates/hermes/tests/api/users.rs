//! The users API: create, read, update, delete, validation, and the rule
//! that a firm keeps an active admin.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn create_with_a_generated_password_shown_once() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let resp = app
        .send(
            Method::POST,
            "/api/v1/users",
            Some(&admin.access),
            Some(json!({"email": "Ana.Lopez@Alpha.example", "name": "Ana Lopez", "role": "ATTORNEY"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["email"], "ana.lopez@alpha.example");
    assert_eq!(body["role"], "ATTORNEY");
    assert_eq!(body["active"], true);
    assert!(body.get("password_hash").is_none());
    let password = body["initial_password"].as_str().unwrap();
    assert!(password.len() >= 20);
    let session = app
        .login("alpha", "ana.lopez@alpha.example", password)
        .await;
    let me: Value = app
        .get("/api/v1/me", &session.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "ATTORNEY");

    // Reading it back never shows a password.
    let id = body["id"].as_str().unwrap();
    let user: Value = app
        .get(&format!("/api/v1/users/{id}"), &admin.access)
        .await
        .json()
        .await
        .unwrap();
    assert!(user.get("initial_password").is_none());
    assert_eq!(user["name"], "Ana Lopez");
    // With a chosen password, none is echoed.
    let resp = app
        .send(
            Method::POST,
            "/api/v1/users",
            Some(&admin.access),
            Some(json!({"email": "b@alpha.example", "name": "B", "role": "STAFF", "password": PASSWORD})),
        )
        .await;
    let body: Value = resp.json().await.unwrap();
    assert!(body.get("initial_password").is_none());
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let cases = [
        (
            json!({"email": "nope", "name": "X", "role": "STAFF"}),
            "email",
        ),
        (
            json!({"email": "x@alpha.example", "name": " ", "role": "STAFF"}),
            "name",
        ),
        (
            json!({"email": "x@alpha.example", "name": "X", "role": "STAFF", "password": "short"}),
            "password",
        ),
    ];
    for (body, field) in cases {
        let resp = app
            .send(
                Method::POST,
                "/api/v1/users",
                Some(&admin.access),
                Some(body),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "validation_failed");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{body}"
        );
    }
    // An unknown role or field is a 400 that says so.
    let resp = app
        .send(
            Method::POST,
            "/api/v1/users",
            Some(&admin.access),
            Some(json!({"email": "x@alpha.example", "name": "X", "role": "OWNER"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let msg = resp.text().await.unwrap();
    assert!(msg.contains("role") || msg.contains("OWNER"), "{msg}");
    let resp = app
        .send(
            Method::POST,
            "/api/v1/users",
            Some(&admin.access),
            Some(json!({"email": "x@alpha.example", "name": "X", "role": "STAFF", "is_superuser": true})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // A malformed id in the path.
    let resp = app.get("/api/v1/users/not-an-id", &admin.access).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(resp).await, "bad_request");
}

#[tokio::test]
async fn duplicate_email_is_409() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let body =
        json!({"email": app.alpha.admin_email.to_uppercase(), "name": "Dup", "role": "STAFF"});
    let resp = app
        .send(
            Method::POST,
            "/api/v1/users",
            Some(&admin.access),
            Some(body),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(resp).await, "email_taken");
    // The same address is fine in another firm.
    let bravo = app.admin(&app.bravo).await;
    let resp = app
        .send(
            Method::POST,
            "/api/v1/users",
            Some(&bravo.access),
            Some(json!({"email": app.alpha.admin_email, "name": "Same", "role": "STAFF"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn update_changes_fields_and_ends_sessions_when_needed() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let (id, user) = app.user_with_role(&app.alpha, "STAFF").await;
    let path = format!("/api/v1/users/{id}");

    let resp = app
        .send(
            Method::PATCH,
            &path,
            Some(&admin.access),
            Some(json!({"name": "Renamed"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["name"], "Renamed");
    // A rename keeps the session.
    let resp = app.refresh(&user.refresh).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let rotated: Value = resp.json().await.unwrap();

    // A new password ends it, and the new password works.
    let resp = app
        .send(
            Method::PATCH,
            &path,
            Some(&admin.access),
            Some(json!({"password": "a brand new passphrase"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .refresh(rotated["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let email = body["email"].as_str().unwrap();
    assert_eq!(
        app.login_raw("alpha", email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.login("alpha", email, "a brand new passphrase").await;

    // An empty patch says what it wants.
    let resp = app
        .send(Method::PATCH, &path, Some(&admin.access), Some(json!({})))
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("nothing to change"));
}

#[tokio::test]
async fn the_last_active_admin_stays() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let me = format!("/api/v1/users/{}", app.alpha.admin_id);
    for patch in [json!({"role": "STAFF"}), json!({"active": false})] {
        let resp = app
            .send(Method::PATCH, &me, Some(&admin.access), Some(patch))
            .await;
        assert_eq!(resp.status(), StatusCode::CONFLICT);
        assert_eq!(error_code(resp).await, "last_admin");
    }
    let resp = app
        .send(Method::DELETE, &me, Some(&admin.access), None)
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(resp).await, "last_admin");

    // With a second admin, the first may step down.
    let (second, second_session) = app.user_with_role(&app.alpha, "ADMIN").await;
    let resp = app
        .send(
            Method::PATCH,
            &me,
            Some(&admin.access),
            Some(json!({"role": "ATTORNEY"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    // Now the second is the last one.
    let resp = app
        .send(
            Method::DELETE,
            &format!("/api/v1/users/{second}"),
            Some(&second_session.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn delete_then_404() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let (id, _) = app.user_with_role(&app.alpha, "READ_ONLY").await;
    let path = format!("/api/v1/users/{id}");
    assert_eq!(
        app.send(Method::DELETE, &path, Some(&admin.access), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let resp = app.get(&path, &admin.access).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(resp).await, "not_found");
    assert_eq!(
        app.send(Method::DELETE, &path, Some(&admin.access), None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let list: Value = app
        .get("/api/v1/users", &admin.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["users"].as_array().unwrap().len(), 1);
}
