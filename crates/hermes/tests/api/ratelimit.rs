//! Rate limits: per IP on anonymous routes, per principal and per tenant on
//! the rest, `RateLimit-*` and `Retry-After` headers, trusted proxies, and
//! (with Redis) limits, revocations and invalidations shared by two nodes.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

fn header_u64(resp: &reqwest::Response, name: &str) -> u64 {
    resp.headers()[name].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn auth_routes_allow_ten_a_minute_per_ip() {
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.rate_limit.auth_per_minute = 10;
    })
    .await;
    for i in 0..10u64 {
        let resp = app
            .send(
                Method::POST,
                "/api/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": "x"})),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(header_u64(&resp, "ratelimit-limit"), 10);
        assert_eq!(header_u64(&resp, "ratelimit-remaining"), 9 - i);
        assert_eq!(resp.headers()["ratelimit-policy"], "10;w=60");
    }
    let resp = app
        .login_raw("alpha", &app.alpha.admin_email, PASSWORD)
        .await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry = header_u64(&resp, "retry-after");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(header_u64(&resp, "ratelimit-remaining"), 0);
    assert_eq!(error_code(resp).await, "rate_limited");
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.rate_limit.auth_per_minute = 2;
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let hit = |ip: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/auth/refresh"))
                .header("x-forwarded-for", ip)
                .json(&json!({"refresh_token": "x"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(hit("192.0.2.1").await, StatusCode::UNAUTHORIZED);
    assert_eq!(hit("192.0.2.1").await, StatusCode::UNAUTHORIZED);
    assert_eq!(hit("192.0.2.1").await, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy has its own budget.
    assert_eq!(hit("192.0.2.2").await, StatusCode::UNAUTHORIZED);

    // Without trust, the header is ignored: spoofing it does not help.
    let untrusting = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.rate_limit.auth_per_minute = 2;
    })
    .await;
    for (i, ip) in ["192.0.2.1", "192.0.2.2", "192.0.2.3"].iter().enumerate() {
        let status = untrusting
            .client
            .post(untrusting.url("/api/v1/auth/refresh"))
            .header("x-forwarded-for", *ip)
            .json(&json!({"refresh_token": "x"}))
            .send()
            .await
            .unwrap()
            .status();
        let expected = if i < 2 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(status, expected);
    }
}

#[tokio::test]
async fn each_principal_has_its_own_budget() {
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.rate_limit.principal_per_minute = 3;
    })
    .await;
    let a = app.admin(&app.alpha).await;
    // Creating the key spends one of the admin's three requests.
    let (_, key) = app.api_key_with_role(&app.alpha, "STAFF").await;
    for i in 0..2u64 {
        let resp = app.get("/api/v1/me", &a.access).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(header_u64(&resp, "ratelimit-remaining"), 1 - i);
    }
    let resp = app.get("/api/v1/me", &a.access).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key("retry-after"));
    // The API key (another principal of the same firm) is unaffected.
    assert_eq!(app.get("/api/v1/me", &key).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_tenant_shares_one_budget() {
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.rate_limit.tenant_per_minute = 4;
    })
    .await;
    let a1 = app.admin(&app.alpha).await;
    let (_, k1) = app.api_key_with_role(&app.alpha, "STAFF").await;
    let (_, k2) = app.api_key_with_role(&app.alpha, "ADMIN").await;
    let b = app.admin(&app.bravo).await;
    // Creating the keys spent 2 of alpha's 4; two more fit.
    assert_eq!(
        app.get("/api/v1/me", &a1.access).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.get("/api/v1/me", &k1).await.status(), StatusCode::OK);
    let resp = app.get("/api/v1/me", &k2).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header_u64(&resp, "ratelimit-limit"), 4);
    // Another firm is unaffected.
    assert_eq!(
        app.get("/api/v1/me", &b.access).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn bad_tokens_are_limited_per_ip() {
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.rate_limit.anonymous_per_minute = 3;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/api/v1/me", "garbage").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.get("/api/v1/me", "garbage").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

// --- two nodes sharing PostgreSQL and Redis ---------------------------------

async fn two_nodes(
    tweak: impl Fn(&mut hermes::config::Settings) + Clone,
) -> Option<(TestApp, TestApp)> {
    let redis = hermes_testkit::redis_url().await?;
    let db = hermes_testkit::TestDb::postgres().await?;
    let prefix = format!("hermes-test-{}:", uuid::Uuid::new_v4().simple());
    let t = tweak.clone();
    let (r, p) = (redis.clone(), prefix.clone());
    let a = spawn_with(db, move |s| {
        s.redis.url = Some(r);
        s.redis.key_prefix = p;
        t(s);
    })
    .await;
    let b = spawn_node(&a, |_| {}).await;
    Some((a, b))
}

#[tokio::test]
async fn limits_hold_across_nodes_with_redis() {
    let Some((a, b)) = two_nodes(|s| s.rate_limit.principal_per_minute = 4).await else {
        return;
    };
    let s = a.admin(&a.alpha).await;
    assert_eq!(
        a.get("/api/v1/me", &s.access).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        b.get("/api/v1/me", &s.access).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        a.get("/api/v1/me", &s.access).await.status(),
        StatusCode::OK
    );
    let resp = b.get("/api/v1/me", &s.access).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header_u64(&resp, "ratelimit-remaining"), 0);
    assert_eq!(
        a.get("/api/v1/me", &s.access).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        b.get("/api/v1/me", &s.access).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn lockouts_and_revocations_hold_across_nodes_with_redis() {
    let Some((a, b)) = two_nodes(|_| {}).await else {
        return;
    };
    // Lockout: failures on node A lock the account on node B.
    for node in [&a, &b, &a, &b, &a] {
        let resp = node
            .login_raw("bravo", &node.bravo.admin_email, "wrong password!!")
            .await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let resp = b.login_raw("bravo", &b.bravo.admin_email, PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);

    // Logout on A revokes the token on B.
    let s = a.admin(&a.alpha).await;
    assert_eq!(
        b.get("/api/v1/me", &s.access).await.status(),
        StatusCode::OK
    );
    a.send(Method::POST, "/api/v1/auth/logout", Some(&s.access), None)
        .await;
    assert_eq!(
        b.get("/api/v1/me", &s.access).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn deactivation_and_key_revocation_reach_other_nodes() {
    let Some((a, b)) = two_nodes(|_| {}).await else {
        return;
    };
    let admin = a.admin(&a.alpha).await;
    let (id, staff) = a.user_with_role(&a.alpha, "STAFF").await;
    let (key_id, key) = a.api_key_with_role(&a.alpha, "STAFF").await;
    // Node B caches both as valid.
    assert_eq!(
        b.get("/api/v1/me", &staff.access).await.status(),
        StatusCode::OK
    );
    assert_eq!(b.get("/api/v1/me", &key).await.status(), StatusCode::OK);
    a.send(
        Method::PATCH,
        &format!("/api/v1/users/{id}"),
        Some(&admin.access),
        Some(json!({"active": false})),
    )
    .await;
    a.send(
        Method::DELETE,
        &format!("/api/v1/api-keys/{key_id}"),
        Some(&admin.access),
        None,
    )
    .await;
    // The invalidation travels through Redis pub/sub: allow it a moment,
    // well under the cache's own expiry.
    let mut refused = false;
    for _ in 0..20 {
        let user = b.get("/api/v1/me", &staff.access).await.status();
        let k = b.get("/api/v1/me", &key).await.status();
        if user == StatusCode::UNAUTHORIZED && k == StatusCode::UNAUTHORIZED {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        refused,
        "node B still accepts a deactivated user or revoked key after 1 s"
    );
}

#[tokio::test]
async fn refused_requests_do_not_spend_the_firms_budget() {
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.rate_limit.principal_per_minute = 2;
        s.rate_limit.tenant_per_minute = 6;
    })
    .await;
    // Creating the second user spends one request of the admin (and the
    // firm).
    let (_, other) = app.user_with_role(&app.alpha, "STAFF").await;
    let noisy = app.admin(&app.alpha).await;
    // The admin hammers far past its own budget...
    let mut refused = 0;
    for _ in 0..20 {
        if app.get("/api/v1/me", &noisy.access).await.status() == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    assert_eq!(refused, 19);
    // ...yet the firm's other principals still have theirs: only the
    // admin's two allowed requests counted against the firm.
    assert_eq!(
        app.get("/api/v1/me", &other.access).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn revocations_survive_redis_losing_them() {
    let Some((a, b)) = two_nodes(|_| {}).await else {
        return;
    };
    let s = a.admin(&a.alpha).await;
    a.send(Method::POST, "/api/v1/auth/logout", Some(&s.access), None)
        .await;
    assert_eq!(
        b.get("/api/v1/me", &s.access).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Redis loses its data (a restart without persistence, a flush).
    let url = hermes_testkit::redis_url().await.unwrap();
    let client = redis_client(&url);
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", a.settings.redis.key_prefix))
        .query_async(&mut conn)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    // A resync (sent by a node whenever its subscription restarts, or by an
    // operator) makes every node reload revocations from the database.
    let _: () = redis::cmd("PUBLISH")
        .arg(format!("{}events", a.settings.redis.key_prefix))
        .arg("resync")
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut refused = false;
    for _ in 0..40 {
        if b.get("/api/v1/me", &s.access).await.status() == StatusCode::UNAUTHORIZED {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        refused,
        "a logged-out token works again after Redis lost its data"
    );
}

fn redis_client(url: &str) -> redis::Client {
    redis::Client::open(url).unwrap()
}
