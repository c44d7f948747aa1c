//! The agent with a language model: a local OpenAI-compatible fake server
//! (hermes_testkit::fake_llm) plays the model, scripted per request kind,
//! with delays, errors and hangs. What must hold: the model's readings
//! are voted on and traced, its summary and phrasing are used when good,
//! and whatever it does — stall, fail, give legal advice — the
//! conversation goes on, on time, and says nothing unsafe.

use std::time::{Duration, Instant};

use hermes_testkit::fake_llm::{FakeLlm, Reply, system_prompt};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::intake::{say, start};

/// What kind of request the agent sent (see each operation's docs).
fn kind(body: &Value) -> &'static str {
    let schema = &body["response_format"]["json_schema"];
    if body["stream"] == true {
        "phrase"
    } else if schema["name"] == "classification" {
        let labels = schema["schema"]["properties"]["label"]["enum"].to_string();
        if labels.contains("routine") {
            "urgency"
        } else {
            "area"
        }
    } else if schema["name"] == "parties" {
        "parties"
    } else if body["tools"].is_array() {
        "fields"
    } else {
        "summary"
    }
}

async fn app_with(llm: &FakeLlm, phrase: bool, budget_ms: u64) -> TestApp {
    let base = llm.base_url();
    spawn_with(hermes_testkit::TestDb::sqlite(), move |s| {
        s.agent.llm = Some(hermes::config::LlmSettings {
            base_url: base,
            model: "fake-model".into(),
            api_key: Some("sk-test".into()),
            request_timeout_ms: 600,
            first_token_timeout_ms: 400,
            turn_budget_ms: budget_ms,
            samples: 3,
            temperature: 0.7,
            phrase,
        });
    })
    .await
}

const WHO: [&str; 8] = [
    "yes",
    "my name is Maria Lopez",
    "L-O-P-E-Z",
    "503 555 0100",
    "yes",
    "no",
    "yes",
    "myself",
];

async fn take_family(app: &TestApp) {
    let admin = app.admin(&app.alpha).await;
    crate::firm_settings::set_areas(
        app,
        &admin.access,
        json!([
            {"key": "family", "consultation_minutes": 30, "free_consultation": true},
            {"key": "employment", "consultation_minutes": 30, "free_consultation": true},
        ]),
    )
    .await;
}

#[tokio::test]
async fn the_models_readings_are_voted_traced_and_its_summary_kept() {
    let llm = FakeLlm::start().await;
    llm.respond_with(|body| match kind(body) {
        "area" => Reply::json(json!({ "label": "family" })),
        "urgency" => Reply::json(json!({ "label": "routine" })),
        "parties" => {
            Reply::json(json!({ "parties": [{ "name": "Carlos Lopez", "role": "adverse" }] }))
        }
        "fields" => Reply::status(500),
        "summary" => Reply::text("Maria Lopez called about separating from her husband Carlos."),
        _ => Reply::status(500),
    });
    let app = app_with(&llm, false, 1500).await;
    take_family(&app).await;
    let admin = app.admin(&app.alpha).await;
    let (token, _) = start(&app, &app.alpha.slug).await;
    let mut replies = Vec::new();
    for line in WHO {
        let (s, b) = say(&app, &token, line).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    // No keyword names the area; the model's three samples do.
    let (_, b) = say(
        &app,
        &token,
        "we haven't lived under one roof since spring and it has to be made official",
    )
    .await;
    replies.push(b["reply"].as_str().unwrap().to_owned());
    assert!(replies[0].contains("family law"), "{replies:?}");
    let (_, b) = say(&app, &token, "yes").await;
    replies.push(b["reply"].as_str().unwrap().to_owned());
    // The conflict question: the model reads the name too.
    let (_, b) = say(&app, &token, "that would be my husband Carlos Lopez").await;
    replies.push(b["reply"].as_str().unwrap().to_owned());
    let (s, _) = say(&app, &token, "bye").await;
    assert_eq!(s, StatusCode::OK);
    let resp = app
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/conversations/{token}/end"),
            None,
            None,
        )
        .await;
    assert!(resp.status() == StatusCode::OK || resp.status() == StatusCode::CONFLICT);

    let list = app.get_json("/api/v1/intakes", &admin.access).await;
    let record = &list["intakes"][0]["record"];
    let traces = record["traces"].as_array().unwrap();
    let area = traces
        .iter()
        .find(|t| t["decision"] == "practice_area")
        .expect("an area trace");
    assert_eq!(area["choice"], "family");
    let sources: Vec<&str> = area["readings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["keywords", "llm#0", "llm#1", "llm#2"], "{area}");
    assert!(area["confidence"].as_f64().unwrap() >= 0.99, "{area}");
    let party = traces
        .iter()
        .find(|t| t["decision"] == "adverse_party")
        .expect("a party trace");
    assert_eq!(party["choice"], "Carlos Lopez", "{party}");
    assert_eq!(
        record["summary"],
        "Maria Lopez called about separating from her husband Carlos."
    );
    // What the agent sent: three seeded samples at a temperature, a JSON
    // schema, the key as a bearer token.
    let reqs = llm.requests();
    let areas: Vec<&Value> = reqs
        .iter()
        .map(|r| &r.body)
        .filter(|b| kind(b) == "area")
        .collect();
    assert_eq!(areas.len(), 3);
    let mut seeds: Vec<u64> = areas.iter().map(|b| b["seed"].as_u64().unwrap()).collect();
    seeds.sort();
    seeds.dedup();
    assert_eq!(seeds.len(), 3, "each sample its own seed");
    assert!(
        areas
            .iter()
            .all(|b| b["temperature"].as_f64().unwrap() > 0.0)
    );
    assert!(
        system_prompt(areas[0])
            .to_lowercase()
            .contains("legal advice"),
        "{}",
        system_prompt(areas[0])
    );
}

#[tokio::test]
async fn a_stalled_or_failing_model_costs_at_most_the_turn_budget() {
    let llm = FakeLlm::start().await;
    // Every request hangs or fails.
    llm.respond_with(|body| match kind(body) {
        "area" => Reply::Hang,
        "urgency" => Reply::status(503),
        "summary" => Reply::Hang,
        _ => Reply::rate_limited(30),
    });
    let app = app_with(&llm, true, 700).await;
    take_family(&app).await;
    let admin = app.admin(&app.alpha).await;
    let (token, _) = start(&app, &app.alpha.slug).await;
    for line in WHO {
        assert_eq!(say(&app, &token, line).await.0, StatusCode::OK);
    }
    let began = Instant::now();
    let (s, b) = say(&app, &token, "I want to get divorced").await;
    let took = began.elapsed();
    assert_eq!(s, StatusCode::OK, "{b}");
    // The local path answered, as it would have without a model.
    assert!(b["reply"].as_str().unwrap().contains("family law"), "{b}");
    assert!(took < Duration::from_millis(700 + 1500), "{took:?}");
    // The end still gets the local summary when the model's never comes.
    let resp = app
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/conversations/{token}/end"),
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let list = app.get_json("/api/v1/intakes", &admin.access).await;
    let summary = list["intakes"][0]["record"]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("Maria Lopez (callback +15035550100)"),
        "{summary}"
    );
}

#[tokio::test]
async fn phrasing_is_used_only_when_faithful_and_safe_and_never_for_disclosures() {
    let llm = FakeLlm::start().await;
    llm.respond_with(|body| match kind(body) {
        "phrase" => {
            let draft = hermes_testkit::fake_llm::user_message(body).to_owned();
            if draft.contains("full name") {
                // Faithful: nothing of the draft lost.
                Reply::text("Could I get your full name, please?")
            } else if draft.contains("phone number") {
                // Legal advice slipped in: must never be said.
                Reply::text("You should definitely sue them, you will win. What's the best phone number to reach you?")
            } else {
                Reply::status(500)
            }
        }
        _ => Reply::json(json!({ "label": "unknown" })),
    });
    let app = app_with(&llm, true, 1500).await;
    let admin = app.admin(&app.alpha).await;
    let (token, opening) = start(&app, &app.alpha.slug).await;
    // The disclosures and the consent question are never rephrased.
    assert!(opening.contains("not a lawyer"), "{opening}");
    assert!(
        llm.requests()
            .iter()
            .all(|r| !hermes_testkit::fake_llm::user_message(&r.body).contains("not a lawyer")),
        "protected lines never even reach the model"
    );
    let (_, b) = say(&app, &token, "yes").await;
    let reply = b["reply"].as_str().unwrap();
    assert_eq!(reply, "Could I get your full name, please?", "{b}");
    let (_, b) = say(&app, &token, "Maria Lopez").await;
    let (_, b2) = say(&app, &token, "L O P E Z").await;
    let both = format!("{} {}", b["reply"], b2["reply"]);
    assert!(!both.contains("sue"), "advice is never said: {both}");
    assert!(both.contains("phone number"), "{both}");
    // The transcript holds what was said, not the draft.
    let list = app.get_json("/api/v1/intakes", &admin.access).await;
    let transcript = list["intakes"][0]["record"]["transcript"].to_string();
    assert!(transcript.contains("Could I get your full name, please?"));
    assert!(!transcript.contains("sue them"));
}
