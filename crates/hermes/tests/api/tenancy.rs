//! Tenant isolation over HTTP: another firm's resource answers 404 exactly
//! like a missing one, on every route that takes an id, and lists never
//! show another firm's rows.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// Every route with an id in its path, and how this test reaches it.
const ID_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/users/{id}"),
    ("PATCH", "/api/v1/users/{id}"),
    ("DELETE", "/api/v1/users/{id}"),
    ("GET", "/api/v1/api-keys/{id}"),
    ("DELETE", "/api/v1/api-keys/{id}"),
    ("GET", "/api/v1/attorneys/{id}"),
    ("PUT", "/api/v1/attorneys/{id}"),
    ("DELETE", "/api/v1/attorneys/{id}"),
    ("GET", "/api/v1/parties/{id}"),
    ("PATCH", "/api/v1/parties/{id}"),
    ("DELETE", "/api/v1/parties/{id}"),
    ("GET", "/api/v1/conflicts/reviews/{id}"),
    ("POST", "/api/v1/conflicts/reviews/{id}/decision"),
    ("GET", "/api/v1/bookings/{id}"),
    ("PATCH", "/api/v1/bookings/{id}"),
    ("GET", "/api/v1/intakes/{id}"),
    ("PATCH", "/api/v1/intakes/{id}"),
    ("POST", "/api/v1/intakes/{id}/clio-sync/retry"),
    ("POST", "/api/v1/notifications/{id}/retry"),
    ("GET", "/api/v1/calls/{id}"),
    ("GET", "/api/v1/calls/{id}/recording"),
];

/// Bravo's resources, one of each kind an id route reaches.
struct Theirs {
    user: String,
    key: String,
    attorney: String,
    party: String,
    review: String,
    booking: String,
    intake: String,
    notification: String,
    call: String,
}

impl Theirs {
    fn id_for(&self, template: &str) -> &str {
        let resource = template.trim_start_matches("/api/v1/");
        match resource.split('/').next().unwrap() {
            "users" => &self.user,
            "api-keys" => &self.key,
            "attorneys" => &self.attorney,
            "parties" => &self.party,
            "conflicts" => &self.review,
            "bookings" => &self.booking,
            "intakes" => &self.intake,
            "notifications" => &self.notification,
            "calls" => &self.call,
            other => panic!("ID_ROUTES: no bravo resource for {other}"),
        }
    }
}

/// A body that would succeed on alpha's own resource, so only the
/// ownership check can refuse it.
fn body_for(method: &Method, template: &str) -> Option<Value> {
    match (method.as_str(), template) {
        ("PATCH", t) if t.contains("/users/") => {
            Some(json!({"name": "Taken Over", "role": "ADMIN"}))
        }
        ("PUT", t) if t.contains("/attorneys/") => Some(json!({
            "name": "Taken Over", "practice_areas": ["family"], "availability": {}, "active": false,
        })),
        ("PATCH", t) if t.contains("/parties/") => {
            Some(json!({"name": "Taken Over", "role": "former_client"}))
        }
        ("POST", t) if t.ends_with("/decision") => {
            Some(json!({"decision": "cleared", "note": "not ours to decide"}))
        }
        ("PATCH", t) if t.contains("/bookings/") => Some(json!({"status": "cancelled"})),
        ("PATCH", t) if t.contains("/intakes/") => Some(json!({"status": "completed"})),
        _ => None,
    }
}

async fn cross_tenant(app: TestApp) {
    let alpha_admin = app.admin(&app.alpha).await;
    let (bravo_user, bravo_user_session) = app.user_with_role(&app.bravo, "STAFF").await;
    let (bravo_key, bravo_key_secret) = app.api_key_with_role(&app.bravo, "STAFF").await;
    // Bravo's calendar, party, open review and booking; alpha offers the
    // same practice area, so a write would pass validation on its own.
    let bravo_cal = crate::scheduling::calendar(&app, &app.bravo).await;
    let alpha_cal = crate::scheduling::calendar(&app, &app.alpha).await;
    let bravo_party = crate::conflicts::add_party(
        &app,
        &bravo_cal.admin.access,
        json!({"name": "William Turner", "role": "client", "matter_status": "open"}),
    )
    .await;
    let bravo_review = crate::conflicts::open_review(&app, &bravo_cal.admin.access).await;
    let start =
        crate::scheduling::free_starts(&app, &bravo_cal.admin.access, &bravo_cal.attorney, 1)
            .await
            .remove(0);
    let resp = app
        .send(
            Method::POST,
            "/api/v1/bookings",
            Some(&bravo_cal.admin.access),
            Some(json!({
                "attorney_id": bravo_cal.attorney, "practice_area": "family", "start": start,
                "conflict_review_id": bravo_review,
            })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let bravo_booking: Value = resp.json().await.unwrap();
    // Bravo's intake: a visitor of bravo's site starts a conversation.
    let resp = app
        .send(
            Method::POST,
            &format!("/api/v1/tenants/{}/conversations", app.bravo.slug),
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let bravo_intakes = app
        .get_json("/api/v1/intakes", &bravo_cal.admin.access)
        .await;
    let bravo_intake = bravo_intakes["intakes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let theirs = Theirs {
        user: bravo_user.clone(),
        key: bravo_key.clone(),
        attorney: bravo_cal.attorney.clone(),
        party: bravo_party["id"].as_str().unwrap().to_owned(),
        review: bravo_review.clone(),
        booking: bravo_booking["id"].as_str().unwrap().to_owned(),
        intake: bravo_intake,
        notification: crate::notify::dead_notification(&app, &app.bravo).await,
        call: bravo_call(&app).await,
    };

    for (method, template) in ID_ROUTES {
        let id = theirs.id_for(template);
        let method: Method = method.parse().unwrap();
        let body = body_for(&method, template);
        let theirs = app
            .send(
                method.clone(),
                &template.replace("{id}", id),
                Some(&alpha_admin.access),
                body.clone(),
            )
            .await;
        let missing = app
            .send(
                method.clone(),
                &template.replace("{id}", &uuid::Uuid::new_v4().to_string()),
                Some(&alpha_admin.access),
                body,
            )
            .await;
        assert_eq!(
            theirs.status(),
            StatusCode::NOT_FOUND,
            "{method} {template}"
        );
        assert_eq!(
            missing.status(),
            StatusCode::NOT_FOUND,
            "{method} {template}"
        );
        assert_eq!(
            theirs.text().await.unwrap(),
            missing.text().await.unwrap(),
            "{method} {template}: another firm's resource must look missing"
        );
    }
    // The invitation too.
    let theirs_ics = app
        .get(
            &format!("/api/v1/bookings/{}.ics", theirs.booking),
            &alpha_admin.access,
        )
        .await;
    let missing_ics = app
        .get(
            &format!("/api/v1/bookings/{}.ics", uuid::Uuid::new_v4()),
            &alpha_admin.access,
        )
        .await;
    assert_eq!(theirs_ics.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        theirs_ics.text().await.unwrap(),
        missing_ics.text().await.unwrap()
    );
    // Alpha cannot book on bravo's review, with bravo's attorney, or from
    // bravo's hold.
    for (body, status) in [
        (
            json!({"attorney_id": theirs.attorney, "practice_area": "family", "start": start}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"attorney_id": alpha_cal.attorney, "practice_area": "family", "start": start, "conflict_review_id": theirs.review}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"hold_id": theirs.booking}), StatusCode::NOT_FOUND),
    ] {
        let resp = app
            .send(
                Method::POST,
                "/api/v1/bookings",
                Some(&alpha_admin.access),
                Some(body.clone()),
            )
            .await;
        assert_eq!(resp.status(), status, "{body}");
    }

    // Bravo's firm data is untouched.
    let b = &bravo_cal.admin.access;
    let attorney: Value = app
        .get_json(&format!("/api/v1/attorneys/{}", theirs.attorney), b)
        .await;
    assert_eq!(attorney["name"], "Maria Lopez");
    assert_eq!(attorney["active"], true);
    let party: Value = app
        .get_json(&format!("/api/v1/parties/{}", theirs.party), b)
        .await;
    assert_eq!(party["name"], "William Turner");
    let review: Value = app
        .get_json(&format!("/api/v1/conflicts/reviews/{}", theirs.review), b)
        .await;
    assert_eq!(review["status"], "open");
    let booking: Value = app
        .get_json(&format!("/api/v1/bookings/{}", theirs.booking), b)
        .await;
    assert_eq!(booking["status"], "tentative");

    // Alpha's lists show none of it, and its checks do not see bravo's
    // parties.
    let a = &alpha_admin.access;
    for (path, key, id) in [
        ("/api/v1/attorneys", "attorneys", &theirs.attorney),
        ("/api/v1/parties", "parties", &theirs.party),
        (
            "/api/v1/conflicts/reviews?status=all",
            "reviews",
            &theirs.review,
        ),
        ("/api/v1/bookings", "bookings", &theirs.booking),
        (
            "/api/v1/notifications",
            "notifications",
            &theirs.notification,
        ),
    ] {
        let list: Value = app.get_json(path, a).await;
        assert!(
            list[key]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["id"] != id.as_str()),
            "{path} shows bravo's {key}"
        );
    }
    let answer = crate::conflicts::check(
        &app,
        a,
        json!([{"name": "William Turner", "role": "adverse"}]),
    )
    .await;
    assert_eq!(answer["status"], "clear", "{answer}");
    let slots: Value = app
        .get_json("/api/v1/availability?practice_area=family", a)
        .await;
    assert!(
        slots["slots"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["attorney_id"] != theirs.attorney.as_str())
    );

    // Bravo's user and key are untouched.
    assert_eq!(
        app.get("/api/v1/me", &bravo_user_session.access)
            .await
            .status(),
        StatusCode::OK
    );
    let me: Value = app.get_json("/api/v1/me", &bravo_user_session.access).await;
    assert_eq!(me["name"], "Test User");
    assert_eq!(me["role"], "STAFF");
    assert_eq!(
        app.get("/api/v1/me", &bravo_key_secret).await.status(),
        StatusCode::OK
    );

    // Lists are per firm.
    let users: Value = app.get_json("/api/v1/users", &alpha_admin.access).await;
    assert!(
        users["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["id"] != bravo_user.as_str())
    );
    let keys: Value = app.get_json("/api/v1/api-keys", &alpha_admin.access).await;
    assert!(keys["api_keys"].as_array().unwrap().is_empty());
    let audit: Value = app
        .get_json("/api/v1/audit?limit=200", &alpha_admin.access)
        .await;
    for e in audit["entries"].as_array().unwrap() {
        assert_ne!(e["target"]["id"], bravo_user.as_str());
        assert_ne!(e["target"]["id"], app.bravo.id.as_str());
    }
    let firm: Value = app
        .get_json("/api/v1/settings/firm", &alpha_admin.access)
        .await;
    assert_eq!(firm["slug"], "alpha");
}

#[tokio::test]
async fn other_tenants_resources_are_404_sqlite() {
    cross_tenant(spawn_app().await).await;
}

#[tokio::test]
async fn other_tenants_resources_are_404_postgres() {
    if let Some(app) = spawn_app_pg().await {
        cross_tenant(app).await;
    }
}

#[tokio::test]
async fn every_id_route_is_covered_by_the_isolation_test() {
    let app = spawn_app().await;
    let doc = app.public_json("/api/v1/openapi.json").await;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        // The text channel's public routes take a firm's slug or a
        // conversation token, not an id, and question sets a practice-area
        // key within the caller's own firm: they are tested in intake.rs.
        // Clio's webhook deliveries name the firm by slug and carry a
        // token: tested in clio_sync.rs.
        if path.contains('{')
            && !path.contains("conversations")
            && !path.contains("question-sets")
            && !path.contains("clio/webhooks")
        {
            for method in item.as_object().unwrap().keys() {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let covered: BTreeSet<String> = ID_ROUTES.iter().map(|(m, p)| format!("{m} {p}")).collect();
    assert_eq!(
        documented, covered,
        "add new id routes to ID_ROUTES so tenant isolation is tested on them"
    );
}

#[tokio::test]
async fn a_token_cannot_be_pointed_at_another_tenant() {
    // A user of alpha presenting alpha's token gets alpha's data, however
    // the request is phrased; there is no tenant parameter to tamper with.
    let app = spawn_app().await;
    let alpha = app.admin(&app.alpha).await;
    let resp = app
        .client
        .get(app.url("/api/v1/users?tenant=bravo"))
        .bearer_auth(&alpha.access)
        .header("x-tenant", "bravo")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let users: Value = resp.json().await.unwrap();
    assert!(
        users["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["email"].as_str().unwrap().ends_with("alpha.example"))
    );
}

/// A call of bravo's, with a recording, straight through the store (the
/// voice tests place real ones).
async fn bravo_call(app: &TestApp) -> String {
    let tenant: hermes_core::TenantId = app.bravo.id.parse().unwrap();
    let store = app.state.store.scoped(tenant);
    let id = uuid::Uuid::now_v7();
    store
        .create_call(&hermes_store::NewCall {
            id,
            provider: "browser".into(),
            provider_call_id: id.to_string(),
            from_number: None,
            to_number: None,
            metered: false,
        })
        .await
        .unwrap();
    let now = chrono::Utc::now();
    store
        .put_recording(&hermes_store::RecordingRow {
            call_id: id,
            format: "audio/wav;rate=8000".into(),
            sealed: app.state.secrets.seal(
                &hermes_api::voice::record::recording_context(tenant, id),
                &hermes_api::voice::record::wav(&[0; 800], 8_000),
            ),
            duration_ms: 100,
            created_at: now,
            expires_at: now + chrono::Duration::days(1),
        })
        .await
        .unwrap();
    id.to_string()
}
