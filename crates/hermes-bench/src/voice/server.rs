//! The server under test: the real application (`Application::build`, the
//! axum router, SQLite in a temporary directory, the demo firm) with the
//! real voice pipeline — the node-wide batched Silero VAD service behind
//! its energy gate, endpointing, barge-in, paced playout, call records —
//! and fast speech engines in place of Whisper and Piper, so that they do
//! not dominate: `PilotStt` (recognises the line each caller says by its
//! pilot tone) and `ToneTts` (a tone as long as the words).
//!
//! It prints `url:` and `password:` (the demo admin's) on stdout and
//! serves until SIGTERM.
//!
//! The soak test runs two of these as the nodes of one deployment: the
//! same data directory (signing keys, data-at-rest keys, spool), one
//! PostgreSQL database and the machine's Redis (`--data-dir`,
//! `--database-url`, `--redis-url`). The node that finds the database
//! empty seeds the demo firm; the other prints an empty password.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use clap::ValueEnum;
use hermes::config::Settings;
use hermes::startup::Application;
use hermes_api::voice::Engines;
use hermes_api::voice::local::SileroBackend;
use hermes_api::voice::speech::{
    EnergyVad, SpeechError, SpeechToText, TextToSpeech, VadBackend, VadService,
};
use hermes_speech::vad::SileroVad;
use hermes_testkit::voice::{PilotStt, ToneTts};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VadKind {
    /// Silero VAD behind its energy gate, batched across calls (what a
    /// node runs).
    Silero,
    /// Loudness alone (a baseline).
    Energy,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[arg(long, default_value = "models")]
    pub models_dir: PathBuf,
    #[arg(long, value_enum, default_value = "silero")]
    pub vad: VadKind,
    /// Length of the agent's speech per word (ms).
    #[arg(long, default_value_t = 300)]
    pub ms_per_word: u32,
    /// Server log level.
    #[arg(long, default_value = "warn")]
    pub log: String,
    /// Data directory shared with other nodes; default: a temporary one.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// `postgres://…`; default: SQLite in the data directory.
    #[arg(long)]
    pub database_url: Option<String>,
    /// `redis://…`; default: shared state kept in the process.
    #[arg(long)]
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and channel (keeps a run's apart).
    #[arg(long)]
    pub redis_prefix: Option<String>,
}

/// Level of the agent's voice: a synthesiser's usual −20 dBFS RMS rather
/// than `ToneTts`'s −13.5 (the listener takes quiet caller speech over a
/// loud agent for echo, so the agent's level matters to barge-in).
const AGENT_DBFS: f32 = -20.0;

/// `ToneTts` at [`AGENT_DBFS`].
struct Agent(ToneTts);

#[async_trait]
impl TextToSpeech for Agent {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn sample_rate(&self) -> u32 {
        self.0.sample_rate()
    }

    async fn synthesize(&self, sentence: &str) -> Result<Vec<i16>, SpeechError> {
        // ToneTts's sine peaks at 0.3 of full scale.
        let gain = 10f32.powf(AGENT_DBFS / 20.0) * std::f32::consts::SQRT_2 / 0.3;
        let audio = self.0.synthesize(sentence).await?;
        Ok(audio
            .iter()
            .map(|s| (f32::from(*s) * gain) as i16)
            .collect())
    }
}

/// The engines the server runs: the caller lines' recogniser, the tone
/// voice, and the chosen VAD behind the node's batching service.
pub fn engines(args: &ServeArgs) -> anyhow::Result<Engines> {
    let backend: Box<dyn VadBackend> = match args.vad {
        VadKind::Silero => {
            let dir = std::path::absolute(&args.models_dir)?;
            let silero = SileroVad::load_with_sessions(&dir, 1).with_context(|| {
                format!("loading Silero from {} (scripts/models.sh)", dir.display())
            })?;
            Box::new(SileroBackend::new(Arc::new(silero)))
        }
        VadKind::Energy => Box::new(EnergyVad {
            threshold_rms: 0.02,
        }),
    };
    let mut stt: HashMap<String, Arc<dyn SpeechToText>> = HashMap::new();
    stt.insert("local".into(), Arc::new(PilotStt::new(&super::line::LINES)));
    let mut tts: HashMap<String, Arc<dyn TextToSpeech>> = HashMap::new();
    tts.insert(
        "local".into(),
        Arc::new(Agent(ToneTts {
            ms_per_word: args.ms_per_word,
        })),
    );
    Ok(Engines {
        stt,
        tts,
        default_stt: "local".into(),
        default_tts: "local".into(),
        vad: VadService::start(backend, 0.0),
    })
}

/// Embedded settings in `dir`: SQLite, the demo firm, limits out of the
/// way (every caller comes from 127.0.0.1), no embedding model (not part
/// of the media path).
pub fn settings(dir: &std::path::Path, log: &str) -> Settings {
    let mut s = Settings {
        data_dir: dir.to_owned(),
        ..Settings::default()
    };
    s.server.bind = "127.0.0.1:0".parse().expect("a socket address");
    s.demo.seed = Some(true);
    s.agent.embedding = false;
    s.voice.local_engines = false;
    s.log.level = log.to_owned();
    s.rate_limit.auth_per_minute = 1_000_000;
    s.rate_limit.anonymous_per_minute = 100_000_000;
    s.rate_limit.principal_per_minute = 100_000_000;
    s.rate_limit.tenant_per_minute = 100_000_000;
    s.rate_limit.lockout_failures = 1_000_000;
    s
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let temporary = tempfile::tempdir()?;
    let dir = args.data_dir.as_deref().unwrap_or(temporary.path());
    let mut settings = settings(dir, &args.log);
    settings.database.url = args.database_url.clone();
    settings.redis.url = args.redis_url.clone();
    if let Some(prefix) = &args.redis_prefix {
        settings.redis.key_prefix = prefix.clone();
    }
    hermes::telemetry::init(&settings.log);
    let engines = engines(&args)?;
    let app = Application::build(settings).await?;
    // A node joining a database another node seeded has no password to
    // tell; a node on its own must have seeded the firm.
    let password = match (&app.demo_credentials, &args.database_url) {
        (Some(demo), _) => demo.password.clone(),
        (None, Some(_)) => String::new(),
        (None, None) => anyhow::bail!("the demo firm was not created"),
    };
    app.state().voice.set_engines(engines);
    println!("url: {}", app.url());
    println!("password: {password}");
    app.run_until_stopped(hermes::cli::shutdown_signal()).await
}
