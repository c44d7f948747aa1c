//! Turn latency on the local engines: the server with Silero, Whisper
//! tiny.en and Piper (`hermes_api::voice::local::load`, as `hermes serve`
//! loads them), one simulated Twilio call at a time (`hermes::simulate`)
//! whose caller is espeak-ng, trimmed to its voiced extent so that "the
//! end of the caller's speech" is the end of the voice, not of espeak's
//! trailing silence.
//!
//! Reported per caller line: end of the caller's speech → first agent
//! audio heard (the caller's clock: includes the endpointer's hangover,
//! recognition, the agent's turn, the first sentence's synthesis, and the
//! line); and from the call records, the server's split of it after the
//! turn was judged over: transcript ready, reply decided, first audio
//! synthesised (so TTS time to first audio is `first_audio − reply`),
//! first frame sent.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hermes::simulate::{CallerVoice, Espeak, Simulation, Step};
use hermes::startup::Application;
use serde_json::Value;

use super::line::{LINES, SCRIPT, voiced_extent};
use super::stats::summary;

#[derive(Debug, clap::Args)]
pub struct LocalArgs {
    #[arg(long, default_value = "models")]
    pub models_dir: PathBuf,
    /// Calls, one after another (each says the whole script).
    #[arg(long, default_value_t = 2)]
    pub calls: usize,
}

/// espeak-ng, cut to where its voice is.
struct Trimmed(Espeak);

impl CallerVoice for Trimmed {
    fn speak(&self, line_no: usize, text: &str) -> anyhow::Result<Vec<i16>> {
        let pcm = self.0.speak(line_no, text)?;
        let x: Vec<f32> = pcm.iter().map(|s| f32::from(*s) / 32768.0).collect();
        let (a, b) = voiced_extent(&x);
        Ok(pcm[a..b].to_vec())
    }
}

pub async fn run(args: LocalArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut settings = super::server::settings(dir.path(), "warn");
    settings.voice.local_engines = true;
    settings.agent.models_dir = std::path::absolute(&args.models_dir)?;
    hermes::telemetry::init(&settings.log);
    let app = Application::build(settings).await?;
    let password = app
        .demo_credentials
        .clone()
        .map(|d| d.password)
        .unwrap_or_default();
    let state = app.state().clone();
    let url = app.url();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let loading = std::time::Instant::now();
    while state.voice.wait_for_engines().await.is_none() {
        anyhow::ensure!(
            loading.elapsed() < Duration::from_secs(300),
            "the local engines did not load from {} (scripts/models.sh)",
            args.models_dir.display()
        );
    }
    let http = reqwest::Client::new();
    let token = super::load::configure(&http, &url, &password, true).await?;
    let steps: Vec<Step> = SCRIPT
        .iter()
        .map(|i| Step::Say(LINES[*i].to_owned()))
        .chain([Step::Wait(Duration::from_secs(3)), Step::Hangup])
        .collect();
    let mut response = Vec::new();
    for _ in 0..args.calls {
        let sim = Simulation {
            base_url: url.clone(),
            tenant: "demo".into(),
            provider: hermes::simulate::Provider::Twilio {
                auth_token: super::load::AUTH_TOKEN.into(),
            },
            account_sid: super::load::ACCOUNT_SID.into(),
            from: "+15035550142".into(),
            to: "+15035550100".into(),
            voice: Arc::new(Trimmed(Espeak::default())),
            ear: None,
            turn_gap: Duration::from_millis(1200),
            patience: Duration::from_secs(40),
        };
        let report = sim.run(&steps).await?;
        response.extend(report.response_ms.iter().copied());
        println!(
            "call {}: {} lines said, {} agent replies heard, response ms {:?}",
            report.call_sid,
            report.lines.len(),
            report.response_ms.len(),
            report.response_ms
        );
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let records = super::load::call_records(&http, &url, &token, args.calls).await?;
    let field = |key: &str| -> Vec<u64> {
        records
            .iter()
            .flat_map(|c| c["turns"].as_array().cloned().unwrap_or_default())
            .filter_map(|t: Value| t[key].as_u64())
            .collect()
    };
    let tts_first: Vec<u64> = records
        .iter()
        .flat_map(|c| c["turns"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| {
            t["first_audio_ms"]
                .as_u64()?
                .checked_sub(t["reply_ms"].as_u64()?)
        })
        .collect();
    let speculative = records
        .iter()
        .flat_map(|c| c["turns"].as_array().cloned().unwrap_or_default())
        .filter(|t| t["speculative"] == true)
        .count();
    println!();
    println!("| ms, p50 / p95 / p99 | n | value |");
    println!("|---|---|---|");
    let line = |name: &str, mut v: Vec<u64>| {
        println!("| {name} | {} | {} |", v.len(), summary(&mut v));
    };
    line(
        "end of caller speech → first agent audio heard (caller)",
        response,
    );
    line(
        "turn judged over → transcript ready",
        field("transcript_ms"),
    );
    line("turn judged over → reply decided", field("reply_ms"));
    line(
        "turn judged over → first sentence synthesised",
        field("first_audio_ms"),
    );
    line(
        "turn judged over → first frame sent",
        field("first_frame_ms"),
    );
    line("TTS time to first audio (first_audio − reply)", tts_first);
    println!("\n{speculative} turns answered from a transcript made at a pause (speculative).");
    Ok(())
}
