//! The intake agent over its text channel: a whole conversation through
//! the public routes, against the firm's real settings, parties index and
//! calendar; the intake it leaves behind; and the token rules.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::scheduling::calendar;

/// Starts a conversation with `slug`'s agent: (token, opening reply).
pub(crate) async fn start(app: &TestApp, slug: &str) -> (String, String) {
    let resp = app
        .send(
            Method::POST,
            &format!("/api/v1/tenants/{slug}/conversations"),
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    (
        body["conversation_id"].as_str().unwrap().to_owned(),
        body["reply"].as_str().unwrap().to_owned(),
    )
}

/// One caller message: (status, body).
pub(crate) async fn say(app: &TestApp, token: &str, text: &str) -> (StatusCode, Value) {
    let resp = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{token}/messages"),
            None,
            Some(json!({ "text": text })),
        )
        .await;
    let status = resp.status();
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn a_whole_conversation_leaves_a_complete_intake_and_a_booking() {
    let app = spawn_app().await;
    let cal = calendar(&app, &app.alpha).await;
    // Open around the clock, so the test books whatever the hour.
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/hours",
            Some(&cal.admin.access),
            Some(json!({"weekly": crate::firm_settings::all_week("00:00", "23:30"), "after_hours": "book"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (token, opening) = start(&app, &app.alpha.slug).await;
    assert!(opening.contains("not a lawyer"), "{opening}");
    assert!(opening.contains("record"), "{opening}");

    let mut said = vec![opening];
    let script = [
        "yes",
        "my name is Maria Lopez",
        "L-O-P-E-Z",
        "five oh three five five five zero one zero zero",
        "yes",
        "maria dot lopez at gmail dot com",
        "yes",
        "for myself",
        "I want to file for divorce",
        "yes",
    ];
    let mut state = String::new();
    for line in script {
        let (status, body) = say(&app, &token, line).await;
        assert_eq!(status, StatusCode::OK, "{line}: {body} after {said:#?}");
        said.push(body["reply"].as_str().unwrap().to_owned());
        state = body["state"].as_str().unwrap().to_owned();
    }
    let mut done = false;
    for _ in 0..40 {
        let answer = match state.as_str() {
            "conflict_check" => "Carlos Lopez",
            "facts" => "yes",
            "scheduling" if said.last().unwrap().contains("Which") => "the first one",
            "scheduling" => "as soon as possible",
            "wrap_up" => "no, that's all",
            "done" => break,
            other => panic!("unexpected state {other}: {said:#?}"),
        };
        let (status, body) = say(&app, &token, answer).await;
        assert_eq!(status, StatusCode::OK, "{answer}: {body} after {said:#?}");
        said.push(body["reply"].as_str().unwrap().to_owned());
        state = body["state"].as_str().unwrap().to_owned();
        if body["done"] == true {
            done = true;
            break;
        }
    }
    assert!(done, "{said:#?}");
    assert!(
        said.iter().any(|s| s.contains("You're booked")),
        "{said:#?}"
    );

    // The intake, as staff see it.
    let list = app.get_json("/api/v1/intakes", &cal.admin.access).await;
    let intake = &list["intakes"][0];
    assert_eq!(intake["channel"], "text");
    assert_eq!(intake["caller_name"], "Maria Lopez");
    assert_eq!(intake["practice_area"], "family");
    let record = &intake["record"];
    assert_eq!(record["fields"]["phone"]["value"], "+15035550100");
    assert_eq!(record["fields"]["email"]["value"], "maria.lopez@gmail.com");
    assert_eq!(record["conflict"]["status"], "clear");
    assert!(record["transcript"].as_array().unwrap().len() > 20);
    let booking_id = record["booking"]["id"].as_str().unwrap();
    let booking = app
        .get_json(&format!("/api/v1/bookings/{booking_id}"), &cal.admin.access)
        .await;
    assert_eq!(booking["status"], "confirmed");
    assert_eq!(booking["client"]["name"], "Maria Lopez");
    // Rule 1.18: the caller and the other side are in the index now.
    let found = app
        .get_json("/api/v1/parties?query=maria%20lopez", &cal.admin.access)
        .await;
    assert_eq!(found["parties"][0]["role"], "prospective_client", "{found}");
    assert_eq!(found["parties"][0]["source"], "intake");

    // The conversation is over.
    let (status, body) = say(&app, &token, "hello?").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "conversation_ended");
}

#[tokio::test]
async fn tokens_are_the_only_key_to_a_conversation() {
    let app = spawn_app().await;
    let (token, _) = start(&app, &app.alpha.slug).await;
    let (status, _) = say(&app, &token, "yes").await;
    assert_eq!(status, StatusCode::OK);
    // A token with its secret changed, one for another firm, garbage: all
    // the same 404.
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    let (theirs, _) = start(&app, &app.bravo.slug).await;
    let swapped = theirs.replacen(&theirs[4..36], &token[4..36], 1);
    for bad in [tampered.as_str(), swapped.as_str(), "hcv_nope", "x"] {
        let (status, body) = say(&app, bad, "hello").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}: {body}");
    }
    let resp = app
        .send(
            Method::POST,
            "/api/v1/tenants/no-such-firm/conversations",
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let (status, _) = say(&app, &token, "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn staff_correct_an_intake_and_the_audit_log_says_so() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let (token, _) = start(&app, &app.alpha.slug).await;
    for line in ["no", "Maria Lopez", "L O P E Z", "503 555 0100", "yes"] {
        say(&app, &token, line).await;
    }
    let list = app
        .get_json("/api/v1/intakes?status=in_progress", &admin.access)
        .await;
    let id = list["intakes"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list["intakes"][0]["record"]["recording_consent"], false);
    let resp = app
        .send(
            Method::PATCH,
            &format!("/api/v1/intakes/{id}"),
            Some(&admin.access),
            Some(json!({"fields": {"phone": "+15035550101"}})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let got = app
        .get_json(&format!("/api/v1/intakes/{id}"), &admin.access)
        .await;
    assert_eq!(got["record"]["fields"]["phone"]["value"], "+15035550101");
    assert_eq!(got["record"]["fields"]["phone"]["confidence"], 1.0);
    let audit = app
        .get_json("/api/v1/audit?action=intake.correct", &admin.access)
        .await;
    let entry = &audit["entries"][0];
    assert_eq!(entry["details"]["fields"], json!(["phone"]));
    assert!(
        !entry.to_string().contains("5035550101"),
        "values stay out of the audit log"
    );
    let (_, ro) = app.user_with_role(&app.alpha, "READ_ONLY").await;
    let resp = app
        .send(
            Method::PATCH,
            &format!("/api/v1/intakes/{id}"),
            Some(&ro.access),
            Some(json!({"status": "completed"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
