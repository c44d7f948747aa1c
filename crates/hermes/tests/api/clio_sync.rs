//! A finished intake goes to the firm's Clio: contact, matter (with the
//! other side related), calendar entry on the attorney's Clio calendar,
//! note, communication and, when urgent, a task — against a stateful fake
//! Clio that fails on purpose, so that "nothing is created twice, nothing
//! is lost" is tested rather than hoped for.

use std::time::Duration;

use hermes_testkit::clio::{FakeClio, Fault};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::clio::{authorize, come_back};
use crate::helpers::*;
use crate::intake::{book_a_divorce_consultation, start};
use crate::scheduling::calendar;

/// The firm's Clio as the fake starts it: the attorney as a Clio user
/// with a calendar, and the firm's practice areas.
fn seed(fake: &FakeClio) {
    fake.seed(
        "users.json",
        json!({"name": "Maria Lopez", "email": "MARIA@alpha.example", "default_calendar_id": 55, "enabled": true}),
    );
    fake.seed(
        "users.json",
        json!({"name": "Sam Other", "email": "sam@alpha.example", "default_calendar_id": 56, "enabled": true}),
    );
    fake.seed("practice_areas.json", json!({"name": "Family Law"}));
    fake.seed("practice_areas.json", json!({"name": "Personal Injury"}));
}

/// An app whose firm has connected the fake Clio, with an outbox that
/// retries quickly and a Clio client that gives up after a second.
async fn connected(fake: &FakeClio) -> TestApp {
    connected_with(fake, |_| {}).await
}

/// [`connected`], with more settings.
async fn connected_with(
    fake: &FakeClio,
    tweak: impl FnOnce(&mut hermes::config::Settings) + Send + 'static,
) -> TestApp {
    let base = fake.base_url.clone();
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), move |s| {
        s.clio.client_id = Some("hermes-app".into());
        s.clio.client_secret = serde_json::from_value(json!("app-secret")).unwrap();
        s.clio.redirect_url = Some(crate::clio::REDIRECT.into());
        s.clio.host = Some(base);
        s.clio.timeout_ms = Some(1000);
        s.notify.poll_ms = 100;
        s.notify.retry_base_ms = 200;
        s.notify.retry_cap_secs = 1;
        s.notify.max_attempts = 6;
        tweak(s);
    })
    .await;
    let admin = app.admin(&app.alpha).await;
    let state = authorize(&app, &admin.access, "us").await;
    let resp = come_back(&app, &format!("code=good-code&state={state}")).await;
    assert!(
        resp.status().is_success() || resp.status().is_redirection(),
        "{}",
        resp.status()
    );
    app
}

/// A divorce intake by text (the other side is Carlos Lopez), the
/// caller giving an email or not; returns its id and whether the
/// conversation ended.
async fn divorce_intake(app: &TestApp, email: &str) -> (String, bool) {
    let cal = calendar(app, &app.alpha).await;
    crate::voice::open_all_week(app, &cal.admin.access).await;
    let (token, opening) = start(app, &app.alpha.slug).await;
    let mut said = vec![opening];
    let script = [
        "yes",
        "my name is Maria Lopez",
        "L-O-P-E-Z",
        "five oh three five five five zero one four two",
        "yes",
        email,
        "yes",
        "for myself",
        "I want to file for divorce",
        "yes",
    ];
    let done = book_a_divorce_consultation(app, &token, &script, &mut said).await;
    let list = app.get_json("/api/v1/intakes", &cal.admin.access).await;
    (list["intakes"][0]["id"].as_str().unwrap().to_owned(), done)
}

/// [`divorce_intake`] with an email, ended booked.
async fn booked_intake(app: &TestApp) -> String {
    let (id, done) = divorce_intake(app, "maria dot lopez at gmail dot com").await;
    assert!(done, "the conversation did not end");
    id
}

/// Calls `probe` until `done` holds of its answer (20 s at most: Clio work
/// runs in the background) and returns the last answer, for the test to
/// assert on.
async fn polled<T, F: std::future::Future<Output = T>>(
    mut probe: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) -> T {
    let mut last = probe().await;
    for _ in 0..200 {
        if done(&last) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        last = probe().await;
    }
    last
}

/// The intake's Clio sync as staff see it, once it has settled (synced or
/// dead), within `wait`.
async fn settled_sync(app: &TestApp, id: &str, wait: Duration) -> Value {
    let admin = app.admin(&app.alpha).await;
    let until = std::time::Instant::now() + wait;
    loop {
        let i = app
            .get_json(&format!("/api/v1/intakes/{id}"), &admin.access)
            .await;
        let status = i["clio_sync"]["status"].as_str().unwrap_or_default();
        if matches!(status, "synced" | "dead") || std::time::Instant::now() > until {
            return i["clio_sync"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn named<'a>(records: &'a [Value], name: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| r["name"] == json!(name))
        .collect()
}

#[tokio::test]
async fn a_booked_intake_lands_in_clio_with_every_record_once() {
    let fake = FakeClio::start().await.unwrap();
    seed(&fake);
    // Lists come a record a page, so every lookup pages.
    fake.world.lock().unwrap().page_size = 1;
    let app = connected(&fake).await;
    let id = booked_intake(&app).await;
    let sync = settled_sync(&app, &id, Duration::from_secs(30)).await;
    assert_eq!(sync["status"], "synced", "{sync:#}");
    let steps: Vec<(&str, &str)> = sync["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["step"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("contact", "done"),
            ("matter", "done"),
            ("calendar_entry", "done"),
            ("note", "done"),
            ("communication", "done"),
            ("task", "skipped"),
        ],
        "{sync:#}"
    );

    let contacts = fake.records("contacts.json");
    let client = named(&contacts, "Maria Lopez");
    assert_eq!(client.len(), 1, "{contacts:#?}");
    assert_eq!(client[0]["primary_phone_number"], "+15035550142");
    assert_eq!(client[0]["primary_email_address"], "maria.lopez@gmail.com");
    let other = named(&contacts, "Carlos Lopez");
    assert_eq!(other.len(), 1, "{contacts:#?}");

    let matters = fake.records("matters.json");
    assert_eq!(matters.len(), 1, "{matters:#?}");
    let m = &matters[0];
    assert_eq!(m["status"], "pending");
    assert_eq!(m["client"]["id"], client[0]["id"]);
    assert_eq!(m["client_reference"], format!("HERMES {id}"));
    assert_eq!(m["relationships"][0]["contact"]["id"], other[0]["id"]);
    assert_eq!(m["relationships"][0]["description"], "Opposing party");
    // The attorney, found by email whatever its case; the firm's area.
    assert_eq!(
        m["responsible_attorney"]["id"],
        fake.records("users.json")[0]["id"]
    );
    assert_eq!(
        m["practice_area"]["id"],
        fake.records("practice_areas.json")[0]["id"]
    );

    let entries = fake.records("calendar_entries.json");
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let e = &entries[0];
    assert_eq!(e["calendar_owner"]["id"], 55);
    assert_eq!(e["matter"]["id"], m["id"]);
    let booking = &app
        .get_json(
            &format!("/api/v1/intakes/{id}"),
            &app.admin(&app.alpha).await.access,
        )
        .await["record"]["booking"];
    let b = app
        .get_json(
            &format!("/api/v1/bookings/{}", booking["id"].as_str().unwrap()),
            &app.admin(&app.alpha).await.access,
        )
        .await;
    let instant = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(instant(&e["start_at"]), instant(&b["start"]), "{b:#}");

    let notes = fake.records("notes.json");
    assert_eq!(notes.len(), 1, "{notes:#?}");
    // The summary, not the conversation: notes are seen by everyone.
    let detail = notes[0]["detail"].as_str().unwrap();
    assert!(!detail.contains("maria dot lopez"), "{detail}");
    assert_eq!(notes[0]["matter"]["id"], m["id"]);

    let comms = fake.records("communications.json");
    assert_eq!(comms.len(), 1, "{comms:#?}");
    assert_eq!(comms[0]["type"], "PhoneCommunication");
    assert!(fake.records("tasks.json").is_empty());
    // Paging was followed: a lookup asked for a second page.
    assert!(
        fake.requests().iter().any(|r| r.contains("page_token=")),
        "{:#?}",
        fake.requests()
    );

    // A crash after Clio carried out every request and before HERMES
    // recorded any: each step runs again, finds its record, creates
    // nothing. And the intake is urgent now: the callback task is the one
    // new record, assigned to the attorney.
    let tenant: hermes_core::TenantId = app.alpha.id.parse().unwrap();
    let uuid: uuid::Uuid = id.parse().unwrap();
    let store = app.state.store.scoped(tenant);
    for step in hermes_store::CLIO_SYNC_STEPS {
        store
            .put_clio_sync_step(uuid, step, "failed", None, Some("crashed"))
            .await
            .unwrap();
    }
    let row = store.intake(uuid).await.unwrap().unwrap();
    let mut doc = row.document.clone();
    doc["urgency"] = json!("urgent");
    store
        .correct_intake(
            uuid,
            &hermes_store::IntakeUpdate {
                status: row.status.clone(),
                urgency: "urgent".into(),
                practice_area: row.practice_area.clone(),
                caller_name: row.caller_name.clone(),
                document: doc,
                conversation: None,
                jobs: Vec::new(),
            },
            hermes_store::AuditEvent::new(hermes_store::Actor::System, "test.urgent"),
        )
        .await
        .unwrap();
    hermes_api::clio_sync::sync_intake(
        &app.state,
        tenant,
        uuid,
        std::time::Instant::now() + Duration::from_secs(60),
    )
    .await
    .unwrap();
    for (resource, n) in [
        ("matters.json", 1),
        ("calendar_entries.json", 1),
        ("notes.json", 1),
        ("communications.json", 1),
        ("tasks.json", 1),
    ] {
        assert_eq!(
            fake.records(resource).len(),
            n,
            "{resource}: {:#?} {:#?}",
            fake.records(resource),
            fake.requests()
        );
    }
    let contacts = fake.records("contacts.json");
    assert_eq!(named(&contacts, "Maria Lopez").len(), 1);
    assert_eq!(named(&contacts, "Carlos Lopez").len(), 1);
    let task = &fake.records("tasks.json")[0];
    assert_eq!(task["priority"], "High");
    assert_eq!(task["matter"]["id"], m["id"]);
    assert_eq!(task["assignee"]["id"], fake.records("users.json")[0]["id"]);
    assert!(
        task["description"]
            .as_str()
            .unwrap()
            .contains("+15035550142"),
        "{task:#}"
    );
}

#[tokio::test]
async fn failures_on_the_way_create_nothing_twice_and_lose_nothing() {
    let fake = FakeClio::start().await.unwrap();
    seed(&fake);
    // A 5xx on a lookup (retried by the client), a matter whose answer
    // never comes although Clio made it (the job fails and is retried),
    // a 500 on the calendar entry, a 429 on the note, an expired token.
    fake.fail("GET /api/v4/contacts", Fault::Status(503));
    fake.fail(
        "POST /api/v4/matters",
        Fault::AnswerLate {
            delay: Duration::from_secs(3),
        },
    );
    fake.fail("POST /api/v4/calendar_entries", Fault::Status(500));
    fake.fail("POST /api/v4/notes", Fault::RateLimited { secs: 1 });
    fake.world.lock().unwrap().expires_in = 1;
    let app = connected(&fake).await;
    let id = booked_intake(&app).await;
    let sync = settled_sync(&app, &id, Duration::from_secs(40)).await;
    assert_eq!(sync["status"], "synced", "{sync:#}");
    assert!(sync["attempts"].as_u64().unwrap() >= 3, "{sync:#}");
    for (resource, n) in [
        ("matters.json", 1),
        ("calendar_entries.json", 1),
        ("notes.json", 1),
        ("communications.json", 1),
    ] {
        assert_eq!(
            fake.records(resource).len(),
            n,
            "{resource}: {:#?}",
            fake.records(resource)
        );
    }
    assert_eq!(
        named(&fake.records("contacts.json"), "Maria Lopez").len(),
        1
    );
    assert!(fake.world.lock().unwrap().faults.is_empty());
}

#[tokio::test]
async fn a_refused_refresh_leaves_the_sync_dead_until_the_firm_reconnects_and_retries() {
    let fake = FakeClio::start().await.unwrap();
    seed(&fake);
    fake.world.lock().unwrap().expires_in = 1;
    let app = connected(&fake).await;
    // The firm revoked HERMES at Clio: the refresh is refused.
    fake.revoke_all();
    let id = booked_intake(&app).await;
    let sync = settled_sync(&app, &id, Duration::from_secs(30)).await;
    assert_eq!(sync["status"], "dead", "{sync:#}");
    assert!(
        sync["last_error"].as_str().unwrap().contains("reconnect"),
        "{sync:#}"
    );
    assert!(fake.records("matters.json").is_empty());
    let admin = app.admin(&app.alpha).await;
    let status = app
        .get_json("/api/v1/integrations/clio", &admin.access)
        .await;
    assert_eq!(status["status"], "needs_reconnect", "{status:#}");

    // Reconnect, retry from the intake: synced, once.
    let state = authorize(&app, &admin.access, "us").await;
    come_back(&app, &format!("code=good-code&state={state}")).await;
    let resp = app
        .send(
            Method::POST,
            &format!("/api/v1/intakes/{id}/clio-sync/retry"),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let sync = settled_sync(&app, &id, Duration::from_secs(30)).await;
    assert_eq!(sync["status"], "synced", "{sync:#}");
    assert_eq!(fake.records("matters.json").len(), 1);

    // Only an admin may retry.
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    let resp = app
        .send(
            Method::POST,
            &format!("/api/v1/intakes/{id}/clio-sync/retry"),
            Some(&staff.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

/// Waits until the firm's Clio parties have been synced (the connection
/// says when).
async fn parties_synced(app: &TestApp) -> Value {
    let admin = app.admin(&app.alpha).await;
    let status = polled(
        || app.get_json("/api/v1/integrations/clio", &admin.access),
        |s| !s["parties_synced_at"].is_null(),
    )
    .await;
    if !status["parties_synced_at"].is_null() {
        return status;
    }
    let jobs = app.get_json("/api/v1/notifications", &admin.access).await;
    panic!("the Clio parties were never synced: {jobs:#}");
}

#[tokio::test]
async fn a_current_client_in_clio_on_the_other_side_fails_the_next_intakes_conflict_check() {
    let fake = FakeClio::start().await.unwrap();
    seed(&fake);
    // The firm's client in Clio, on an open matter; a former client; and
    // an opposing party of another matter. A page holds one record, so
    // the full sync follows the cursor.
    let carlos = fake.seed(
        "contacts.json",
        json!({"name": "Carlos Lopez", "type": "Person", "primary_phone_number": "+15035550999"}),
    );
    let old = fake.seed(
        "contacts.json",
        json!({"name": "Gregory Hale", "type": "Person"}),
    );
    let acme = fake.seed(
        "contacts.json",
        json!({"name": "Acme Trucking", "type": "Company"}),
    );
    let open = fake.seed(
        "matters.json",
        json!({"display_number": "00042-Lopez", "status": "open", "client": {"id": carlos}}),
    );
    fake.seed(
        "matters.json",
        json!({"display_number": "00007-Hale", "status": "closed", "client": {"id": old}}),
    );
    fake.seed(
        "relationships.json",
        json!({"description": "Opposing Party", "contact": {"id": acme}, "matter": {"id": open}}),
    );
    fake.world.lock().unwrap().page_size = 1;
    let app = connected(&fake).await;
    parties_synced(&app).await;

    let admin = app.admin(&app.alpha).await;
    let answer = crate::conflicts::check(
        &app,
        &admin.access,
        json!([{"name": "Maria Lopez", "role": "client"}, {"name": "Carlos Lopez", "role": "adverse"}]),
    )
    .await;
    assert_eq!(answer["status"], "conflict", "{answer:#}");
    let answer = crate::conflicts::check(
        &app,
        &admin.access,
        json!([{"name": "Maria Lopez", "role": "client"}, {"name": "Acme Trucking", "role": "adverse"}]),
    )
    .await;
    // Suing the firm's own opposing party is no conflict.
    assert_eq!(answer["status"], "clear", "{answer:#}");

    // The caller names Carlos Lopez as the other side: the intake stops at
    // the conflict, a person reviews it, and nothing goes to Clio.
    let (id, _) = divorce_intake(&app, "no").await;
    let i = app
        .get_json(&format!("/api/v1/intakes/{id}"), &admin.access)
        .await;
    assert_eq!(
        i["record"]["conflict"]["status"], "conflict",
        "{:#}",
        i["record"]
    );
    assert_eq!(i["status"], "needs_review");
    assert!(i["clio_sync"].is_null(), "{i:#}");
    assert!(fake.records("matters.json").len() == 2);

    // A matter closed in Clio (seen by the next incremental sync) makes
    // Carlos a former client: still flagged, as a potential conflict.
    {
        let mut w = fake.world.lock().unwrap();
        let m = w
            .records
            .get_mut("matters.json")
            .unwrap()
            .iter_mut()
            .find(|m| m["id"] == json!(open))
            .unwrap();
        m["status"] = json!("closed");
    }
    let resp = app
        .send(
            Method::POST,
            "/api/v1/integrations/clio/sync",
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let status = polled(
        || {
            crate::conflicts::check(
                &app,
                &admin.access,
                json!([{"name": "Maria Lopez", "role": "client"}, {"name": "Carlos Lopez", "role": "adverse"}]),
            )
        },
        |s| s["status"] != "conflict",
    )
    .await;
    assert_eq!(status["status"], "potential", "{status:#}");
}

/// The conflict check's answer for a client suing `other`.
async fn suing(app: &TestApp, other: &str) -> String {
    let admin = app.admin(&app.alpha).await;
    let answer = crate::conflicts::check(
        app,
        &admin.access,
        json!([{"name": "Maria Lopez", "role": "client"}, {"name": other, "role": "adverse"}]),
    )
    .await;
    answer["status"].as_str().unwrap().to_owned()
}

/// Polls the conflict check until it answers `want` (changes apply in
/// the background); returns the last answer.
async fn suing_becomes(app: &TestApp, other: &str, want: &str) -> String {
    polled(|| suing(app, other), |got| got == want).await
}

#[tokio::test]
async fn clio_changes_arrive_by_signed_webhooks_and_forgeries_change_nothing() {
    let fake = FakeClio::start().await.unwrap();
    seed(&fake);
    let app = connected(&fake).await;
    parties_synced(&app).await;
    // Both webhooks were set up and confirmed by Clio's handshake.
    polled(
        || async { (fake.webhook_url("contact"), fake.webhook_url("matter")) },
        |(c, m)| c.is_some() && m.is_some(),
    )
    .await;
    let url = fake.webhook_url("matter").expect("the matter webhook");
    assert!(url.contains(&format!(
        "/api/v1/integrations/clio/webhooks/{}/",
        app.alpha.slug
    )));
    assert_eq!(suing(&app, "Carlos Lopez").await, "clear");

    // A new client in Clio, delivered twice (Clio retries): one party.
    let carlos = json!({"id": 5001, "name": "Carlos Lopez", "type": "Person",
                        "updated_at": "2026-11-20T10:00:00Z"});
    let open = json!({"id": 6001, "display_number": "00099-Lopez", "status": "open",
                      "client": {"id": 5001}, "updated_at": "2026-11-20T10:00:00Z"});
    assert_eq!(fake.deliver("contact", "created", carlos).await, Some(200));
    assert_eq!(
        fake.deliver("matter", "created", open.clone()).await,
        Some(200)
    );
    assert_eq!(
        fake.deliver("matter", "created", open.clone()).await,
        Some(200)
    );
    assert_eq!(
        suing_becomes(&app, "Carlos Lopez", "conflict").await,
        "conflict"
    );

    // Forgeries: a wrong signature, none, a second handshake on a
    // confirmed webhook, an unknown webhook. All refused, nothing changes.
    let closed = json!({"data": {"id": 6001, "display_number": "00099-Lopez", "status": "closed",
                                 "client": {"id": 5001}, "updated_at": "2026-11-21T10:00:00Z"},
                        "meta": {"event": "updated"}})
    .to_string();
    assert_eq!(fake.post_to(&url, closed.clone(), Some("00ff")).await, 401);
    assert_eq!(fake.post_to(&url, closed.clone(), None).await, 401);
    let again = app
        .client
        .post(&url)
        .header("x-hook-secret", "attacker-chosen")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    let (base, _) = url.rsplit_once('/').unwrap();
    assert_eq!(
        fake.post_to(&format!("{base}/not-a-token"), closed.clone(), None)
            .await,
        401
    );
    assert_eq!(suing(&app, "Carlos Lopez").await, "conflict");
    assert!(
        app.metrics()
            .await
            .contains("hermes_clio_webhooks_refused_total")
    );

    // The matter closes; then Clio's late retry of an older version
    // arrives: the newer one stands (a former client: potential).
    let mut closed_data = open.clone();
    closed_data["status"] = json!("closed");
    closed_data["updated_at"] = json!("2026-11-21T10:00:00Z");
    assert_eq!(
        fake.deliver("matter", "updated", closed_data).await,
        Some(200)
    );
    assert_eq!(fake.deliver("matter", "updated", open).await, Some(200));
    assert_eq!(
        suing_becomes(&app, "Carlos Lopez", "potential").await,
        "potential"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(suing(&app, "Carlos Lopez").await, "potential");

    // Deleted in Clio: no longer a party.
    assert_eq!(
        fake.deliver("matter", "deleted", json!({"id": 6001})).await,
        Some(200)
    );
    assert_eq!(suing_becomes(&app, "Carlos Lopez", "clear").await, "clear");

    // A webhook about to expire is renewed by the next sync.
    let store = app.state.store.scoped(app.alpha.id.parse().unwrap());
    for mut w in store.clio_webhooks().await.unwrap() {
        w.expires_at = chrono::Utc::now() + chrono::Duration::days(2);
        store.put_clio_webhook(&w).await.unwrap();
    }
    let admin = app.admin(&app.alpha).await;
    let resp = app
        .send(
            Method::POST,
            "/api/v1/integrations/clio/sync",
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let renewed = polled(
        || async {
            fake.requests()
                .iter()
                .filter(|r| r.starts_with("PATCH /api/v4/webhooks/"))
                .count()
        },
        |n| *n == 2,
    )
    .await;
    assert_eq!(renewed, 2, "{:#?}", fake.requests());
    let later = store.clio_webhooks().await.unwrap();
    assert!(
        later
            .iter()
            .all(|w| w.expires_at > chrono::Utc::now() + chrono::Duration::days(20))
    );
}

#[tokio::test]
async fn a_firm_on_clio_grow_gets_each_finished_intake_in_its_lead_inbox() {
    let fake = FakeClio::start().await.unwrap();
    fake.world.lock().unwrap().grow_token = Some("grow-token-1234".into());
    let base = fake.base_url.clone();
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), move |s| {
        s.clio.host = Some(base);
        s.notify.poll_ms = 100;
        s.notify.retry_base_ms = 200;
        s.notify.retry_cap_secs = 1;
        s.notify.max_attempts = 2;
    })
    .await;
    let admin = app.admin(&app.alpha).await;
    let put = |token: &'static str, bearer: String| {
        let app = &app;
        async move {
            app.send(
                Method::PUT,
                "/api/v1/integrations/clio-grow",
                Some(&bearer),
                Some(json!({"region": "us", "inbox_lead_token": token})),
            )
            .await
        }
    };
    let resp = put("x y", admin.access.clone()).await;
    assert!(resp.status().is_client_error(), "{}", resp.status());
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    assert_eq!(
        put("grow-token-1234", staff.access.clone()).await.status(),
        StatusCode::FORBIDDEN
    );
    let resp = put("grow-token-1234", admin.access.clone()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let shown = app
        .get_json("/api/v1/integrations/clio-grow", &staff.access)
        .await;
    assert_eq!(shown["configured"], true);
    assert_eq!(shown["token_hint"], "••••1234");
    assert!(!shown.to_string().contains("grow-token"), "{shown}");

    let id = booked_intake(&app).await;
    let leads = polled(|| async { fake.records("inbox_leads") }, |l| !l.is_empty()).await;
    assert_eq!(leads.len(), 1, "{:#?}", fake.requests());
    let lead = &leads[0];
    assert_eq!(lead["from_first"], "Maria");
    assert_eq!(lead["from_last"], "Lopez");
    assert_eq!(lead["from_phone"], "+15035550142");
    assert_eq!(lead["from_email"], "maria.lopez@gmail.com");
    assert_eq!(lead["from_source"], "HERMES");
    assert!(
        lead["from_message"].as_str().unwrap().contains(&id),
        "{lead:#}"
    );
    // Grow only: nothing went to Clio Manage.
    assert!(fake.records("matters.json").is_empty());

    // A token Grow refuses leaves the post in the dead letters.
    assert_eq!(
        put("wrong-token-0000", admin.access.clone()).await.status(),
        StatusCode::OK
    );
    divorce_intake(&app, "no").await;
    let dead = polled(
        || app.get_json("/api/v1/notifications?status=dead", &admin.access),
        |d| d["notifications"].as_array().is_some_and(|n| !n.is_empty()),
    )
    .await;
    assert_eq!(dead["notifications"][0]["kind"], "clio", "{dead:#}");
    assert_eq!(fake.records("inbox_leads").len(), 1);
    assert_eq!(
        app.send(
            Method::DELETE,
            "/api/v1/integrations/clio-grow",
            Some(&admin.access),
            None
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
}

/// The kinds of API request the fake has passed to its validator, ids
/// folded (`PATCH /webhooks/{id}.json`).
fn kinds_sent(fake: &FakeClio) -> std::collections::BTreeSet<String> {
    fake.world
        .lock()
        .unwrap()
        .validated
        .iter()
        .map(|(line, _)| {
            line.split('/')
                .map(|seg| {
                    if seg.starts_with(|c: char| c.is_ascii_digit()) {
                        "{id}.json"
                    } else {
                        seg
                    }
                })
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

#[tokio::test]
async fn every_kind_of_request_to_clio_passes_validation_against_its_published_api() {
    let Some(prism) = hermes_testkit::notify::ClioMock::start().await else {
        return;
    };
    // The stateful fake plays Clio; every API request HERMES sends it is
    // also sent to Prism, which validates it against Clio's published
    // document.
    let fake = FakeClio::start_validated(&prism.base_url).await.unwrap();
    seed(&fake);
    let carlos = fake.seed(
        "contacts.json",
        json!({"name": "Gregory Hale", "type": "Person"}),
    );
    fake.seed(
        "matters.json",
        json!({"display_number": "00042-Hale", "status": "open", "client": {"id": carlos}}),
    );
    fake.world.lock().unwrap().page_size = 1;
    fake.world.lock().unwrap().expires_in = 1;
    let app = connected(&fake).await;
    // The full parties sync: contacts, matters, relationships, webhooks,
    // the attorneys' calendars (the attorney exists once the intake runs,
    // so a second sync reads her calendar).
    parties_synced(&app).await;
    // A whole intake's sync.
    let id = booked_intake(&app).await;
    let sync = settled_sync(&app, &id, Duration::from_secs(30)).await;
    assert_eq!(sync["status"], "synced", "{sync:#}");
    let admin = app.admin(&app.alpha).await;
    // Renewal and the attorney's calendar, then disconnecting (webhooks
    // deleted, token revoked).
    let store = app.state.store.scoped(app.alpha.id.parse().unwrap());
    for mut w in store.clio_webhooks().await.unwrap() {
        w.expires_at = chrono::Utc::now() + chrono::Duration::days(1);
        store.put_clio_webhook(&w).await.unwrap();
    }
    app.send(
        Method::POST,
        "/api/v1/integrations/clio/sync",
        Some(&admin.access),
        None,
    )
    .await;
    polled(
        || async { kinds_sent(&fake) },
        |k| k.contains("PATCH /webhooks/{id}.json") && k.contains("GET /calendar_entries.json"),
    )
    .await;
    let resp = app
        .send(
            Method::DELETE,
            "/api/v1/integrations/clio",
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let kinds = kinds_sent(&fake);
    for kind in [
        "GET /users/who_am_i.json",
        "GET /contacts.json",
        "POST /contacts.json",
        "GET /matters.json",
        "POST /matters.json",
        "GET /relationships.json",
        "GET /practice_areas.json",
        "GET /users.json",
        "GET /calendar_entries.json",
        "POST /calendar_entries.json",
        "GET /notes.json",
        "POST /notes.json",
        "GET /communications.json",
        "POST /communications.json",
        "POST /webhooks.json",
        "PATCH /webhooks/{id}.json",
        "DELETE /webhooks/{id}.json",
    ] {
        assert!(kinds.contains(kind), "{kind} was not sent: {kinds:#?}");
    }
    // The urgent callback task, as built (this intake is not urgent),
    // through the fake and so past the validator.
    fake.world.lock().unwrap().tokens.push("test-token".into());
    let client = hermes_clio::Client::new(
        app.state.clio.http().clone(),
        hermes_clio::ClientConfig::new(format!("{}/api/v4", fake.base_url)),
        secrecy::SecretString::from("test-token".to_owned()),
        hermes_clio::RateLimiter::new(),
    );
    let _: Value = client
        .post(
            "/tasks.json",
            "id",
            hermes_api::clio_sync::task_body(
                "Urgent callback",
                "Call back",
                7,
                42,
                chrono::Utc::now(),
            ),
        )
        .await
        .expect("a task passes");
    assert!(kinds_sent(&fake).contains("POST /tasks.json"));
    assert_eq!(fake.refused(), Vec::<(String, u16)>::new());
    assert_eq!(prism.violations(), Vec::<String>::new());
}

/// Whether the attorney has an open slot starting at `start`.
async fn offered(app: &TestApp, token: &str, attorney: &str, start: &str) -> bool {
    let at = chrono::DateTime::parse_from_rfc3339(start).unwrap();
    let from = (at - chrono::Duration::hours(2)).to_rfc3339();
    let to = (at + chrono::Duration::hours(2)).to_rfc3339();
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("practice_area", "family")
        .append_pair("attorney_id", attorney)
        .append_pair("from", &from)
        .append_pair("to", &to)
        .finish();
    let a = app
        .get_json(&format!("/api/v1/availability?{q}"), token)
        .await;
    a["slots"]
        .as_array()
        .unwrap_or_else(|| panic!("{a:#}"))
        .iter()
        .any(|s| chrono::DateTime::parse_from_rfc3339(s["start"].as_str().unwrap()).unwrap() == at)
}

/// Asks for a Clio sync, then waits (a while) for the slot at `start` to
/// be offered or not as `want`; returns whether it is offered.
async fn sync_then_offered(
    app: &TestApp,
    token: &str,
    attorney: &str,
    start: &str,
    want: bool,
) -> bool {
    let resp = app
        .send(
            Method::POST,
            "/api/v1/integrations/clio/sync",
            Some(token),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    polled(|| offered(app, token, attorney, start), |now| *now == want).await
}

#[tokio::test]
async fn the_attorneys_clio_calendar_is_busy_time_for_scheduling() {
    let fake = FakeClio::start().await.unwrap();
    seed(&fake);
    let app = connected(&fake).await;
    let cal = calendar(&app, &app.alpha).await;
    crate::voice::open_all_week(&app, &cal.admin.access).await;
    let starts = crate::scheduling::free_starts(&app, &cal.admin.access, &cal.attorney, 3).await;
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    // A court date on Maria's Clio calendar over the first; two occurrences
    // of a recurring meeting (Clio expands them) over the second; and the
    // consultation HERMES put on her calendar over the third, which the
    // booking already holds and must not count twice.
    let entry = |start: &str, extra: Value| {
        let mut e = json!({"summary": "Busy", "calendar_owner": {"id": 55},
                           "start_at": at(start).to_rfc3339(),
                           "end_at": (at(start) + chrono::Duration::minutes(45)).to_rfc3339()});
        if let (Value::Object(e), Value::Object(x)) = (&mut e, extra) {
            e.extend(x);
        }
        e
    };
    fake.seed(
        "calendar_entries.json",
        entry(&starts[0], json!({"summary": "Court"})),
    );
    fake.seed(
        "calendar_entries.json",
        entry(&starts[1], json!({"parent_calendar_entry_id": 9})),
    );
    fake.seed(
        "calendar_entries.json",
        entry(
            &starts[2],
            json!({"external_properties": [{"name": "hermes_intake", "value": "x"}]}),
        ),
    );
    // Another attorney's calendar is not Maria's.
    fake.seed(
        "calendar_entries.json",
        json!({"summary": "Sam's", "calendar_owner": {"id": 56},
               "start_at": at(&starts[2]).to_rfc3339(),
               "end_at": (at(&starts[2]) + chrono::Duration::minutes(45)).to_rfc3339()}),
    );
    let token = &cal.admin.access;
    assert!(offered(&app, token, &cal.attorney, &starts[0]).await);
    let busy = !sync_then_offered(&app, token, &cal.attorney, &starts[0], false).await;
    assert!(busy, "the Clio entry did not make the slot busy");
    assert!(!offered(&app, token, &cal.attorney, &starts[1]).await);
    assert!(offered(&app, token, &cal.attorney, &starts[2]).await);
    // Booked directly (staff, the API), the busy time is refused too.
    let resp = crate::scheduling::book_direct(&app, token, &cal.attorney, &starts[1]).await;
    assert_eq!(
        resp.status(),
        StatusCode::CONFLICT,
        "{}",
        resp.text().await.unwrap()
    );

    // The court date is cancelled in Clio: the next sync frees the time.
    fake.world
        .lock()
        .unwrap()
        .records
        .get_mut("calendar_entries.json")
        .unwrap()
        .retain(|e| e["summary"] != "Court");
    let free = sync_then_offered(&app, token, &cal.attorney, &starts[0], true).await;
    assert!(free, "the cancelled entry still blocks the slot");
}
