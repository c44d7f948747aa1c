//! Login, refresh (rotation and reuse), logout, lockout, /me.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

async fn login_works(app: TestApp) {
    let resp = app
        .login_raw("alpha", &app.alpha.admin_email, PASSWORD)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let access = body["access_token"].as_str().unwrap();
    assert!(body["refresh_token"].as_str().unwrap().starts_with("hrt_"));

    let h = header(access);
    assert_eq!(h["alg"], "RS256");
    assert_eq!(h["typ"], "at+jwt");
    let (kid, _) = app.signing_key_pem();
    assert_eq!(h["kid"], kid.as_str());

    let c = claims(access);
    for claim in [
        "iss", "aud", "sub", "tid", "role", "jti", "iat", "nbf", "exp",
    ] {
        assert!(!c[claim].is_null(), "claim {claim} missing: {c}");
    }
    assert_eq!(c["sub"], app.alpha.admin_id.as_str());
    assert_eq!(c["tid"], app.alpha.id.as_str());
    assert_eq!(c["role"], "ADMIN");
    assert_eq!(c["aud"], "hermes-api");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 900);

    let me: Value = app.get("/api/v1/me", access).await.json().await.unwrap();
    assert_eq!(me["kind"], "user");
    assert_eq!(me["email"], app.alpha.admin_email.as_str());
    assert_eq!(me["tenant"]["slug"], "alpha");
    assert_eq!(me["role"], "ADMIN");
}

#[tokio::test]
async fn login_returns_a_token_pair_sqlite() {
    login_works(spawn_app().await).await;
}

#[tokio::test]
async fn login_returns_a_token_pair_postgres() {
    if let Some(app) = spawn_app_pg().await {
        login_works(app).await;
    }
}

#[tokio::test]
async fn wrong_tenant_email_or_password_get_the_same_401() {
    let app = spawn_app().await;
    let cases = [
        (
            "nowhere",
            app.alpha.admin_email.clone(),
            PASSWORD.to_owned(),
        ),
        (
            "alpha",
            "nobody@alpha.example".to_owned(),
            PASSWORD.to_owned(),
        ),
        (
            "alpha",
            app.alpha.admin_email.clone(),
            "wrong password!!".to_owned(),
        ),
        // Right credentials, wrong firm.
        ("bravo", app.alpha.admin_email.clone(), PASSWORD.to_owned()),
        // Malformed inputs answer the same, too.
        ("Not A Slug!", "not-an-email".to_owned(), "x".to_owned()),
    ];
    let mut bodies = Vec::new();
    for (tenant, email, password) in cases {
        let resp = app.login_raw(tenant, &email, &password).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{tenant}/{email}");
        assert_eq!(
            resp.headers()["www-authenticate"],
            "Bearer realm=\"hermes\""
        );
        bodies.push(resp.text().await.unwrap());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    assert!(bodies[0].contains("invalid_credentials"));
}

#[tokio::test]
async fn malformed_login_bodies_are_400_json() {
    let app = spawn_app().await;
    for body in [
        json!({}),
        json!({"tenant": "alpha"}),
        json!({"tenant": 1, "email": "a", "password": "b"}),
    ] {
        let resp = app
            .send(Method::POST, "/api/v1/auth/login", None, Some(body))
            .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error_code(resp).await, "bad_request");
    }
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .body("tenant=alpha")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(resp).await, "bad_request");
}

async fn refresh_rotates(app: TestApp) {
    let first = app.admin(&app.alpha).await;
    let resp = app.refresh(&first.refresh).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let second: Value = resp.json().await.unwrap();
    let second_refresh = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first.refresh);
    let access = second["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/me", access).await.status(), StatusCode::OK);
    assert_eq!(
        claims(access)["sid"],
        claims(&first.access)["sid"],
        "same session"
    );

    let resp = app.refresh(&second_refresh).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let third: Value = resp.json().await.unwrap();
    let third_refresh = third["refresh_token"].as_str().unwrap().to_owned();

    // Replaying a spent token is refused and ends the whole family: the
    // newest token no longer works either.
    let resp = app.refresh(&first.refresh).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(resp).await, "unauthenticated");
    let resp = app.refresh(&third_refresh).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Another login's session is unaffected.
    let other = app.admin(&app.alpha).await;
    assert_eq!(app.refresh(&other.refresh).await.status(), StatusCode::OK);

    // The reuse is in the audit log.
    let admin = app.admin(&app.alpha).await;
    let page: Value = app
        .get("/api/v1/audit?action=auth.refresh_reuse", &admin.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["entries"].as_array().unwrap().len(), 1);
    assert_eq!(page["entries"][0]["outcome"], "denied");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family_sqlite() {
    refresh_rotates(spawn_app().await).await;
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family_postgres() {
    if let Some(app) = spawn_app_pg().await {
        refresh_rotates(app).await;
    }
}

#[tokio::test]
async fn bad_refresh_tokens_are_401() {
    let app = spawn_app().await;
    let session = app.admin(&app.alpha).await;
    let bogus_tenant = format!("hrt_{}_{}", uuid::Uuid::new_v4().simple(), "A".repeat(43));
    for token in [
        "nonsense".to_owned(),
        session.access.clone(),
        bogus_tenant,
        format!("{}x", session.refresh),
    ] {
        let resp = app.refresh(&token).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{token}");
    }
}

async fn logout_revokes(app: TestApp) {
    let session = app.admin(&app.alpha).await;
    let other = app.admin(&app.alpha).await;
    let resp = app
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&session.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    // The access token and the session's refresh token are dead.
    assert_eq!(
        app.get("/api/v1/me", &session.access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let resp = app.refresh(&session.refresh).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // Other sessions live on.
    assert_eq!(
        app.get("/api/v1/me", &other.access).await.status(),
        StatusCode::OK
    );
    // Logging out twice: the token is already revoked.
    let resp = app
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&session.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_revokes_the_session_and_the_token_sqlite() {
    logout_revokes(spawn_app().await).await;
}

#[tokio::test]
async fn logout_revokes_the_session_and_the_token_postgres() {
    if let Some(app) = spawn_app_pg().await {
        logout_revokes(app).await;
    }
}

#[tokio::test]
async fn logout_survives_a_restart() {
    // The revocation is in the database, not only in this node's memory.
    let app = spawn_app().await;
    let session = app.admin(&app.alpha).await;
    let resp = app
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&session.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let restarted = spawn_node(&app, |_| {}).await;
    app.stop().await;
    assert_eq!(
        restarted.get("/api/v1/me", &session.access).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn five_failures_lock_the_account_for_that_ip() {
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let attempt = |ip: &'static str, password: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/auth/login"))
                .header("x-forwarded-for", ip)
                .json(&json!({"tenant": "alpha", "email": app.alpha.admin_email, "password": password}))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("203.0.113.7", "wrong password!!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked: even the right password is refused, with Retry-After.
    let resp = attempt("203.0.113.7", PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 14 * 60 && retry <= 15 * 60, "retry-after {retry}");
    assert_eq!(error_code(resp).await, "rate_limited");
    // The same account from another address is not locked.
    assert_eq!(
        attempt("198.51.100.9", PASSWORD).await.status(),
        StatusCode::OK
    );

    let admin = app.admin(&app.alpha).await;
    let page: Value = app
        .get("/api/v1/audit?action=auth.lockout", &admin.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["entries"].as_array().unwrap().len(), 1);
    let failures: Value = app
        .get(
            "/api/v1/audit?action=auth.login&outcome=failure",
            &admin.access,
        )
        .await
        .json()
        .await
        .unwrap();
    let entries = failures["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0]["ip"], "203.0.113.7");
    assert_eq!(entries[0]["details"]["reason"], "wrong password");
}

#[tokio::test]
async fn a_success_clears_earlier_failures() {
    let app = spawn_app().await;
    for _ in 0..4 {
        let resp = app
            .login_raw("alpha", &app.alpha.admin_email, "wrong password!!")
            .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    app.admin(&app.alpha).await;
    for _ in 0..4 {
        let resp = app
            .login_raw("alpha", &app.alpha.admin_email, "wrong password!!")
            .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    app.admin(&app.alpha).await;
}

#[tokio::test]
async fn deactivated_users_cannot_sign_in() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let (id, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    let resp = app
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin.access),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let me: Value = app
        .get("/api/v1/me", &staff.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(error_from(&me), "unauthenticated");
    let email = app.user_email(&app.alpha, &id).await;
    let resp = app.login_raw("alpha", &email, PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(resp).await, "invalid_credentials");
}

fn error_from(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn me_works_for_api_keys() {
    let app = spawn_app().await;
    let (id, key) = app.api_key_with_role(&app.alpha, "STAFF").await;
    let resp = app.get("/api/v1/me", &key).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let me: Value = resp.json().await.unwrap();
    assert_eq!(me["kind"], "api_key");
    assert_eq!(me["id"], id.as_str());
    assert_eq!(me["role"], "STAFF");
    assert!(me["email"].is_null());
    // API keys do not log out.
    let resp = app
        .send(Method::POST, "/api/v1/auth/logout", Some(&key), None)
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn ending_a_session_kills_all_its_access_tokens() {
    let app = spawn_app().await;
    let refresh = |token: String| {
        let app = &app;
        async move {
            let resp = app.refresh(&token).await;
            (resp.status(), resp.json::<Value>().await.unwrap())
        }
    };
    // Logout with the newest access token also kills the older one.
    let first = app.admin(&app.alpha).await;
    let (status, second) = refresh(first.refresh.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let second_access = second["access_token"].as_str().unwrap().to_owned();
    let resp = app
        .send(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&second_access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", &first.access).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // A replayed refresh token kills the session's live access token.
    let s = app.admin(&app.alpha).await;
    let (_, rotated) = refresh(s.refresh.clone()).await;
    let live = rotated["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", &live).await.status(), StatusCode::OK);
    let (status, _) = refresh(s.refresh.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/me", &live).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The reuse is attributed to nobody in particular, against the session.
    let admin = app.admin(&app.alpha).await;
    let page: Value = app
        .get("/api/v1/audit?action=auth.refresh_reuse", &admin.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["entries"][0]["actor"]["type"], "anonymous");
    assert_eq!(page["entries"][0]["target"]["type"], "session");
}

#[tokio::test]
async fn a_new_password_ends_the_users_sessions_at_once() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let (id, user) = app.user_with_role(&app.alpha, "ATTORNEY").await;
    assert_eq!(
        app.get("/api/v1/me", &user.access).await.status(),
        StatusCode::OK
    );
    let resp = app
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin.access),
            Some(json!({"password": "another long passphrase"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/me", &user.access).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn parallel_guesses_cannot_overrun_the_lockout() {
    let app = spawn_app().await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let client = app.client.clone();
        let url = app.url("/api/v1/auth/login");
        let email = app.alpha.admin_email.clone();
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"tenant": "alpha", "email": email, "password": "guess guess guess"}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut wrong = 0;
    let mut locked = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::UNAUTHORIZED => wrong += 1,
            StatusCode::TOO_MANY_REQUESTS => locked += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(wrong, 5, "exactly five guesses may be checked");
    assert_eq!(locked, 15);
}

#[tokio::test]
async fn failed_logins_are_anonymous_with_the_account_as_target() {
    let app = spawn_app().await;
    app.login_raw("alpha", &app.alpha.admin_email, "wrong password!!")
        .await;
    let admin = app.admin(&app.alpha).await;
    let page: Value = app
        .get(
            "/api/v1/audit?action=auth.login&outcome=failure",
            &admin.access,
        )
        .await
        .json()
        .await
        .unwrap();
    let e = &page["entries"][0];
    assert_eq!(e["actor"]["type"], "anonymous");
    assert_eq!(e["target"]["id"], app.alpha.admin_id.as_str());
    // Filtering by the admin's id shows what the admin did, not the attempt.
    let mine: Value = app
        .get(
            &format!(
                "/api/v1/audit?actor_id={}&outcome=failure",
                app.alpha.admin_id
            ),
            &admin.access,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(mine["entries"].as_array().unwrap().is_empty());
}
