//! The Redis backend against the machine's real Redis (127.0.0.1:6379, or
//! `HERMES_TEST_REDIS_URL`). Two `RedisState`s stand for two HERMES nodes.
//! Without Redis these tests are skipped, except under CI (`CI` set), where
//! a missing Redis is a failure.

use std::time::Duration;

use hermes_cache::SharedState;
use hermes_cache::redis::RedisState;

async fn node(prefix: &str) -> Option<RedisState> {
    let url =
        std::env::var("HERMES_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let connected = tokio::time::timeout(Duration::from_secs(3), RedisState::connect(&url, prefix))
        .await
        .map_err(|_| "timed out".to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    match connected {
        Ok(state) => match state.ping().await {
            Ok(()) => Some(state),
            Err(e) => unavailable(&e.to_string()),
        },
        Err(e) => unavailable(&e),
    }
}

fn unavailable(why: &str) -> Option<RedisState> {
    if std::env::var_os("CI").is_some() || std::env::var_os("HERMES_REQUIRE_SERVICES").is_some() {
        panic!("Redis is required under CI but unavailable: {why}");
    }
    eprintln!("skipping: Redis unavailable ({why})");
    None
}

fn prefix() -> String {
    format!("hermes-test-{}:", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn counters_are_shared_between_nodes() {
    let p = prefix();
    let (Some(a), Some(b)) = (node(&p).await, node(&p).await) else {
        return;
    };
    let w = Duration::from_secs(60);
    assert_eq!(a.hit("login:x", w).await.unwrap().count, 1);
    assert_eq!(b.hit("login:x", w).await.unwrap().count, 2);
    let c = a.hit("login:x", w).await.unwrap();
    assert_eq!(c.count, 3);
    assert!(c.resets_in > Duration::from_secs(55) && c.resets_in <= w);
    assert_eq!(b.peek("login:x").await.unwrap().count, 3);
    b.clear("login:x").await.unwrap();
    assert_eq!(a.peek("login:x").await.unwrap().count, 0);
}

#[tokio::test]
async fn windows_expire() {
    let p = prefix();
    let Some(a) = node(&p).await else { return };
    let w = Duration::from_millis(150);
    a.hit("k", w).await.unwrap();
    a.hit("k", w).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(a.peek("k").await.unwrap().count, 0);
    assert_eq!(a.hit("k", w).await.unwrap().count, 1);
}

#[tokio::test]
async fn prefixes_isolate_deployments() {
    let (Some(a), Some(b)) = (node(&prefix()).await, node(&prefix()).await) else {
        return;
    };
    a.hit("k", Duration::from_secs(60)).await.unwrap();
    assert_eq!(b.peek("k").await.unwrap().count, 0);
    a.mark("jti:x", Duration::from_secs(60)).await.unwrap();
    assert!(!b.any_marked(&["jti:x"]).await.unwrap());
}

#[tokio::test]
async fn marks_are_shared_and_expire() {
    let p = prefix();
    let (Some(a), Some(b)) = (node(&p).await, node(&p).await) else {
        return;
    };
    a.mark("jti:1", Duration::from_millis(200)).await.unwrap();
    assert!(b.any_marked(&["jti:1"]).await.unwrap());
    assert!(b.any_marked(&["sid:9", "jti:1"]).await.unwrap());
    assert!(!b.any_marked(&["jti:2", "sid:9"]).await.unwrap());
    assert!(!b.any_marked(&[]).await.unwrap());
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(!b.any_marked(&["jti:1"]).await.unwrap());
}

#[tokio::test]
async fn attempt_slots_are_shared_and_slide() {
    let p = prefix();
    let (Some(a), Some(b)) = (node(&p).await, node(&p).await) else {
        return;
    };
    let w = Duration::from_millis(400);
    assert_eq!(a.attempt("lock:x", 3, w).await.unwrap().count, 1);
    assert_eq!(b.attempt("lock:x", 3, w).await.unwrap().count, 2);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(a.attempt("lock:x", 3, w).await.unwrap().count, 3);
    let refused = b.attempt("lock:x", 3, w).await.unwrap();
    assert!(!refused.allowed);
    assert!(refused.retry_after <= w && refused.retry_after >= Duration::from_millis(200));
    // The first two leave the window; the third is still in it.
    tokio::time::sleep(refused.retry_after + Duration::from_millis(20)).await;
    let again = a.attempt("lock:x", 3, w).await.unwrap();
    assert!(again.allowed);
    assert_eq!(again.count, 2);
    b.clear("lock:x").await.unwrap();
    assert_eq!(a.attempt("lock:x", 3, w).await.unwrap().count, 1);
}

#[tokio::test]
async fn concurrent_attempts_never_exceed_the_limit() {
    let p = prefix();
    let (Some(a), Some(b)) = (node(&p).await, node(&p).await) else {
        return;
    };
    let (a, b) = (std::sync::Arc::new(a), std::sync::Arc::new(b));
    let mut tasks = Vec::new();
    for i in 0..40 {
        let node = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            node.attempt("lock:race", 5, Duration::from_secs(60))
                .await
                .unwrap()
                .allowed
        }));
    }
    let mut allowed = 0;
    for t in tasks {
        allowed += usize::from(t.await.unwrap());
    }
    assert_eq!(allowed, 5);
}

#[tokio::test]
async fn events_reach_every_node() {
    let p = prefix();
    let (Some(a), Some(b)) = (node(&p).await, node(&p).await) else {
        return;
    };
    // `connect` returns once each node's subscription is live.
    let mut rx_a = a.subscribe();
    let mut rx_b = b.subscribe();
    a.publish("user:42").await.unwrap();
    for rx in [&mut rx_a, &mut rx_b] {
        let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("event not delivered")
            .unwrap();
        assert_eq!(got, "user:42");
    }
}

#[tokio::test]
async fn live_events_have_their_own_channel_on_every_node() {
    let p = prefix();
    let (Some(a), Some(b)) = (node(&p).await, node(&p).await) else {
        return;
    };
    let mut invalidations = b.subscribe();
    let mut live = b.subscribe_live();
    // A burst far past the invalidation channel's capacity...
    for i in 0..3_000 {
        a.publish(&format!("live:t:{i}")).await.unwrap();
    }
    a.publish("user:42").await.unwrap();
    // ...reaches the live subscribers, and the invalidation listener
    // hears only its own event, without lagging.
    async fn next(rx: &mut tokio::sync::broadcast::Receiver<String>) -> String {
        loop {
            let got = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("event not delivered")
                .expect("no lag");
            if got != hermes_cache::RESYNC {
                return got;
            }
        }
    }
    assert_eq!(next(&mut invalidations).await, "user:42");
    for i in 0..3_000 {
        assert_eq!(next(&mut live).await, format!("live:t:{i}"));
    }
}
