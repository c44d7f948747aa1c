//! Phone calls end to end: Twilio's webhooks and media stream, played by
//! `hermes::simulate` against the real server, with fast engines whose
//! behaviour is known (the caller speaks pilot tones that name its lines,
//! the recogniser finds them, the agent speaks tones; VAD by loudness) so
//! these tests exercise the pipeline — turns, barge-in, keypad, consent,
//! hang-ups, call records — not the speech models (tested in
//! hermes-speech, and end to end with them in `voice_local`).

use std::sync::Arc;
use std::time::Duration;

use hermes::simulate::{CallerVoice, Report, Simulation, Step};
use hermes_api::voice::Engines;
use hermes_api::voice::speech::{EnergyVad, SpeechToText, TextToSpeech, VadService};
use hermes_testkit::voice::{PilotStt, ToneTts, pilot};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::scheduling::calendar;

pub const AUTH_TOKEN: &str = "f00dfeedfacecafe9876543210fedcba";
pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";

/// Speaks line `i` of the script as its pilot tone.
struct PilotVoice {
    lines: Vec<String>,
}

impl CallerVoice for PilotVoice {
    fn speak(&self, _: usize, text: &str) -> anyhow::Result<Vec<i16>> {
        let i = self
            .lines
            .iter()
            .position(|l| l == text)
            .ok_or_else(|| anyhow::anyhow!("{text:?} is not a known line"))?;
        Ok(pilot(i, 700, 8_000, 0.25))
    }
}

/// Installs the pilot engines for `lines` on the app.
pub fn install_engines(app: &TestApp, lines: &[&str], ms_per_word: u32) {
    install_engines_with(app, lines, Arc::new(ToneTts { ms_per_word }));
}

/// The pilot recogniser for `lines`, with `voice` as the agent's.
pub fn install_engines_with(app: &TestApp, lines: &[&str], voice: Arc<dyn TextToSpeech>) {
    install(app, Arc::new(PilotStt::new(lines)), voice);
}

/// Installs `stt` and `tts` as the app's `local` engines (VAD by
/// loudness).
pub fn install(app: &TestApp, stt: Arc<dyn SpeechToText>, tts: Arc<dyn TextToSpeech>) {
    let mut stts: std::collections::HashMap<String, Arc<dyn SpeechToText>> = Default::default();
    stts.insert("local".into(), stt);
    let mut ttss: std::collections::HashMap<String, Arc<dyn TextToSpeech>> = Default::default();
    ttss.insert("local".into(), tts);
    app.state.voice.set_engines(Engines {
        stt: stts,
        tts: ttss,
        default_stt: "local".into(),
        default_tts: "local".into(),
        vad: VadService::start(
            Box::new(EnergyVad {
                threshold_rms: 0.02,
            }),
            0.0,
        ),
    });
}

/// Sets the firm's Twilio credentials; returns the admin's token.
pub async fn telephony(app: &TestApp, firm: &Firm, extra: Value) -> String {
    let admin = app.admin(firm).await;
    let mut body = json!({
        "provider": "twilio",
        "numbers": ["+15035550100"],
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/telephony",
            Some(&admin.access),
            Some(body),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    admin.access
}

pub fn simulation(app: &TestApp, firm: &Firm, lines: &[&str]) -> Simulation {
    Simulation {
        base_url: app.address.clone(),
        tenant: firm.slug.clone(),
        provider: hermes::simulate::Provider::Twilio {
            auth_token: AUTH_TOKEN.into(),
        },
        account_sid: ACCOUNT_SID.into(),
        from: "+15035550142".into(),
        to: "+15035550100".into(),
        voice: Arc::new(PilotVoice {
            lines: lines.iter().map(|s| (*s).to_owned()).collect(),
        }),
        ear: None,
        turn_gap: Duration::from_millis(900),
        patience: Duration::from_secs(20),
    }
}

pub fn says(lines: &[&str]) -> Vec<Step> {
    lines.iter().map(|l| Step::Say((*l).to_owned())).collect()
}

/// The firm's calls, newest first.
pub async fn calls(app: &TestApp, token: &str) -> Vec<Value> {
    let v = app.get_json("/api/v1/calls", token).await;
    v["calls"].as_array().unwrap().clone()
}

pub async fn intake(app: &TestApp, token: &str, id: &str) -> Value {
    app.get_json(&format!("/api/v1/intakes/{id}"), token).await
}

/// The call's record once the server has written its end.
pub async fn ended_call(app: &TestApp, token: &str) -> Value {
    for _ in 0..100 {
        let c = calls(app, token).await;
        if let Some(call) = c.first()
            && call["status"] == "ended"
            // Written last, by the media stream (the provider's status
            // callback may mark the call ended before it).
            && call["outcome"].is_string()
        {
            return call.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the call was not recorded as ended: {:#?}",
        calls(app, token).await
    );
}

pub async fn open_all_week(app: &TestApp, token: &str) {
    let resp = app
        .send(
            Method::PUT,
            "/api/v1/settings/hours",
            Some(token),
            Some(json!({"weekly": crate::firm_settings::all_week("00:00", "23:30"), "after_hours": "book"})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn webhooks_without_a_valid_signature_are_refused() {
    let app = spawn_app().await;
    telephony(&app, &app.alpha, json!({})).await;
    let url = app.url(&format!("/voice/twilio/{}/incoming", app.alpha.slug));
    let form = [
        ("CallSid", "CA1"),
        ("From", "+15035550142"),
        ("To", "+15035550100"),
    ];
    let owned: Vec<(String, String)> = form
        .iter()
        .map(|(a, b)| ((*a).into(), (*b).into()))
        .collect();
    // No signature, a signature with another token, a signature of other
    // parameters: 403, and no call is recorded.
    let none = app.client.post(&url).form(&form).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::FORBIDDEN);
    let wrong = hermes_voice::signature::sign("another-token-0000", &url, &owned);
    let resp = app
        .client
        .post(&url)
        .header("X-Twilio-Signature", wrong)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let other = hermes_voice::signature::sign(AUTH_TOKEN, &url, &owned[..2]);
    let resp = app
        .client
        .post(&url)
        .header("X-Twilio-Signature", other)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // The other firm's webhook with this firm's signature: 403 too.
    let bravo = app.url(&format!("/voice/twilio/{}/incoming", app.bravo.slug));
    let sig = hermes_voice::signature::sign(AUTH_TOKEN, &bravo, &owned);
    let resp = app
        .client
        .post(&bravo)
        .header("X-Twilio-Signature", sig)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let admin = app.admin(&app.alpha).await;
    assert!(calls(&app, &admin.access).await.is_empty());
    // Signed right: TwiML that connects a bidirectional stream, with a
    // stream token, and the call is recorded as ringing.
    let sig = hermes_voice::signature::sign(AUTH_TOKEN, &url, &owned);
    let resp = app
        .client
        .post(&url)
        .header("X-Twilio-Signature", sig.clone())
        .form(&form)
        .send()
        .await
        .unwrap();
    let (stream, _, _) = stream_answer(&app, resp, "twilio", "alpha").await;
    let c = calls(&app, &admin.access).await;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["status"], "ringing");
    assert_eq!(c[0]["from"], "+15035550142");
    // Twilio retrying the webhook gets the same call.
    let resp = app
        .client
        .post(&url)
        .header("X-Twilio-Signature", sig)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(calls(&app, &admin.access).await.len(), 1);

    // A stream without a valid token is closed at once.
    forged_stream_is_closed(
        &stream,
        json!({
            "event": "start", "streamSid": "MZ1",
            "start": {"streamSid": "MZ1", "accountSid": ACCOUNT_SID, "callSid": "CA1", "tracks": ["inbound"],
                      "customParameters": {"token": "forged"}, "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}
        }),
    )
    .await;

    // The secret is never shown back.
    let v = app
        .get_json("/api/v1/settings/telephony", &admin.access)
        .await;
    assert_eq!(v["twilio_auth_token"], "••••dcba");
    assert!(!v.to_string().contains(AUTH_TOKEN));
}

/// The answer to a ringing call: XML that connects `provider`'s stream for
/// the firm `slug`, carrying a stream token. Returns the stream's URL, its
/// parameters and the XML.
pub async fn stream_answer(
    app: &TestApp,
    resp: reqwest::Response,
    provider: &str,
    slug: &str,
) -> (String, Vec<(String, String)>, String) {
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml")
    );
    let xml = resp.text().await.unwrap();
    let (stream, params) = hermes::simulate::parse_twiml(&xml).unwrap();
    assert_eq!(
        stream,
        format!(
            "ws://{}/voice/{provider}/{slug}/stream",
            app.address.trim_start_matches("http://")
        )
    );
    assert!(params.iter().any(|(k, v)| k == "token" && v.len() > 40));
    (stream, params, xml)
}

/// A stream whose `start` carries a forged token is closed at once.
pub async fn forged_stream_is_closed(stream: &str, start: Value) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let (ws, _) = tokio_tungstenite::connect_async(stream).await.unwrap();
    let (mut sink, mut rx) = ws.split();
    sink.send(Message::Text(start.to_string().into()))
        .await
        .unwrap();
    let next = tokio::time::timeout(Duration::from_secs(5), rx.next())
        .await
        .unwrap();
    assert!(
        matches!(next, None | Some(Ok(Message::Close(_))) | Some(Err(_))),
        "{next:?}"
    );
}

/// Answers of a cooperative caller who books a divorce consultation, as the
/// text channel takes them (the engine is deterministic, so the same
/// answers fit the same questions on the phone).
pub async fn divorce_answers() -> Vec<String> {
    let app = spawn_app().await;
    let cal = calendar(&app, &app.alpha).await;
    open_all_week(&app, &cal.admin.access).await;
    let (token, _) = crate::intake::start(&app, &app.alpha.slug).await;
    let mut answers: Vec<String> = [
        "yes that's fine",
        "my name is Maria Lopez",
        "L-O-P-E-Z",
        "five oh three five five five zero one zero zero",
        "yes",
        "maria dot lopez at gmail dot com",
        "yes",
        "for myself",
        "I want to file for divorce from my husband",
        "yes",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let mut state = String::new();
    let mut last = String::new();
    for a in &answers {
        let (status, body) = crate::intake::say(&app, &token, a).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        state = body["state"].as_str().unwrap().to_owned();
        last = body["reply"].as_str().unwrap().to_owned();
    }
    for _ in 0..40 {
        let a = match state.as_str() {
            "conflict_check" => "Carlos Lopez",
            "facts" => "yes",
            "scheduling" if last.contains("Which") => "the first one",
            "scheduling" => "as soon as possible",
            "wrap_up" => "no that's all",
            "done" => break,
            other => panic!("unexpected state {other}"),
        };
        answers.push(a.to_owned());
        let (_, body) = crate::intake::say(&app, &token, a).await;
        state = body["state"].as_str().unwrap().to_owned();
        last = body["reply"].as_str().unwrap().to_owned();
        if body["done"] == true {
            break;
        }
    }
    assert_eq!(state, "done");
    answers
}

pub fn distinct(answers: &[String]) -> Vec<&str> {
    let mut lines: Vec<&str> = Vec::new();
    for a in answers {
        if !lines.contains(&a.as_str()) {
            lines.push(a);
        }
    }
    lines
}

/// An app whose firm is open all week, with the pilot engines for a
/// caller who books a divorce consultation: the app, the caller's answers
/// and the script that says them.
pub async fn divorce_intake_app() -> (TestApp, Vec<String>, Vec<Step>) {
    let answers = divorce_answers().await;
    let app = spawn_app().await;
    let cal = calendar(&app, &app.alpha).await;
    open_all_week(&app, &cal.admin.access).await;
    install_engines(&app, &distinct(&answers), 15);
    let steps = answers.iter().map(|a| Step::Say(a.clone())).collect();
    (app, answers, steps)
}

#[tokio::test]
async fn a_phone_intake_ends_booked_with_its_call_record_and_recording() {
    let (app, answers, steps) = divorce_intake_app().await;
    let lines = distinct(&answers);
    let admin = telephony(&app, &app.alpha, json!({})).await;
    let report: Report = simulation(&app, &app.alpha, &lines)
        .run(&steps)
        .await
        .unwrap();
    let call = ended_call(&app, &admin).await;
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    // "yes" to every question includes the safety one: a person reviews.
    assert_eq!(
        i["status"], "needs_review",
        "{:#}",
        i["record"]["transcript"]
    );
    assert!(report.agent_hung_up, "{report:#?}");
    assert_eq!(report.lines.len(), answers.len(), "{report:#?}");

    assert_eq!(call["provider"], "twilio");
    assert_eq!(call["outcome"], "needs_review", "{call:#}");
    assert_eq!(call["recording_consent"], true);
    assert!(call["duration_ms"].as_i64().unwrap() > 10_000);
    let turns = call["turns"].as_array().unwrap();
    assert!(turns.len() >= answers.len() - 1, "{call:#}");
    for t in turns {
        for key in [
            "transcript_ms",
            "reply_ms",
            "first_audio_ms",
            "first_frame_ms",
        ] {
            assert!(t[key].is_u64(), "{key} missing in {t}");
        }
        assert!(t["first_frame_ms"].as_u64() >= t["first_audio_ms"].as_u64());
    }
    assert_eq!(i["channel"], "voice");
    assert_eq!(i["practice_area"], "family");
    assert_eq!(
        i["record"]["fields"]["phone"]["value"], "+15035550100",
        "{:#}",
        i["record"]["fields"]
    );
    assert!(i["record"]["booking"].is_object(), "{:#}", i["record"]);

    // The caller consented: the recording is there, sealed at rest, and
    // listening is audited.
    assert_eq!(call["has_recording"], true);
    let resp = app
        .get(
            &format!("/api/v1/calls/{}/recording", call["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let wav = resp.bytes().await.unwrap();
    let reader = hound::WavReader::new(std::io::Cursor::new(wav.to_vec())).unwrap();
    assert_eq!(reader.spec().sample_rate, 8_000);
    assert!(reader.duration() > 8_000 * 5);
    let audit = app
        .get_json("/api/v1/audit?action=recording.listen", &admin)
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1, "{audit:#}");
    // A read-only user cannot listen.
    let (_, staff) = app.user_with_role(&app.alpha, "READ_ONLY").await;
    let resp = app
        .get(
            &format!("/api/v1/calls/{}/recording", call["id"].as_str().unwrap()),
            &staff.access,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_caller_who_declines_recording_and_hangs_up_leaves_an_abandoned_intake_and_no_recording()
{
    let lines = ["no thank you", "my name is Maria Lopez"];
    let app = spawn_app().await;
    let admin = telephony(&app, &app.alpha, json!({})).await;
    install_engines(&app, &lines, 15);
    let mut steps = says(&lines);
    steps.push(Step::Hangup);
    let report = simulation(&app, &app.alpha, &lines)
        .run(&steps)
        .await
        .unwrap();
    assert!(!report.agent_hung_up);
    let call = ended_call(&app, &admin).await;
    assert_eq!(call["outcome"], "abandoned", "{call:#}");
    assert_eq!(call["recording_consent"], false);
    assert_eq!(call["has_recording"], false);
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    assert_eq!(i["status"], "abandoned");
    // Everything said before the hang-up is kept.
    let transcript = i["record"]["transcript"].to_string();
    assert!(
        transcript.contains("my name is Maria Lopez"),
        "{transcript}"
    );
    assert_eq!(i["record"]["fields"]["name"]["value"], "Maria Lopez");
}

#[tokio::test]
async fn the_callers_silence_counts_from_the_end_of_the_agents_speech() {
    // A question that takes longer to say than the silence timeout: the
    // caller must still get the whole timeout after it to answer.
    let lines = ["yes"];
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.voice.silence_timeout_ms = 1000
    })
    .await;
    let admin = telephony(&app, &app.alpha, json!({})).await;
    let ms_per_word = 400;
    install_engines(&app, &lines, ms_per_word);
    let steps = vec![
        Step::Say("yes".into()),
        Step::Wait(Duration::from_secs(9)),
        Step::Hangup,
    ];
    simulation(&app, &app.alpha, &lines)
        .run(&steps)
        .await
        .unwrap();
    let call = ended_call(&app, &admin).await;
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    let transcript = i["record"]["transcript"].as_array().unwrap().clone();
    let at = |needle: &str| {
        transcript
            .iter()
            .find(|t| t["text"].as_str().unwrap().contains(needle))
            .map(|t| chrono::DateTime::parse_from_rfc3339(t["at"].as_str().unwrap()).unwrap())
            .unwrap_or_else(|| panic!("{needle:?} not in {transcript:#?}"))
    };
    // "Thank you." and "May I have your full name, please?" share the
    // turn's time; the re-prompt comes after both are said and a second
    // of the caller's silence.
    let asked = at("your full name");
    let prompted = at("Are you still there?");
    let said_ms = 9 * ms_per_word as i64;
    let gap = (prompted - asked).num_milliseconds();
    assert!(
        gap >= said_ms + 700,
        "re-prompted {gap} ms after a question {said_ms} ms long: {transcript:#?}"
    );
}

/// Tones, but slow to start on sentences containing `slow_on`.
struct SlowSentences {
    slow_on: &'static str,
    delay: Duration,
}

#[async_trait::async_trait]
impl TextToSpeech for SlowSentences {
    fn name(&self) -> &str {
        "slow"
    }

    fn sample_rate(&self) -> u32 {
        16_000
    }

    async fn synthesize(
        &self,
        sentence: &str,
    ) -> Result<Vec<i16>, hermes_api::voice::speech::SpeechError> {
        if sentence.contains(self.slow_on) {
            tokio::time::sleep(self.delay).await;
        }
        Ok(hermes_testkit::voice::tone(sentence, 100, 16_000))
    }
}

#[tokio::test]
async fn the_filler_never_breaks_into_a_reply_already_begun() {
    // "Thank you." comes at once; "May I have your full name?" is slow to
    // synthesise, past the filler's moment. The reply has begun: no "One
    // moment." between its sentences.
    let lines = ["yes"];
    let app = spawn_app().await;
    let admin = telephony(&app, &app.alpha, json!({})).await;
    install_engines_with(
        &app,
        &lines,
        Arc::new(SlowSentences {
            slow_on: "full name",
            delay: Duration::from_millis(2500),
        }),
    );
    let steps = vec![
        Step::Say("yes".into()),
        Step::Wait(Duration::from_secs(5)),
        Step::Hangup,
    ];
    simulation(&app, &app.alpha, &lines)
        .run(&steps)
        .await
        .unwrap();
    let call = ended_call(&app, &admin).await;
    let turns = call["turns"].as_array().unwrap();
    let consent = turns
        .iter()
        .find(|t| t["turn"] == 1)
        .unwrap_or_else(|| panic!("{call:#}"));
    // The reply began before the filler's moment (1.2 s)…
    assert!(
        consent["first_audio_ms"]
            .as_u64()
            .is_some_and(|ms| ms < 1200),
        "{consent}"
    );
    // …so its slow second sentence was waited for in silence.
    assert_eq!(consent["filler"], false, "{call:#}");
}

#[tokio::test]
async fn pressing_zero_reaches_a_person() {
    let lines = ["yes"];
    // The transfer redirects the call through Twilio's REST API: here a
    // mock that validates requests against Twilio's published spec.
    let Some(twilio) = hermes_testkit::notify::TwilioMock::start().await else {
        return;
    };
    let base = twilio.base_url.clone();
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), move |s| {
        s.voice.twilio_api_base = base
    })
    .await;
    let cal = calendar(&app, &app.alpha).await;
    open_all_week(&app, &cal.admin.access).await;
    let admin = telephony(&app, &app.alpha, json!({"transfer_number": "+15035550111"})).await;
    install_engines(&app, &lines, 15);
    let steps = vec![Step::Say("yes".into()), Step::Press('0')];
    let report = simulation(&app, &app.alpha, &lines)
        .run(&steps)
        .await
        .unwrap();
    assert!(report.agent_hung_up, "{report:#?}");
    let call = ended_call(&app, &admin).await;
    assert_eq!(call["outcome"], "transferred", "{call:#}");
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    assert_eq!(i["status"], "needs_review");
    assert!(i["record"]["transcript"].to_string().contains("[keypad] 0"));
    // Twilio (the validating mock) accepted the redirect to <Dial>.
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("hermes_call_transfers_total{result=\"dialled\"}")),
        "{}",
        metrics
            .lines()
            .filter(|l| l.contains("transfer"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test]
async fn a_caller_who_talks_over_the_agent_stops_it_at_once() {
    // The agent's opening is long; the caller cuts in a second into it.
    let lines = ["yes that's fine"];
    let app = spawn_app().await;
    let admin = telephony(&app, &app.alpha, json!({})).await;
    install_engines(&app, &lines, 120);
    let steps = vec![
        Step::Interrupt("yes that's fine".into()),
        Step::Wait(Duration::from_secs(3)),
        Step::Hangup,
    ];
    let report = simulation(&app, &app.alpha, &lines)
        .run(&steps)
        .await
        .unwrap();
    assert!(report.clears >= 1, "{report:#?}");
    let call = ended_call(&app, &admin).await;
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    // The interruption was heard as the answer to the consent question.
    assert_eq!(i["record"]["recording_consent"], true, "{:#}", i["record"]);
    // The barge-in was measured.
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("hermes_voice_barge_ins_total"),
        "no barge-in counted"
    );
}

/// An app on the local speech stack (Silero, Whisper, Piper), with the
/// alpha firm open all week for `area` and on Twilio, and a caller that
/// speaks with flite and hears the agent through Whisper. Returns the admin's
/// token too.
async fn local_stack(
    area: &str,
    tweak: impl FnOnce(&mut hermes::config::Settings) + Send + 'static,
) -> (TestApp, String, Simulation) {
    let app = spawn_with(hermes_testkit::TestDb::sqlite(), |s| {
        s.voice.local_engines = true;
        s.agent.models_dir = models_dir();
        tweak(s);
    })
    .await;
    let cal = crate::scheduling::calendar_for(&app, &app.alpha, area).await;
    open_all_week(&app, &cal.admin.access).await;
    let admin = telephony(&app, &app.alpha, json!({"transfer_number": "+15035550111"})).await;
    assert!(
        app.state.voice.wait_for_engines().await.is_some(),
        "the local speech engines did not load from {} (run scripts/models.sh)",
        models_dir().display()
    );
    let ear =
        hermes_speech::whisper::Whisper::load(&models_dir().join("whisper-tiny-en"), 1).unwrap();
    let mut sim = simulation(&app, &app.alpha, &[]);
    sim.voice = Arc::new(hermes::simulate::Flite::default());
    sim.ear = Some(Arc::new(hermes::simulate::WhisperEar(ear)));
    sim.turn_gap = Duration::from_millis(1200);
    sim.patience = Duration::from_secs(40);
    (app, admin, sim)
}

/// Everything the caller heard the agent say, in lower case.
fn heard(report: &Report) -> String {
    report
        .agent
        .iter()
        .map(|s| s.text.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A caller who cuts into the agent's opening to consent, gives their name
/// and hangs up: the agent stops at once, the consent is heard, and the
/// half-finished intake is saved as abandoned with the call's recording.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_stack_a_caller_interrupts_gives_their_name_and_hangs_up() {
    let (app, admin, sim) = local_stack("family", |_| {}).await;
    let steps = vec![
        Step::Interrupt("Yes, that's fine.".into()),
        Step::Say("My name is Maria Lopez.".into()),
        Step::Wait(Duration::from_secs(4)),
        Step::Hangup,
    ];
    let report = sim.run(&steps).await.unwrap();
    assert!(report.clears >= 1, "the agent was not stopped: {report:#?}");
    let call = ended_call(&app, &admin).await;
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    assert_eq!(i["status"], "abandoned");
    assert_eq!(
        i["record"]["recording_consent"], true,
        "{:#}",
        i["record"]["transcript"]
    );
    // What Whisper made of the name on a telephone line varies ("Maria
    // Lopez", "Mariah Lopez"); that a name was taken from it does not.
    let name = i["record"]["fields"]["name"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(!name.is_empty(), "{:#}", i["record"]["transcript"]);
    // The caller heard the opening begin (and stop: they cut in) and the
    // name question.
    let heard = heard(&report);
    assert!(heard.contains("calling"), "{heard}");
    assert!(heard.contains("name"), "{heard}");
    assert_eq!(call["outcome"], "abandoned", "{call:#}");
    assert_eq!(call["has_recording"], true);
}

/// A caller who declines the recording, gives their name and presses 0:
/// the agent hands the call to a person (Twilio's API, as validated by
/// Prism), and nothing is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_stack_a_caller_declines_recording_and_presses_zero() {
    let twilio = hermes_testkit::notify::TwilioMock::start()
        .await
        .expect("Prism (scripts/test.sh installs it)");
    let base = twilio.base_url.clone();
    let (app, admin, sim) = local_stack("family", move |s| s.voice.twilio_api_base = base).await;
    let steps = vec![
        Step::Say("No, please don't record this call.".into()),
        Step::Say("My name is Maria Lopez.".into()),
        Step::Press('0'),
    ];
    let report = sim.run(&steps).await.unwrap();
    assert!(report.agent_hung_up, "{report:#?}");
    let call = ended_call(&app, &admin).await;
    assert_eq!(call["outcome"], "transferred", "{call:#}");
    assert_eq!(call["recording_consent"], false, "{call:#}");
    assert_eq!(call["has_recording"], false);
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    assert!(i["record"]["transcript"].to_string().contains("[keypad] 0"));
    assert!(heard(&report).contains("record"), "{report:#?}");
}

/// What a personal-injury caller answers, by words of the agent's
/// question (the first rule whose words the question contains).
const INJURED_CALLER: &[(&str, &str)] = &[
    ("record", "Yes, that's fine."),
    ("anything else", "No, that's all."),
    ("spell", "Lima, Oscar, Papa, Echo, Zulu."),
    ("other driver|person or business involved", "David Miller."),
    ("owns the other vehicle", "I don't know."),
    ("other side's insurance", "State Farm."),
    ("business involved", "No."),
    ("what date", "Last Tuesday."),
    ("what kind of incident", "A car accident."),
    ("where did it happen", "Portland, Oregon."),
    ("what happened", "A car ran a red light and hit my car."),
    ("what injuries", "I hurt my neck and my back."),
    ("seen a doctor", "Yes, I went to the emergency room."),
    (
        "where have you been treated",
        "At Providence hospital, and I am still in physical therapy.",
    ),
    ("police report number", "I don't have it."),
    ("police report", "Yes."),
    ("your own insurance", "Geico."),
    ("talked with any insurance", "No."),
    ("missed work", "Yes, one week."),
    ("photos", "Yes, I have photos."),
    ("another attorney", "No, I haven't."),
    ("full name|your name", "My name is Maria Lopez."),
    ("voicemail", "Yes, that's fine."),
    ("email", "No."),
    ("phone number|number to reach|best number", "503 555 0142."),
    ("is that right|correct", "Yes."),
    ("for yourself", "For myself."),
    ("anyone else|other people", "No, that's everyone."),
    ("good time for a consultation", "As soon as possible."),
    ("which", "The first one."),
    ("help you|about", "I was hurt in a car accident last week."),
];

/// Runs the intake by text with `rules` answering, and returns the
/// agent's questions with the answers given, as a phone caller's persona
/// (the agent asks the same questions by phone), and the intake's status.
async fn persona(area: &str, rules: &[(&str, &str)]) -> (hermes::simulate::Persona, String) {
    let app = spawn_app().await;
    let cal = crate::scheduling::calendar_for(&app, &app.alpha, area).await;
    open_all_week(&app, &cal.admin.access).await;
    let (token, mut reply) = crate::intake::start(&app, &app.alpha.slug).await;
    let mut cues: Vec<(String, String)> = Vec::new();
    for _ in 0..60 {
        let lower = reply.to_lowercase();
        let Some((_, answer)) = rules
            .iter()
            .find(|(k, _)| k.split('|').any(|k| lower.contains(k)))
        else {
            panic!("no rule answers {reply:?}; so far: {cues:#?}");
        };
        let (status, body) = crate::intake::say(&app, &token, answer).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        cues.push((reply.clone(), (*answer).to_owned()));
        reply = body["reply"].as_str().unwrap().to_owned();
        if body["done"] == true {
            let intakes = app.get_json("/api/v1/intakes", &cal.admin.access).await;
            let status = intakes["intakes"][0]["status"].as_str().unwrap().to_owned();
            return (hermes::simulate::Persona { cues }, status);
        }
    }
    panic!("the conversation did not end: {cues:#?}");
}

/// A full personal-injury intake by phone on the local stack, answered by
/// a caller who listens: it ends booked, like the same answers by text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_stack_a_personal_injury_intake_by_phone_ends_booked() {
    let (persona, by_text) = persona("personal_injury", INJURED_CALLER).await;
    assert_eq!(by_text, "completed", "{persona:#?}");
    let (app, admin, mut sim) = local_stack("personal_injury", |_| {}).await;
    sim.patience = Duration::from_secs(60);
    let report = sim.run(&[Step::Converse(persona)]).await.unwrap();
    // Shown when the test fails: what the caller said and heard, when.
    eprintln!("{report:#?}");
    assert!(report.agent_hung_up, "{report:#?}");
    let call = ended_call(&app, &admin).await;
    let i = intake(&app, &admin, call["intake_id"].as_str().unwrap()).await;
    let record = &i["record"];
    assert_eq!(
        i["practice_area"], "personal_injury",
        "{:#}",
        record["transcript"]
    );
    // Booked; a person may still review it when a turn had to be asked
    // twice on the line (by text, the same answers leave it completed).
    assert!(
        i["status"] == "completed" || i["status"] == "needs_review",
        "{:#}",
        record["transcript"]
    );
    assert!(record["booking"].is_object(), "{record:#}");
    let name = record["fields"]["name"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(
        name.to_lowercase().contains("lopez"),
        "{:#}",
        record["fields"]
    );
    assert_eq!(call["outcome"], i["status"], "{call:#}");
    assert_eq!(
        record["fields"]["phone"]["value"], "+15035550142",
        "{:#}",
        record["fields"]
    );
    assert_eq!(call["has_recording"], true);
    // The caller's side, for the benchmark notes: end of each line → the
    // agent's first audio.
    let mut ms = report.response_ms.clone();
    ms.sort_unstable();
    eprintln!(
        "local stack: {} turns, response p50 {} ms, max {} ms",
        ms.len(),
        ms[ms.len() / 2],
        ms[ms.len() - 1]
    );
}
