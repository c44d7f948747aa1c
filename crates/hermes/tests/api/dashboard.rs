//! The dashboard in a real browser: headless Chromium (Debian's) driven by
//! playwright-core (tools/browser/dashboard.mjs) against a running HERMES,
//! as each role; a text intake from the test phone's chat tab; a conflict
//! review cleared and its tentative consultation confirmed; a voice call
//! from the test phone watched live from another user's dashboard; and
//! screenshots of the main pages at laptop and phone sizes (kept under
//! target/, out of git).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::conflicts::open_review;
use crate::helpers::*;
use crate::scheduling::{calendar, free_starts};

fn tools() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/browser");
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed in {} (scripts/test.sh runs npm ci there)",
        dir.display()
    );
    dir
}

/// Runs the browser driver with `config`; its report.
async fn drive(config: Value) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    std::fs::write(&file, config.to_string()).unwrap();
    let out = tokio::process::Command::new("node")
        .arg(tools().join("dashboard.mjs"))
        .arg(&file)
        // The calendar's weeks are the browser's; make them the test's.
        .env("TZ", "UTC")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await
        .expect("running node");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "no report from the browser: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(report["failures"], json!([]), "{report:#}");
    // A working page logs no errors and violates no CSP.
    assert_eq!(report["problems"], json!([]), "{report:#}");
    assert!(out.status.success(), "{report:#}");
    report
}

/// A user of each role in `app.alpha`: role → {email, password}.
async fn people(app: &TestApp) -> Value {
    let mut users = json!({"ADMIN": {"email": app.alpha.admin_email, "password": PASSWORD}});
    for role in ["ATTORNEY", "STAFF", "READ_ONLY"] {
        let (id, _) = app.user_with_role(&app.alpha, role).await;
        let email = app.user_email(&app.alpha, &id).await;
        users[role] = json!({"email": email, "password": PASSWORD});
    }
    users
}

#[tokio::test]
async fn each_role_sees_what_it_may_and_staff_take_intakes_and_clear_conflicts_in_chromium() {
    let app = spawn_app().await;
    let cal = calendar(&app, &app.alpha).await;
    let admin = &cal.admin.access;
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/hours",
            Some(admin),
            Some(json!({"weekly": crate::firm_settings::all_week("00:00", "23:30"), "after_hours": "book"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let users = people(&app).await;

    // A review waiting on an attorney, with a consultation booked on it.
    let review = open_review(&app, admin).await;
    let start = free_starts(&app, admin, &cal.attorney, 1).await.remove(0);
    let resp = app
        .send(
            Method::POST,
            "/api/v1/bookings",
            Some(admin),
            Some(json!({
                "attorney_id": cal.attorney, "practice_area": "family", "start": start,
                "conflict_review_id": review,
                "client": {"name": "Jane Doe", "phone": "+15035550111"},
            })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let booking: Value = resp.json().await.unwrap();
    assert_eq!(booking["status"], "tentative");

    // An intake to look at (a caller who left early).
    let (token, _) = crate::intake::start(&app, &app.alpha.slug).await;
    for line in ["yes", "my name is Tom Baker"] {
        let (status, body) = crate::intake::say(&app, &token, line).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let resp = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{token}/end"),
            None,
            None,
        )
        .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    let intakes = app.get_json("/api/v1/intakes", admin).await;
    let intake_id = intakes["intakes"][0]["id"].as_str().unwrap().to_owned();

    let everyone = [
        "Today",
        "Calls",
        "Intakes",
        "Conflict reviews",
        "Calendar",
        "Settings",
    ];
    let lawyer: Vec<&str> = everyone.iter().copied().chain(["Test phone"]).collect();
    let read_only: Vec<&str> = everyone
        .iter()
        .copied()
        .filter(|p| *p != "Conflict reviews")
        .chain(["Test phone"])
        .collect();
    let admin_menu: Vec<&str> = everyone
        .iter()
        .copied()
        .chain(["Users", "API keys", "Audit log", "Usage", "Test phone"])
        .collect();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    let report = drive(json!({
        "url": app.address,
        "tenant": app.alpha.slug,
        "mode": "ui",
        "users": users,
        "screenshots": shots,
        "ui": {
            "menus": {"ADMIN": admin_menu, "ATTORNEY": lawyer, "STAFF": lawyer, "READ_ONLY": read_only},
            "intake_id": intake_id,
            "caller": "Maria Lopez",
            "chat": {
                "opening": [
                    "yes", "my name is Maria Lopez", "L-O-P-E-Z",
                    "five oh three five five five zero one zero zero", "yes",
                    "maria dot lopez at gmail dot com", "yes", "for myself",
                    "I want to file for divorce", "yes",
                ],
                "answers": {"conflict_check": "Carlos Lopez", "facts": "yes", "wrap_up": "no, that's all"},
                "expect_field": "maria.lopez@gmail.com",
            },
            "review": {"subject": "Jane Doe", "client": "Jane Doe", "week": &start[..10]},
        },
    }))
    .await;
    assert!(report["notes"]["chat_lines"].as_u64().unwrap() > 20);

    // What the browser did is what the firm's records say.
    let review = app
        .get_json(&format!("/api/v1/conflicts/reviews/{review}"), admin)
        .await;
    assert_eq!(review["status"], "cleared", "{review:#}");
    assert!(
        review["decision_note"]
            .as_str()
            .unwrap()
            .contains("Different person")
    );
    let now = app
        .get_json(
            &format!("/api/v1/bookings/{}", booking["id"].as_str().unwrap()),
            admin,
        )
        .await;
    assert_eq!(now["status"], "confirmed", "{now:#}");
    let intakes = app.get_json("/api/v1/intakes", admin).await;
    let chat = intakes["intakes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["caller_name"] == "Maria Lopez")
        .unwrap_or_else(|| panic!("no intake from the chat: {intakes:#}"));
    assert_eq!(chat["channel"], "text");
    // Finished (the dates answered "yes" leave fields for staff to check).
    assert!(
        ["completed", "needs_review"].contains(&chat["status"].as_str().unwrap()),
        "{chat:#}"
    );
    assert!(chat["record"]["booking"]["id"].is_string(), "{chat:#}");
    for page in ["today", "intake", "calendar", "settings"] {
        for size in ["laptop", "phone"] {
            assert!(shots.join(format!("{page}-{size}.png")).is_file());
        }
    }
}

#[tokio::test]
async fn a_test_call_is_watched_live_on_the_dashboard_from_chromium() {
    tools();
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.voice.local_engines = true;
        s.agent.models_dir = models_dir();
    })
    .await;
    assert!(
        app.state.voice.wait_for_engines().await.is_some(),
        "the local speech engines did not load from {} (run scripts/models.sh)",
        models_dir().display()
    );
    let users = people(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let wav = crate::phone::caller_wav(dir.path(), 1500, "My name is Maria Lopez.");
    let report = drive(json!({
        "url": app.address,
        "tenant": app.alpha.slug,
        "mode": "call",
        "users": users,
        "call": {"wav": wav, "until": "maria|lopez"},
    }))
    .await;
    // Another user saw the call's words as they were said, in order, the
    // receptionist first.
    let live = report["notes"]["live_lines"].as_array().unwrap();
    assert!(
        live[0].as_str().unwrap().starts_with("Receptionist"),
        "{report:#}"
    );
    // And the call is on record, ended, with the caller's words.
    let admin = app.admin(&app.alpha).await;
    let calls = app.get_json("/api/v1/calls", &admin.access).await;
    assert_eq!(calls["calls"][0]["provider"], "browser");
    assert_eq!(calls["calls"][0]["status"], "ended");
}
