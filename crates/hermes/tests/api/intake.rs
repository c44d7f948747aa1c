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

/// A cooperative caller's opening, from consent to her matter: Maria
/// Lopez, her number and email, calling for herself about a divorce, and
/// "yes" to the first fact question. The first eight lines are who she is
/// and how to reach her.
pub(crate) const DIVORCE_OPENING: [&str; 10] = [
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

/// Says `opening`, then answers like a cooperative caller (the other side
/// is Carlos Lopez, every fact "yes", the first slot offered) until the
/// conversation ends; returns whether it did. Replies are pushed on `said`.
pub(crate) async fn book_a_divorce_consultation(
    app: &TestApp,
    token: &str,
    opening: &[&str],
    said: &mut Vec<String>,
) -> bool {
    let mut state = String::new();
    for line in opening {
        let (status, body) = say(app, token, line).await;
        assert_eq!(status, StatusCode::OK, "{line}: {body} after {said:#?}");
        said.push(body["reply"].as_str().unwrap().to_owned());
        state = body["state"].as_str().unwrap().to_owned();
    }
    for _ in 0..40 {
        let answer = match state.as_str() {
            "conflict_check" => "Carlos Lopez",
            "facts" => "yes",
            "scheduling" if said.last().unwrap().contains("Which") => "the first one",
            "scheduling" => "as soon as possible",
            "wrap_up" => "no, that's all",
            "done" => return true,
            other => panic!("unexpected state {other}: {said:#?}"),
        };
        let (status, body) = say(app, token, answer).await;
        assert_eq!(status, StatusCode::OK, "{answer}: {body} after {said:#?}");
        said.push(body["reply"].as_str().unwrap().to_owned());
        state = body["state"].as_str().unwrap().to_owned();
        if body["done"] == true {
            return true;
        }
    }
    false
}

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
    let script = DIVORCE_OPENING;
    let done = book_a_divorce_consultation(&app, &token, &script, &mut said).await;
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

/// Areas the tests' firm takes, set through the API.
async fn take_areas(app: &TestApp, admin: &str, keys: &[&str]) {
    let areas: Vec<Value> = keys
        .iter()
        .map(|k| json!({ "key": k, "consultation_minutes": 30, "free_consultation": true }))
        .collect();
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/practice-areas",
            Some(admin),
            Some(json!({ "areas": areas })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{:?}", resp.text().await);
}

#[tokio::test]
async fn question_sets_are_edited_as_validated_data_and_the_agent_asks_them() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    take_areas(&app, &admin.access, &["family", "employment"]).await;

    let list = app
        .get_json("/api/v1/settings/question-sets", &admin.access)
        .await;
    let sources: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["practice_area"].as_str().unwrap(),
                s["source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(sources, [("family", "default"), ("employment", "default")]);

    let custom = json!({
        "practice_area": "family",
        "conflict_questions": [{
            "id": "spouse_name", "prompt": "What is your spouse's full name, as it appears on the marriage certificate?",
            "kind": "person_name", "required": true, "conflict_party": true
        }],
        "fact_questions": [{
            "id": "children", "prompt": "How many children do you have together?",
            "kind": "number", "required": true, "conflict_party": false
        }]
    });
    let put = |body: Value, area: &'static str| {
        let app = &app;
        let token = admin.access.clone();
        async move {
            app.send(
                Method::PUT,
                &format!("/api/v1/settings/question-sets/{area}"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    // Every problem at once: facts before conflicts is impossible to send,
    // but a set with no party question, a bad id and advice in a prompt is.
    let mut bad = custom.clone();
    bad["conflict_questions"][0]["conflict_party"] = json!(false);
    bad["fact_questions"][0]["id"] = json!("Kids!");
    bad["fact_questions"][0]["prompt"] =
        json!("You should file for divorce first. How many children?");
    let resp = put(bad, "family").await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = resp.json().await.unwrap();
    let msg = body["message"].as_str().unwrap_or_default().to_owned()
        + body["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("party"), "{body}");
    assert!(msg.contains("Kids!"), "{body}");
    // The path and the body must agree; unknown areas are not the firm's.
    assert_eq!(
        put(custom.clone(), "employment").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        put(custom.clone(), "bankruptcy").await.status(),
        StatusCode::NOT_FOUND
    );
    // Unknown fields are refused rather than silently dropped.
    let mut typo = custom.clone();
    typo["fact_questions"][0]["requird"] = json!(true);
    assert_eq!(put(typo, "family").await.status(), StatusCode::BAD_REQUEST);
    // Staff may read, not write.
    let (_, staff) = app.user_with_role(&app.alpha, "STAFF").await;
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/question-sets/family",
            Some(&staff.access),
            Some(custom.clone()),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let resp = put(custom.clone(), "family").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let got = app
        .get_json("/api/v1/settings/question-sets/family", &staff.access)
        .await;
    assert_eq!(got["source"], "custom");
    assert_eq!(got["set"], custom);
    // Another firm still has the default.
    let bravo = app.admin(&app.bravo).await;
    take_areas(&app, &bravo.access, &["family"]).await;
    let theirs = app
        .get_json("/api/v1/settings/question-sets/family", &bravo.access)
        .await;
    assert_eq!(theirs["source"], "default");

    // The agent asks the firm's own question.
    let (token, _) = start(&app, &app.alpha.slug).await;
    let mut last = String::new();
    for line in [
        "yes",
        "Maria Lopez",
        "L O P E Z",
        "503 555 0100",
        "yes",
        "no",
        "yes",
        "myself",
        "I want to get divorced",
        "yes",
    ] {
        let (status, body) = say(&app, &token, line).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        last = body["reply"].as_str().unwrap().to_owned();
    }
    assert!(
        last.contains("as it appears on the marriage certificate"),
        "{last}"
    );

    // Back to the default, audited both ways.
    let resp = app
        .send(
            Method::DELETE,
            "/api/v1/settings/question-sets/family",
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let got = app
        .get_json("/api/v1/settings/question-sets/family", &admin.access)
        .await;
    assert_eq!(got["source"], "default");
    let resp = app
        .send(
            Method::DELETE,
            "/api/v1/settings/question-sets/family",
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let audit = app
        .get_json("/api/v1/audit?action=settings.update", &admin.access)
        .await;
    let text = audit.to_string();
    assert!(text.contains("question_set"), "{text}");
    assert!(
        !text.contains("marriage certificate"),
        "prompts stay out of the audit log"
    );
}

#[tokio::test]
async fn a_caller_who_leaves_or_goes_silent_leaves_an_abandoned_intake() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    // Hang-up: the chat is closed mid-call.
    let (token, _) = start(&app, &app.alpha.slug).await;
    for line in ["yes", "Maria Lopez"] {
        assert_eq!(say(&app, &token, line).await.0, StatusCode::OK);
    }
    let resp = app
        .send(
            Method::POST,
            &format!("/api/v1/conversations/{token}/end"),
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["done"], true);
    let (status, _) = say(&app, &token, "hello?").await;
    assert_eq!(status, StatusCode::CONFLICT);
    let list = app
        .get_json("/api/v1/intakes?status=abandoned", &admin.access)
        .await;
    let items = list["intakes"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let record = &items[0]["record"];
    assert_eq!(record["fields"]["name"]["value"], "Maria Lopez");
    assert!(record["summary"].as_str().unwrap().contains("Maria Lopez"));

    // Silence: nobody writes; the sweep ends it (idle = 0 here).
    let (token2, _) = start(&app, &app.alpha.slug).await;
    assert_eq!(say(&app, &token2, "yes").await.0, StatusCode::OK);
    assert_eq!(say(&app, &token2, "Jane Smith").await.0, StatusCode::OK);
    let ended = hermes_api::routes::conversations::sweep_idle(
        &app.state,
        std::time::Duration::from_secs(3600),
    )
    .await;
    assert_eq!(ended, 0, "a conversation active a moment ago is not idle");
    let ended =
        hermes_api::routes::conversations::sweep_idle(&app.state, std::time::Duration::ZERO).await;
    assert_eq!(ended, 1);
    let (status, _) = say(&app, &token2, "sorry, I'm back").await;
    assert_eq!(status, StatusCode::CONFLICT);
    let list = app
        .get_json("/api/v1/intakes?status=abandoned", &admin.access)
        .await;
    let text = list.to_string();
    assert!(text.contains("Jane Smith"), "{text}");
    assert!(
        text.contains("Are you still there?"),
        "the silence was heard: {text}"
    );
}

#[tokio::test]
async fn messages_sent_at_once_never_lose_each_other() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    let (token, _) = start(&app, &app.alpha.slug).await;
    // Ten copies of one answer at once: each is either taken in turn or
    // refused with 409 `stale` (send again); none overwrites another.
    let mut tasks = Vec::new();
    for i in 0..10 {
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/conversations/{token}/messages"));
        tasks.push(tokio::spawn(async move {
            let resp = client
                .post(url)
                .json(&json!({ "text": format!("yes {i}") }))
                .send()
                .await
                .unwrap();
            let status = resp.status();
            let body: Value = resp.json().await.unwrap();
            (status, body)
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => {
                let code = body["code"].as_str().or(body["error"]["code"].as_str());
                assert_eq!(code, Some("stale"), "{body}");
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(ok >= 1);
    let list = app.get_json("/api/v1/intakes", &admin.access).await;
    let items = list["intakes"].as_array().unwrap();
    let transcript = items[0]["record"]["transcript"].as_array().unwrap();
    let caller_turns = transcript
        .iter()
        .filter(|t| t["speaker"] == "caller")
        .count();
    assert_eq!(
        caller_turns, ok,
        "every accepted message is in the transcript, once"
    );
}

#[tokio::test]
async fn the_embedding_model_reads_a_matter_no_keyword_names() {
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), with_embedding).await;
    embedding_ready(&app).await;
    let admin = app.admin(&app.alpha).await;
    take_areas(&app, &admin.access, &["family", "employment"]).await;
    let topic = "I'd like to become my niece's legal parent";
    assert!(
        hermes_intake::practice::classify(topic)
            .first()
            .is_none_or(|a| a.key != "family" || a.score < 0.3),
        "pick words the keywords alone miss"
    );
    let (token, _) = start(&app, &app.alpha.slug).await;
    for line in [
        "yes",
        "Maria Lopez",
        "L O P E Z",
        "503 555 0100",
        "yes",
        "no",
        "yes",
        "myself",
    ] {
        assert_eq!(say(&app, &token, line).await.0, StatusCode::OK);
    }
    let (status, body) = say(&app, &token, topic).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["reply"].as_str().unwrap().contains("family law"),
        "{body}"
    );
    let list = app.get_json("/api/v1/intakes", &admin.access).await;
    let traces = list["intakes"][0]["record"]["traces"].to_string();
    assert!(
        traces.contains(r#"{"source":"embedding","value":"family","weight":1.0}"#),
        "{traces}"
    );
}
