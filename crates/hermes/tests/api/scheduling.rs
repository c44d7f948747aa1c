//! Consultation scheduling over HTTP: open slots, holds that lapse,
//! bookings that wait on a conflict review, cancelling, rescheduling, the
//! iCalendar invitation, and — the issue's acceptance test — one booking
//! out of fifty simultaneous attempts on one slot, on SQLite and on
//! PostgreSQL.
//!
//! Why: a double-booked consultation is a prospective client turned away
//! in the lobby; a booking made before the conflict check is decided
//! commits the firm to a meeting it may not be allowed to take; and an
//! invitation is the one artefact that leaves the firm, so it must parse in
//! other people's calendars and must not name the client or the matter.
//! Slot times always come from `/availability` against the real clock (the
//! test attorney takes consultations around the clock with no notice), so
//! the tests run at any hour.

use chrono::{DateTime, Datelike, Duration, FixedOffset, Timelike, Utc};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::conflicts::open_review;
use crate::firm_settings::{all_week, create_attorney, set_areas};
use crate::helpers::*;

/// A firm that offers 30-minute family consultations with one attorney
/// who takes them any time of day (00:00–23:30 firm time, every day, no
/// notice, 15-minute buffer).
pub struct Calendar {
    pub admin: Session,
    pub attorney: String,
}

pub async fn calendar(app: &TestApp, firm: &Firm) -> Calendar {
    calendar_for(app, firm, "family").await
}

/// [`calendar`] for another practice area.
pub async fn calendar_for(app: &TestApp, firm: &Firm, area: &str) -> Calendar {
    let admin = app.admin(firm).await;
    set_areas(
        app,
        &admin.access,
        json!([{"key": area, "consultation_minutes": 30, "free_consultation": true}]),
    )
    .await;
    let attorney = create_attorney(
        app,
        &admin.access,
        json!({
            "name": "Maria Lopez",
            "email": format!("maria@{}.example", firm.slug),
            "practice_areas": [area],
            "availability": all_week("00:00", "23:30"),
            "buffer_minutes": 15,
            "min_notice_minutes": 0,
            "horizon_days": 30,
        }),
    )
    .await;
    Calendar {
        admin,
        attorney: attorney["id"].as_str().unwrap().to_owned(),
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

fn local(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// `GET /availability` for `query` (after `practice_area=family`).
async fn availability(app: &TestApp, token: &str, query: &str) -> Value {
    let resp = app
        .get(
            &format!("/api/v1/availability?practice_area=family{query}"),
            token,
        )
        .await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{query}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// The attorney's open slots between `from_hours` and `to_hours` from now.
async fn slots(
    app: &TestApp,
    token: &str,
    attorney: &str,
    from_hours: i64,
    to_hours: i64,
) -> Vec<Value> {
    let now = Utc::now();
    let from = rfc3339(now + Duration::hours(from_hours));
    let to = rfc3339(now + Duration::hours(to_hours));
    let a = availability(
        app,
        token,
        &format!("&attorney_id={attorney}&from={from}&to={to}"),
    )
    .await;
    a["slots"].as_array().unwrap().clone()
}

/// `n` open slot starts (firm-time RFC 3339) a day or more ahead, at least
/// three hours apart and away from the ends of the attorney's day, so a
/// neighbouring slot an hour either side exists too.
pub async fn free_starts(app: &TestApp, token: &str, attorney: &str, n: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let all = slots(app, token, attorney, 24, 24 * 4).await;
    // Two hours in from the window's start, so an earlier neighbour exists
    // whatever the hour the test runs.
    let earliest = all
        .first()
        .map(|s| instant(s["start"].as_str().unwrap()) + Duration::hours(2));
    for s in all {
        let start = s["start"].as_str().unwrap();
        if earliest.is_some_and(|e| instant(start) < e) {
            continue;
        }
        let hour = local(start).hour();
        let far = out
            .last()
            .is_none_or(|prev| instant(start) - instant(prev) >= Duration::hours(3));
        if (2..=20).contains(&hour) && far {
            out.push(start.to_owned());
            if out.len() == n {
                return out;
            }
        }
    }
    panic!("fewer than {n} open slots in three days");
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> Response {
    app.send(Method::POST, path, Some(token), Some(body)).await
}

/// `POST /api/v1/bookings` for `attorney` at `start` (family).
pub async fn book_direct(app: &TestApp, token: &str, attorney: &str, start: &str) -> Response {
    post(
        app,
        "/api/v1/bookings",
        token,
        json!({"attorney_id": attorney, "practice_area": "family", "start": start}),
    )
    .await
}

async fn created(resp: Response) -> Value {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn ok(resp: Response) -> Value {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// Asserts a 409 that says the slot is gone.
async fn assert_slot_taken(resp: Response, what: &str) {
    assert_eq!(resp.status(), StatusCode::CONFLICT, "{what}");
    let code = error_code(resp).await;
    assert!(
        code == "slot_taken" || code == "slot_unavailable",
        "{what}: {code}"
    );
}

async fn booking(app: &TestApp, token: &str, id: &str) -> Value {
    ok(app.get(&format!("/api/v1/bookings/{id}"), token).await).await
}

/// The attorney's bookings that hold `start` right now.
async fn active_at(app: &TestApp, token: &str, attorney: &str, start: &str) -> Vec<Value> {
    let list = ok(app
        .get(
            &format!("/api/v1/bookings?attorney_id={attorney}&limit=500"),
            token,
        )
        .await)
    .await;
    let now = Utc::now();
    list["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| instant(b["start"].as_str().unwrap()) == instant(start))
        .filter(|b| match b["status"].as_str().unwrap() {
            "tentative" | "confirmed" => true,
            "held" => instant(b["hold_expires_at"].as_str().unwrap()) > now,
            _ => false,
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn availability_shape_rules_and_time_zones() {
    let app = spawn_app().await;
    let cal = calendar(&app, &app.alpha).await;
    let (_, ro) = app.user_with_role(&app.alpha, "READ_ONLY").await;
    let now = Utc::now();
    let from = rfc3339(now + Duration::days(1));
    let to = rfc3339(now + Duration::days(2));
    let window = format!("&attorney_id={}&from={from}&to={to}", cal.attorney);

    // In the firm's zone by default; read-only users may look.
    let a = availability(&app, &ro.access, &window).await;
    assert_eq!(a["practice_area"], "family");
    assert_eq!(a["consultation_minutes"], 30);
    assert_eq!(a["free_consultation"], true);
    assert_eq!(a["time_zone"], "America/Chicago");
    let firm_slots = a["slots"].as_array().unwrap();
    // A day of a round-the-clock attorney: about 47 half hours.
    assert!(firm_slots.len() >= 40, "{}", firm_slots.len());
    for s in firm_slots {
        assert_eq!(s["attorney_id"], cal.attorney.as_str());
        assert_eq!(s["attorney_name"], "Maria Lopez");
        let start = local(s["start"].as_str().unwrap());
        let end = local(s["end"].as_str().unwrap());
        let offset = start.offset().local_minus_utc();
        assert!(
            offset == -5 * 3600 || offset == -6 * 3600,
            "Chicago offset: {start}"
        );
        assert_eq!(end - start, Duration::minutes(30));
        assert!(
            start.minute().is_multiple_of(30) && start.second() == 0,
            "grid: {start}"
        );
        assert!(start.with_timezone(&Utc) >= instant(&from));
        // Slots start in [from, to).
        assert!(start.with_timezone(&Utc) < instant(&to));
        assert!(!s["spoken"].as_str().unwrap().is_empty());
    }
    let starts: Vec<DateTime<Utc>> = firm_slots
        .iter()
        .map(|s| instant(s["start"].as_str().unwrap()))
        .collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "in order");

    // The same slots rendered for a caller in New York: an hour later on
    // the wall clock, the same instants.
    let ny = availability(
        &app,
        &cal.admin.access,
        &format!("{window}&tz=America/New_York"),
    )
    .await;
    assert_eq!(ny["time_zone"], "America/New_York");
    let ny_slots = ny["slots"].as_array().unwrap();
    assert_eq!(ny_slots.len(), firm_slots.len());
    for (n, c) in ny_slots.iter().zip(firm_slots) {
        let (ns, cs) = (
            local(n["start"].as_str().unwrap()),
            local(c["start"].as_str().unwrap()),
        );
        assert_eq!(ns, cs, "same instant");
        assert_eq!(
            ns.offset().local_minus_utc() - cs.offset().local_minus_utc(),
            3600,
            "{ns} vs {cs}"
        );
        assert!(
            n["start"].as_str().unwrap().ends_with("-04:00")
                || n["start"].as_str().unwrap().ends_with("-05:00"),
            "{n}"
        );
        assert!(
            n["spoken"].as_str().unwrap().contains("Eastern"),
            "{}",
            n["spoken"]
        );
    }
    // And in UTC.
    let utc = availability(&app, &cal.admin.access, &format!("{window}&tz=UTC")).await;
    let first = utc["slots"][0]["start"].as_str().unwrap();
    assert!(first.ends_with("+00:00") || first.ends_with('Z'), "{first}");

    // A booking takes its slot and its buffer: with a 15-minute buffer the
    // half hours either side go too, the hours either side stay.
    // Away from both ends of the window, so its neighbours are in it too
    // whatever the hour the test runs.
    // And whose neighbours an hour either side were open slots before the
    // booking (not past the end of the attorney's day, whatever the hour).
    let pick = firm_slots
        .iter()
        .map(|s| s["start"].as_str().unwrap())
        .find(|s| {
            let at = instant(s);
            at >= instant(&from) + Duration::hours(2)
                && at + Duration::hours(2) <= instant(&to)
                && [-60, -30, 30, 60]
                    .iter()
                    .all(|m| starts.contains(&(at + Duration::minutes(*m))))
        })
        .unwrap()
        .to_owned();
    created(book_direct(&app, &cal.admin.access, &cal.attorney, &pick).await).await;
    let after = availability(&app, &ro.access, &window).await;
    let open: Vec<DateTime<Utc>> = after["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| instant(s["start"].as_str().unwrap()))
        .collect();
    let at = instant(&pick);
    for gone in [at - Duration::minutes(30), at, at + Duration::minutes(30)] {
        assert!(!open.contains(&gone), "{gone} should be taken");
    }
    for free in [at - Duration::minutes(60), at + Duration::minutes(60)] {
        assert!(open.contains(&free), "{free} should be open");
    }

    // Refusals.
    let far = rfc3339(now + Duration::days(70));
    for (query, status) in [
        (
            format!("&from={from}&to={far}"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            format!("&from={to}&to={from}"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            format!("&attorney_id={}", uuid::Uuid::new_v4()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "&tz=Mars/Olympus".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("&from=tomorrow".to_owned(), StatusCode::BAD_REQUEST),
        ("&colour=red".to_owned(), StatusCode::BAD_REQUEST),
    ] {
        let resp = app
            .get(
                &format!("/api/v1/availability?practice_area=family{query}"),
                &cal.admin.access,
            )
            .await;
        assert_eq!(resp.status(), status, "{query}");
    }
    let resp = app
        .get(
            "/api/v1/availability?practice_area=immigration",
            &cal.admin.access,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let msg = resp.text().await.unwrap();
    assert!(msg.contains("practice_area"), "{msg}");
}

#[tokio::test]
async fn availability_follows_the_attorneys_rules_and_closures() {
    let app = spawn_app().await;
    let cal = calendar(&app, &app.alpha).await;
    let t = &cal.admin.access;
    // Mondays 09:00–12:00 only, a day's notice, two weeks ahead, one a day.
    let picky = create_attorney(
        &app,
        t,
        json!({
            "name": "Paul Picky",
            "practice_areas": ["family"],
            "availability": {"monday": [{"start": "09:00", "end": "12:00"}]},
            "buffer_minutes": 0,
            "min_notice_minutes": 1440,
            "horizon_days": 14,
            "max_per_day": 1,
        }),
    )
    .await;
    let picky = picky["id"].as_str().unwrap();
    let now = Utc::now();
    let all = slots(&app, t, picky, 0, 24 * 20).await;
    assert!(!all.is_empty());
    for s in &all {
        let start = local(s["start"].as_str().unwrap());
        let end = local(s["end"].as_str().unwrap());
        assert_eq!(start.weekday(), chrono::Weekday::Mon, "{start}");
        assert!(start.hour() >= 9, "{start}");
        assert!(
            end.hour() < 12 || (end.hour() == 12 && end.minute() == 0),
            "{end}"
        );
        assert!(
            start.with_timezone(&Utc) >= now + Duration::hours(24),
            "notice: {start}"
        );
        assert!(
            start.with_timezone(&Utc) <= now + Duration::days(15),
            "horizon: {start}"
        );
    }
    // Both attorneys without attorney_id.
    let both = availability(&app, t, "").await;
    let ids: std::collections::BTreeSet<&str> = both["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["attorney_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(picky) && ids.contains(cal.attorney.as_str()),
        "{ids:?}"
    );

    // One a day: once a Monday is booked, that Monday is gone.
    let first = all[0]["start"].as_str().unwrap().to_owned();
    let day = local(&first).date_naive();
    created(book_direct(&app, t, picky, &first).await).await;
    let after = slots(&app, t, picky, 0, 24 * 20).await;
    assert!(
        after
            .iter()
            .all(|s| local(s["start"].as_str().unwrap()).date_naive() != day),
        "max_per_day"
    );
    // Booking past the cap is refused too.
    let resp = book_direct(&app, t, picky, all[1]["start"].as_str().unwrap()).await;
    if local(all[1]["start"].as_str().unwrap()).date_naive() == day {
        assert_slot_taken(resp, "over the daily cap").await;
    }

    // A closure takes the whole day away, for every attorney.
    let round_the_clock = slots(&app, t, &cal.attorney, 24, 48).await;
    let closed = local(
        round_the_clock[round_the_clock.len() / 2]["start"]
            .as_str()
            .unwrap(),
    )
    .date_naive();
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/hours",
            Some(t),
            Some(json!({
                "weekly": all_week("09:00", "17:00"),
                "closures": [{"start": closed.to_string(), "end": closed.to_string(), "reason": "Staff retreat"}],
                "after_hours": "take_message",
            })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let after = slots(&app, t, &cal.attorney, 0, 24 * 5).await;
    assert!(!after.is_empty());
    assert!(
        after
            .iter()
            .all(|s| local(s["start"].as_str().unwrap()).date_naive() != closed),
        "closed on {closed}"
    );
    let on_closed_day = round_the_clock
        .iter()
        .map(|s| s["start"].as_str().unwrap())
        .find(|s| local(s).date_naive() == closed)
        .unwrap();
    let resp = book_direct(&app, t, &cal.attorney, on_closed_day).await;
    assert_slot_taken(resp, "a closure day").await;

    // Too soon for the picky attorney, off the grid, outside hours.
    let soon = rfc3339(now + Duration::hours(2));
    let resp = book_direct(&app, t, picky, &soon).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let ok_start = instant(round_the_clock[0]["start"].as_str().unwrap());
    let off_grid = rfc3339(ok_start + Duration::minutes(7));
    let resp = book_direct(&app, t, &cal.attorney, &off_grid).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT, "off the grid");
    let beyond = rfc3339(now + Duration::days(40));
    let resp = book_direct(&app, t, &cal.attorney, &beyond).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT, "beyond the horizon");
}

/// Local wall-clock hours of each slot, checked against 09:00–12:00 in a
/// zone whose UTC offsets are `offsets` (hours).
fn assert_mornings_in(slots: &[Value], offsets: [i32; 2], what: &str) {
    assert!(!slots.is_empty(), "{what}: no slots");
    for s in slots {
        let start = local(s["start"].as_str().unwrap());
        let end = local(s["end"].as_str().unwrap());
        let offset = start.offset().local_minus_utc() / 3600;
        assert!(offsets.contains(&offset), "{what}: offset of {start}");
        assert!(start.hour() >= 9, "{what}: {start}");
        assert!(
            end.hour() < 12 || (end.hour() == 12 && end.minute() == 0),
            "{what}: {end}"
        );
    }
}

#[tokio::test]
async fn the_firm_time_zone_governs_availability_and_invitations() {
    let app = spawn_app().await;
    let cal = calendar(&app, &app.alpha).await;
    let t = &cal.admin.access;
    let mornings = create_attorney(
        &app,
        t,
        json!({"name": "Lina Park", "practice_areas": ["family"],
               "availability": all_week("09:00", "12:00"), "min_notice_minutes": 0}),
    )
    .await;
    let id = mornings["id"].as_str().unwrap();
    assert_mornings_in(&slots(&app, t, id, 0, 24 * 3).await, [-5, -6], "Chicago");

    let resp = app
        .send(
            Method::PATCH,
            "/api/v1/settings/firm",
            Some(t),
            Some(json!({"time_zone": "America/Los_Angeles"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let a = availability(&app, t, &format!("&attorney_id={id}")).await;
    assert_eq!(a["time_zone"], "America/Los_Angeles");
    let la = slots(&app, t, id, 0, 24 * 3).await;
    assert_mornings_in(&la, [-7, -8], "Los Angeles");

    // The invitation is in the firm's zone too.
    let start = la
        .iter()
        .map(|s| s["start"].as_str().unwrap())
        .find(|s| instant(s) > Utc::now() + Duration::hours(1))
        .unwrap()
        .to_owned();
    let b = created(book_direct(&app, t, id, &start).await).await;
    let body = ics(&app, t, b["id"].as_str().unwrap()).await;
    let unfolded = body.replace("\r\n ", "");
    assert!(unfolded.contains("TZID:America/Los_Angeles"), "{body}");
    let local_start = local(&start).format("%Y%m%dT%H%M%S").to_string();
    assert!(
        unfolded.contains(&format!("DTSTART;TZID=America/Los_Angeles:{local_start}")),
        "{body}"
    );
    if let Some(python) = python_with_icalendar() {
        let parsed = parse_with_python(&python, &body);
        assert_eq!(instant(&parsed.start), instant(&start), "{parsed:?}");
    }
}

#[tokio::test]
async fn holds_expire_and_free_the_slot() {
    let app = spawn_app().await;
    let cal = calendar(&app, &app.alpha).await;
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    let t = &staff.access;
    let start = free_starts(&app, t, &cal.attorney, 1).await.remove(0);
    let hold_body = |secs: u32| json!({"attorney_id": cal.attorney, "practice_area": "family", "start": start, "hold_seconds": secs});

    let hold = created(post(&app, "/api/v1/holds", t, hold_body(1)).await).await;
    assert_eq!(hold["status"], "held");
    assert_eq!(hold["attorney_id"], cal.attorney.as_str());
    assert_eq!(hold["practice_area"], "family");
    assert_eq!(instant(hold["start"].as_str().unwrap()), instant(&start));
    assert_eq!(
        instant(hold["end"].as_str().unwrap()) - instant(&start),
        Duration::minutes(30)
    );
    let expires = instant(hold["hold_expires_at"].as_str().unwrap());
    assert!(
        expires > Utc::now() - Duration::seconds(5) && expires <= Utc::now() + Duration::seconds(2)
    );
    // While held, nobody else gets it, and availability hides it.
    assert_slot_taken(
        post(&app, "/api/v1/holds", t, hold_body(60)).await,
        "second hold",
    )
    .await;
    assert_slot_taken(
        book_direct(&app, t, &cal.attorney, &start).await,
        "booking a held slot",
    )
    .await;
    // A hold has no invitation yet.
    let resp = app
        .get(
            &format!("/api/v1/bookings/{}.ics", hold["id"].as_str().unwrap()),
            t,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    // Lapsed: the old hold cannot be booked, the slot can be held again.
    let resp = post(&app, "/api/v1/bookings", t, json!({"hold_id": hold["id"]})).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(resp).await, "invalid_state");
    let open = slots(&app, t, &cal.attorney, 24, 24 * 4).await;
    assert!(
        open.iter()
            .any(|s| instant(s["start"].as_str().unwrap()) == instant(&start)),
        "the lapsed hold's slot is offered again"
    );
    let again = created(post(&app, "/api/v1/holds", t, hold_body(300)).await).await;
    assert_ne!(again["id"], hold["id"]);

    // Booking the live hold: it becomes the booking, with the client.
    let booked = created(
        post(
            &app,
            "/api/v1/bookings",
            t,
            json!({"hold_id": again["id"], "client": {"name": "Jane Doe", "phone": "(503) 555-0142", "email": "Jane@Example.com"}}),
        )
        .await,
    )
    .await;
    assert_eq!(booked["id"], again["id"]);
    assert_eq!(booked["status"], "confirmed");
    assert!(booked["hold_expires_at"].is_null(), "{booked}");
    assert_eq!(booked["client"]["name"], "Jane Doe");
    assert_eq!(booked["client"]["phone"], "+15035550142");
    assert_eq!(booked["client"]["email"], "jane@example.com");
    // A booked hold cannot be booked twice.
    let resp = post(&app, "/api/v1/bookings", t, json!({"hold_id": again["id"]})).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(active_at(&app, t, &cal.attorney, &start).await.len(), 1);

    // Malformed holds and bookings.
    for secs in [0, 901] {
        let resp = post(&app, "/api/v1/holds", t, hold_body(secs)).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{secs}");
    }
    let resp = post(
        &app,
        "/api/v1/bookings",
        t,
        json!({"hold_id": uuid::Uuid::new_v4()}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = post(
        &app,
        "/api/v1/bookings",
        t,
        json!({"hold_id": again["id"], "start": start}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = post(&app, "/api/v1/bookings", t, json!({})).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // Read-only users may look but not hold or book.
    let (_, ro) = app.user_with_role(&app.alpha, "READ_ONLY").await;
    let resp = post(&app, "/api/v1/holds", &ro.access, hold_body(60)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = book_direct(&app, &ro.access, &cal.attorney, &start).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/api/v1/bookings", &ro.access).await.status(),
        StatusCode::OK
    );
}

async fn decide(app: &TestApp, token: &str, review: &str, decision: &str) -> Value {
    ok(app
        .send(
            Method::POST,
            &format!("/api/v1/conflicts/reviews/{review}/decision"),
            Some(token),
            Some(json!({"decision": decision})),
        )
        .await)
    .await
}

async fn bookings_wait_on_their_review(app: TestApp) {
    let cal = calendar(&app, &app.alpha).await;
    let (_, attorney) = app.user_with_role(&app.alpha, "ATTORNEY").await;
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    let t = &staff.access;
    let starts = free_starts(&app, t, &cal.attorney, 4).await;

    // Booked while the review is open: tentative, and the slot is taken.
    let review = open_review(&app, t).await;
    let direct = created(
        post(
            &app,
            "/api/v1/bookings",
            t,
            json!({"attorney_id": cal.attorney, "practice_area": "family", "start": starts[0], "conflict_review_id": review}),
        )
        .await,
    )
    .await;
    assert_eq!(direct["status"], "tentative");
    assert_eq!(direct["conflict_review_id"], review.as_str());
    let hold = created(
        post(
            &app,
            "/api/v1/holds",
            t,
            json!({"attorney_id": cal.attorney, "practice_area": "family", "start": starts[1]}),
        )
        .await,
    )
    .await;
    let from_hold = created(
        post(
            &app,
            "/api/v1/bookings",
            t,
            json!({"hold_id": hold["id"], "conflict_review_id": review}),
        )
        .await,
    )
    .await;
    assert_eq!(from_hold["status"], "tentative");
    assert_slot_taken(
        book_direct(&app, t, &cal.attorney, &starts[0]).await,
        "a tentative booking's slot",
    )
    .await;
    let waiting = ok(app
        .get(&format!("/api/v1/bookings?conflict_review_id={review}"), t)
        .await)
    .await;
    assert_eq!(waiting["bookings"].as_array().unwrap().len(), 2);

    // Cleared: both are confirmed, in the same step.
    let decision = decide(&app, &attorney.access, &review, "cleared").await;
    let mut changed: Vec<&str> = decision["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap())
        .collect();
    changed.sort_unstable();
    let mut want = vec![
        direct["id"].as_str().unwrap(),
        from_hold["id"].as_str().unwrap(),
    ];
    want.sort_unstable();
    assert_eq!(changed, want);
    for b in [&direct, &from_hold] {
        let now = booking(&app, t, b["id"].as_str().unwrap()).await;
        assert_eq!(now["status"], "confirmed", "{now}");
    }
    // A cleared review books straight to confirmed.
    let later = created(
        post(
            &app,
            "/api/v1/bookings",
            t,
            json!({"attorney_id": cal.attorney, "practice_area": "family", "start": starts[2], "conflict_review_id": review}),
        )
        .await,
    )
    .await;
    assert_eq!(later["status"], "confirmed");

    // Declined: the tentative booking is cancelled and its slot freed.
    let answer = crate::conflicts::check(
        &app,
        t,
        json!([{"name": "John Roe", "role": "client"}, {"name": "Gregory Hale", "role": "adverse"}]),
    )
    .await;
    let declined = answer["review_id"].as_str().unwrap().to_owned();
    let tentative = created(
        post(
            &app,
            "/api/v1/bookings",
            t,
            json!({"attorney_id": cal.attorney, "practice_area": "family", "start": starts[3], "conflict_review_id": declined}),
        )
        .await,
    )
    .await;
    assert_eq!(tentative["status"], "tentative");
    let decision = decide(&app, &cal.admin.access, &declined, "declined").await;
    assert_eq!(decision["bookings"], json!([tentative["id"]]));
    let now = booking(&app, t, tentative["id"].as_str().unwrap()).await;
    assert_eq!(now["status"], "cancelled");
    assert!(
        active_at(&app, t, &cal.attorney, &starts[3])
            .await
            .is_empty()
    );
    let open = slots(&app, t, &cal.attorney, 24, 24 * 4).await;
    assert!(
        open.iter()
            .any(|s| instant(s["start"].as_str().unwrap()) == instant(&starts[3])),
        "a declined booking's slot is offered again"
    );
    // Nothing more can be booked on a declined review.
    let resp = post(
        &app,
        "/api/v1/bookings",
        t,
        json!({"attorney_id": cal.attorney, "practice_area": "family", "start": starts[3], "conflict_review_id": declined}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(resp).await, "conflict_declined");
    assert!(
        active_at(&app, t, &cal.attorney, &starts[3])
            .await
            .is_empty()
    );
    // An unknown review is a 422.
    let resp = post(
        &app,
        "/api/v1/bookings",
        t,
        json!({"attorney_id": cal.attorney, "practice_area": "family", "start": starts[3], "conflict_review_id": uuid::Uuid::new_v4()}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_tentative_booking_is_confirmed_by_clearance_and_cancelled_by_decline_sqlite() {
    bookings_wait_on_their_review(spawn_app().await).await;
}

#[tokio::test]
async fn a_tentative_booking_is_confirmed_by_clearance_and_cancelled_by_decline_postgres() {
    if let Some(app) = spawn_app_pg().await {
        bookings_wait_on_their_review(app).await;
    }
}

/// Fifty callers at once POST `body` to `path`; returns each answer's
/// status and body.
async fn race(app: &TestApp, token: &str, path: &str, body: Value) -> Vec<(StatusCode, Value)> {
    const CALLERS: usize = 50;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(CALLERS));
    let mut tasks = Vec::with_capacity(CALLERS);
    for _ in 0..CALLERS {
        let (client, url, token, body, barrier) = (
            app.client.clone(),
            app.url(path),
            token.to_owned(),
            body.clone(),
            barrier.clone(),
        );
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let resp = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = resp.status();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }));
    }
    let mut out = Vec::with_capacity(CALLERS);
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn exactly_one_winner(results: &[(StatusCode, Value)], what: &str) -> Value {
    let winners: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, b)| b)
        .collect();
    let losers: Vec<&(StatusCode, Value)> = results
        .iter()
        .filter(|(s, _)| *s != StatusCode::CREATED)
        .collect();
    for (status, body) in &losers {
        assert_eq!(*status, StatusCode::CONFLICT, "{what}: {body}");
        let code = body["error"]["code"].as_str().unwrap_or_default();
        assert!(
            code == "slot_taken" || code == "slot_unavailable",
            "{what}: {body}"
        );
    }
    assert_eq!(winners.len(), 1, "{what}: exactly one must win");
    assert_eq!(losers.len(), 49, "{what}");
    winners[0].clone()
}

async fn fifty_bookings_one_slot(app: TestApp) {
    let cal = calendar(&app, &app.alpha).await;
    let t = &cal.admin.access;
    let start = free_starts(&app, t, &cal.attorney, 1).await.remove(0);
    let results = race(
        &app,
        t,
        "/api/v1/bookings",
        json!({"attorney_id": cal.attorney, "practice_area": "family", "start": start}),
    )
    .await;
    let winner = exactly_one_winner(&results, "bookings");
    assert_eq!(winner["status"], "confirmed");
    let active = active_at(&app, t, &cal.attorney, &start).await;
    assert_eq!(active.len(), 1, "{active:?}");
    assert_eq!(active[0]["id"], winner["id"]);
    // Nothing overlapping slipped in either.
    let list = ok(app.get("/api/v1/bookings?limit=500", t).await).await;
    assert_eq!(list["bookings"].as_array().unwrap().len(), 1, "{list}");
}

#[tokio::test]
async fn fifty_concurrent_bookings_of_one_slot_make_one_booking_sqlite() {
    fifty_bookings_one_slot(spawn_app().await).await;
}

#[tokio::test]
async fn fifty_concurrent_bookings_of_one_slot_make_one_booking_postgres() {
    if let Some(app) = spawn_app_pg().await {
        fifty_bookings_one_slot(app).await;
    }
}

async fn fifty_holds_one_slot(app: TestApp) {
    let cal = calendar(&app, &app.alpha).await;
    let t = &cal.admin.access;
    let start = free_starts(&app, t, &cal.attorney, 1).await.remove(0);
    let results = race(
        &app,
        t,
        "/api/v1/holds",
        json!({"attorney_id": cal.attorney, "practice_area": "family", "start": start, "hold_seconds": 600}),
    )
    .await;
    let winner = exactly_one_winner(&results, "holds");
    assert_eq!(winner["status"], "held");
    let active = active_at(&app, t, &cal.attorney, &start).await;
    assert_eq!(active.len(), 1, "{active:?}");
    assert_eq!(active[0]["id"], winner["id"]);
}

#[tokio::test]
async fn fifty_concurrent_holds_of_one_slot_make_one_hold_sqlite() {
    fifty_holds_one_slot(spawn_app().await).await;
}

#[tokio::test]
async fn fifty_concurrent_holds_of_one_slot_make_one_hold_postgres() {
    if let Some(app) = spawn_app_pg().await {
        fifty_holds_one_slot(app).await;
    }
}

#[tokio::test]
async fn cancel_then_rebook_the_same_slot() {
    let app = spawn_app().await;
    let cal = calendar(&app, &app.alpha).await;
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    let t = &staff.access;
    let start = free_starts(&app, t, &cal.attorney, 1).await.remove(0);
    let first = created(book_direct(&app, t, &cal.attorney, &start).await).await;
    assert_eq!(first["status"], "confirmed");
    assert_slot_taken(book_direct(&app, t, &cal.attorney, &start).await, "taken").await;

    let path = format!("/api/v1/bookings/{}", first["id"].as_str().unwrap());
    let cancelled = ok(app
        .send(
            Method::PATCH,
            &path,
            Some(t),
            Some(json!({"status": "cancelled"})),
        )
        .await)
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(
        booking(&app, t, first["id"].as_str().unwrap()).await["status"],
        "cancelled"
    );

    let second = created(book_direct(&app, t, &cal.attorney, &start).await).await;
    assert_ne!(second["id"], first["id"]);
    assert_eq!(second["status"], "confirmed");
    let active = active_at(&app, t, &cal.attorney, &start).await;
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["id"], second["id"]);
    // A cancelled booking cannot be moved back onto the calendar.
    let later = free_starts(&app, t, &cal.attorney, 2).await.remove(1);
    let resp = app
        .send(Method::PATCH, &path, Some(t), Some(json!({"start": later})))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(resp).await, "invalid_state");
    assert!(active_at(&app, t, &cal.attorney, &later).await.is_empty());
    // The list has both, filterable by status and time.
    let list = ok(app.get("/api/v1/bookings?status=cancelled", t).await).await;
    let list = list["bookings"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], first["id"]);
    let list = ok(app.get("/api/v1/bookings?status=confirmed", t).await).await;
    assert_eq!(list["bookings"][0]["id"], second["id"]);
    let at = instant(&start);
    let window = |from: DateTime<Utc>, to: DateTime<Utc>| {
        format!("/api/v1/bookings?from={}&to={}", rfc3339(from), rfc3339(to))
    };
    let around = ok(app
        .get(&window(at - Duration::hours(1), at + Duration::hours(1)), t)
        .await)
    .await;
    assert_eq!(around["bookings"].as_array().unwrap().len(), 2);
    let later_on = ok(app
        .get(
            &window(at + Duration::hours(2), at + Duration::hours(30)),
            t,
        )
        .await)
    .await;
    assert!(later_on["bookings"].as_array().unwrap().is_empty());

    // A cancelled booking cannot come back by PATCH, and status can only
    // be set to cancelled.
    let resp = app
        .send(
            Method::PATCH,
            &path,
            Some(t),
            Some(json!({"status": "confirmed"})),
        )
        .await;
    assert!(
        matches!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST
        ),
        "{}",
        resp.status()
    );
    let resp = app
        .send(Method::PATCH, &path, Some(t), Some(json!({})))
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    for bad in ["?status=maybe", "?limit=0", "?limit=501", "?from=yesterday"] {
        let resp = app.get(&format!("/api/v1/bookings{bad}"), t).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// The interpreter with `icalendar`: `$HERMES_TEST_PYTHON`, the venv
/// scripts/test.sh makes, or `python3`. `None` (skip) when none has it,
/// unless the run requires every service and tool (CI).
fn python_with_icalendar() -> Option<std::path::PathBuf> {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates = [
        std::env::var_os("HERMES_TEST_PYTHON").map(std::path::PathBuf::from),
        Some(workspace.join("target/pyenv/bin/python")),
        Some("python3".into()),
    ];
    for python in candidates.into_iter().flatten() {
        let ok = std::process::Command::new(&python)
            .args(["-c", "import icalendar"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(python);
        }
    }
    let required = ["CI", "HERMES_REQUIRE_SERVICES"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| !v.is_empty() && v != "0"));
    assert!(
        !required,
        "no Python with `icalendar` (run scripts/test.sh, or set HERMES_TEST_PYTHON)"
    );
    eprintln!("skipping the independent iCalendar check: no Python with `icalendar`");
    None
}

const PARSE_ICS: &str = r#"
import sys, datetime, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
events = list(cal.walk('VEVENT'))
assert len(events) == 1, len(events)
ev = events[0]
def utc(name):
    v = ev.decoded(name)
    if getattr(v, 'tzinfo', None) is None:
        return 'NOT-AN-INSTANT'
    return v.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
print(str(cal['METHOD']))
print(utc('DTSTART'))
print(utc('DTEND'))
print(int(ev['SEQUENCE']))
print(str(ev['UID']))
print(str(ev['STATUS']))
print(len(list(cal.walk('VTIMEZONE'))))
"#;

/// What the independent parser read from an invitation.
#[derive(Debug)]
struct Parsed {
    method: String,
    start: String,
    end: String,
    sequence: i64,
    uid: String,
    status: String,
    timezones: usize,
}

fn parse_with_python(python: &std::path::Path, ics: &str) -> Parsed {
    use std::io::Write;
    let mut child = std::process::Command::new(python)
        .args(["-c", PARSE_ICS])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "icalendar could not read the invitation: {}\n{ics}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    Parsed {
        method: lines[0].to_owned(),
        start: lines[1].to_owned(),
        end: lines[2].to_owned(),
        sequence: lines[3].parse().unwrap(),
        uid: lines[4].to_owned(),
        status: lines[5].to_owned(),
        timezones: lines[6].parse().unwrap(),
    }
}

async fn ics(app: &TestApp, token: &str, id: &str) -> String {
    let resp = app.get(&format!("/api/v1/bookings/{id}.ics"), token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/calendar"), "{ct}");
    resp.text().await.unwrap()
}

/// The structural rules of RFC 5545 an invitation must follow, whatever
/// parses it.
fn assert_well_formed(ics: &str) {
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(ics.ends_with("END:VCALENDAR\r\n"), "{ics:?}");
    for line in ics.split_terminator("\r\n") {
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "bare LF/CR: {line:?}"
        );
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    let unfolded = ics.replace("\r\n ", "").replace("\r\n\t", "");
    for property in [
        "VERSION:2.0",
        "PRODID:",
        "BEGIN:VTIMEZONE",
        "BEGIN:VEVENT",
        "UID:",
        "DTSTAMP:",
        "DTSTART",
        "DTEND",
        "SEQUENCE:",
        "SUMMARY:",
    ] {
        assert!(
            unfolded.lines().any(|l| l.starts_with(property)),
            "{property} missing:\n{ics}"
        );
    }
}

/// The SUMMARY and DESCRIPTION, unfolded.
fn visible_text(ics: &str) -> String {
    let unfolded = ics.replace("\r\n ", "").replace("\r\n\t", "");
    unfolded
        .lines()
        .filter(|l| l.starts_with("SUMMARY") || l.starts_with("DESCRIPTION"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn the_invitation_parses_and_keeps_the_client_private() {
    let python = python_with_icalendar();
    let app = spawn_app().await;
    let cal = calendar(&app, &app.alpha).await;
    let t = &cal.admin.access;
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/profile",
            Some(t),
            Some(json!({
                "spoken_name": "Smith and Jones",
                "address": {"street": "100 SW Main St, Suite 400", "city": "Portland", "region": "OR", "postal_code": "97204"},
            })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let review = open_review(&app, t).await;
    let start = free_starts(&app, t, &cal.attorney, 1).await.remove(0);
    let b = created(
        post(
            &app,
            "/api/v1/bookings",
            t,
            json!({
                "attorney_id": cal.attorney, "practice_area": "family", "start": start,
                "conflict_review_id": review,
                "client": {"name": "Jane Doe", "phone": "503-555-0142", "email": "jane@example.com"},
            }),
        )
        .await,
    )
    .await;
    let id = b["id"].as_str().unwrap();
    let body = ics(&app, t, id).await;
    assert_well_formed(&body);
    let unfolded = body.replace("\r\n ", "");
    assert!(unfolded.contains("METHOD:REQUEST\r\n"), "{body}");
    assert!(unfolded.contains("STATUS:TENTATIVE\r\n"), "{body}");
    assert!(unfolded.contains(&format!("UID:{id}")), "{body}");
    // Nothing about who is coming or why, where anyone can read it.
    let visible = visible_text(&body);
    for secret in [
        "Jane", "Doe", "Gregory", "Hale", "family", "Family", "conflict", "5550142",
    ] {
        assert!(!visible.contains(secret), "{secret:?} in {visible}");
    }
    assert!(visible.contains("Smith and Jones"), "{visible}");

    if let Some(python) = &python {
        let parsed = parse_with_python(python, &body);
        assert_eq!(parsed.method, "REQUEST");
        assert_eq!(instant(&parsed.start), instant(&start), "{parsed:?}");
        assert_eq!(
            instant(&parsed.end),
            instant(&start) + Duration::minutes(30),
            "{parsed:?}"
        );
        assert_eq!(parsed.sequence, b["sequence"].as_i64().unwrap());
        assert!(parsed.uid.starts_with(id), "{parsed:?}");
        assert_eq!(parsed.status, "TENTATIVE");
        assert!(parsed.timezones >= 1);
    }

    // Cancelled: the invitation becomes a cancellation of the same event.
    let resp = app
        .send(
            Method::PATCH,
            &format!("/api/v1/bookings/{id}"),
            Some(t),
            Some(json!({"status": "cancelled"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let cancelled = ics(&app, t, id).await;
    assert_well_formed(&cancelled);
    let unfolded = cancelled.replace("\r\n ", "");
    assert!(unfolded.contains("METHOD:CANCEL\r\n"), "{cancelled}");
    assert!(unfolded.contains("STATUS:CANCELLED\r\n"), "{cancelled}");
    if let Some(python) = &python {
        let parsed = parse_with_python(python, &cancelled);
        assert_eq!(parsed.method, "CANCEL");
        assert_eq!(parsed.status, "CANCELLED");
        assert!(parsed.uid.starts_with(id));
        assert!(parsed.sequence >= b["sequence"].as_i64().unwrap());
    }
    // Missing and malformed.
    let resp = app
        .get(&format!("/api/v1/bookings/{}.ics", uuid::Uuid::new_v4()), t)
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = app.get("/api/v1/bookings/nope.ics", t).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn rescheduling_bumps_the_sequence_in_the_invitation() {
    let python = python_with_icalendar();
    let app = spawn_app().await;
    let cal = calendar(&app, &app.alpha).await;
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    let t = &staff.access;
    let starts = free_starts(&app, t, &cal.attorney, 3).await;
    let b = created(
        post(
            &app,
            "/api/v1/bookings",
            t,
            json!({"attorney_id": cal.attorney, "practice_area": "family", "start": starts[0],
                   "client": {"name": "Jane Doe", "email": "jane@example.com"}}),
        )
        .await,
    )
    .await;
    let id = b["id"].as_str().unwrap();
    let seq0 = b["sequence"].as_i64().unwrap();
    let before = ics(&app, t, id).await;
    assert!(
        before
            .replace("\r\n ", "")
            .contains(&format!("SEQUENCE:{seq0}\r\n")),
        "{before}"
    );

    // Moved to another time: same booking, sequence + 1.
    let path = format!("/api/v1/bookings/{id}");
    let moved = ok(app
        .send(
            Method::PATCH,
            &path,
            Some(t),
            Some(json!({"start": starts[1]})),
        )
        .await)
    .await;
    assert_eq!(moved["id"], id);
    assert_eq!(moved["sequence"].as_i64().unwrap(), seq0 + 1);
    assert_eq!(
        instant(moved["start"].as_str().unwrap()),
        instant(&starts[1])
    );
    assert_eq!(
        instant(moved["end"].as_str().unwrap()),
        instant(&starts[1]) + Duration::minutes(30)
    );
    assert_eq!(moved["status"], "confirmed");
    assert_eq!(moved["client"]["name"], "Jane Doe");
    let after = ics(&app, t, id).await;
    assert_well_formed(&after);
    assert!(
        after
            .replace("\r\n ", "")
            .contains(&format!("SEQUENCE:{}\r\n", seq0 + 1)),
        "{after}"
    );
    if let Some(python) = &python {
        let parsed = parse_with_python(python, &after);
        assert_eq!(parsed.sequence, seq0 + 1);
        assert_eq!(instant(&parsed.start), instant(&starts[1]), "{parsed:?}");
        assert_eq!(parsed.method, "REQUEST");
        assert_eq!(parsed.status, "CONFIRMED");
    }
    // The old time is free again, the new one is not.
    assert!(
        active_at(&app, t, &cal.attorney, &starts[0])
            .await
            .is_empty()
    );
    assert_eq!(active_at(&app, t, &cal.attorney, &starts[1]).await.len(), 1);
    created(book_direct(&app, t, &cal.attorney, &starts[0]).await).await;

    // Moving onto a taken time fails and changes nothing.
    let resp = app
        .send(
            Method::PATCH,
            &path,
            Some(t),
            Some(json!({"start": starts[0]})),
        )
        .await;
    assert_slot_taken(resp, "reschedule onto a booking").await;
    let same = booking(&app, t, id).await;
    assert_eq!(same["sequence"].as_i64().unwrap(), seq0 + 1);
    assert_eq!(
        instant(same["start"].as_str().unwrap()),
        instant(&starts[1])
    );

    // Moved to another attorney at another time: sequence + 1 again.
    let other = create_attorney(
        &app,
        &cal.admin.access,
        json!({"name": "Ana Ruiz", "practice_areas": ["family"], "availability": all_week("00:00", "23:30"), "min_notice_minutes": 0}),
    )
    .await;
    let moved = ok(app
        .send(
            Method::PATCH,
            &path,
            Some(t),
            Some(json!({"start": starts[2], "attorney_id": other["id"]})),
        )
        .await)
    .await;
    assert_eq!(moved["attorney_id"], other["id"]);
    assert_eq!(moved["sequence"].as_i64().unwrap(), seq0 + 2);
    if let Some(python) = &python {
        let parsed = parse_with_python(python, &ics(&app, t, id).await);
        assert_eq!(parsed.sequence, seq0 + 2);
        assert_eq!(instant(&parsed.start), instant(&starts[2]));
    }
}

#[tokio::test]
async fn an_attorney_with_bookings_cannot_be_deleted() {
    let app = spawn_app().await;
    let cal = calendar(&app, &app.alpha).await;
    let t = &cal.admin.access;
    let start = free_starts(&app, t, &cal.attorney, 1).await.remove(0);
    let b = created(book_direct(&app, t, &cal.attorney, &start).await).await;
    let path = format!("/api/v1/attorneys/{}", cal.attorney);
    let resp = app.send(Method::DELETE, &path, Some(t), None).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(resp).await, "in_use");
    assert_eq!(app.get(&path, t).await.status(), StatusCode::OK);
    // Even once cancelled: the history stays; deactivating is the way.
    let resp = app
        .send(
            Method::PATCH,
            &format!("/api/v1/bookings/{}", b["id"].as_str().unwrap()),
            Some(t),
            Some(json!({"status": "cancelled"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app.send(Method::DELETE, &path, Some(t), None).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let mut attorney = ok(app.get(&path, t).await).await;
    let obj = attorney.as_object_mut().unwrap();
    for k in ["id", "created_at", "updated_at"] {
        obj.remove(k);
    }
    obj.insert("active".into(), json!(false));
    let resp = app.send(Method::PUT, &path, Some(t), Some(attorney)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    // An inactive attorney is offered no slots and takes no bookings.
    let a = availability(&app, t, "").await;
    assert!(a["slots"].as_array().unwrap().is_empty(), "{a}");
    let resp = book_direct(&app, t, &cal.attorney, &start).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// The intake agent's scheduling step over HTTP: a spoken preference gives
/// two or three concrete, spread options in the caller's zone, each with its
/// sentence; a preference nothing matches falls back and says so.
#[tokio::test]
async fn offers_honour_the_callers_preference() {
    let app = spawn_app().await;
    let cal = calendar(&app, &app.alpha).await;
    let offers = |q: &'static str| {
        let app = &app;
        let token = cal.admin.access.clone();
        async move {
            let resp = app
                .get(
                    &format!("/api/v1/availability/offers?practice_area=family{q}"),
                    &token,
                )
                .await;
            let status = resp.status();
            let body: Value = resp.json().await.unwrap();
            (status, body)
        }
    };

    let (status, body) = offers("&preference=mornings&tz=America/New_York").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["matched_preference"], true);
    assert_eq!(body["time_zone"], "America/New_York");
    let options = body["options"].as_array().unwrap();
    assert_eq!(options.len(), 3, "{body}");
    let starts: Vec<DateTime<FixedOffset>> = options
        .iter()
        .map(|o| local(o["start"].as_str().unwrap()))
        .collect();
    for (o, start) in options.iter().zip(&starts) {
        assert!(start.hour() < 12, "a morning in New York: {start}");
        let spoken = o["spoken"].as_str().unwrap();
        assert!(spoken.contains("in the morning"), "{spoken}");
        assert!(spoken.ends_with("Eastern time"), "{spoken}");
        assert_eq!(o["attorney_name"], "Maria Lopez");
    }
    // Spread: never two options within two hours of each other.
    for pair in starts.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::hours(2), "{starts:?}");
    }

    // An evening preference, two options, in the firm's zone.
    let (_, body) = offers("&preference=after%205pm&count=2").await;
    assert_eq!(body["time_zone"], "America/Chicago");
    let options = body["options"].as_array().unwrap();
    assert_eq!(options.len(), 2, "{body}");
    for o in options {
        assert!(local(o["start"].as_str().unwrap()).hour() >= 17, "{o}");
    }

    // As soon as possible: the earliest options.
    let (status, body) = offers("&preference=as%20soon%20as%20possible").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["matched_preference"], true);
    assert_eq!(body["options"].as_array().unwrap().len(), 3);

    let (status, body) = offers("&count=7").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = offers("&tz=Mars/Olympus").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
