//! Offices (the Enterprise plan): one firm answering in New York and
//! Seattle, each office with its numbers, hours, time zone and attorneys.
//! The plan gate and validation; each attorney scheduled in their office's
//! zone (availability, bookings, invitations); a phone call to an office's
//! number answered as that office; a chat started on an office's site
//! offered only that office's consultations.

use chrono::{DateTime, Timelike, Utc};
use hermes::simulate::Step;
use hermes_core::Plan;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::firm_settings::{all_week, create_attorney, set_areas};
use crate::helpers::*;
use crate::plans::set_plan;
use crate::voice::{ended_call, install_engines, intake, simulation, telephony};

const NYC_NUMBER: &str = "+12125550100";
const SEATTLE_NUMBER: &str = "+12065550100";

fn office(key: &str, name: &str, tz: &str, number: &str) -> Value {
    json!({
        "key": key,
        "name": name,
        "spoken_name": format!("Alpha Law in {name}"),
        "time_zone": tz,
        "phone_numbers": [number],
        "address": {"street": "1 Main St", "city": name, "region": "NY", "postal_code": "10001"},
        "hours": {"weekly": all_week("00:00", "23:30"), "after_hours": "book"},
    })
}

fn two_offices() -> Value {
    json!({"offices": [
        office("nyc", "New York", "America/New_York", NYC_NUMBER),
        office("seattle", "Seattle", "America/Los_Angeles", SEATTLE_NUMBER),
    ]})
}

async fn put_offices(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/offices",
            Some(token),
            Some(body),
        )
        .await;
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

/// An attorney taking family consultations 09:00 to 10:00 every day in
/// their office's zone, with no notice or buffer.
fn attorney(name: &str, office: Option<&str>) -> Value {
    let mut a = json!({
        "name": name,
        "practice_areas": ["family"],
        "availability": all_week("09:00", "10:00"),
        "buffer_minutes": 0,
        "min_notice_minutes": 0,
        "horizon_days": 10,
    });
    if let Some(o) = office {
        a["office"] = o.into();
    }
    a
}

/// An Enterprise firm with both offices and one family attorney in each:
/// (admin token, New York attorney id, Seattle attorney id).
async fn enterprise_firm(app: &TestApp) -> (String, String, String) {
    let admin = app.admin(&app.alpha).await.access;
    set_areas(
        app,
        &admin,
        json!([{"key": "family", "consultation_minutes": 30, "free_consultation": true}]),
    )
    .await;
    set_plan(app, &app.alpha, Plan::Enterprise).await;
    let (status, body) = put_offices(app, &admin, two_offices()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ny = create_attorney(app, &admin, attorney("Nora York", Some("nyc"))).await;
    let sea = create_attorney(app, &admin, attorney("Sam Sound", Some("seattle"))).await;
    (
        admin,
        ny["id"].as_str().unwrap().to_owned(),
        sea["id"].as_str().unwrap().to_owned(),
    )
}

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Local wall-clock hour and minute of `start` in `tz`.
fn local_hm(start: &str, tz: chrono_tz::Tz) -> (u32, u32) {
    let t = instant(start).with_timezone(&tz);
    (t.hour(), t.minute())
}

#[tokio::test]
async fn offices_are_an_enterprise_feature_and_are_validated() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await.access;
    set_areas(
        &app,
        &admin,
        json!([{"key": "family", "consultation_minutes": 30, "free_consultation": true}]),
    )
    .await;

    // Professional: no offices (removing none is fine).
    let (status, body) = put_offices(&app, &admin, two_offices()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "plan_required");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Enterprise"),
        "{body}"
    );
    let (status, _) = put_offices(&app, &admin, json!({"offices": []})).await;
    assert_eq!(status, StatusCode::OK);

    set_plan(&app, &app.alpha, Plan::Enterprise).await;
    let (status, saved) = put_offices(&app, &admin, two_offices()).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let got = app.get_json("/api/v1/settings/offices", &admin).await;
    assert_eq!(got, saved);
    assert_eq!(got["offices"][0]["time_zone"], "America/New_York");
    // Everyone may read them; only admins change them.
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    let seen = app
        .get_json("/api/v1/settings/offices", &staff.access)
        .await;
    assert_eq!(seen, saved);
    let (status, _) = put_offices(&app, &staff.access, two_offices()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Another firm sees none of them.
    let bravo = app.admin(&app.bravo).await.access;
    let theirs = app.get_json("/api/v1/settings/offices", &bravo).await;
    assert_eq!(theirs, json!({"offices": []}));

    // A number belongs to one office; zones are IANA names.
    let mut clash = two_offices();
    clash["offices"][1]["phone_numbers"] = json!([NYC_NUMBER]);
    let (status, body) = put_offices(&app, &admin, clash).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("both nyc and seattle")
    );
    let mut zone = two_offices();
    zone["offices"][0]["time_zone"] = "EST".into();
    let (status, body) = put_offices(&app, &admin, zone).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // An attorney works from an office the firm has.
    let resp = app
        .send(
            Method::POST,
            "/api/v1/attorneys",
            Some(&admin),
            Some(attorney("Bo Ston", Some("boston"))),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("boston"),
        "{body}"
    );
    let ny = create_attorney(&app, &admin, attorney("Nora York", Some("nyc"))).await;
    assert_eq!(ny["office"], "nyc");

    // Its office cannot go while the attorney works from it.
    let only_seattle = json!({"offices": [two_offices()["offices"][1].clone()]});
    let (status, body) = put_offices(&app, &admin, only_seattle).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "office_in_use");

    // Every change is in the audit log.
    let audit = app
        .get_json("/api/v1/audit?action=settings.update", &admin)
        .await;
    let offices_changes = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["details"]["section"] == "offices")
        .count();
    assert_eq!(offices_changes, 2, "{audit:#}");
}

#[tokio::test]
async fn each_attorney_is_scheduled_in_their_offices_zone() {
    let app = spawn_app().await;
    let (admin, ny, sea) = enterprise_firm(&app).await;
    let new_york = chrono_tz::America::New_York;
    let seattle = chrono_tz::America::Los_Angeles;

    // The whole firm: each attorney's 9 to 10 in their own office's zone.
    let all = app
        .get_json("/api/v1/availability?practice_area=family", &admin)
        .await;
    assert_eq!(all["time_zone"], "America/Chicago", "the firm's zone");
    let slots = all["slots"].as_array().unwrap();
    for (id, tz) in [(&ny, new_york), (&sea, seattle)] {
        let mine: Vec<&Value> = slots.iter().filter(|s| s["attorney_id"] == **id).collect();
        assert!(mine.len() >= 10, "{all:#}");
        for s in &mine {
            let hm = local_hm(s["start"].as_str().unwrap(), tz);
            assert!(hm == (9, 0) || hm == (9, 30), "{id} at {hm:?} in {tz}: {s}");
        }
    }
    // In order, across the offices.
    let starts: Vec<DateTime<Utc>> = slots
        .iter()
        .map(|s| instant(s["start"].as_str().unwrap()))
        .collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]));

    // One office: its attorneys only, shown in its zone.
    let nyc = app
        .get_json(
            "/api/v1/availability?practice_area=family&office=nyc",
            &admin,
        )
        .await;
    assert_eq!(nyc["time_zone"], "America/New_York");
    let nyc_slots = nyc["slots"].as_array().unwrap();
    assert!(!nyc_slots.is_empty());
    assert!(nyc_slots.iter().all(|s| s["attorney_id"] == *ny.as_str()));
    assert!(
        nyc_slots[0]["spoken"]
            .as_str()
            .unwrap()
            .contains("Eastern time"),
        "{}",
        nyc_slots[0]
    );
    let offers = app
        .get_json(
            "/api/v1/availability/offers?practice_area=family&office=seattle",
            &admin,
        )
        .await;
    assert_eq!(offers["time_zone"], "America/Los_Angeles");
    assert!(
        offers["options"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["attorney_id"] == *sea.as_str())
    );
    let resp = app
        .get(
            "/api/v1/availability?practice_area=family&office=boston",
            &admin,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A booking is checked in the attorney's zone: the New York attorney's
    // 9:00 is bookable; the same wall-clock 9:00 in Seattle is noon in New
    // York, outside her hours.
    let first = &nyc_slots[0];
    let start = instant(first["start"].as_str().unwrap());
    let seattle_nine = start.with_timezone(&new_york).naive_local();
    let seattle_nine = chrono::TimeZone::from_local_datetime(&seattle, &seattle_nine)
        .single()
        .unwrap()
        .with_timezone(&Utc);
    let book = |start: DateTime<Utc>| {
        json!({"attorney_id": ny, "practice_area": "family",
               "start": start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
               "client": {"name": "Maria Lopez", "email": "maria@example.com"}})
    };
    let resp = app
        .send(
            Method::POST,
            "/api/v1/bookings",
            Some(&admin),
            Some(book(seattle_nine)),
        )
        .await;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert!(
        status == StatusCode::CONFLICT || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{status} {body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be booked"),
        "{body}"
    );
    let resp = app
        .send(
            Method::POST,
            "/api/v1/bookings",
            Some(&admin),
            Some(book(start)),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    let booking: Value = resp.json().await.unwrap();

    // Her invitation is in New York time, at the New York office.
    let resp = app
        .get(
            &format!("/api/v1/bookings/{}.ics", booking["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let ics = resp.text().await.unwrap();
    assert!(ics.contains("DTSTART;TZID=America/New_York:"), "{ics}");
    assert!(ics.contains("TZID:America/New_York"), "{ics}");
    assert!(ics.contains("New York"), "{ics}");

    // The firm's closures close every office: closing the day of that
    // first slot (a New York date) leaves the New York attorney none on it.
    let date = start.with_timezone(&new_york).date_naive().to_string();
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/hours",
            Some(&admin),
            Some(
                json!({"weekly": all_week("09:00", "17:00"), "after_hours": "book",
                        "closures": [{"start": date, "end": date, "reason": "Firm retreat"}]}),
            ),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let nyc = app
        .get_json(
            "/api/v1/availability?practice_area=family&office=nyc",
            &admin,
        )
        .await;
    let on_that_day = nyc["slots"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            instant(s["start"].as_str().unwrap())
                .with_timezone(&new_york)
                .date_naive()
                .to_string()
                == date
        })
        .count();
    assert_eq!(on_that_day, 0, "{nyc:#}");
}

#[tokio::test]
async fn a_chat_on_an_offices_site_books_that_offices_attorney() {
    let app = spawn_app().await;
    let (admin, ny, _) = enterprise_firm(&app).await;
    let resp = app
        .send(
            Method::POST,
            &format!(
                "/api/v1/tenants/{}/conversations?office=seattle",
                app.alpha.slug
            ),
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = app
        .send(
            Method::POST,
            &format!(
                "/api/v1/tenants/{}/conversations?office=boston",
                app.alpha.slug
            ),
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let resp = app
        .send(
            Method::POST,
            &format!(
                "/api/v1/tenants/{}/conversations?office=nyc",
                app.alpha.slug
            ),
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let started: Value = resp.json().await.unwrap();
    let opening = started["reply"].as_str().unwrap().to_owned();
    assert!(opening.contains("Alpha Law in New York"), "{opening}");
    let token = started["conversation_id"].as_str().unwrap();
    let mut said = vec![opening];
    let script = crate::intake::DIVORCE_OPENING;
    let done = crate::intake::book_a_divorce_consultation(&app, token, &script, &mut said).await;
    assert!(done, "{said:#?}");
    let offered: Vec<&String> = said.iter().filter(|s| s.contains(" time")).collect();
    assert!(
        offered.iter().any(|s| s.contains("Eastern time"))
            && !offered
                .iter()
                .any(|s| s.contains("Pacific time") || s.contains("Central time")),
        "{said:#?}"
    );
    let list = app.get_json("/api/v1/intakes", &admin).await;
    let record = &list["intakes"][0]["record"];
    assert_eq!(record["office"], "nyc", "{record:#}");
    let booking = app
        .get_json(
            &format!(
                "/api/v1/bookings/{}",
                record["booking"]["id"].as_str().unwrap()
            ),
            &admin,
        )
        .await;
    assert_eq!(booking["attorney_id"], *ny.as_str(), "{booking:#}");
}

#[tokio::test]
async fn a_call_to_an_offices_number_is_answered_as_that_office() {
    let app = spawn_app().await;
    let (_, _, _) = enterprise_firm(&app).await;
    let admin = telephony(
        &app,
        &app.alpha,
        json!({"numbers": ["+15035550100", NYC_NUMBER, SEATTLE_NUMBER]}),
    )
    .await;
    let lines = ["yes"];
    install_engines(&app, &lines, 15);
    let mut sim = simulation(&app, &app.alpha, &lines);
    sim.to = SEATTLE_NUMBER.into();
    let steps = vec![
        Step::Say("yes".into()),
        Step::Wait(std::time::Duration::from_secs(2)),
        Step::Hangup,
    ];
    sim.run(&steps).await.unwrap();
    let call = ended_call(&app, &admin).await;
    assert_eq!(call["to"], SEATTLE_NUMBER);
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    let record = &i["record"];
    assert_eq!(record["office"], "seattle", "{record:#}");
    let greeting = record["transcript"][0]["text"].as_str().unwrap();
    assert!(
        greeting.starts_with("Thank you for calling Alpha Law in Seattle."),
        "{greeting}"
    );
    assert!(greeting.contains("not a lawyer"), "{greeting}");
}
