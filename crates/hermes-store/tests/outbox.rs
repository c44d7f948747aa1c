//! The notification outbox on both backends: idempotent enqueue, exclusive
//! leases, lease expiry, backoff, dead letters and retry, tenant isolation.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use hermes_core::{DisplayName, Email, Role, TenantName, TenantSlug, TimeZone};
use hermes_store::model::now;
use hermes_store::*;
use hermes_testkit::TestDb;

struct Ctx {
    _db: TestDb,
    store: Arc<dyn Store>,
}

async fn open(db: TestDb) -> Ctx {
    let store = hermes_store::connect(&ConnectOptions::new(db.url()))
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    Ctx { _db: db, store }
}

async fn tenant(ctx: &Ctx, slug: &str) -> Box<dyn TenantStore> {
    let (t, _) = ctx
        .store
        .create_tenant(
            &NewTenant {
                slug: TenantSlug::parse(slug).unwrap(),
                name: TenantName::parse(&format!("{slug} LLP")).unwrap(),
                time_zone: TimeZone::parse("America/Chicago").unwrap(),
                plan: hermes_core::Plan::Professional,
            },
            &NewUser {
                email: Email::parse("admin@example.com").unwrap(),
                display_name: DisplayName::parse("Test Person").unwrap(),
                role: Role::Admin,
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            },
        )
        .await
        .unwrap();
    ctx.store.scoped(t.id)
}

fn job(key: &str) -> NewOutboxJob {
    NewOutboxJob {
        kind: OutboxKind::Sms,
        dedupe_key: key.into(),
        payload: serde_json::json!({"to": "+15555550100", "body": "URGENT"}),
    }
}

fn ev() -> AuditEvent {
    AuditEvent::new(Actor::System, "intake.escalate")
}

const LEASE: StdDuration = StdDuration::from_secs(60);

// ---------------------------------------------------------------------------

async fn enqueue_is_idempotent_and_audited(ctx: Ctx) {
    let s = tenant(&ctx, "firm-a").await;
    let first = s
        .enqueue_outbox(&[job("k1"), job("k2")], ev())
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert!(
        first
            .iter()
            .all(|j| j.status == OutboxStatus::Pending && j.attempts == 0)
    );
    let again = s.enqueue_outbox(&[job("k1")], ev()).await.unwrap();
    assert_eq!(
        again[0].id, first[0].id,
        "the same dedupe key is the same job"
    );

    let all = s
        .list_outbox(&OutboxFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    // Newest first.
    assert_eq!(all[0].id, first[1].id);
    assert_eq!(all[0].payload["to"], "+15555550100");

    // Paging and the status filter.
    let page = s
        .list_outbox(&OutboxFilter {
            before: Some(all[0].id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].id, first[0].id);
    let sent = s
        .list_outbox(&OutboxFilter {
            status: Some(OutboxStatus::Sent),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(sent.is_empty());

    let log = s
        .list_audit(&AuditFilter {
            action: Some("intake.escalate".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 2, "each enqueue is audited");
}

async fn concurrent_workers_never_lease_the_same_job(ctx: Ctx) {
    let s: Arc<dyn TenantStore> = Arc::from(tenant(&ctx, "firm-a").await);
    let jobs: Vec<_> = (0..40).map(|i| job(&format!("k{i}"))).collect();
    s.enqueue_outbox(&jobs, ev()).await.unwrap();
    let at = now() + Duration::seconds(1);

    let mut tasks = Vec::new();
    for w in 0..4 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let worker = format!("w{w}");
            let mut got = Vec::new();
            loop {
                let batch = s.lease_outbox(&worker, at, LEASE, 3).await.unwrap();
                if batch.is_empty() {
                    break;
                }
                for j in batch {
                    assert_eq!(j.leased_by.as_deref(), Some(worker.as_str()));
                    got.push(j.id);
                }
            }
            got
        }));
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for t in tasks {
        for id in t.await.unwrap() {
            total += 1;
            assert!(seen.insert(id), "job {id} leased twice");
        }
    }
    assert_eq!(total, 40);
    assert_eq!(seen.len(), 40);
}

async fn an_expired_lease_is_leased_again(ctx: Ctx) {
    let s = tenant(&ctx, "firm-a").await;
    s.enqueue_outbox(&[job("k1")], ev()).await.unwrap();
    let t0 = now() + Duration::seconds(1);
    let a = s.lease_outbox("node-a", t0, LEASE, 10).await.unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].attempts, 1);
    assert_eq!(a[0].status, OutboxStatus::Leased);
    // Within the lease nobody else gets it.
    let none = s
        .lease_outbox("node-b", t0 + Duration::seconds(59), LEASE, 10)
        .await
        .unwrap();
    assert!(none.is_empty());
    // node-a died; after the lease, node-b takes the job.
    let t1 = t0 + Duration::seconds(61);
    let b = s.lease_outbox("node-b", t1, LEASE, 10).await.unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].id, a[0].id);
    assert_eq!(b[0].attempts, 2);
    assert_eq!(b[0].leased_by.as_deref(), Some("node-b"));
    // node-a's late word no longer counts; node-b's does.
    assert!(!s.mark_outbox_sent(a[0].id, "node-a", t1).await.unwrap());
    let policy = RetryPolicy::default();
    let late = s
        .mark_outbox_failed(a[0].id, "node-a", "timeout", false, &policy, t1)
        .await
        .unwrap();
    assert_eq!(late, None);
    assert!(s.mark_outbox_sent(a[0].id, "node-b", t1).await.unwrap());
    let done = s.outbox_job(a[0].id).await.unwrap().unwrap();
    assert_eq!(done.status, OutboxStatus::Sent);
    assert_eq!(done.sent_at, Some(t1));
    // A sent job is never leased again.
    let later = s
        .lease_outbox("node-c", t1 + Duration::days(1), LEASE, 10)
        .await
        .unwrap();
    assert!(later.is_empty());
}

async fn failures_back_off_exponentially(ctx: Ctx) {
    let s = tenant(&ctx, "firm-a").await;
    let policy = RetryPolicy {
        base: StdDuration::from_secs(10),
        cap: StdDuration::from_secs(60),
        max_attempts: 8,
    };
    let id = s.enqueue_outbox(&[job("k1")], ev()).await.unwrap()[0].id;
    let mut at = now() + Duration::seconds(1);
    // Delays before jitter: 10, 20, 40, 60 (capped), 60 s; each drawn from
    // the upper half.
    for (attempt, full) in [(1u32, 10i64), (2, 20), (3, 40), (4, 60), (5, 60)] {
        let leased = s.lease_outbox("w", at, LEASE, 10).await.unwrap();
        assert_eq!(leased.len(), 1, "attempt {attempt}");
        assert_eq!(leased[0].attempts, attempt);
        let status = s
            .mark_outbox_failed(id, "w", "503 from provider", false, &policy, at)
            .await
            .unwrap();
        assert_eq!(status, Some(OutboxStatus::Pending));
        let j = s.outbox_job(id).await.unwrap().unwrap();
        assert_eq!(j.last_error.as_deref(), Some("503 from provider"));
        let delay = j.next_attempt_at - at;
        assert!(
            delay >= Duration::milliseconds(full * 500) && delay <= Duration::seconds(full),
            "attempt {attempt}: delay {delay} outside [{}/2, {full}] s",
            full
        );
        // Not due a moment before its time.
        let early = s
            .lease_outbox(
                "w",
                j.next_attempt_at - Duration::milliseconds(1),
                LEASE,
                10,
            )
            .await
            .unwrap();
        assert!(
            early.is_empty(),
            "attempt {attempt}: leased before its time"
        );
        at = j.next_attempt_at;
    }
}

async fn dead_jobs_can_be_retried(ctx: Ctx) {
    let s = tenant(&ctx, "firm-a").await;
    let policy = RetryPolicy {
        base: StdDuration::from_millis(10),
        cap: StdDuration::from_millis(10),
        max_attempts: 2,
    };
    let id = s.enqueue_outbox(&[job("k1")], ev()).await.unwrap()[0].id;
    let mut at = now() + Duration::seconds(1);
    let mut last = None;
    for _ in 0..2 {
        assert_eq!(s.lease_outbox("w", at, LEASE, 10).await.unwrap().len(), 1);
        last = s
            .mark_outbox_failed(id, "w", "connection refused", false, &policy, at)
            .await
            .unwrap();
        at += Duration::seconds(1);
    }
    assert_eq!(last, Some(OutboxStatus::Dead));
    assert!(
        s.lease_outbox("w", at + Duration::days(1), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let dead = s
        .list_outbox(&OutboxFilter {
            status: Some(OutboxStatus::Dead),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);

    let retried = s
        .retry_outbox_job(id, AuditEvent::new(Actor::System, "notification.retry"))
        .await
        .unwrap();
    assert_eq!(retried.status, OutboxStatus::Pending);
    assert_eq!(retried.attempts, 0);
    assert_eq!(
        s.lease_outbox("w", now() + Duration::seconds(1), LEASE, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // Only a dead job can be retried.
    let again = s
        .retry_outbox_job(id, AuditEvent::new(Actor::System, "notification.retry"))
        .await;
    assert!(
        matches!(again, Err(StoreError::InvalidState(_))),
        "{again:?}"
    );

    // A permanent failure is dead at once.
    let id2 = s.enqueue_outbox(&[job("k2")], ev()).await.unwrap()[0].id;
    let at = now() + Duration::seconds(1);
    s.lease_outbox("w", at, LEASE, 10).await.unwrap();
    let status = s
        .mark_outbox_failed(id2, "w", "400: invalid number", true, &policy, at)
        .await
        .unwrap();
    assert_eq!(status, Some(OutboxStatus::Dead));

    let log = s
        .list_audit(&AuditFilter {
            action: Some("notification.retry".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].target_id.as_deref(), Some(id.to_string().as_str()));
}

async fn tenants_cannot_see_or_retry_each_others_jobs(ctx: Ctx) {
    let a = tenant(&ctx, "firm-a").await;
    let b = tenant(&ctx, "firm-b").await;
    let id = a.enqueue_outbox(&[job("k1")], ev()).await.unwrap()[0].id;
    // The same dedupe key in another firm is another job.
    let other = b.enqueue_outbox(&[job("k1")], ev()).await.unwrap()[0].id;
    assert_ne!(id, other);

    assert!(b.outbox_job(id).await.unwrap().is_none());
    let listed = b
        .list_outbox(&OutboxFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![other]);

    // Make A's job dead, then B tries to retry it.
    let policy = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    let at = now() + Duration::seconds(1);
    let leased = a.lease_outbox("w", at, LEASE, 10).await.unwrap();
    assert_eq!(leased.iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);
    a.mark_outbox_failed(id, "w", "down", false, &policy, at)
        .await
        .unwrap();
    let r = b
        .retry_outbox_job(id, AuditEvent::new(Actor::System, "notification.retry"))
        .await;
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    assert!(!b.mark_outbox_sent(id, "w", at).await.unwrap());
    assert_eq!(
        a.outbox_job(id).await.unwrap().unwrap().status,
        OutboxStatus::Dead
    );
    // B's worker leases only B's job.
    let bl = b.lease_outbox("w", at, LEASE, 10).await.unwrap();
    assert_eq!(bl.iter().map(|j| j.id).collect::<Vec<_>>(), vec![other]);
}

#[test]
fn the_retry_policy_doubles_up_to_its_cap() {
    let p = RetryPolicy::default();
    assert_eq!(
        p.bounds(1),
        (StdDuration::from_secs(15), StdDuration::from_secs(30))
    );
    assert_eq!(
        p.bounds(2),
        (StdDuration::from_secs(30), StdDuration::from_secs(60))
    );
    assert_eq!(p.bounds(7).1, StdDuration::from_secs(30 * 60));
    assert_eq!(p.bounds(100).1, StdDuration::from_secs(30 * 60));
    for n in 1..10 {
        let (lo, hi) = p.bounds(n);
        let d = p.delay(n);
        assert!(d >= lo && d <= hi);
    }
}

hermes_testkit::conformance!(
    enqueue_is_idempotent_and_audited,
    concurrent_workers_never_lease_the_same_job,
    an_expired_lease_is_leased_again,
    failures_back_off_exponentially,
    dead_jobs_can_be_retried,
    tenants_cannot_see_or_retry_each_others_jobs,
);
