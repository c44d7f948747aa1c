//! Firm settings over HTTP: the profile, hours, practice areas and
//! escalation documents (each replaced whole by PUT), and the attorneys who
//! take consultations.
//!
//! What matters to a firm: what an admin saves is what the agent reads back
//! (round trips, phone numbers normalised); a typo is refused with a 422
//! that names the field rather than half-saved; only admins change settings
//! while everyone may read them; every change lands in the audit log; an
//! attorney cannot take an area the firm does not offer, and the firm
//! cannot drop an area an attorney still takes; and one firm never sees
//! another's attorneys.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// Every day of the week, `start` to `end`.
pub fn all_week(start: &str, end: &str) -> Value {
    let range = json!([{"start": start, "end": end}]);
    json!({
        "monday": range, "tuesday": range, "wednesday": range, "thursday": range,
        "friday": range, "saturday": range, "sunday": range,
    })
}

/// Replaces the firm's practice areas; asserts 200.
pub async fn set_areas(app: &TestApp, token: &str, areas: Value) {
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/practice-areas",
            Some(token),
            Some(json!({ "areas": areas })),
        )
        .await;
    let status = resp.status();
    assert_eq!(status, StatusCode::OK, "{}", resp.text().await.unwrap());
}

/// Creates an attorney; asserts 201 and returns the whole answer.
pub async fn create_attorney(app: &TestApp, token: &str, body: Value) -> Value {
    let resp = app
        .send(Method::POST, "/api/v1/attorneys", Some(token), Some(body))
        .await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn put(app: &TestApp, token: &str, section: &str, body: Value) -> reqwest::Response {
    app.send(
        Method::PUT,
        &format!("/api/v1/settings/{section}"),
        Some(token),
        Some(body),
    )
    .await
}

async fn json_of(resp: reqwest::Response) -> Value {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Asserts a 422 `validation_failed` whose message names `field`.
async fn assert_invalid(resp: reqwest::Response, field: &str, what: &str) {
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "validation_failed", "{what}: {body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains(field),
        "{what}: the message should name {field}: {body}"
    );
}

#[tokio::test]
async fn each_section_round_trips() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let t = &admin.access;

    // Before anything is saved: an empty profile, weekday office hours.
    let profile = json_of(app.get("/api/v1/settings/profile", t).await).await;
    assert!(profile["spoken_name"].is_null(), "{profile}");
    assert!(profile["address"].is_null(), "{profile}");
    let hours = json_of(app.get("/api/v1/settings/hours", t).await).await;
    assert_eq!(hours["after_hours"], "take_message");
    for day in ["monday", "tuesday", "wednesday", "thursday", "friday"] {
        assert_eq!(
            hours["weekly"][day],
            json!([{"start": "09:00", "end": "17:00"}]),
            "{hours}"
        );
    }
    for day in ["saturday", "sunday"] {
        assert!(
            hours["weekly"][day].as_array().is_none_or(Vec::is_empty),
            "{hours}"
        );
    }
    let areas = json_of(app.get("/api/v1/settings/practice-areas", t).await).await;
    assert_eq!(areas["areas"], json!([]));
    let esc = json_of(app.get("/api/v1/settings/escalation", t).await).await;
    assert_eq!(esc["contacts"], json!([]));

    // Profile: the phone comes back in E.164.
    let sent = json!({
        "spoken_name": "Smith and Jones",
        "main_phone": "(503) 555-0100",
        "address": {"street": "100 SW Main St, Suite 400", "city": "Portland",
                    "region": "OR", "postal_code": "97204", "country": "US"},
        "website": "https://smithjones.example",
        "states": ["OR", "WA"],
    });
    let saved = json_of(put(&app, t, "profile", sent.clone()).await).await;
    let mut want = sent.clone();
    want["main_phone"] = json!("+15035550100");
    assert_eq!(saved, want);
    assert_eq!(
        json_of(app.get("/api/v1/settings/profile", t).await).await,
        want
    );

    // Hours.
    let sent = json!({
        "weekly": {
            "monday": [{"start": "08:30", "end": "12:00"}, {"start": "13:00", "end": "17:30"}],
            "wednesday": [{"start": "10:00", "end": "16:00"}],
            "saturday": [{"start": "09:00", "end": "12:00"}],
        },
        "closures": [{"start": "2026-12-24", "end": "2026-12-26", "reason": "Holidays"}],
        "after_hours": "escalate_urgent_only",
    });
    let saved = json_of(put(&app, t, "hours", sent.clone()).await).await;
    let got = json_of(app.get("/api/v1/settings/hours", t).await).await;
    assert_eq!(saved, got);
    assert_eq!(got["after_hours"], "escalate_urgent_only");
    assert_eq!(got["weekly"]["monday"], sent["weekly"]["monday"]);
    assert_eq!(got["weekly"]["wednesday"], sent["weekly"]["wednesday"]);
    assert_eq!(got["weekly"]["saturday"], sent["weekly"]["saturday"]);
    assert!(
        got["weekly"]["tuesday"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "PUT replaces the whole week: {got}"
    );
    assert_eq!(got["closures"][0]["start"], "2026-12-24");
    assert_eq!(got["closures"][0]["end"], "2026-12-26");
    assert_eq!(got["closures"][0]["reason"], "Holidays");

    // Practice areas: a standard one and a named custom one.
    let sent = json!({"areas": [
        {"key": "family", "consultation_minutes": 30, "free_consultation": true},
        {"key": "animal_law", "name": "Animal law", "consultation_minutes": 45, "free_consultation": false},
    ]});
    let saved = json_of(put(&app, t, "practice-areas", sent.clone()).await).await;
    let got = json_of(app.get("/api/v1/settings/practice-areas", t).await).await;
    assert_eq!(saved, got);
    let areas = got["areas"].as_array().unwrap();
    assert_eq!(areas.len(), 2);
    assert_eq!(areas[0]["key"], "family");
    assert_eq!(areas[0]["consultation_minutes"], 30);
    assert_eq!(areas[0]["free_consultation"], true);
    assert_eq!(areas[1]["key"], "animal_law");
    assert_eq!(areas[1]["name"], "Animal law");
    assert_eq!(areas[1]["consultation_minutes"], 45);
    assert_eq!(areas[1]["free_consultation"], false);

    // Escalation contacts: an overnight on-call window.
    let sent = json!({"contacts": [{
        "name": "Dana Whitfield", "phone": "503-555-0111", "email": "dana@smithjones.example",
        "on_call": [{"days": ["friday"], "start": "18:00", "end": "08:00"}],
    }]});
    let saved = json_of(put(&app, t, "escalation", sent).await).await;
    let got = json_of(app.get("/api/v1/settings/escalation", t).await).await;
    assert_eq!(saved, got);
    let c = &got["contacts"][0];
    assert_eq!(c["name"], "Dana Whitfield");
    assert_eq!(c["phone"], "+15035550111");
    assert_eq!(c["email"], "dana@smithjones.example");
    assert_eq!(
        c["on_call"],
        json!([{"days": ["friday"], "start": "18:00", "end": "08:00"}])
    );

    // Another firm's settings are its own.
    let bravo = app.admin(&app.bravo).await;
    let theirs = json_of(app.get("/api/v1/settings/profile", &bravo.access).await).await;
    assert!(theirs["spoken_name"].is_null(), "{theirs}");
    let theirs = json_of(
        app.get("/api/v1/settings/practice-areas", &bravo.access)
            .await,
    )
    .await;
    assert_eq!(theirs["areas"], json!([]));
}

#[tokio::test]
async fn invalid_settings_are_refused_with_the_field_named() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let t = &admin.access;
    let family = json!({"key": "family", "consultation_minutes": 30, "free_consultation": true});

    let invalid = [
        (
            "profile",
            json!({"spoken_name": "   "}),
            "spoken_name",
            "blank spoken name",
        ),
        (
            "profile",
            json!({"address": {"street": "1 Main St", "city": "", "region": "OR", "postal_code": "97204"}}),
            "address.city",
            "blank city",
        ),
        (
            "profile",
            json!({"address": {"street": "1 Main St", "city": "Portland", "region": "OR", "postal_code": "97204", "country": "USA"}}),
            "address.country",
            "three-letter country",
        ),
        (
            "profile",
            json!({"states": ["OR", "OR"]}),
            "states",
            "a state twice",
        ),
        (
            "practice-areas",
            json!({"areas": [family, family]}),
            "areas",
            "duplicate area",
        ),
        (
            "practice-areas",
            json!({"areas": [{"key": "animal_law", "consultation_minutes": 45, "free_consultation": false}]}),
            "name",
            "custom area without a name",
        ),
        (
            "practice-areas",
            json!({"areas": [{"key": "family", "consultation_minutes": 31, "free_consultation": true}]}),
            "consultation_minutes",
            "31 minutes",
        ),
        (
            "practice-areas",
            json!({"areas": [{"key": "family", "consultation_minutes": 10, "free_consultation": true}]}),
            "consultation_minutes",
            "10 minutes",
        ),
        (
            "practice-areas",
            json!({"areas": [{"key": "family", "consultation_minutes": 245, "free_consultation": true}]}),
            "consultation_minutes",
            "245 minutes",
        ),
        (
            "escalation",
            json!({"contacts": [{"name": " ", "phone": "503-555-0111"}]}),
            "name",
            "blank contact name",
        ),
        (
            "escalation",
            json!({"contacts": [{"name": "Dana", "phone": "503-555-0111", "on_call": [{"days": [], "start": "18:00", "end": "08:00"}]}]}),
            "on_call",
            "on-call window without days",
        ),
    ];
    for (section, body, field, what) in invalid {
        assert_invalid(put(&app, t, section, body).await, field, what).await;
    }

    // A schedule that makes no sense (a range backwards or overlapping, a
    // clock time that does not exist, an unknown policy) is refused by its
    // type while the body is read: 400 or 422, as the issue allows, and the
    // message still says where.
    let refused = [
        (
            "hours",
            json!({"weekly": {"monday": [{"start": "17:00", "end": "09:00"}]}, "after_hours": "book"}),
            "monday",
        ),
        (
            "hours",
            json!({"weekly": {"monday": [{"start": "09:00", "end": "13:00"}, {"start": "12:00", "end": "17:00"}]}, "after_hours": "book"}),
            "monday",
        ),
        (
            "hours",
            json!({"weekly": {"monday": [{"start": "25:00", "end": "26:00"}]}, "after_hours": "book"}),
            "monday",
        ),
        (
            "hours",
            json!({"weekly": {}, "after_hours": "sometimes"}),
            "after_hours",
        ),
        (
            "hours",
            json!({"weekly": {}, "closures": [{"start": "2026-12-26", "end": "2026-12-24", "reason": "Backwards"}], "after_hours": "book"}),
            "closures",
        ),
    ];
    for (section, body, field) in refused {
        let resp = put(&app, t, section, body.clone()).await;
        let status = resp.status();
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{section} {body}: {status}"
        );
        let msg = resp.text().await.unwrap();
        assert!(msg.contains(field), "{section} {body}: {msg}");
    }

    // Unknown fields are a 400, anywhere in the document.
    let unknown = [
        ("profile", json!({"spoken_name": "S", "slogan": "We win"})),
        (
            "profile",
            json!({"address": {"street": "1 Main St", "city": "Portland", "region": "OR", "postal_code": "97204", "county": "Multnomah"}}),
        ),
        (
            "hours",
            json!({"weekly": {}, "after_hours": "book", "timezone": "UTC"}),
        ),
        (
            "practice-areas",
            json!({"areas": [{"key": "family", "consultation_minutes": 30, "free_consultation": true, "price": 100}]}),
        ),
        (
            "escalation",
            json!({"contacts": [{"name": "Dana", "phone": "503-555-0111", "pager": "1"}]}),
        ),
    ];
    for (section, body) in unknown {
        let resp = put(&app, t, section, body.clone()).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{section} {body}");
        assert_eq!(error_code(resp).await, "bad_request");
    }

    // Nothing of the above was saved.
    let profile = json_of(app.get("/api/v1/settings/profile", t).await).await;
    assert!(profile["spoken_name"].is_null(), "{profile}");
    assert!(profile["address"].is_null(), "{profile}");
    let hours = json_of(app.get("/api/v1/settings/hours", t).await).await;
    assert_eq!(hours["after_hours"], "take_message");
    let areas = json_of(app.get("/api/v1/settings/practice-areas", t).await).await;
    assert_eq!(areas["areas"], json!([]));
    let esc = json_of(app.get("/api/v1/settings/escalation", t).await).await;
    assert_eq!(esc["contacts"], json!([]));
}

/// A phone number, website or state that is not one is a field failing
/// validation like any other: 422 `validation_failed` naming the field
/// (the same phone is a 422 on `POST /api/v1/parties`), not a 400 as if
/// the client had sent malformed JSON.
#[tokio::test]
async fn malformed_values_are_validation_failures() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let t = &admin.access;
    let cases = [
        (
            "profile",
            json!({"main_phone": "call me maybe"}),
            "main_phone",
        ),
        ("profile", json!({"website": "not a website"}), "website"),
        ("profile", json!({"states": ["Oregon"]}), "states"),
        (
            "escalation",
            json!({"contacts": [{"name": "Dana", "phone": "12"}]}),
            "phone",
        ),
    ];
    let mut wrong = Vec::new();
    for (section, body, field) in cases {
        let resp = put(&app, t, section, body.clone()).await;
        let status = resp.status();
        let err: Value = resp.json().await.unwrap();
        let msg = err["error"]["message"].as_str().unwrap_or_default();
        assert!(msg.contains(field), "{section} {body}: {err}");
        if status != StatusCode::UNPROCESSABLE_ENTITY || err["error"]["code"] != "validation_failed"
        {
            wrong.push(format!(
                "PUT /api/v1/settings/{section} {body} -> {status} {err}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "expected 422 validation_failed:\n{}",
        wrong.join("\n")
    );
}

#[tokio::test]
async fn only_admins_change_settings_and_everyone_reads_them() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let bodies = [
        ("profile", json!({"spoken_name": "Smith and Jones"})),
        (
            "hours",
            json!({"weekly": {"monday": [{"start": "09:00", "end": "17:00"}]}, "after_hours": "book"}),
        ),
        (
            "practice-areas",
            json!({"areas": [{"key": "family", "consultation_minutes": 30, "free_consultation": true}]}),
        ),
        (
            "escalation",
            json!({"contacts": [{"name": "Dana", "phone": "503-555-0111"}]}),
        ),
    ];
    for role in ["ATTORNEY", "STAFF", "READ_ONLY"] {
        let (_, session) = app.user_with_role(&app.alpha, role).await;
        let (_, key) = app.api_key_with_role(&app.alpha, role).await;
        for credential in [&session.access, &key] {
            for (section, body) in &bodies {
                let resp = put(&app, credential, section, body.clone()).await;
                assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{role} PUT {section}");
                assert_eq!(error_code(resp).await, "forbidden");
                let resp = app
                    .get(&format!("/api/v1/settings/{section}"), credential)
                    .await;
                assert_eq!(resp.status(), StatusCode::OK, "{role} GET {section}");
            }
            let resp = app.get("/api/v1/attorneys", credential).await;
            assert_eq!(resp.status(), StatusCode::OK, "{role} lists attorneys");
            let resp = app
                .send(
                    Method::POST,
                    "/api/v1/attorneys",
                    Some(credential),
                    Some(json!({"name": "X", "practice_areas": ["family"], "availability": {}})),
                )
                .await;
            assert_eq!(
                resp.status(),
                StatusCode::FORBIDDEN,
                "{role} adds an attorney"
            );
        }
    }
    // Nothing changed; then the admin may.
    let profile = json_of(app.get("/api/v1/settings/profile", &admin.access).await).await;
    assert!(profile["spoken_name"].is_null());
    for (section, body) in bodies {
        let resp = put(&app, &admin.access, section, body).await;
        assert_eq!(resp.status(), StatusCode::OK, "ADMIN PUT {section}");
    }
    // An admin API key too.
    let (_, key) = app.api_key_with_role(&app.alpha, "ADMIN").await;
    let resp = put(
        &app,
        &key,
        "profile",
        json!({"spoken_name": "Smith & Jones"}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_settings_change_is_audited() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let t = &admin.access;
    let bodies = [
        (
            "profile",
            "profile",
            json!({"spoken_name": "Smith and Jones"}),
        ),
        (
            "hours",
            "hours",
            json!({"weekly": {"monday": [{"start": "09:00", "end": "17:00"}]}, "after_hours": "book"}),
        ),
        (
            "practice-areas",
            "practice_areas",
            json!({"areas": [{"key": "family", "consultation_minutes": 30, "free_consultation": true}]}),
        ),
        (
            "escalation",
            "escalation",
            json!({"contacts": [{"name": "Dana", "phone": "503-555-0111"}]}),
        ),
    ];
    for (path, _, body) in &bodies {
        assert_eq!(
            put(&app, t, path, body.clone()).await.status(),
            StatusCode::OK
        );
    }
    // A refused change is not recorded as one.
    let resp = put(&app, t, "profile", json!({"spoken_name": " "})).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let page = json_of(
        app.get("/api/v1/audit?action=settings.update&limit=50", t)
            .await,
    )
    .await;
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 4, "{page}");
    for (_, section, _) in &bodies {
        let e = entries
            .iter()
            .find(|e| e["details"]["section"] == *section)
            .unwrap_or_else(|| panic!("no settings.update for {section}: {page}"));
        assert_eq!(e["actor"]["id"], app.alpha.admin_id.as_str());
        assert_eq!(e["outcome"], "success");
    }
}

fn maria() -> Value {
    json!({
        "name": "Maria Lopez",
        "email": "Maria@Alpha.example",
        "practice_areas": ["family"],
        "availability": {"monday": [{"start": "09:00", "end": "12:00"}], "thursday": [{"start": "13:00", "end": "17:00"}]},
    })
}

#[tokio::test]
async fn attorneys_crud_with_defaults_and_validation() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let t = &admin.access;
    set_areas(
        &app,
        t,
        json!([
            {"key": "family", "consultation_minutes": 30, "free_consultation": true},
            {"key": "estate_planning", "consultation_minutes": 60, "free_consultation": false},
        ]),
    )
    .await;

    // Create: defaults filled in, email normalised.
    let created = create_attorney(&app, t, maria()).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["name"], "Maria Lopez");
    assert_eq!(created["email"], "maria@alpha.example");
    assert_eq!(created["practice_areas"], json!(["family"]));
    assert_eq!(created["buffer_minutes"], 15);
    assert_eq!(created["min_notice_minutes"], 120);
    assert_eq!(created["horizon_days"], 30);
    assert!(created["max_per_day"].is_null());
    assert!(created["user_id"].is_null());
    assert_eq!(created["active"], true);
    assert_eq!(
        created["availability"]["monday"],
        json!([{"start": "09:00", "end": "12:00"}])
    );
    assert_eq!(
        created["availability"]["thursday"],
        json!([{"start": "13:00", "end": "17:00"}])
    );

    // Read it, and in the list.
    let path = format!("/api/v1/attorneys/{id}");
    let got = json_of(app.get(&path, t).await).await;
    assert_eq!(got, created);
    let list = json_of(app.get("/api/v1/attorneys", t).await).await;
    let list = list["attorneys"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id.as_str());

    // Replace it, linked to a user of the firm.
    let (user_id, _) = app.user_with_role(&app.alpha, "ATTORNEY").await;
    let mut body = maria();
    body["user_id"] = json!(user_id);
    body["practice_areas"] = json!(["family", "estate_planning"]);
    body["buffer_minutes"] = json!(0);
    body["min_notice_minutes"] = json!(1440);
    body["horizon_days"] = json!(60);
    body["max_per_day"] = json!(4);
    body["active"] = json!(false);
    let updated = json_of(app.send(Method::PUT, &path, Some(t), Some(body)).await).await;
    assert_eq!(updated["id"], id.as_str());
    assert_eq!(updated["user_id"], user_id.as_str());
    assert_eq!(
        updated["practice_areas"],
        json!(["family", "estate_planning"])
    );
    assert_eq!(updated["buffer_minutes"], 0);
    assert_eq!(updated["min_notice_minutes"], 1440);
    assert_eq!(updated["horizon_days"], 60);
    assert_eq!(updated["max_per_day"], 4);
    assert_eq!(updated["active"], false);
    assert_eq!(json_of(app.get(&path, t).await).await, updated);

    // Refusals, each naming the field.
    let cases = [
        (json!({"practice_areas": ["immigration"]}), "practice_areas"),
        (json!({"practice_areas": []}), "practice_areas"),
        (
            json!({"practice_areas": ["family", "family"]}),
            "practice_areas",
        ),
        (json!({"name": "  "}), "name"),
        (json!({"email": "nope"}), "email"),
        (json!({"buffer_minutes": 241}), "buffer_minutes"),
        (json!({"min_notice_minutes": 20161}), "min_notice_minutes"),
        (json!({"horizon_days": 0}), "horizon_days"),
        (json!({"horizon_days": 366}), "horizon_days"),
        (json!({"max_per_day": 0}), "max_per_day"),
        (
            json!({"user_id": uuid::Uuid::new_v4().to_string()}),
            "user_id",
        ),
    ];
    for (patch, field) in cases {
        let mut body = maria();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let resp = app
            .send(
                Method::POST,
                "/api/v1/attorneys",
                Some(t),
                Some(body.clone()),
            )
            .await;
        assert_invalid(resp, field, &format!("create {patch}")).await;
        let resp = app.send(Method::PUT, &path, Some(t), Some(body)).await;
        assert_invalid(resp, field, &format!("replace {patch}")).await;
    }
    // Another firm's user cannot be linked.
    let mut body = maria();
    body["user_id"] = json!(app.bravo.admin_id);
    let resp = app
        .send(Method::POST, "/api/v1/attorneys", Some(t), Some(body))
        .await;
    assert_invalid(resp, "user_id", "another firm's user").await;
    // Unknown fields and a bad schedule are 400s.
    let mut body = maria();
    body["hourly_rate"] = json!(300);
    let resp = app
        .send(Method::POST, "/api/v1/attorneys", Some(t), Some(body))
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let mut body = maria();
    body["availability"] = json!({"monday": [{"start": "12:00", "end": "09:00"}]});
    let resp = app
        .send(Method::POST, "/api/v1/attorneys", Some(t), Some(body))
        .await;
    assert!(
        matches!(
            resp.status(),
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
        ),
        "{}",
        resp.status()
    );
    // Still the one attorney, unchanged.
    assert_eq!(json_of(app.get(&path, t).await).await, updated);
    let list = json_of(app.get("/api/v1/attorneys", t).await).await;
    assert_eq!(list["attorneys"].as_array().unwrap().len(), 1);

    // Delete, then it is gone.
    let resp = app.send(Method::DELETE, &path, Some(t), None).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = app.get(&path, t).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(resp).await, "not_found");
    let resp = app.send(Method::DELETE, &path, Some(t), None).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = app.send(Method::PUT, &path, Some(t), Some(maria())).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = app.get("/api/v1/attorneys/not-an-id", t).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // The changes are audited.
    let page = json_of(app.get("/api/v1/audit?limit=100", t).await).await;
    let actions: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in ["attorney.create", "attorney.update", "attorney.delete"] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

#[tokio::test]
async fn an_area_an_attorney_takes_cannot_be_removed() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let t = &admin.access;
    let family = json!({"key": "family", "consultation_minutes": 30, "free_consultation": true});
    let estate =
        json!({"key": "estate_planning", "consultation_minutes": 60, "free_consultation": false});
    set_areas(&app, t, json!([family, estate])).await;
    let attorney = create_attorney(&app, t, maria()).await;
    let id = attorney["id"].as_str().unwrap();

    // Dropping estate planning is fine: nobody takes it.
    set_areas(&app, t, json!([family])).await;
    // Dropping family is not while Maria takes it.
    let resp = put(
        &app,
        t,
        "practice-areas",
        json!({"areas": [estate.clone()]}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "practice_area_in_use");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("family") && msg.contains("Maria Lopez"),
        "{msg}"
    );
    let resp = put(&app, t, "practice-areas", json!({"areas": []})).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let areas = json_of(app.get("/api/v1/settings/practice-areas", t).await).await;
    let areas = areas["areas"].as_array().unwrap();
    assert_eq!(areas.len(), 1, "unchanged");
    assert_eq!(areas[0]["key"], "family");

    // Changing its terms keeps the area, so that is fine.
    let longer = json!({"key": "family", "consultation_minutes": 45, "free_consultation": false});
    set_areas(&app, t, json!([longer, estate])).await;

    // Once Maria moves to estate planning, family can go.
    let mut body = maria();
    body["practice_areas"] = json!(["estate_planning"]);
    let resp = app
        .send(
            Method::PUT,
            &format!("/api/v1/attorneys/{id}"),
            Some(t),
            Some(body),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    set_areas(&app, t, json!([estate])).await;
}

#[tokio::test]
async fn attorneys_are_per_firm() {
    let app = spawn_app().await;
    let alpha = app.admin(&app.alpha).await;
    let bravo = app.admin(&app.bravo).await;
    let family = json!([{"key": "family", "consultation_minutes": 30, "free_consultation": true}]);
    set_areas(&app, &alpha.access, family.clone()).await;
    set_areas(&app, &bravo.access, family).await;
    let theirs = create_attorney(&app, &bravo.access, maria()).await;
    let theirs_id = theirs["id"].as_str().unwrap();
    let ours = create_attorney(
        &app,
        &alpha.access,
        json!({"name": "Ana Ruiz", "practice_areas": ["family"], "availability": {}}),
    )
    .await;

    let list = json_of(app.get("/api/v1/attorneys", &alpha.access).await).await;
    let list = list["attorneys"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], ours["id"]);
    let path = format!("/api/v1/attorneys/{theirs_id}");
    for method in [Method::GET, Method::PUT, Method::DELETE] {
        let body = (method == Method::PUT).then(maria);
        let resp = app
            .send(method.clone(), &path, Some(&alpha.access), body)
            .await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{method}");
    }
    // Untouched.
    assert_eq!(json_of(app.get(&path, &bravo.access).await).await, theirs);
}
