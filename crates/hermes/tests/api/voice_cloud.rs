//! Cloud speech providers end to end: the clients against the fakes of
//! `hermes_testkit::fake_speech` (which listen for the caller's pilot
//! tones, speak tones, and fail, hang or cut off on demand), the settings
//! that pick them, and whole phone calls through them with the local
//! engines behind — where a provider that fails or hangs still leaves the
//! caller answered, and never in more than about two seconds of silence.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::future::BoxFuture;
use hermes::config::{ApiKey, DeepgramSpeech, ElevenLabsSpeech, OpenAiSpeech};
use hermes::simulate::Step;
use hermes_api::voice::cloud::Account;
use hermes_api::voice::cloud::deepgram::{DeepgramConfig, DeepgramStt};
use hermes_api::voice::cloud::elevenlabs::{ElevenLabsConfig, ElevenLabsTts};
use hermes_api::voice::cloud::openai::{self, OpenAiConfig};
use hermes_api::voice::speech::{Fallback, SpeechError, SpeechToText, TextToSpeech, pieces};
use hermes_testkit::fake_speech::{
    DEEPGRAM_KEY, ELEVENLABS_KEY, ELEVENLABS_VOICE, FakeSpeech, Mode, OPENAI_KEY, Vendor,
};
use hermes_testkit::voice::{PilotStt, ToneTts, pilot, tone};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::scheduling::calendar;
use crate::voice::{
    distinct, divorce_answers, ended_call, install, intake, open_all_week, says, simulation,
    telephony,
};

const LINES: [&str; 3] = ["yes that's fine", "my name is Maria Lopez", "no that's all"];
const MS_PER_WORD: u32 = 15;

// --- the clients -----------------------------------------------------------------

fn deepgram(fake: &FakeSpeech, key: &str, timeout_ms: u64) -> DeepgramStt {
    DeepgramStt::new(DeepgramConfig {
        account: Account::new(fake.deepgram_url(), key, Duration::from_millis(timeout_ms)),
        model: "nova-3".into(),
    })
    .unwrap()
}

fn openai(fake: &FakeSpeech, key: &str, timeout_ms: u64) -> (openai::OpenAiStt, openai::OpenAiTts) {
    openai::engines(OpenAiConfig {
        account: Account::new(fake.openai_url(), key, Duration::from_millis(timeout_ms)),
        stt_model: "gpt-4o-mini-transcribe".into(),
        tts_model: "gpt-4o-mini-tts".into(),
        tts_voice: "alloy".into(),
    })
    .unwrap()
}

fn elevenlabs(fake: &FakeSpeech, key: &str, timeout_ms: u64) -> ElevenLabsTts {
    ElevenLabsTts::new(ElevenLabsConfig {
        account: Account::new(
            fake.elevenlabs_url(),
            key,
            Duration::from_millis(timeout_ms),
        ),
        voice_id: ELEVENLABS_VOICE.into(),
        model_id: "eleven_flash_v2_5".into(),
        sample_rate: 16_000,
    })
    .unwrap()
}

/// Line `i` as the caller's pilot tone at 16 kHz.
fn said(i: usize) -> Arc<[i16]> {
    pilot(i, 700, 16_000, 0.25).into()
}

type Attempt<'a> = Box<dyn Fn() -> BoxFuture<'a, Result<(), SpeechError>> + 'a>;

/// Recognising line 0, which must be heard as such.
fn hearing(stt: &dyn SpeechToText) -> Attempt<'_> {
    Box::new(move || {
        Box::pin(async move {
            assert_eq!(stt.transcribe(said(0)).await?, LINES[0]);
            Ok(())
        })
    })
}

/// Speaking a short line.
fn speaking(tts: &dyn TextToSpeech) -> Attempt<'_> {
    Box::new(move || Box::pin(async move { tts.synthesize("One moment.").await.map(|_| ()) }))
}

/// One engine's failures, mode by mode: a bad key is refused with 401, a
/// failing service is a 500, a cut connection an error, a hang a timeout
/// (within the client's one-second deadline), and it recovers.
async fn fails_cleanly(fake: &FakeSpeech, vendor: Vendor, good: Attempt<'_>, bad_key: Attempt<'_>) {
    good().await.unwrap();
    let e = bad_key().await.unwrap_err().to_string();
    assert!(
        e.contains("the API key was refused (HTTP 401)"),
        "{vendor:?}: {e}"
    );
    assert!(!e.contains("wrong-key"), "{vendor:?}: the key in {e}");
    fake.set_mode(vendor, Mode::Fail);
    let e = good().await.unwrap_err().to_string();
    assert!(e.contains("HTTP 500"), "{vendor:?}: {e}");
    fake.set_mode(vendor, Mode::CloseEarly);
    let e = good().await.unwrap_err();
    assert!(matches!(e, SpeechError::Failed { .. }), "{vendor:?}: {e}");
    fake.set_mode(vendor, Mode::Hang);
    let started = Instant::now();
    let e = good().await.unwrap_err();
    assert!(matches!(e, SpeechError::Timeout { .. }), "{vendor:?}: {e}");
    assert!(started.elapsed() < Duration::from_secs(3), "{vendor:?}");
    fake.set_mode(vendor, Mode::Normal);
    good().await.unwrap();
}

#[tokio::test]
async fn deepgram_hears_the_line_streamed_to_it_and_fails_cleanly() {
    let fake = FakeSpeech::start(&LINES, MS_PER_WORD).await;
    let stt = deepgram(&fake, DEEPGRAM_KEY, 1000);
    assert_eq!(stt.transcribe(said(1)).await.unwrap(), LINES[1]);
    assert_eq!(stt.transcribe(said(2)).await.unwrap(), LINES[2]);
    // 700 ms went as 100 ms frames, not one blob.
    assert!(fake.deepgram_frames() >= 14, "{}", fake.deepgram_frames());
    // Silence is an empty transcript, as Deepgram answers it.
    assert_eq!(stt.transcribe(vec![0; 16_000].into()).await.unwrap(), "");

    let wrong = deepgram(&fake, "wrong-key", 1000);
    fails_cleanly(&fake, Vendor::Deepgram, hearing(&stt), hearing(&wrong)).await;
}

#[tokio::test]
async fn openai_transcribes_the_uploaded_wav_and_fails_cleanly() {
    let fake = FakeSpeech::start(&LINES, MS_PER_WORD).await;
    let (stt, _) = openai(&fake, OPENAI_KEY, 1000);
    let (wrong, _) = openai(&fake, "wrong-key", 1000);
    assert_eq!(stt.transcribe(said(1)).await.unwrap(), LINES[1]);
    assert_eq!(stt.transcribe(vec![0; 16_000].into()).await.unwrap(), "");
    fails_cleanly(&fake, Vendor::OpenAi, hearing(&stt), hearing(&wrong)).await;
}

#[tokio::test]
async fn openai_and_elevenlabs_stream_pcm_at_their_rates_and_fail_cleanly() {
    let fake = FakeSpeech::start(&LINES, MS_PER_WORD).await;
    let sentence = "Thank you for calling, how can I help you today?";
    let (_, openai_tts) = openai(&fake, OPENAI_KEY, 1000);
    let (_, openai_wrong) = openai(&fake, "wrong-key", 1000);
    let eleven = elevenlabs(&fake, ELEVENLABS_KEY, 1000);
    let eleven_wrong = elevenlabs(&fake, "wrong-key", 1000);
    let openai: (Box<dyn TextToSpeech>, Box<dyn TextToSpeech>) =
        (Box::new(openai_tts), Box::new(openai_wrong));
    let eleven: (Box<dyn TextToSpeech>, Box<dyn TextToSpeech>) =
        (Box::new(eleven), Box::new(eleven_wrong));
    let engines = [
        (Vendor::OpenAi, openai.0, openai.1),
        (Vendor::ElevenLabs, eleven.0, eleven.1),
    ];
    for (vendor, tts, wrong) in engines {
        // Several pieces, in order, sample for sample what was made (the
        // fake's chunks split samples in half: carried over, not lost).
        let got = pieces(&*tts, sentence).await.unwrap();
        assert!(got.len() > 1, "{vendor:?}: {} piece(s)", got.len());
        assert_eq!(
            got.concat(),
            tone(sentence, MS_PER_WORD, tts.sample_rate()),
            "{vendor:?}"
        );
        fails_cleanly(&fake, vendor, speaking(&*tts), speaking(&*wrong)).await;
    }
    assert_eq!(
        (
            openai::PCM_RATE,
            elevenlabs(&fake, ELEVENLABS_KEY, 1000).sample_rate()
        ),
        (24_000, 16_000)
    );
}

#[tokio::test]
async fn a_hanging_synthesiser_is_replaced_after_its_deadline_and_then_rests() {
    let fake = FakeSpeech::start(&LINES, MS_PER_WORD).await;
    fake.set_mode(Vendor::ElevenLabs, Mode::Hang);
    let first: Arc<dyn TextToSpeech> = Arc::new(elevenlabs(&fake, ELEVENLABS_KEY, 10_000));
    let second: Arc<dyn TextToSpeech> = Arc::new(ToneTts { ms_per_word: 40 });
    let tts = Fallback::new(first, second, Duration::from_millis(600));
    let started = Instant::now();
    let audio = tts.synthesize("Please hold.").await.unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(600) && waited < Duration::from_millis(1500),
        "{waited:?}"
    );
    // The local voice, at ElevenLabs' rate (16 kHz, as the tone's own).
    assert_eq!(audio, tone("Please hold.", 40, 16_000));
    // Resting now: the next sentence does not wait for it again.
    let started = Instant::now();
    tts.synthesize("Thank you.").await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

// --- settings --------------------------------------------------------------------

/// The app with all three providers pointed at the fakes and a filler
/// after 800 ms (the local engines are installed by each test).
async fn cloud_app(fake: &FakeSpeech) -> TestApp {
    let (dg, oa, el) = (
        fake.deepgram_url(),
        fake.openai_url(),
        fake.elevenlabs_url(),
    );
    spawn_with(hermes_testkit::TestDb::sqlite(), move |s| {
        s.voice.deepgram = Some(DeepgramSpeech {
            base_url: dg,
            api_key: ApiKey::from(DEEPGRAM_KEY),
            ..Default::default()
        });
        s.voice.openai = Some(OpenAiSpeech {
            base_url: oa,
            api_key: ApiKey::from(OPENAI_KEY),
            ..Default::default()
        });
        s.voice.elevenlabs = Some(ElevenLabsSpeech {
            base_url: el,
            api_key: ApiKey::from(ELEVENLABS_KEY),
            voice_id: ELEVENLABS_VOICE.into(),
            ..Default::default()
        });
        s.voice.filler_after_ms = 800;
    })
    .await
}

#[tokio::test]
async fn a_firm_may_choose_only_engines_this_node_has() {
    let fake = FakeSpeech::start(&LINES, MS_PER_WORD).await;
    let app = cloud_app(&fake).await;
    let admin = app.admin(&app.alpha).await;
    let put = |speech: serde_json::Value| {
        let app = &app;
        let token = admin.access.clone();
        async move {
            app.send(
                Method::PUT,
                "/api/v1/settings/telephony",
                Some(&token),
                Some(json!({"provider": "twilio", "speech": speech})),
            )
            .await
        }
    };
    let check = |resp: reqwest::Response, field: &'static str| async move {
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = resp.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.starts_with(field), "{body}");
        // It says what there is.
        assert!(
            message.contains("local") && message.contains("openai"),
            "{body}"
        );
    };
    // Before the local engines have loaded, and after.
    check(put(json!({"stt": "whisper-large"})).await, "speech.stt").await;
    check(put(json!({"tts": "deepgram"})).await, "speech.tts").await;
    let ok = put(json!({"stt": "deepgram", "tts": "elevenlabs"})).await;
    assert_eq!(ok.status(), StatusCode::OK, "{}", ok.text().await.unwrap());
    Local::install(&app, &LINES);
    check(put(json!({"stt": "nova-3"})).await, "speech.stt").await;
    let ok = put(json!({"stt": "openai", "tts": "openai"})).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let v = app
        .get_json("/api/v1/settings/telephony", &admin.access)
        .await;
    assert_eq!(v["speech"], json!({"stt": "openai", "tts": "openai"}));
}

// --- calls -----------------------------------------------------------------------

/// The node's local engines in these tests: the pilot recogniser and the
/// tone voice, counting their uses (a call on a healthy provider must not
/// need them).
struct Counted<E> {
    engine: E,
    uses: Arc<AtomicUsize>,
}

#[async_trait]
impl<E: SpeechToText> SpeechToText for Counted<E> {
    fn name(&self) -> &str {
        "local"
    }

    async fn transcribe(&self, audio: Arc<[i16]>) -> Result<String, SpeechError> {
        self.uses.fetch_add(1, Ordering::SeqCst);
        self.engine.transcribe(audio).await
    }
}

#[async_trait]
impl<E: TextToSpeech> TextToSpeech for Counted<E> {
    fn name(&self) -> &str {
        "local"
    }

    fn sample_rate(&self) -> u32 {
        self.engine.sample_rate()
    }

    async fn synthesize(&self, sentence: &str) -> Result<Vec<i16>, SpeechError> {
        self.uses.fetch_add(1, Ordering::SeqCst);
        self.engine.synthesize(sentence).await
    }
}

struct Local {
    heard: Arc<AtomicUsize>,
    spoke: Arc<AtomicUsize>,
}

impl Local {
    fn install(app: &TestApp, lines: &[&str]) -> Local {
        let (heard, spoke) = (Arc::default(), Arc::default());
        install(
            app,
            Arc::new(Counted {
                engine: PilotStt::new(lines),
                uses: Arc::clone(&heard),
            }),
            Arc::new(Counted {
                engine: ToneTts {
                    ms_per_word: MS_PER_WORD,
                },
                uses: Arc::clone(&spoke),
            }),
        );
        Local { heard, spoke }
    }

    fn uses(&self) -> (usize, usize) {
        (
            self.heard.load(Ordering::SeqCst),
            self.spoke.load(Ordering::SeqCst),
        )
    }
}

/// The fallback counters' lines.
async fn metrics(app: &TestApp) -> Vec<String> {
    app.metrics()
        .await
        .lines()
        .filter(|l| l.starts_with("hermes_speech_fallbacks_total{"))
        .map(str::to_owned)
        .collect()
}

fn counted(lines: &[String], kind: &str, provider: &str, reason: &str) -> bool {
    lines.iter().any(|l| {
        l.contains(&format!("kind=\"{kind}\""))
            && l.contains(&format!("provider=\"{provider}\""))
            && l.contains(&format!("reason=\"{reason}\""))
    })
}

/// One call as the firm's `speech` choice hears it, with the counted
/// local engines behind: what the caller heard, the call's record, its
/// intake, and the local engines' uses.
struct Phoned {
    report: hermes::simulate::Report,
    call: serde_json::Value,
    intake: serde_json::Value,
    local: Local,
}

async fn phone(
    app: &TestApp,
    lines: &[&str],
    steps: &[Step],
    speech: serde_json::Value,
    turn_gap: Duration,
) -> Phoned {
    let admin = telephony(app, &app.alpha, json!({ "speech": speech })).await;
    let local = Local::install(app, lines);
    let mut sim = simulation(app, &app.alpha, lines);
    sim.turn_gap = turn_gap;
    let report = sim.run(steps).await.unwrap();
    let call = ended_call(app, &admin).await;
    let intake = intake(app, &admin, call["intake_id"].as_str().unwrap()).await;
    Phoned {
        report,
        call,
        intake,
        local,
    }
}

/// Consent, then a name, then silence and a hang-up.
fn consent_and_name() -> Vec<Step> {
    let mut steps = says(&LINES[..2]);
    steps.push(Step::Wait(Duration::from_secs(3)));
    steps.push(Step::Hangup);
    steps
}

/// Both lines of [`consent_and_name`] were understood, and each answered.
fn heard_consent_and_name(p: &Phoned) {
    let record = &p.intake["record"];
    assert_eq!(
        record["recording_consent"], true,
        "{:#}",
        record["transcript"]
    );
    assert_eq!(
        record["fields"]["name"]["value"], "Maria Lopez",
        "{:#}",
        record["transcript"]
    );
    assert_eq!(p.report.response_ms.len(), 2, "{:#?}", p.report);
}

#[tokio::test]
async fn a_firm_on_deepgram_and_elevenlabs_takes_a_whole_intake_through_them() {
    let answers = divorce_answers().await;
    let lines = distinct(&answers);
    let fake = FakeSpeech::start(&lines, MS_PER_WORD).await;
    let app = cloud_app(&fake).await;
    let cal = calendar(&app, &app.alpha).await;
    open_all_week(&app, &cal.admin.access).await;
    let steps: Vec<Step> = answers.iter().map(|a| Step::Say(a.clone())).collect();
    let speech = json!({"stt": "deepgram", "tts": "elevenlabs"});
    let p = phone(&app, &lines, &steps, speech, Duration::from_millis(900)).await;
    assert!(p.report.agent_hung_up, "{:#?}", p.report);
    let i = &p.intake;
    assert_eq!(
        i["status"], "needs_review",
        "{:#}",
        i["record"]["transcript"]
    );
    assert_eq!(i["record"]["fields"]["name"]["value"], "Maria Lopez");
    assert!(i["record"]["booking"].is_object(), "{:#}", i["record"]);
    // Every word went through the providers; the local engines were
    // never needed.
    assert_eq!(p.local.uses(), (0, 0));
    assert!(fake.served(Vendor::Deepgram) as usize >= answers.len());
    assert!(fake.served(Vendor::ElevenLabs) as usize > answers.len());
}

#[tokio::test]
async fn a_firm_on_openai_for_both_is_heard_and_answered_by_it() {
    let fake = FakeSpeech::start(&LINES[..2], MS_PER_WORD).await;
    let app = cloud_app(&fake).await;
    let speech = json!({"stt": "openai", "tts": "openai"});
    let p = phone(
        &app,
        &LINES[..2],
        &consent_and_name(),
        speech,
        Duration::from_millis(900),
    )
    .await;
    heard_consent_and_name(&p);
    assert_eq!(p.local.uses(), (0, 0));
    let served = fake.served(Vendor::OpenAi);
    assert!(served >= 4, "{served}");
}

/// A call whose providers misbehave: the caller waits for the agent's
/// real answer (not just the filler) before speaking again, and hears
/// something within two seconds of each line.
async fn call_with(app: &TestApp, speech: serde_json::Value) -> Phoned {
    let p = phone(
        app,
        &LINES[..2],
        &consent_and_name(),
        speech,
        Duration::from_millis(2500),
    )
    .await;
    heard_consent_and_name(&p);
    let waits = &p.report.response_ms;
    assert!(waits.iter().all(|ms| *ms <= 2000), "{waits:?}");
    p
}

#[tokio::test]
async fn hanging_providers_are_covered_by_a_filler_and_replaced_by_the_local_engines() {
    let fake = FakeSpeech::start(&LINES[..2], MS_PER_WORD).await;
    fake.set_mode(Vendor::Deepgram, Mode::Hang);
    fake.set_mode(Vendor::ElevenLabs, Mode::Hang);
    let app = cloud_app(&fake).await;
    let p = call_with(&app, json!({"stt": "deepgram", "tts": "elevenlabs"})).await;
    let (heard, spoke) = p.local.uses();
    assert!(heard >= 2 && spoke >= 2, "{:?}", p.local.uses());
    // The first turn waited on Deepgram (3 s) behind "One moment.".
    let call = &p.call;
    let turns = call["turns"].as_array().unwrap();
    assert_eq!(turns[0]["filler"], true, "{call:#}");
    let m = metrics(&app).await;
    assert!(counted(&m, "stt", "deepgram", "timeout"), "{m:#?}");
    assert!(counted(&m, "tts", "elevenlabs", "timeout"), "{m:#?}");
    assert_eq!(fake.served(Vendor::Deepgram), 0);
}

#[tokio::test]
async fn a_failing_provider_is_replaced_at_once() {
    let fake = FakeSpeech::start(&LINES[..2], MS_PER_WORD).await;
    fake.set_mode(Vendor::OpenAi, Mode::Fail);
    let app = cloud_app(&fake).await;
    let p = call_with(&app, json!({"stt": "openai", "tts": "openai"})).await;
    assert!(p.local.uses().0 >= 2, "{:?}", p.local.uses());
    let call = &p.call;
    let m = metrics(&app).await;
    assert!(counted(&m, "stt", "openai", "error"), "{m:#?}");
    assert!(counted(&m, "tts", "openai", "error"), "{m:#?}");
    // No deadline to wait out: every transcript came before the filler
    // was due.
    for t in call["turns"].as_array().unwrap() {
        assert!(t["transcript_ms"].as_u64().unwrap() < 800, "{call:#}");
        assert_eq!(t["filler"], false, "{call:#}");
    }
}

#[tokio::test]
async fn a_slow_provider_gets_a_filler_then_gives_the_answer_itself() {
    let fake = FakeSpeech::start(&LINES[..2], MS_PER_WORD).await;
    // Slower than the filler, faster than the fallback.
    fake.set_mode(Vendor::Deepgram, Mode::Slow(Duration::from_millis(2000)));
    let app = cloud_app(&fake).await;
    let p = call_with(&app, json!({"stt": "deepgram", "tts": "elevenlabs"})).await;
    assert_eq!(p.local.uses().0, 0, "Deepgram answered every turn");
    let call = &p.call;
    assert!(fake.served(Vendor::Deepgram) >= 2);
    let turns = call["turns"].as_array().unwrap();
    assert!(turns.iter().any(|t| t["filler"] == true), "{call:#}");
}
