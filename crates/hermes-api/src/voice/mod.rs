//! Phone calls: the transports (Twilio Media Streams, Telnyx media
//! streaming, both through [`phone`]; the browser test phone), the call pipeline ([`session`]) around the intake agent, the
//! speech engines ([`speech`]), a firm's telephony settings
//! ([`settings`]), and the call's record and recording once it ends.
//!
//! **Architecture Invariant:** a call is always answered. When the speech
//! engines are still loading, the webhook waits for them a few seconds;
//! when a firm's plan or settings would refuse it, the agent still takes a
//! message. A caller is never met with an error tone.

pub mod browser;
pub mod cloud;
pub mod local;
pub mod phone;
pub mod record;
pub mod recorder;
pub mod session;
pub mod settings;
pub mod speech;
pub mod telnyx;
pub mod twilio;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use hermes_core::TenantId;

use crate::state::AppState;
use session::{CallEngines, SessionConfig};
use speech::{SpeechToText, TextToSpeech, VadService};
use telnyx::Telnyx;
use twilio::Twilio;

/// The speech engines this node runs, by name (`local`, `openai`,
/// `deepgram`, `elevenlabs`, …); a firm picks by name, with `local` (or
/// whatever `default_*` names) behind it.
pub struct Engines {
    pub stt: HashMap<String, Arc<dyn SpeechToText>>,
    pub tts: HashMap<String, Arc<dyn TextToSpeech>>,
    pub default_stt: String,
    pub default_tts: String,
    pub vad: VadService,
}

/// Everything voice needs beyond the rest of the API.
#[derive(Clone)]
pub struct Voice {
    engines: Arc<OnceLock<Arc<Engines>>>,
    ready: Arc<tokio::sync::Notify>,
    pub config: Arc<VoiceConfig>,
    /// Engines known from the start (the cloud providers, which need no
    /// loading): added to whatever [`Voice::set_engines`] installs.
    extra: Arc<ExtraEngines>,
}

#[derive(Default)]
struct ExtraEngines {
    stt: Vec<Arc<dyn SpeechToText>>,
    tts: Vec<Arc<dyn TextToSpeech>>,
}

#[derive(Debug, Clone)]
pub struct VoiceConfig {
    /// The address providers reach this server at (`https://…`), for
    /// webhook signatures and the stream URL. Without it, the request's
    /// own host (and, behind a trusted proxy, its forwarded scheme).
    pub public_url: Option<String>,
    /// Twilio's REST API (changed only by tests, to a validating mock).
    pub twilio_api_base: String,
    /// Telnyx's REST API (changed only by tests, to a fake).
    pub telnyx_api_base: String,
    pub session: SessionConfig,
    /// How long an incoming call waits for engines still loading.
    pub engine_wait: Duration,
    /// Recordings are kept this long unless the firm says otherwise.
    pub default_retention_days: u32,
    /// How long a firm's recogniser gets before the node's default
    /// answers instead.
    pub stt_fallback_after: Duration,
    /// How long a firm's synthesiser gets to its first audio before the
    /// node's default speaks instead.
    pub tts_fallback_after: Duration,
    /// Where recordings in progress are spooled, sealed (the system's
    /// temporary directory when unset; the binary uses
    /// `<data_dir>/spool`, on the data's disk rather than a RAM-backed
    /// `/tmp`).
    pub spool_dir: Option<std::path::PathBuf>,
}

impl VoiceConfig {
    /// The directory recordings in progress are spooled into.
    pub fn spool_dir(&self) -> std::path::PathBuf {
        self.spool_dir.clone().unwrap_or_else(std::env::temp_dir)
    }
}

impl Default for VoiceConfig {
    fn default() -> Self {
        VoiceConfig {
            public_url: None,
            twilio_api_base: "https://api.twilio.com".into(),
            telnyx_api_base: "https://api.telnyx.com".into(),
            session: SessionConfig::default(),
            engine_wait: Duration::from_secs(20),
            default_retention_days: 90,
            stt_fallback_after: Duration::from_secs(3),
            tts_fallback_after: Duration::from_millis(1500),
            spool_dir: None,
        }
    }
}

impl Default for Voice {
    fn default() -> Self {
        Voice::new(VoiceConfig::default())
    }
}

impl Voice {
    pub fn new(config: VoiceConfig) -> Self {
        Voice {
            engines: Arc::new(OnceLock::new()),
            ready: Arc::new(tokio::sync::Notify::new()),
            config: Arc::new(config),
            extra: Arc::default(),
        }
    }

    /// Adds engines that need no loading (the cloud providers), by their
    /// names; [`Voice::set_engines`] adds them to the loaded ones.
    pub fn with_extra_engines(
        mut self,
        stt: Vec<Arc<dyn SpeechToText>>,
        tts: Vec<Arc<dyn TextToSpeech>>,
    ) -> Self {
        self.extra = Arc::new(ExtraEngines { stt, tts });
        self
    }

    /// Installs the engines (once, when they have loaded), with the extra
    /// ones beside them (a loaded engine keeps its name).
    pub fn set_engines(&self, mut engines: Engines) {
        for e in &self.extra.stt {
            engines
                .stt
                .entry(e.name().to_owned())
                .or_insert_with(|| e.clone());
        }
        for e in &self.extra.tts {
            engines
                .tts
                .entry(e.name().to_owned())
                .or_insert_with(|| e.clone());
        }
        if self.engines.set(Arc::new(engines)).is_ok() {
            self.ready.notify_waiters();
        }
    }

    pub fn engines(&self) -> Option<Arc<Engines>> {
        self.engines.get().cloned()
    }

    /// The recognisers this node has, by name (before the engines have
    /// loaded: the default, `local`, and the extra ones).
    pub fn stt_names(&self) -> Vec<String> {
        let engines = self.engines();
        names(
            engines.as_ref().map(|e| e.stt.keys()),
            self.extra.stt.iter().map(|e| e.name()),
        )
    }

    /// The synthesisers this node has, by name (as [`Voice::stt_names`]).
    pub fn tts_names(&self) -> Vec<String> {
        let engines = self.engines();
        names(
            engines.as_ref().map(|e| e.tts.keys()),
            self.extra.tts.iter().map(|e| e.name()),
        )
    }

    /// The engines, waiting up to `engine_wait` for them to load.
    pub async fn wait_for_engines(&self) -> Option<Arc<Engines>> {
        let deadline = tokio::time::Instant::now() + self.config.engine_wait;
        loop {
            let notified = self.ready.notified();
            if let Some(e) = self.engines() {
                return Some(e);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.engines();
            }
        }
    }

    /// The engines for one firm's call: its chosen providers, each with
    /// the node's default behind it.
    pub fn for_call(&self, engines: &Engines, choice: &settings::SpeechChoice) -> CallEngines {
        let pick_stt = |name: &str| engines.stt.get(name).cloned();
        let pick_tts = |name: &str| engines.tts.get(name).cloned();
        let default_stt = pick_stt(&engines.default_stt).expect("the default STT is registered");
        let default_tts = pick_tts(&engines.default_tts).expect("the default TTS is registered");
        let stt: Arc<dyn SpeechToText> = match choice.stt.as_deref().and_then(pick_stt) {
            Some(s) if s.name() != default_stt.name() => Arc::new(speech::Fallback::new(
                s,
                default_stt,
                self.config.stt_fallback_after,
            )),
            _ => default_stt,
        };
        let tts: Arc<dyn TextToSpeech> = match choice.tts.as_deref().and_then(pick_tts) {
            Some(t) if t.name() != default_tts.name() => Arc::new(speech::Fallback::new(
                t,
                default_tts,
                self.config.tts_fallback_after,
            )),
            _ => default_tts,
        };
        CallEngines {
            stt,
            tts,
            vad: engines.vad.clone(),
            config: Arc::new(self.config.session.clone()),
        }
    }
}

fn names<'a>(
    loaded: Option<impl Iterator<Item = &'a String>>,
    extra: impl Iterator<Item = &'a str>,
) -> Vec<String> {
    let mut all: Vec<String> = match loaded {
        Some(loaded) => loaded.cloned().collect(),
        None => std::iter::once("local")
            .chain(extra)
            .map(str::to_owned)
            .collect(),
    };
    all.sort();
    all.dedup();
    all
}

/// The provider-facing routes (webhooks and media streams). They sit
/// outside `/api/v1`: providers authenticate by signature, and the
/// browser phone by the dashboard's token on its first message.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(phone::routes::<Twilio>())
        .route(
            "/voice/twilio/{tenant}/briefing/{call}",
            post(twilio::briefing),
        )
        .merge(phone::routes::<Telnyx>())
        .route("/voice/browser", get(browser::stream))
}

/// The tenant a provider route names, by slug.
pub(crate) async fn tenant_by_slug(state: &AppState, slug: &str) -> Option<hermes_store::Tenant> {
    let slug = hermes_core::TenantSlug::parse(slug).ok()?;
    state.store.tenant_by_slug(&slug).await.ok().flatten()
}

pub(crate) fn problem(kind: &'static str) {
    metrics::counter!("hermes_voice_stream_problems_total", "kind" => kind).increment(1);
}

/// A call's speech choice and retention, from the firm's settings (the
/// defaults when it has none).
pub(crate) async fn firm_voice(state: &AppState, tenant: TenantId) -> settings::Telephony {
    settings::load(state, tenant).await.unwrap_or_default()
}
