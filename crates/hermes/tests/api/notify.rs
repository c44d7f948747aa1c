//! Escalation end to end: a caller's words make an intake urgent, the
//! on-call contact is notified through the outbox — the SMS accepted by a
//! validating mock of Twilio's API, the email received by a real SMTP
//! server — and the notifications API shows the outcome; a dead job comes
//! back through the retry route once the server is up.

use std::time::Duration;

use chrono::Utc;
use hermes_store::{Actor, AuditEvent, NewOutboxJob, OutboxKind, OutboxStatus, RetryPolicy};
use hermes_testkit::TestDb;
use hermes_testkit::notify::{SmtpServer, TwilioMock};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const ON_CALL_PHONE: &str = "+15035550111";
const ON_CALL_EMAIL: &str = "dana@alpha.example";

fn twilio_settings(base_url: &str) -> hermes_notify::TwilioConfig {
    hermes_notify::TwilioConfig {
        account_sid: "AC0123456789abcdef0123456789abcdef".into(),
        auth_token: "test-auth-token".into(),
        from: "+15035550100".into(),
        base_url: base_url.to_owned(),
    }
}

fn smtp_settings(port: u16) -> hermes_notify::SmtpConfig {
    hermes_notify::SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        tls: hermes_notify::SmtpTls::None,
        username: None,
        password: None,
        from: "HERMES <alerts@hermes.example>".into(),
    }
}

/// Sets the firm's escalation contacts: one always on call.
async fn on_call_contact(app: &TestApp, admin: &str) {
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/escalation",
            Some(admin),
            Some(json!({"contacts": [
                {"name": "Dana Whitfield", "phone": ON_CALL_PHONE, "email": ON_CALL_EMAIL},
            ]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

/// A caller who gives their name and number, then says something urgent.
/// Returns the intake id.
async fn urgent_conversation(app: &TestApp, admin: &str) -> String {
    let (token, _) = crate::intake::start(app, &app.alpha.slug).await;
    let mut replies = Vec::new();
    for line in crate::intake::DIVORCE_OPENING[..8]
        .iter()
        .copied()
        .chain(["my son was arrested last night and he's in jail"])
    {
        let (status, body) = crate::intake::say(app, &token, line).await;
        assert_eq!(status, StatusCode::OK, "{line}: {body}");
        replies.push(body["reply"].as_str().unwrap_or_default().to_owned());
    }
    assert!(
        replies.iter().any(|r| r.contains("urgent")),
        "the agent flagged it: {replies:#?}"
    );
    let intakes = app.get_json("/api/v1/intakes", admin).await;
    intakes["intakes"][0]["id"].as_str().unwrap().to_owned()
}

/// Polls the notifications list until `done` holds (or 30 s pass).
async fn notifications_until(
    app: &TestApp,
    bearer: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let list = app.get_json("/api/v1/notifications", bearer).await;
        let items = list["notifications"].as_array().unwrap().clone();
        if done(&items) || tokio::time::Instant::now() > deadline {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_urgent_intake_pages_the_on_call_contact_by_sms_and_email() {
    pages_the_on_call_contact(TestDb::sqlite()).await;
}

#[tokio::test]
async fn an_urgent_intake_pages_the_on_call_contact_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        pages_the_on_call_contact(db).await;
    }
}

async fn pages_the_on_call_contact(db: TestDb) {
    let Some(twilio) = TwilioMock::start().await else {
        return;
    };
    let Some(smtp) = SmtpServer::start().await else {
        return;
    };
    let app = spawn_with(db, |s| {
        s.notify.twilio = Some(twilio_settings(&twilio.base_url));
        s.notify.smtp = Some(smtp_settings(smtp.port));
    })
    .await;
    let cal = crate::scheduling::calendar(&app, &app.alpha).await;
    let admin = &cal.admin.access;
    on_call_contact(&app, admin).await;

    let intake = urgent_conversation(&app, admin).await;

    // Both sent: Prism accepted the SMS request (a request breaking
    // Twilio's spec would have been refused and the job not marked sent),
    // and the SMTP server took the email.
    let items = notifications_until(&app, admin, |n| {
        n.len() == 2 && n.iter().all(|j| j["status"] == "sent")
    })
    .await;
    assert_eq!(items.len(), 2, "{items:#?}");
    for j in &items {
        assert_eq!(j["status"], "sent", "{j}");
        assert_eq!(j["attempts"], 1, "{j}");
        assert!(j["sent_at"].is_string());
    }
    let sms = items.iter().find(|j| j["kind"] == "sms").expect("an SMS");
    assert_eq!(sms["to"], ON_CALL_PHONE);
    let email = items
        .iter()
        .find(|j| j["kind"] == "email")
        .expect("an email");
    assert_eq!(email["to"], ON_CALL_EMAIL);

    let mail = smtp.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mail.len(), 1);
    let m = &mail[0];
    assert!(m.contains(&format!("To: {ON_CALL_EMAIL}")), "{m}");
    assert!(m.contains("Subject: URGENT intake (urgent)"), "{m}");
    assert!(
        m.contains("caller Maria Lopez, callback +15035550100"),
        "{m}"
    );
    assert!(m.contains(&format!("intake {intake}")), "{m}");
    assert!(m.contains("in custody"), "{m}");
    // Firm-internal and minimal: nothing of the caller's story.
    assert!(!m.contains("arrested") && !m.contains("jail"), "{m}");

    // The escalation is audited, without the caller.
    let log = app
        .get_json("/api/v1/audit?action=intake.escalate", admin)
        .await;
    let entries = log["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{log}");
    let entry = entries[0].to_string();
    assert!(entry.contains(&intake), "{entry}");
    assert!(
        !entry.contains("Maria") && !entry.contains("5550100"),
        "{entry}"
    );

    // The list filters by status; a READ_ONLY user may not read it.
    let dead = app
        .get_json("/api/v1/notifications?status=dead", admin)
        .await;
    assert_eq!(dead["notifications"].as_array().unwrap().len(), 0);
    let (_, reader) = app.user_with_role(&app.alpha, "READ_ONLY").await;
    let resp = app.get("/api/v1/notifications", &reader.access).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = app.get("/api/v1/notifications?status=lost", admin).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn email_retries_while_smtp_is_down_then_a_dead_job_is_retried_by_an_admin() {
    let Some(mut smtp) = SmtpServer::reserve() else {
        return;
    };
    let port = smtp.port;
    // SMS is not configured: only email is enqueued.
    let app = spawn_with(TestDb::sqlite(), |s| {
        s.notify.smtp = Some(smtp_settings(port));
        s.notify.poll_ms = 100;
        s.notify.retry_base_ms = 100;
        s.notify.retry_cap_secs = 1;
        s.notify.max_attempts = 3;
    })
    .await;
    let cal = crate::scheduling::calendar(&app, &app.alpha).await;
    let admin = &cal.admin.access;
    on_call_contact(&app, admin).await;
    urgent_conversation(&app, admin).await;

    // Three attempts against a server that is down, backing off, then dead.
    let items =
        notifications_until(&app, admin, |n| n.len() == 1 && n[0]["status"] == "dead").await;
    assert_eq!(items.len(), 1, "{items:#?}");
    let job = &items[0];
    assert_eq!(job["kind"], "email");
    assert_eq!(job["status"], "dead", "{job}");
    assert_eq!(job["attempts"], 3, "{job}");
    assert!(
        job["last_error"].as_str().unwrap().starts_with("smtp"),
        "{job}"
    );
    let id = job["id"].as_str().unwrap().to_owned();

    // Staff may not retry; the admin can, once the server is back.
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    let retry = format!("/api/v1/notifications/{id}/retry");
    let resp = app
        .send(Method::POST, &retry, Some(&staff.access), None)
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    smtp.up().await;
    let resp = app.send(Method::POST, &retry, Some(admin), None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["attempts"], 0, "{body}");

    let items = notifications_until(&app, admin, |n| n[0]["status"] == "sent").await;
    assert_eq!(items[0]["status"], "sent", "{items:#?}");
    let mail = smtp.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].contains(&format!("To: {ON_CALL_EMAIL}")));

    // A sent job cannot be retried.
    let resp = app.send(Method::POST, &retry, Some(admin), None).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    // The retry is audited.
    let log = app
        .get_json("/api/v1/audit?action=notification.retry", admin)
        .await;
    assert_eq!(log["entries"].as_array().unwrap().len(), 1, "{log}");
}

#[tokio::test]
async fn an_escalation_is_recorded_even_with_no_channel_configured() {
    let app = spawn_app().await;
    let cal = crate::scheduling::calendar(&app, &app.alpha).await;
    let admin = &cal.admin.access;
    on_call_contact(&app, admin).await;
    let intake = urgent_conversation(&app, admin).await;
    let list = app.get_json("/api/v1/notifications", admin).await;
    assert_eq!(list["notifications"].as_array().unwrap().len(), 0);
    let log = app
        .get_json("/api/v1/audit?action=intake.escalate", admin)
        .await;
    assert_eq!(log["entries"].as_array().unwrap().len(), 1, "{log}");
    assert!(log["entries"][0].to_string().contains(&intake));
}

/// A dead notification of `firm` (for the tenancy tests): enqueued and
/// failed for good through the store, as the worker would.
pub async fn dead_notification(app: &TestApp, firm: &Firm) -> String {
    let tenant: hermes_core::TenantId = firm.id.parse().unwrap();
    let store = app.state.store.scoped(tenant);
    let job = store
        .enqueue_outbox(
            &[NewOutboxJob {
                kind: OutboxKind::Email,
                dedupe_key: "tenancy-test".into(),
                payload: json!({"to": "x@example.com", "subject": "s", "body": "b"}),
            }],
            AuditEvent::new(Actor::System, "intake.escalate"),
        )
        .await
        .unwrap()
        .remove(0);
    // The application's own worker may take it first (no channel is
    // configured, so it dies either way).
    for _ in 0..100 {
        let leased = store
            .lease_outbox(
                "test",
                Utc::now() + chrono::Duration::seconds(1),
                Duration::from_secs(60),
                10,
            )
            .await
            .unwrap();
        for j in leased {
            store
                .mark_outbox_failed(
                    j.id,
                    "test",
                    "down",
                    true,
                    &RetryPolicy::default(),
                    Utc::now(),
                )
                .await
                .unwrap();
        }
        if store.outbox_job(job.id).await.unwrap().unwrap().status == OutboxStatus::Dead {
            return job.id.to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the notification did not die");
}

#[tokio::test]
async fn a_booked_caller_gets_a_confirmation_by_text_and_email() {
    let Some(twilio) = TwilioMock::start().await else {
        return;
    };
    let Some(smtp) = SmtpServer::start().await else {
        return;
    };
    let app = spawn_with(TestDb::sqlite(), |s| {
        s.notify.twilio = Some(twilio_settings(&twilio.base_url));
        s.notify.smtp = Some(smtp_settings(smtp.port));
    })
    .await;
    let cal = crate::scheduling::calendar(&app, &app.alpha).await;
    let admin = &cal.admin.access;
    // Open around the clock, so the test books whatever the hour.
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/hours",
            Some(admin),
            Some(json!({"weekly": crate::firm_settings::all_week("00:00", "23:30"), "after_hours": "book"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (token, _) = crate::intake::start(&app, &app.alpha.slug).await;
    let mut said = Vec::new();
    let opening = [
        "yes",
        "my name is Maria Lopez",
        "L-O-P-E-Z",
        "five oh three five five five zero one two three",
        "yes",
        "maria dot lopez at gmail dot com",
        "yes",
        "for myself",
        "I want to file for divorce",
        "yes",
    ];
    assert!(crate::intake::book_a_divorce_consultation(&app, &token, &opening, &mut said).await);
    assert!(
        said.iter()
            .any(|s| s.contains("confirmation by text message and email")),
        "{said:#?}"
    );
    let items = notifications_until(&app, admin, |n| {
        n.len() == 2 && n.iter().all(|j| j["status"] == "sent")
    })
    .await;
    assert_eq!(items.len(), 2, "{items:#?}");
    let sms = items.iter().find(|j| j["kind"] == "sms").expect("an SMS");
    assert_eq!(sms["to"], "+15035550123", "to the caller");
    assert_eq!(sms["status"], "sent", "Prism accepted it");
    let mail = smtp.wait_for(1, Duration::from_secs(10)).await;
    let m = &mail[0];
    assert!(m.contains("To: maria.lopez@gmail.com"), "{m}");
    assert!(m.contains("Subject: Your consultation with"), "{m}");
    assert!(m.contains("your consultation is booked for"), "{m}");
    // Nothing of the matter on a lock screen or in an inbox.
    assert!(!m.to_lowercase().contains("divorce"), "{m}");
}
