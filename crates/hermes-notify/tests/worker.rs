//! The outbox worker against a real store (SQLite) and Prism: a valid SMS
//! is sent; a request Twilio's spec refuses is dead after one attempt (no
//! point retrying it); a job for a channel that is not configured is dead
//! too, for an admin to retry once it is.

use std::sync::Arc;
use std::time::Duration;

use hermes_core::{DisplayName, Email, Role, TenantName, TenantSlug, TimeZone};
use hermes_notify::{Senders, TwilioConfig, TwilioSms, Worker, WorkerConfig};
use hermes_store::*;
use hermes_testkit::TestDb;
use hermes_testkit::notify::TwilioMock;

fn sms(key: &str, to: &str) -> NewOutboxJob {
    NewOutboxJob {
        kind: OutboxKind::Sms,
        dedupe_key: key.into(),
        payload: serde_json::json!({"to": to, "body": "URGENT intake (urgent)"}),
    }
}

#[tokio::test]
async fn the_worker_sends_and_buries_what_cannot_succeed() {
    let Some(mock) = TwilioMock::start().await else {
        return;
    };
    let db = TestDb::sqlite();
    let store = hermes_store::connect(&ConnectOptions::new(db.url()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let (tenant, _) = store
        .create_tenant(
            &NewTenant {
                slug: TenantSlug::parse("firm-a").unwrap(),
                name: TenantName::parse("Firm A").unwrap(),
                time_zone: TimeZone::parse("America/Chicago").unwrap(),
                plan: hermes_core::Plan::Professional,
            },
            &NewUser {
                email: Email::parse("admin@example.com").unwrap(),
                display_name: DisplayName::parse("Admin").unwrap(),
                role: Role::Admin,
                password_hash: "x".into(),
            },
        )
        .await
        .unwrap();
    let scoped = store.scoped(tenant.id);
    let jobs = scoped
        .enqueue_outbox(
            &[
                sms("good", "+15035550111"),
                NewOutboxJob {
                    kind: OutboxKind::Email,
                    dedupe_key: "no-smtp".into(),
                    payload: serde_json::json!({"to": "a@example.com", "subject": "s", "body": "b"}),
                },
            ],
            AuditEvent::new(Actor::System, "intake.escalate"),
        )
        .await
        .unwrap();

    let twilio = |sid: &str| {
        TwilioSms::new(TwilioConfig {
            account_sid: sid.into(),
            auth_token: "token".into(),
            from: "+15035550100".into(),
            base_url: mock.base_url.clone(),
        })
        .unwrap()
    };
    let worker = |sid: &str| {
        Worker::new(
            store.clone(),
            Senders {
                sms: Some(twilio(sid)),
                email: None,
                clio: None,
            },
            WorkerConfig::default(),
            Arc::new(tokio::sync::Notify::new()),
        )
    };
    assert_eq!(
        worker("AC0123456789abcdef0123456789abcdef")
            .run_once()
            .await,
        1
    );
    let good = scoped.outbox_job(jobs[0].id).await.unwrap().unwrap();
    assert_eq!(good.status, OutboxStatus::Sent);
    let no_smtp = scoped.outbox_job(jobs[1].id).await.unwrap().unwrap();
    assert_eq!(no_smtp.status, OutboxStatus::Dead);
    assert_eq!(no_smtp.attempts, 1);
    assert!(
        no_smtp
            .last_error
            .as_deref()
            .unwrap()
            .contains("not configured"),
        "{no_smtp:?}"
    );

    // Refused by the spec (422): dead at once, not retried for an hour.
    let refused = scoped
        .enqueue_outbox(
            &[sms("refused", "+15035550112")],
            AuditEvent::new(Actor::System, "intake.escalate"),
        )
        .await
        .unwrap()
        .remove(0);
    assert_eq!(worker("AC-not-a-valid-sid").run_once().await, 0);
    let refused = scoped.outbox_job(refused.id).await.unwrap().unwrap();
    assert_eq!(refused.status, OutboxStatus::Dead, "{refused:?}");
    assert_eq!(refused.attempts, 1);
    assert!(refused.last_error.as_deref().unwrap().contains("422"));

    // A running worker wakes when told, without waiting for its poll.
    let wake = Arc::new(tokio::sync::Notify::new());
    let handle = Worker::new(
        store.clone(),
        Senders {
            sms: Some(twilio("AC0123456789abcdef0123456789abcdef")),
            email: None,
            clio: None,
        },
        WorkerConfig {
            poll: Duration::from_secs(3600),
            ..WorkerConfig::default()
        },
        wake.clone(),
    )
    .spawn();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let late = scoped
        .enqueue_outbox(
            &[sms("late", "+15035550113")],
            AuditEvent::new(Actor::System, "intake.escalate"),
        )
        .await
        .unwrap()
        .remove(0);
    wake.notify_one();
    let mut status = OutboxStatus::Pending;
    for _ in 0..100 {
        status = scoped.outbox_job(late.id).await.unwrap().unwrap().status;
        if status == OutboxStatus::Sent {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, OutboxStatus::Sent);
    handle.stop(Duration::from_secs(5)).await;
}
