//! Every way an access token must be refused (401), checked over HTTP
//! against a real server, plus key rotation and the JWKS.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// Valid claims for alpha's admin, as the server would issue them.
fn good_claims(app: &TestApp) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": "hermes",
        "aud": "hermes-api",
        "sub": app.alpha.admin_id,
        "tid": app.alpha.id,
        "role": "ADMIN",
        "jti": uuid::Uuid::new_v4().to_string(),
        "iat": now,
        "nbf": now,
        "exp": now + 900,
    })
}

fn sign(app: &TestApp, claims: &Value) -> String {
    let (kid, pem) = app.signing_key_pem();
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(kid);
    h.typ = Some("at+jwt".into());
    jsonwebtoken::encode(&h, claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

async fn status_with(app: &TestApp, token: Option<&str>) -> StatusCode {
    let resp = app.send(Method::GET, "/api/v1/me", token, None).await;
    let status = resp.status();
    if status == StatusCode::UNAUTHORIZED {
        assert_eq!(error_code(resp).await, "unauthenticated");
    }
    status
}

#[tokio::test]
async fn a_correctly_forged_token_is_accepted() {
    // The control for every case below: our forging is right, so each
    // refusal is due to the one thing changed.
    let app = spawn_app().await;
    let token = sign(&app, &good_claims(&app));
    assert_eq!(status_with(&app, Some(&token)).await, StatusCode::OK);
}

#[tokio::test]
async fn missing_or_malformed_authorization_is_401() {
    let app = spawn_app().await;
    assert_eq!(status_with(&app, None).await, StatusCode::UNAUTHORIZED);
    for value in [
        "Basic YWxhZGRpbjpvcGVuc2VzYW1l",
        "Bearer",
        "Bearer not.a.jwt",
        "Token abc",
    ] {
        let resp = app
            .client
            .get(app.url("/api/v1/me"))
            .header("authorization", value)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{value}");
    }
}

#[tokio::test]
async fn alg_none_is_401() {
    let app = spawn_app().await;
    let (kid, _) = app.signing_key_pem();
    let head =
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "at+jwt", "kid": kid}).to_string());
    let body = URL_SAFE_NO_PAD.encode(good_claims(&app).to_string());
    for token in [format!("{head}.{body}."), format!("{head}.{body}")] {
        assert_eq!(
            status_with(&app, Some(&token)).await,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn hs256_is_401_including_the_public_key_as_secret() {
    let app = spawn_app().await;
    let (kid, _) = app.signing_key_pem();
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some(kid);
    h.typ = Some("at+jwt".into());
    // An arbitrary secret.
    let t1 =
        jsonwebtoken::encode(&h, &good_claims(&app), &EncodingKey::from_secret(b"secret")).unwrap();
    assert_eq!(status_with(&app, Some(&t1)).await, StatusCode::UNAUTHORIZED);
    // The algorithm-confusion attack: HMAC keyed with the published RSA
    // public key, in each form an attacker could take it.
    let jwks = app.public_json("/.well-known/jwks.json").await;
    let jwk = &jwks["keys"][0];
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    for secret in [jwk.to_string().into_bytes(), n] {
        let t = jsonwebtoken::encode(&h, &good_claims(&app), &EncodingKey::from_secret(&secret))
            .unwrap();
        assert_eq!(status_with(&app, Some(&t)).await, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn unknown_kid_is_401() {
    let app = spawn_app().await;
    let (_, pem) = app.signing_key_pem();
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some("someone-elses-key".into());
    h.typ = Some("at+jwt".into());
    let t = jsonwebtoken::encode(
        &h,
        &good_claims(&app),
        &EncodingKey::from_rsa_pem(&pem).unwrap(),
    )
    .unwrap();
    assert_eq!(status_with(&app, Some(&t)).await, StatusCode::UNAUTHORIZED);
    // And no kid at all.
    let mut h = Header::new(Algorithm::RS256);
    h.typ = Some("at+jwt".into());
    let t = jsonwebtoken::encode(
        &h,
        &good_claims(&app),
        &EncodingKey::from_rsa_pem(&pem).unwrap(),
    )
    .unwrap();
    assert_eq!(status_with(&app, Some(&t)).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn expired_and_not_yet_valid_are_401() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let mut expired = good_claims(&app);
    expired["iat"] = json!(now - 3600);
    expired["nbf"] = json!(now - 3600);
    expired["exp"] = json!(now - 2700);
    assert_eq!(
        status_with(&app, Some(&sign(&app, &expired))).await,
        StatusCode::UNAUTHORIZED
    );
    let mut future = good_claims(&app);
    future["nbf"] = json!(now + 3600);
    assert_eq!(
        status_with(&app, Some(&sign(&app, &future))).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn wrong_issuer_or_audience_is_401() {
    let app = spawn_app().await;
    let mut c = good_claims(&app);
    c["iss"] = json!("https://evil.example");
    assert_eq!(
        status_with(&app, Some(&sign(&app, &c))).await,
        StatusCode::UNAUTHORIZED
    );
    let mut c = good_claims(&app);
    c["aud"] = json!("another-api");
    assert_eq!(
        status_with(&app, Some(&sign(&app, &c))).await,
        StatusCode::UNAUTHORIZED
    );
    let mut c = good_claims(&app);
    c.as_object_mut().unwrap().remove("aud");
    assert_eq!(
        status_with(&app, Some(&sign(&app, &c))).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn any_tampered_byte_is_401() {
    let app = spawn_app().await;
    let token = app.admin(&app.alpha).await.access;
    assert_eq!(status_with(&app, Some(&token)).await, StatusCode::OK);
    let bytes = token.as_bytes();
    let dots: Vec<usize> = token.match_indices('.').map(|(i, _)| i).collect();
    // Bytes in the header, in the claims and in the signature.
    let positions = [
        2,
        dots[0] / 2,
        dots[0] + 10,
        (dots[0] + dots[1]) / 2,
        dots[1] + 3,
        token.len() - 5,
    ];
    for pos in positions {
        let mut b = bytes.to_vec();
        b[pos] = if b[pos] == b'a' { b'b' } else { b'a' };
        let tampered = String::from_utf8(b).unwrap();
        assert_eq!(
            status_with(&app, Some(&tampered)).await,
            StatusCode::UNAUTHORIZED,
            "tampered at {pos}"
        );
    }
    // A claim changed, the signature kept: promote oneself to another firm.
    let mut c = claims(&token);
    c["tid"] = json!(app.bravo.id);
    let forged_body = URL_SAFE_NO_PAD.encode(c.to_string());
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!("{}.{}.{}", parts[0], forged_body, parts[2]);
    assert_eq!(
        status_with(&app, Some(&forged)).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_refresh_token_is_not_an_access_token() {
    let app = spawn_app().await;
    let session = app.admin(&app.alpha).await;
    assert_eq!(
        status_with(&app, Some(&session.refresh)).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn tokens_of_deactivated_or_deleted_users_are_401() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let (id1, deactivated) = app.user_with_role(&app.alpha, "STAFF").await;
    let (id2, deleted) = app.user_with_role(&app.alpha, "ATTORNEY").await;
    assert_eq!(
        status_with(&app, Some(&deactivated.access)).await,
        StatusCode::OK
    );
    assert_eq!(
        status_with(&app, Some(&deleted.access)).await,
        StatusCode::OK
    );
    let resp = app
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{id1}"),
            Some(&admin.access),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .send(
            Method::DELETE,
            &format!("/api/v1/users/{id2}"),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        status_with(&app, Some(&deactivated.access)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status_with(&app, Some(&deleted.access)).await,
        StatusCode::UNAUTHORIZED
    );
    // Their refresh tokens are dead too.
    for refresh in [deactivated.refresh, deleted.refresh] {
        let resp = app.refresh(&refresh).await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    // Reactivation does not revive the old session: deactivating ended
    // it. The user signs in again.
    let resp = app
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{id1}"),
            Some(&admin.access),
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        status_with(&app, Some(&deactivated.access)).await,
        StatusCode::UNAUTHORIZED
    );
    let email = app.user_email(&app.alpha, &id1).await;
    let fresh = app.login("alpha", &email, PASSWORD).await;
    assert_eq!(status_with(&app, Some(&fresh.access)).await, StatusCode::OK);
}

#[tokio::test]
async fn a_revoked_jti_is_401() {
    let app = spawn_app().await;
    let session = app.admin(&app.alpha).await;
    app.send(
        Method::POST,
        "/api/v1/auth/logout",
        Some(&session.access),
        None,
    )
    .await;
    assert_eq!(
        status_with(&app, Some(&session.access)).await,
        StatusCode::UNAUTHORIZED
    );
    // A forged token reusing the revoked jti is refused as well.
    let mut c = good_claims(&app);
    c["jti"] = claims(&session.access)["jti"].clone();
    assert_eq!(
        status_with(&app, Some(&sign(&app, &c))).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_live_role_counts_not_the_token_role() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let (id, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    assert_eq!(
        app.get("/api/v1/users", &staff.access).await.status(),
        StatusCode::FORBIDDEN
    );
    app.send(
        Method::PATCH,
        &format!("/api/v1/users/{id}"),
        Some(&admin.access),
        Some(json!({"role": "ADMIN"})),
    )
    .await;
    // The token still says STAFF, but the user is an admin now.
    assert_eq!(claims(&staff.access)["role"], "STAFF");
    assert_eq!(
        app.get("/api/v1/users", &staff.access).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn jwks_publishes_current_and_previous_keys_across_rotation() {
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.auth.key_reload_secs = 1;
    })
    .await;
    let jwks = || async {
        let resp = app
            .client
            .get(app.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let v: Value = resp.json().await.unwrap();
        v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                assert_eq!(k["kty"], "RSA");
                assert_eq!(k["alg"], "RS256");
                assert_eq!(k["use"], "sig");
                assert!(k.get("d").is_none(), "private part published!");
                k["kid"].as_str().unwrap().to_owned()
            })
            .collect::<Vec<_>>()
    };
    let before = app.admin(&app.alpha).await;
    let old_kid = header(&before.access)["kid"].as_str().unwrap().to_owned();
    assert_eq!(jwks().await, vec![old_kid.clone()]);

    // `hermes keys rotate`, as an operator would run it beside the server.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hermes"))
        .args(["keys", "rotate"])
        .env("HERMES_DATA_DIR", app.settings.data_dir.as_os_str())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Within the reload interval the server signs with the new key...
    let mut new_kid = old_kid.clone();
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let s = app.admin(&app.alpha).await;
        new_kid = header(&s.access)["kid"].as_str().unwrap().to_owned();
        if new_kid != old_kid {
            assert_eq!(status_with(&app, Some(&s.access)).await, StatusCode::OK);
            break;
        }
    }
    assert_ne!(new_kid, old_kid, "server never picked up the rotated key");
    // ...publishes both, and still accepts tokens signed by the old one.
    assert_eq!(jwks().await, vec![new_kid, old_kid]);
    assert_eq!(
        status_with(&app, Some(&before.access)).await,
        StatusCode::OK
    );
}
