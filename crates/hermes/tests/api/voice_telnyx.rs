//! Telnyx calls end to end: TeXML webhooks signed with Ed25519 by a key
//! pair the test owns (its public key set as the firm's), the media
//! stream in Telnyx's dialect played by `hermes::simulate`, and the warm
//! transfer through a fake Telnyx REST API that checks what Telnyx
//! documents. The pilot-tone engines of [`crate::voice`] stand in for
//! speech, so these test the transport, not the models.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxStatus};
use futures_util::{SinkExt, StreamExt};
use hermes::simulate::{Ear, Provider, Simulation, Step};
use hermes_api::voice::speech::{SpeechError, TextToSpeech};
use hermes_testkit::voice::{PilotStt, ToneTts, pilot};
use hermes_voice::telnyx::{SIGNATURE_HEADER, Signer, TIMESTAMP_HEADER};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;
use crate::scheduling::calendar;
use crate::voice::{
    calls, distinct, divorce_intake_app, ended_call, forged_stream_is_closed, install_engines,
    install_engines_with, intake, open_all_week, simulation, stream_answer, telephony,
};

const API_KEY: &str = "KEY0123456789ABCDEF_fake_telnyx_key";
const ACCOUNT: &str = "3e6f995f-85f7-4705-9741-53b116d28237";

/// Makes the firm a Telnyx firm verifying with `signer`'s public key;
/// returns the admin's token.
async fn telnyx_firm(app: &TestApp, firm: &Firm, signer: &Signer, extra: Value) -> String {
    let mut body = json!({
        "provider": "telnyx",
        "telnyx_public_key": signer.public_key(),
        "telnyx_api_key": API_KEY,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    telephony(app, firm, body).await
}

fn telnyx_call(app: &TestApp, firm: &Firm, lines: &[&str], signer: Arc<Signer>) -> Simulation {
    let mut sim = simulation(app, firm, lines);
    sim.provider = Provider::Telnyx { signer };
    sim.account_sid = ACCOUNT.into();
    sim
}

async fn metrics(app: &TestApp) -> String {
    let resp = app.send(reqwest::Method::GET, "/metrics", None, None).await;
    resp.text().await.unwrap()
}

/// The value of a counter line that starts with `prefix` (0 when absent).
fn counter(metrics: &str, prefix: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn problems(metrics: &str, kind: &str) -> f64 {
    counter(
        metrics,
        &format!("hermes_voice_stream_problems_total{{kind=\"{kind}\"}}"),
    )
}

/// Posts `body` (form-encoded) to the firm's Telnyx `hook` with the given
/// signature headers.
async fn post(
    app: &TestApp,
    slug: &str,
    hook: &str,
    body: &str,
    headers: &[(&str, String)],
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(&format!("/voice/telnyx/{slug}/{hook}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    req.send().await.unwrap()
}

fn signed(signer: &Signer, at: i64, body: &str) -> Vec<(&'static str, String)> {
    vec![
        (TIMESTAMP_HEADER, at.to_string()),
        (SIGNATURE_HEADER, signer.sign(at, body.as_bytes())),
    ]
}

/// Telnyx's `start` for the call `RINGING` rings, with these custom
/// parameters.
fn start(custom: Value) -> Value {
    json!({"event": "start", "sequence_number": "1", "stream_id": "s1",
           "start": {"user_id": ACCOUNT, "call_control_id": "v3:ring1", "custom_parameters": custom,
                     "media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1}}})
}

/// Rings the firm (alpha) as Telnyx, signed by `signer`: the stream URL,
/// its parameters and the TeXML.
async fn ring(app: &TestApp, signer: &Signer) -> (String, Vec<(String, String)>, String) {
    let now = chrono::Utc::now().timestamp();
    let resp = post(
        app,
        &app.alpha.slug,
        "incoming",
        RINGING,
        &signed(signer, now, RINGING),
    )
    .await;
    stream_answer(app, resp, "telnyx", &app.alpha.slug).await
}

const RINGING: &str = "AccountSid=3e6f995f-85f7-4705-9741-53b116d28237&CallSid=v3%3Aring1&CallStatus=ringing&From=%2B15035550142&To=%2B15035550100";

#[tokio::test]
async fn telnyx_webhooks_without_a_valid_signature_are_refused() {
    let app = spawn_app().await;
    let signer = Signer::generate();
    let admin = telnyx_firm(&app, &app.alpha, &signer, json!({})).await;
    let now = chrono::Utc::now().timestamp();
    let slug = app.alpha.slug.clone();

    // No headers, one of the two, another key, a stale or future
    // timestamp, a tampered body: 403, and no call is recorded.
    let other = Signer::generate();
    let tampered = RINGING.replace("v3%3Aring1", "v3%3Aring2");
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        (RINGING, vec![]),
        (RINGING, signed(&signer, now, RINGING)[..1].to_vec()),
        (RINGING, signed(&signer, now, RINGING)[1..].to_vec()),
        (RINGING, signed(&other, now, RINGING)),
        (RINGING, signed(&signer, now - 600, RINGING)),
        (RINGING, signed(&signer, now + 600, RINGING)),
        (tampered.as_str(), signed(&signer, now, RINGING)),
    ];
    for (body, headers) in &cases {
        let resp = post(&app, &slug, "incoming", body, headers).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{headers:?}");
        let resp = post(&app, &slug, "status", body, headers).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    }
    // This firm's signature on the other firm's webhook (which has no
    // Telnyx key): 403.
    let resp = post(
        &app,
        &app.bravo.slug,
        "incoming",
        RINGING,
        &signed(&signer, now, RINGING),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(calls(&app, &admin).await.is_empty());
    assert!(problems(&metrics(&app).await, "bad_signature") >= cases.len() as f64 * 2.0);

    // Signed right: TeXML that connects a bidirectional RTP stream in
    // PCMU, with a stream token, and the call is recorded as ringing.
    let (stream, _, xml) = ring(&app, &signer).await;
    assert!(
        xml.contains(
            " codec=\"PCMU\" bidirectionalMode=\"rtp\" bidirectionalCodec=\"PCMU\" bidirectionalSamplingRate=\"8000\""
        ),
        "{xml}"
    );
    let c = calls(&app, &admin).await;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["provider"], "telnyx");
    assert_eq!(c[0]["status"], "ringing");
    assert_eq!(c[0]["from"], "+15035550142");
    // The call-progress callback: a call that never streamed ends with
    // Telnyx's word for it.
    let done = RINGING.replace("ringing", "no-answer");
    let resp = post(&app, &slug, "status", &done, &signed(&signer, now, &done)).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let c = calls(&app, &admin).await;
    assert_eq!(c[0]["status"], "ended");
    assert_eq!(c[0]["outcome"], "no_answer");

    // A stream whose start carries a forged token is closed at once.
    forged_stream_is_closed(&stream, start(json!({"token": "forged"}))).await;
}

#[tokio::test]
async fn telnyx_settings_are_validated_and_the_api_key_is_never_shown() {
    let app = spawn_app().await;
    let admin = app.admin(&app.alpha).await;
    for (field, value) in [
        ("telnyx_public_key", "not base64!"),
        ("telnyx_public_key", "AAAA"),
        ("telnyx_api_key", "short"),
        ("telnyx_api_key", "KEY with spaces in it, no"),
    ] {
        let mut body = json!({"provider": "telnyx"});
        body[field] = json!(value);
        let resp = app
            .send(
                reqwest::Method::PUT,
                "/api/v1/settings/telephony",
                Some(&admin.access),
                Some(body),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = resp.json().await.unwrap();
        assert!(
            body["error"]["message"].as_str().unwrap().contains(field),
            "{body}"
        );
    }
    let signer = Signer::generate();
    telnyx_firm(&app, &app.alpha, &signer, json!({})).await;
    let v = app
        .get_json("/api/v1/settings/telephony", &admin.access)
        .await;
    assert_eq!(v["provider"], "telnyx");
    // The public key only verifies: shown in full. The API key: never.
    assert_eq!(v["telnyx_public_key"], signer.public_key());
    assert_eq!(v["telnyx_api_key"], "••••_key");
    assert!(!v.to_string().contains(API_KEY));
}

#[tokio::test]
async fn a_telnyx_call_takes_an_intake_to_its_end() {
    let (app, answers, steps) = divorce_intake_app().await;
    let lines = distinct(&answers);
    let signer = Arc::new(Signer::generate());
    let admin = telnyx_firm(&app, &app.alpha, &signer, json!({})).await;
    let report = telnyx_call(&app, &app.alpha, &lines, signer)
        .run(&steps)
        .await
        .unwrap();
    assert!(report.agent_hung_up, "{report:#?}");
    assert_eq!(report.lines.len(), answers.len(), "{report:#?}");
    let call = ended_call(&app, &admin).await;
    assert_eq!(call["provider"], "telnyx");
    assert_eq!(call["outcome"], "needs_review", "{call:#}");
    assert_eq!(call["recording_consent"], true);
    assert_eq!(call["has_recording"], true);
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    assert_eq!(i["channel"], "voice");
    assert_eq!(i["status"], "needs_review");
    assert_eq!(i["practice_area"], "family");
    assert_eq!(i["record"]["fields"]["name"]["value"], "Maria Lopez");
    assert!(i["record"]["booking"].is_object(), "{:#}", i["record"]);
    // Every caller turn was answered and timed.
    assert!(
        call["turns"].as_array().unwrap().len() >= answers.len() - 1,
        "{call:#}"
    );
}

#[tokio::test]
async fn a_telnyx_caller_who_talks_over_the_agent_gets_a_clear() {
    let lines = ["yes that's fine"];
    let app = spawn_app().await;
    let signer = Arc::new(Signer::generate());
    let admin = telnyx_firm(&app, &app.alpha, &signer, json!({})).await;
    install_engines(&app, &lines, 120);
    let steps = vec![
        Step::Interrupt("yes that's fine".into()),
        Step::Wait(Duration::from_secs(3)),
        Step::Hangup,
    ];
    let report = telnyx_call(&app, &app.alpha, &lines, signer)
        .run(&steps)
        .await
        .unwrap();
    assert!(report.clears >= 1, "{report:#?}");
    let call = ended_call(&app, &admin).await;
    assert_eq!(call["provider"], "telnyx");
    assert_eq!(call["outcome"], "abandoned");
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    assert_eq!(i["record"]["recording_consent"], true, "{:#}", i["record"]);
    assert!(counter(&metrics(&app).await, "hermes_voice_barge_ins_total") >= 1.0);
}

/// One request the fake Telnyx received.
#[derive(Debug, Clone)]
struct Received {
    account: String,
    call: String,
    form: Vec<(String, String)>,
}

#[derive(Clone)]
struct FakeTelnyx {
    received: Arc<Mutex<Vec<Received>>>,
    /// Answer every valid request with this status (Telnyx refusing).
    status: AxStatus,
}

/// TeXML's call update as Telnyx documents it: bearer auth with the API
/// key, a form body of CamelCase keys from the documented set.
async fn update_call(
    State(fake): State<FakeTelnyx>,
    Path((account, call)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> (AxStatus, axum::Json<Value>) {
    let error = |status: AxStatus, detail: &str| {
        (
            status,
            axum::Json(
                json!({"errors": [{"code": "10001", "title": "Invalid", "detail": detail}]}),
            ),
        )
    };
    let bearer = format!("Bearer {API_KEY}");
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(bearer.as_str()) {
        return error(AxStatus::UNAUTHORIZED, "bad API key");
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok())
        != Some("application/x-www-form-urlencoded")
    {
        return error(AxStatus::UNSUPPORTED_MEDIA_TYPE, "form expected");
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    const DOCUMENTED: [&str; 8] = [
        "Status",
        "Url",
        "Method",
        "FallbackUrl",
        "FallbackMethod",
        "StatusCallback",
        "StatusCallbackMethod",
        "Texml",
    ];
    if form.is_empty() || form.iter().any(|(k, _)| !DOCUMENTED.contains(&k.as_str())) {
        return error(AxStatus::UNPROCESSABLE_ENTITY, "unknown parameter");
    }
    fake.received.lock().unwrap().push(Received {
        account: account.clone(),
        call: call.clone(),
        form,
    });
    if fake.status != AxStatus::OK {
        return error(fake.status, "refused");
    }
    (
        AxStatus::OK,
        axum::Json(json!({"account_sid": account, "sid": call, "status": "in-progress"})),
    )
}

/// Starts the fake on a free port; returns its base URL.
async fn fake_telnyx(status: AxStatus) -> (String, Arc<Mutex<Vec<Received>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let router = axum::Router::new()
        .route(
            "/v2/texml/Accounts/{account}/Calls/{call}",
            axum::routing::post(update_call),
        )
        .with_state(FakeTelnyx {
            received: received.clone(),
            status,
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, received)
}

/// The pilot that marks the line a caller hears when a transfer could
/// not be placed.
const FALLBACK_PILOT: usize = 7;

/// The agent's voice of the tests (a tone per sentence), except that the
/// transfer's fallback line is spoken as [`FALLBACK_PILOT`], so the
/// caller's ear can tell that it was heard.
struct MarkedTts(ToneTts);

#[async_trait::async_trait]
impl TextToSpeech for MarkedTts {
    fn name(&self) -> &str {
        "marked"
    }

    fn sample_rate(&self) -> u32 {
        16_000
    }

    async fn synthesize(&self, sentence: &str) -> Result<Vec<i16>, SpeechError> {
        if sentence.contains("couldn't connect you") {
            return Ok(pilot(FALLBACK_PILOT, 800, 16_000, 0.3));
        }
        self.0.synthesize(sentence).await
    }
}

/// Hears which pilot an utterance of the agent carries, if any.
struct PilotEar(PilotStt);

impl Ear for PilotEar {
    fn hear(&self, audio_8k: &[i16]) -> String {
        let up = hermes_voice::resample::convert(8_000, 16_000, audio_8k).unwrap();
        self.0
            .hear(&up)
            .map(|i| format!("pilot {i}"))
            .unwrap_or_default()
    }
}

/// A caller who presses 0 while the firm is open; the fake Telnyx answers
/// the transfer with `status`.
async fn press_zero(
    status: AxStatus,
) -> (TestApp, String, hermes::simulate::Report, Vec<Received>) {
    let lines = ["yes"];
    let (base, received) = fake_telnyx(status).await;
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), move |s| {
        s.voice.telnyx_api_base = base
    })
    .await;
    let cal = calendar(&app, &app.alpha).await;
    open_all_week(&app, &cal.admin.access).await;
    let signer = Arc::new(Signer::generate());
    let admin = telnyx_firm(
        &app,
        &app.alpha,
        &signer,
        json!({"transfer_number": "+15035550111"}),
    )
    .await;
    install_engines_with(
        &app,
        &lines,
        Arc::new(MarkedTts(ToneTts { ms_per_word: 15 })),
    );
    let steps = vec![Step::Say("yes".into()), Step::Press('0')];
    let mut sim = telnyx_call(&app, &app.alpha, &lines, signer);
    let pilots: Vec<String> = (0..=FALLBACK_PILOT).map(|i| i.to_string()).collect();
    let pilots: Vec<&str> = pilots.iter().map(String::as_str).collect();
    sim.ear = Some(Arc::new(PilotEar(PilotStt::new(&pilots))));
    let report = sim.run(&steps).await.unwrap();
    let received = received.lock().unwrap().clone();
    (app, admin, report, received)
}

#[tokio::test]
async fn pressing_zero_on_telnyx_transfers_the_call_through_texml() {
    let (app, admin, report, received) = press_zero(AxStatus::OK).await;
    assert!(report.agent_hung_up, "{report:#?}");
    let call = ended_call(&app, &admin).await;
    assert_eq!(call["provider"], "telnyx");
    assert_eq!(call["outcome"], "transferred", "{call:#}");
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    assert!(i["record"]["transcript"].to_string().contains("[keypad] 0"));
    // Telnyx got one call update, for this account and call, replacing the
    // stream with a <Dial> to the firm's transfer number.
    assert_eq!(received.len(), 1, "{received:#?}");
    let r = &received[0];
    assert_eq!(r.account, ACCOUNT);
    assert_eq!(r.call, report.call_sid);
    assert!(r.call.starts_with("v3:"));
    assert_eq!(r.form.len(), 1, "{:?}", r.form);
    let (key, texml) = &r.form[0];
    assert_eq!(key, "Texml");
    assert!(texml.starts_with("<?xml"), "{texml}");
    assert!(
        texml.contains(
            "<Dial timeout=\"25\" callerId=\"+15035550100\"><Number>+15035550111</Number></Dial>"
        ),
        "{texml}"
    );
    let m = metrics(&app).await;
    assert_eq!(
        counter(&m, "hermes_call_transfers_total{result=\"dialled\"}"),
        1.0
    );
    // Telnyx took the call over: no apology was said.
    let fallback = format!("pilot {FALLBACK_PILOT}");
    assert!(
        !report.agent.iter().any(|s| s.text == fallback),
        "{report:#?}"
    );
}

#[tokio::test]
async fn a_telnyx_transfer_that_cannot_be_placed_ends_with_a_message() {
    let (app, admin, report, received) = press_zero(AxStatus::UNPROCESSABLE_ENTITY).await;
    // Telnyx was asked (and refused).
    assert_eq!(received.len(), 1, "{received:#?}");
    assert!(report.agent_hung_up, "{report:#?}");
    let call = ended_call(&app, &admin).await;
    // Not transferred: a message was taken (the intake), for a person to
    // call back; the caller was told so after the agent's last words.
    assert_eq!(call["outcome"], "needs_review", "{call:#}");
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    assert_eq!(i["status"], "needs_review");
    let fallback = format!("pilot {FALLBACK_PILOT}");
    let last = report.agent.last().unwrap();
    assert_eq!(last.text, fallback, "{report:#?}");
    let m = metrics(&app).await;
    assert_eq!(
        counter(&m, "hermes_call_transfers_total{result=\"failed\"}"),
        1.0
    );
}

/// The stream survives what it cannot understand: garbage before and
/// after `start`, binary frames, unknown events, oversized messages,
/// frames out of order and twice, Telnyx's own error frames. The caller's
/// answer after all that is still heard, and each kind is counted.
#[tokio::test]
async fn a_telnyx_stream_survives_malformed_frames_and_counts_them() {
    let lines = ["yes that's fine"];
    let app = spawn_app().await;
    let signer = Signer::generate();
    let admin = telnyx_firm(&app, &app.alpha, &signer, json!({})).await;
    install_engines(&app, &lines, 15);
    let (url, params, _) = ring(&app, &signer).await;
    let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    let (mut sink, mut rx) = ws.split();
    let text = |v: Value| Message::Text(v.to_string().into());
    let custom: serde_json::Map<String, Value> =
        params.into_iter().map(|(k, v)| (k, v.into())).collect();
    let start = start(Value::Object(custom));
    // Before start: not JSON, binary, a media frame.
    sink.send(Message::Text("hello?".into())).await.unwrap();
    sink.send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    sink.send(text(json!({"event": "connected", "version": "1.0.0"})))
        .await
        .unwrap();
    sink.send(text(
        json!({"event": "media", "stream_id": "s1", "media": {"chunk": "1", "payload": "/w=="}}),
    ))
    .await
    .unwrap();
    sink.send(text(start.clone())).await.unwrap();
    // After start, the odd ones.
    let odd = vec![
        Message::Text("{not json".into()),
        Message::Binary(vec![0xFF; 160].into()),
        text(json!({"event": "transcription", "stream_id": "s1"})),
        text(json!({"event": "media", "stream_id": "s1", "media": {"payload": "@@@"}})),
        text(json!({"event": "dtmf", "stream_id": "s1", "dtmf": {"digit": "99"}})),
        text(
            json!({"event": "error", "stream_id": "s1", "payload": {"code": 100003, "title": "Malformed frame", "detail": "the frame could not be decoded"}}),
        ),
        text(start),
        Message::Text(
            json!({"event": "media", "media": {"payload": "A".repeat(100 * 1024)}})
                .to_string()
                .into(),
        ),
    ];
    for m in odd {
        sink.send(m).await.unwrap();
    }
    // The caller's answer as 20 ms frames in real time, with frame 5
    // overtaking frame 4 (and coming twice while it waits), and frame 1
    // coming again too late.
    let mut audio = vec![0i16; 8_000];
    audio.extend(pilot(0, 700, 8_000, 0.25));
    audio.extend(vec![0i16; 24_000]);
    let frames: Vec<Vec<u8>> = audio
        .chunks(160)
        .map(|c| {
            c.iter()
                .map(|s| hermes_voice::g711::ulaw_encode(*s))
                .collect()
        })
        .collect();
    let mut order: Vec<usize> = (0..frames.len()).collect();
    order.swap(4, 5);
    order.insert(5, 5);
    order.insert(10, 1);
    let media = |chunk: usize, ulaw: &[u8]| {
        use base64::Engine as _;
        text(
            json!({"event": "media", "sequence_number": (chunk + 2).to_string(), "stream_id": "s1",
            "media": {"track": "inbound", "chunk": (chunk + 1).to_string(), "timestamp": (chunk * 20).to_string(),
                      "payload": base64::engine::general_purpose::STANDARD.encode(ulaw)}}),
        )
    };
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut agent_frames = 0usize;
    for i in order {
        tick.tick().await;
        sink.send(media(i, &frames[i])).await.unwrap();
        // Read what the agent says meanwhile (and echo its marks).
        while let Ok(Some(Ok(Message::Text(t)))) =
            tokio::time::timeout(Duration::from_millis(1), rx.next()).await
        {
            let v: Value = serde_json::from_str(&t).unwrap();
            match v["event"].as_str() {
                Some("media") => agent_frames += 1,
                Some("mark") => sink.send(text(v)).await.unwrap(),
                _ => {}
            }
        }
    }
    assert!(agent_frames > 0, "the agent never spoke");
    // The agent answers the caller's words; then the caller hangs up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    sink.send(text(json!({"event": "stop", "stream_id": "s1", "stop": {"user_id": ACCOUNT, "call_control_id": "v3:ring1"}})))
        .await
        .unwrap();
    let call = ended_call(&app, &admin).await;
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    assert_eq!(
        i["record"]["recording_consent"], true,
        "the answer after the garbage was heard: {:#}",
        i["record"]["transcript"]
    );
    let m = metrics(&app).await;
    for (kind, at_least) in [
        ("malformed", 4.0),
        ("binary", 2.0),
        ("unknown_event", 1.0),
        ("oversized", 1.0),
        ("before_start", 1.0),
        ("out_of_order", 1.0),
        ("provider_error", 1.0),
        ("duplicate_frame", 1.0),
        ("late_frame", 1.0),
    ] {
        assert!(
            problems(&m, kind) >= at_least,
            "{kind}: {}",
            m.lines()
                .filter(|l| l.contains("stream_problems"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    // Nothing was lost: the reordered frames were put back in order.
    assert_eq!(problems(&m, "lost_frame"), 0.0);
}
