//! Configuration: a TOML file plus `HERMES_*` environment overrides, parsed
//! once at start into typed settings and validated. Nothing deeper in the
//! code reads the environment.
//!
//! Layers, later wins: built-in defaults → the file (`--config`, else
//! `$HERMES_CONFIG`, else `./hermes.toml` if present) → environment
//! variables named after the key path with `__` between levels, e.g.
//! `HERMES_DATABASE__URL`, `HERMES_SERVER__BIND`,
//! `HERMES_RATE_LIMIT__AUTH_PER_MINUTE`. Unknown keys are errors, so a typo
//! does not silently leave a default in place. Every error names its key.
//!
//! With no configuration at all, everything lives under `./data`: the SQLite
//! database and the signing keys.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod cloud;

pub use cloud::{ApiKey, DeepgramSpeech, ElevenLabsSpeech, OpenAiSpeech};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use hermes_auth::PasswordParams;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// Environment variables with the `HERMES_` prefix that are not settings.
const NOT_SETTINGS: &[&str] = &[
    "config",
    "admin_password",
    "user_password",
    "require_services",
    // scripts/models.sh's destination (the server reads
    // `agent.models_dir`), and the test tools' locations.
    "models_dir",
    "prism",
    "twilio_spec",
];

/// Keys whose values are text even when they look like numbers.
const TEXT_KEYS: &[&str] = &[
    "notify.twilio.account_sid",
    "notify.twilio.auth_token",
    "notify.twilio.from",
    "notify.smtp.host",
    "notify.smtp.username",
    "notify.smtp.password",
    "notify.smtp.from",
    "voice.public_url",
    "voice.openai.api_key",
    "voice.deepgram.api_key",
    "voice.elevenlabs.api_key",
    "voice.elevenlabs.voice_id",
    "clio.client_id",
    "clio.client_secret",
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where the embedded defaults keep their files.
    pub data_dir: PathBuf,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    pub log: LogSettings,
    pub demo: DemoSettings,
    pub agent: AgentSettings,
    pub notify: NotifySettings,
    pub voice: VoiceSettings,
    pub clio: ClioSettings,
    pub backup: BackupSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            server: ServerSettings::default(),
            database: DatabaseSettings::default(),
            redis: RedisSettings::default(),
            auth: AuthSettings::default(),
            rate_limit: RateLimitSettings::default(),
            log: LogSettings::default(),
            demo: DemoSettings::default(),
            agent: AgentSettings::default(),
            notify: NotifySettings::default(),
            voice: VoiceSettings::default(),
            clio: ClioSettings::default(),
            backup: BackupSettings::default(),
        }
    }
}

/// `[clio]`: HERMES's registration as a Clio application (Clio's
/// developer portal), shared by every firm on the node; each firm then
/// connects its own account. Without a client id the integration is off.
/// The secret comes from the environment (`HERMES_CLIO__CLIENT_SECRET`)
/// and is never printed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClioSettings {
    pub client_id: Option<String>,
    pub client_secret: cloud::ApiKey,
    /// Where Clio sends admins back; default
    /// `<server.public_url>/api/v1/integrations/clio/callback`. Register
    /// exactly this URL with Clio.
    pub redirect_url: Option<String>,
    /// Replaces every region's host (a test double of Clio).
    pub host: Option<String>,
    /// Replaces the API base (a validating mock of Clio's API).
    pub api_base: Option<String>,
    /// How long one Clio request may take, in milliseconds (default
    /// 30 000).
    pub timeout_ms: Option<u64>,
    /// How often each connected firm's Clio contacts and matters are
    /// brought up to date for conflict checks, in minutes (default 15).
    pub sync_minutes: u64,
}

impl Default for ClioSettings {
    fn default() -> Self {
        ClioSettings {
            client_id: None,
            client_secret: Default::default(),
            redirect_url: None,
            host: None,
            api_base: None,
            timeout_ms: None,
            sync_minutes: 15,
        }
    }
}

impl ClioSettings {
    /// The integration's configuration; `public_url` is the server's.
    pub fn config(&self, public_url: &str) -> hermes_api::clio::ClioConfig {
        let app = self
            .client_id
            .as_ref()
            .filter(|id| !id.is_empty())
            .map(|id| hermes_clio::oauth::App {
                client_id: id.clone(),
                client_secret: secrecy::SecretString::from(self.client_secret.expose().to_owned()),
                redirect_uri: self.redirect_url.clone().unwrap_or_else(|| {
                    format!(
                        "{}/api/v1/integrations/clio/callback",
                        public_url.trim_end_matches('/')
                    )
                }),
            });
        hermes_api::clio::ClioConfig {
            app,
            host: self.host.clone(),
            api_base: self.api_base.clone(),
            timeout: self.timeout_ms.map(std::time::Duration::from_millis),
        }
    }
}

/// `[backup]`: `hermes backup`, `hermes restore`, and the backups the
/// server takes on its own (see `backup.rs`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BackupSettings {
    /// Where backups go: `hermes backup` without `--output`, and the
    /// scheduled ones. Default `<data_dir>/backups` on SQLite; on
    /// PostgreSQL there is no default (scheduled backups are off until it
    /// is set).
    pub dir: Option<PathBuf>,
    /// Minutes between scheduled backups (default 120); 0 turns them off.
    pub every_minutes: u64,
    /// Scheduled backups kept in `dir`, the newest (older ones are
    /// deleted after each new one).
    pub keep: usize,
    /// PostgreSQL: the connection `pg_dump` uses. It must see every
    /// firm's rows, so a superuser or a `BYPASSRLS` role, unlike
    /// `database.url`'s. Default: `database.url`.
    pub database_url: Option<String>,
    /// The PostgreSQL client programs (at least the server's major
    /// version).
    pub pg_dump: PathBuf,
    pub pg_restore: PathBuf,
}

impl Default for BackupSettings {
    fn default() -> Self {
        Self {
            dir: None,
            every_minutes: 120,
            keep: 24,
            database_url: None,
            pg_dump: PathBuf::from("pg_dump"),
            pg_restore: PathBuf::from("pg_restore"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address and port to listen on.
    pub bind: SocketAddr,
    /// The URL people open (printed at start; also the tokens' issuer
    /// unless `auth.issuer` is set). Defaults to `http://<bind>`.
    pub public_url: Option<String>,
    /// Proxies (CIDRs) whose `X-Forwarded-For`/`-Proto` are trusted.
    pub trusted_proxies: Vec<IpNet>,
    /// Origins allowed to call the API from a browser (CORS).
    pub cors_origins: Vec<String>,
    pub body_limit_bytes: usize,
    pub request_timeout_secs: u64,
    /// Send HSTS even when no TLS is seen (TLS terminated by a proxy that
    /// does not send `X-Forwarded-Proto`).
    pub force_hsts: bool,
    /// How long a stopping server waits for requests in flight.
    pub shutdown_grace_secs: u64,
    /// How long a stopping server waits for its calls in progress to end
    /// (after the requests in flight); long enough for a phone call.
    pub drain_secs: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".parse().expect("static address"),
            public_url: None,
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            force_hsts: false,
            shutdown_grace_secs: 30,
            drain_secs: 3600,
        }
    }
}

/// Escalation notifications. Each channel is optional: an unconfigured
/// one gets no jobs (escalations are still recorded and audited).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct NotifySettings {
    /// SMS through Twilio's REST API.
    pub twilio: Option<hermes_notify::TwilioConfig>,
    /// Email through an SMTP server.
    pub smtp: Option<hermes_notify::SmtpConfig>,
    /// How often the outbox worker looks for due jobs (it also wakes at
    /// once when this node enqueues).
    pub poll_ms: u64,
    /// Attempts before a job is dead.
    pub max_attempts: u32,
    /// The delay after the first failure; it doubles per attempt.
    pub retry_base_ms: u64,
    /// The longest delay between attempts.
    pub retry_cap_secs: u64,
}

impl Default for NotifySettings {
    fn default() -> Self {
        let retry = hermes_store::RetryPolicy::default();
        Self {
            twilio: None,
            smtp: None,
            poll_ms: 5000,
            max_attempts: retry.max_attempts,
            retry_base_ms: retry.base.as_millis() as u64,
            retry_cap_secs: retry.cap.as_secs(),
        }
    }
}

impl NotifySettings {
    pub fn retry_policy(&self) -> hermes_store::RetryPolicy {
        hermes_store::RetryPolicy {
            base: Duration::from_millis(self.retry_base_ms),
            cap: Duration::from_secs(self.retry_cap_secs),
            max_attempts: self.max_attempts,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://path` or `postgres://user@host/db`. Defaults to
    /// `sqlite://<data_dir>/hermes.db`.
    pub url: Option<String>,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 16,
            acquire_timeout_secs: 5,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RedisSettings {
    /// `redis://host:6379/0`. Unset: rate limits, revocations and events
    /// stay in this process (one node only).
    pub url: Option<String>,
    /// Prefix for every key and channel, so deployments can share a Redis.
    pub key_prefix: String,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            url: None,
            key_prefix: "hermes:".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// Directory of RS256 signing keys. Defaults to `<data_dir>/keys`.
    pub keys_dir: Option<PathBuf>,
    /// `iss` of access tokens. Defaults to `server.public_url`.
    pub issuer: Option<String>,
    pub audience: String,
    pub access_ttl_secs: u64,
    pub refresh_ttl_days: u64,
    /// Clock difference tolerated between nodes.
    pub leeway_secs: u64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// How often the key directory is rescanned for rotated keys.
    pub key_reload_secs: u64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        let p = PasswordParams::default();
        Self {
            keys_dir: None,
            issuer: None,
            audience: "hermes-api".into(),
            access_ttl_secs: 900,
            refresh_ttl_days: 30,
            leeway_secs: 30,
            argon2_memory_kib: p.memory_kib,
            argon2_iterations: p.iterations,
            argon2_parallelism: p.parallelism,
            key_reload_secs: 30,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Login and refresh, per client IP.
    pub auth_per_minute: u64,
    /// Other anonymous routes, per client IP.
    pub anonymous_per_minute: u64,
    /// Authenticated routes, per user or API key.
    pub principal_per_minute: u64,
    /// Authenticated routes, per firm.
    pub tenant_per_minute: u64,
    /// Failed logins for one account from one IP before it is locked out.
    pub lockout_failures: u64,
    pub lockout_minutes: u64,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            auth_per_minute: 10,
            anonymous_per_minute: 120,
            principal_per_minute: 600,
            tenant_per_minute: 3000,
            lockout_failures: 5,
            lockout_minutes: 15,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A tracing filter (`info`, `hermes=debug,info`); `RUST_LOG` wins.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DemoSettings {
    /// Create the demo firm (slug `demo`) on a start that finds no firm at
    /// all. Unset: yes on the embedded default (no `database.url`), no when
    /// a database is configured, so a production start never invents a
    /// firm and prints its admin password into a container log.
    pub seed: Option<bool>,
}

/// `[voice]`: phone calls.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct VoiceSettings {
    /// Load the local speech engines (Silero VAD, Whisper, Piper) from
    /// `agent.models_dir` at start. Off only for tests that bring their
    /// own engines.
    pub local_engines: bool,
    /// The address Twilio reaches this server at (`https://…`), used for
    /// webhook signatures and the media-stream URL; without it, the
    /// request's host and scheme.
    pub public_url: Option<String>,
    /// Twilio's REST API (for warm transfers); tests point it at a mock.
    pub twilio_api_base: String,
    /// Telnyx's REST API (for warm transfers); tests point it at a fake.
    pub telnyx_api_base: String,
    /// The file holding the data-at-rest keys (sealed credentials and
    /// recordings); default `<data_dir>/secret.keys`, created on first
    /// start. Every node must share it.
    pub secrets_file: Option<PathBuf>,
    /// Silence that ends the caller's turn.
    pub hangover_ms: u32,
    /// Silence that ends a turn whose words sound unfinished (a phone
    /// number read in groups, "and…").
    pub unfinished_hangover_ms: u32,
    /// Caller speech over the agent for this long stops the agent.
    pub barge_in_ms: u32,
    /// A wait longer than this plays "One moment."
    pub filler_after_ms: u64,
    /// Caller silence that makes the agent ask "are you still there?".
    pub silence_timeout_ms: u64,
    /// Whisper threads per transcription.
    pub stt_threads: usize,
    /// Hours between sweeps that delete recordings past retention.
    pub retention_sweep_minutes: u64,
    /// How long a firm's chosen recogniser gets before the local one
    /// answers instead.
    pub stt_fallback_ms: u64,
    /// How long a firm's chosen synthesiser gets to its first audio
    /// before the local one speaks instead.
    pub tts_fallback_ms: u64,
    /// Cloud providers offered to firms as engines by these names (see
    /// `config/cloud.rs`).
    pub openai: Option<OpenAiSpeech>,
    pub deepgram: Option<DeepgramSpeech>,
    pub elevenlabs: Option<ElevenLabsSpeech>,
}

impl Default for VoiceSettings {
    fn default() -> Self {
        Self {
            local_engines: true,
            public_url: None,
            twilio_api_base: "https://api.twilio.com".into(),
            telnyx_api_base: "https://api.telnyx.com".into(),
            secrets_file: None,
            hangover_ms: 640,
            unfinished_hangover_ms: 1500,
            barge_in_ms: 192,
            filler_after_ms: 1200,
            silence_timeout_ms: 8000,
            stt_threads: 2,
            retention_sweep_minutes: 60,
            stt_fallback_ms: 3000,
            tts_fallback_ms: 1500,
            openai: None,
            deepgram: None,
            elevenlabs: None,
        }
    }
}

impl VoiceSettings {
    pub fn voice_config(&self) -> hermes_api::voice::VoiceConfig {
        let mut session = hermes_api::voice::session::SessionConfig::default();
        session.endpoint.hangover_ms = self.hangover_ms;
        session.endpoint.unfinished_hangover_ms = self.unfinished_hangover_ms;
        session.barge_in_ms = self.barge_in_ms;
        session.filler_after = std::time::Duration::from_millis(self.filler_after_ms);
        session.silence_timeout = std::time::Duration::from_millis(self.silence_timeout_ms);
        hermes_api::voice::VoiceConfig {
            public_url: self.public_url.clone(),
            twilio_api_base: self.twilio_api_base.clone(),
            telnyx_api_base: self.telnyx_api_base.clone(),
            session,
            stt_fallback_after: Duration::from_millis(self.stt_fallback_ms),
            tts_fallback_after: Duration::from_millis(self.tts_fallback_ms),
            ..Default::default()
        }
    }

    /// The cloud providers configured on this node.
    pub fn cloud(&self) -> cloud::Providers<'_> {
        cloud::Providers {
            openai: self.openai.as_ref(),
            deepgram: self.deepgram.as_ref(),
            elevenlabs: self.elevenlabs.as_ref(),
        }
    }
}

/// The intake agent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AgentSettings {
    /// A text conversation nobody has written in for this long is ended as
    /// `abandoned` (the caller went silent), keeping what was said.
    pub idle_minutes: u64,
    /// Classify practice areas with the sentence-embedding model as well
    /// as keywords (loaded from `models_dir` in the background at start;
    /// without it, keywords alone).
    pub embedding: bool,
    /// Where `scripts/models.sh` put the models.
    pub models_dir: PathBuf,
    /// An OpenAI-compatible chat-completions server; unset, the agent runs
    /// on local understanding alone.
    pub llm: Option<LlmSettings>,
}

impl Default for AgentSettings {
    fn default() -> Self {
        Self {
            idle_minutes: 30,
            embedding: true,
            models_dir: PathBuf::from("models"),
            llm: None,
        }
    }
}

impl AgentSettings {
    /// The sentence-embedding model's folder.
    pub fn embedding_model_dir(&self) -> PathBuf {
        self.models_dir.join("all-minilm-l6-v2")
    }
}

/// `[agent.llm]`: the language model the agent may consult. It never
/// decides policy, and every call has a deadline after which the agent
/// goes on without it.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LlmSettings {
    /// e.g. `http://127.0.0.1:11434/v1` (Ollama), `https://api.openai.com/v1`.
    pub base_url: String,
    pub model: String,
    /// Sent as a bearer token when set (`HERMES_AGENT__LLM__API_KEY`).
    pub api_key: Option<String>,
    /// Deadline of one request (all samples of a vote together).
    pub request_timeout_ms: u64,
    /// Streaming (rephrasing): the wait for the first token.
    pub first_token_timeout_ms: u64,
    /// The most a turn waits for all of the model's readings.
    pub turn_budget_ms: u64,
    /// Independent samples per decision, voted on (1 to 16).
    pub samples: usize,
    /// Sampling temperature of those samples (above 0 so they can differ).
    pub temperature: f32,
    /// Let the model rephrase the agent's replies (never the disclosures,
    /// the refusal or emergency lines).
    pub phrase: bool,
}

impl std::fmt::Debug for LlmSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmSettings")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("samples", &self.samples)
            .finish_non_exhaustive()
    }
}

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            model: String::new(),
            api_key: None,
            request_timeout_ms: 1500,
            first_token_timeout_ms: 800,
            turn_budget_ms: 1800,
            samples: 3,
            temperature: 0.7,
            phrase: false,
        }
    }
}

impl LlmSettings {
    /// The client and how the agent uses it.
    pub fn agent(&self) -> anyhow::Result<hermes_api::understanding::LlmAgent> {
        let mut c = hermes_llm::LlmConfig::new(self.base_url.clone(), self.model.clone());
        if let Some(k) = &self.api_key {
            c = c.with_api_key(k.clone());
        }
        c.request_timeout = Duration::from_millis(self.request_timeout_ms);
        c.first_token_timeout = Duration::from_millis(self.first_token_timeout_ms);
        c.stream_timeout =
            Duration::from_millis(self.request_timeout_ms.max(self.first_token_timeout_ms));
        Ok(hermes_api::understanding::LlmAgent {
            client: hermes_llm::LlmClient::new(c).map_err(|e| anyhow::anyhow!("agent.llm: {e}"))?,
            samples: self.samples,
            temperature: self.temperature,
            turn_budget: Duration::from_millis(self.turn_budget_ms),
            phrase: self.phrase,
        })
    }
}

/// A configuration problem, naming the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl Settings {
    /// Loads defaults, then `file` (or the default locations), then the
    /// environment, and validates the result.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, Env::prefixed("HERMES_"))
    }

    fn load_from(file: Option<&Path>, env: Env) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        let env_file = std::env::var_os("HERMES_CONFIG").map(PathBuf::from);
        match file.map(Path::to_path_buf).or(env_file) {
            Some(path) => {
                if !path.is_file() {
                    return Err(ConfigError(format!(
                        "config file {} does not exist",
                        path.display()
                    )));
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None => {
                if Path::new("hermes.toml").is_file() {
                    figment = figment.merge(Toml::file_exact("hermes.toml"));
                }
            }
        }
        let env = env.split("__").filter(|key| {
            let k = key.as_str().to_ascii_lowercase();
            !NOT_SETTINGS.contains(&k.as_str()) && !k.starts_with("test_")
        });
        figment = figment.merge(env);
        // The environment provider reads values that look like numbers as
        // numbers (`+15035550100` would lose its `+`, a numeric password
        // would not be a string); these keys are text, so take them raw.
        for key in TEXT_KEYS {
            let var = format!("HERMES_{}", key.replace('.', "__").to_ascii_uppercase());
            if let Some(raw) = Env::var(&var) {
                figment = figment.merge(Serialized::default(key, raw));
            }
        }
        let settings: Settings = figment
            .extract()
            .map_err(|e| ConfigError(describe_figment_error(e)))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Rules the types cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &str, msg: &str| Err(ConfigError(format!("{key}: {msg}")));
        if self.agent.idle_minutes == 0 {
            return err("agent.idle_minutes", "must be at least 1");
        }
        if let Some(llm) = &self.agent.llm {
            if !(llm.base_url.starts_with("http://") || llm.base_url.starts_with("https://")) {
                return err("agent.llm.base_url", "must start with http:// or https://");
            }
            if llm.model.trim().is_empty() {
                return err("agent.llm.model", "must name the model");
            }
            if !(1..=hermes_llm::MAX_SAMPLES).contains(&llm.samples) {
                return err("agent.llm.samples", "must be 1 to 16");
            }
            if !(0.0..=2.0).contains(&llm.temperature) {
                return err("agent.llm.temperature", "must be 0 to 2");
            }
            if llm.request_timeout_ms == 0
                || llm.turn_budget_ms == 0
                || llm.first_token_timeout_ms == 0
            {
                return err("agent.llm", "timeouts must be above 0 ms");
            }
        }
        if let Some(t) = &self.notify.twilio {
            if !(t.account_sid.starts_with("AC") && t.account_sid.len() == 34) {
                return err(
                    "notify.twilio.account_sid",
                    "must be AC followed by 32 hex digits",
                );
            }
            if t.auth_token.is_empty() {
                return err("notify.twilio.auth_token", "must not be empty");
            }
            if t.from.is_empty() {
                return err(
                    "notify.twilio.from",
                    "must be a sending number (E.164) or a Messaging Service SID (MG…)",
                );
            }
            if !url::Url::parse(&t.base_url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
                return err("notify.twilio.base_url", "must be an http(s) URL");
            }
        }
        if let Some(m) = &self.notify.smtp {
            if m.host.is_empty() {
                return err("notify.smtp.host", "must not be empty");
            }
            if m.username.is_some() != m.password.is_some() {
                return err("notify.smtp.username", "username and password go together");
            }
            if let Err(e) = hermes_notify::SmtpMailer::new(m) {
                return err("notify.smtp.from", &e.message);
            }
        }
        if let Some(url) = &self.database.url
            && !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
        {
            return err(
                "database.url",
                "must start with sqlite:, postgres:// or postgresql://",
            );
        }
        if let Some(url) = &self.redis.url {
            // Refused by name rather than failing to connect later: this
            // build's Redis client has no TLS (DEPLOYMENT.md: keep Redis on
            // a private network, or tunnel it).
            if url.starts_with("rediss://") {
                return err(
                    "redis.url",
                    "rediss:// (Redis over TLS) is not supported by this build; use redis:// on a private network or through a TLS tunnel such as stunnel",
                );
            }
            if !url.starts_with("redis://") {
                return err("redis.url", "must start with redis://");
            }
        }
        if let Some(url) = &self.server.public_url
            && url::Url::parse(url).is_err()
        {
            return err("server.public_url", "is not a valid URL");
        }
        for origin in &self.server.cors_origins {
            match url::Url::parse(origin) {
                Ok(u) if u.path() == "/" && origin.trim_end_matches('/') == origin => {}
                _ => {
                    return err(
                        "server.cors_origins",
                        &format!("{origin:?} is not an origin like https://app.example.com"),
                    );
                }
            }
        }
        self.voice.cloud().validate()?;
        if self.backup.keep == 0 {
            return err("backup.keep", "must be at least 1");
        }
        if let Some(url) = &self.backup.database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return err(
                "backup.database_url",
                "must start with postgres:// or postgresql:// (it is for PostgreSQL only)",
            );
        }
        if self
            .backup
            .dir
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
        {
            return err("backup.dir", "must not be empty");
        }
        let positive: [(&str, u64); 18] = [
            ("voice.stt_fallback_ms", self.voice.stt_fallback_ms),
            ("voice.tts_fallback_ms", self.voice.tts_fallback_ms),
            ("notify.poll_ms", self.notify.poll_ms),
            ("notify.max_attempts", self.notify.max_attempts.into()),
            ("notify.retry_base_ms", self.notify.retry_base_ms),
            ("notify.retry_cap_secs", self.notify.retry_cap_secs),
            (
                "server.body_limit_bytes",
                self.server.body_limit_bytes as u64,
            ),
            (
                "server.request_timeout_secs",
                self.server.request_timeout_secs,
            ),
            (
                "database.max_connections",
                self.database.max_connections.into(),
            ),
            (
                "database.acquire_timeout_secs",
                self.database.acquire_timeout_secs,
            ),
            ("auth.access_ttl_secs", self.auth.access_ttl_secs),
            ("auth.refresh_ttl_days", self.auth.refresh_ttl_days),
            ("auth.key_reload_secs", self.auth.key_reload_secs),
            (
                "rate_limit.auth_per_minute",
                self.rate_limit.auth_per_minute,
            ),
            (
                "rate_limit.anonymous_per_minute",
                self.rate_limit.anonymous_per_minute,
            ),
            (
                "rate_limit.principal_per_minute",
                self.rate_limit.principal_per_minute,
            ),
            (
                "rate_limit.tenant_per_minute",
                self.rate_limit.tenant_per_minute,
            ),
            (
                "rate_limit.lockout_failures",
                self.rate_limit.lockout_failures,
            ),
        ];
        for (key, value) in positive {
            if value == 0 {
                return err(key, "must be greater than 0");
            }
        }
        if self.rate_limit.lockout_minutes == 0 {
            return err("rate_limit.lockout_minutes", "must be greater than 0");
        }
        if self.auth.access_ttl_secs > 3600 {
            return err(
                "auth.access_ttl_secs",
                "must be at most 3600: access tokens are meant to be short-lived",
            );
        }
        if self.auth.leeway_secs > 300 {
            return err(
                "auth.leeway_secs",
                "must be at most 300: a larger leeway keeps expired tokens valid",
            );
        }
        if self.auth.refresh_ttl_days > 365 {
            return err("auth.refresh_ttl_days", "must be at most 365");
        }
        if self.auth.audience.trim().is_empty() {
            return err("auth.audience", "must not be empty");
        }
        if let Err(e) = hermes_auth::PasswordHasher::new(self.password_params()) {
            return err("auth.argon2_*", &e.to_string());
        }
        if self
            .log
            .level
            .parse::<tracing_subscriber::EnvFilter>()
            .is_err()
        {
            return err("log.level", "is not a valid tracing filter");
        }
        Ok(())
    }

    pub fn seed_demo(&self) -> bool {
        self.demo.seed.unwrap_or(self.database.url.is_none())
    }

    pub fn database_url(&self) -> String {
        self.database
            .url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("hermes.db").display()))
    }

    pub fn secrets_file(&self) -> PathBuf {
        self.voice
            .secrets_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("secret.keys"))
    }

    /// Where backups go (`backup.dir`; `<data_dir>/backups` on SQLite).
    pub fn backup_dir(&self) -> Option<PathBuf> {
        self.backup.dir.clone().or_else(|| {
            self.database_url()
                .starts_with("sqlite:")
                .then(|| self.data_dir.join("backups"))
        })
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.auth
            .keys_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keys"))
    }

    /// The URL to print for people to open.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        self.server.public_url.clone().unwrap_or_else(|| {
            let host = if bound.ip().is_unspecified() {
                "localhost".to_owned()
            } else {
                bound.ip().to_string()
            };
            format!("http://{host}:{}", bound.port())
        })
    }

    pub fn issuer(&self) -> String {
        self.auth
            .issuer
            .clone()
            .or_else(|| self.server.public_url.clone())
            .unwrap_or_else(|| "hermes".into())
    }

    pub fn password_params(&self) -> PasswordParams {
        PasswordParams {
            memory_kib: self.auth.argon2_memory_kib,
            iterations: self.auth.argon2_iterations,
            parallelism: self.auth.argon2_parallelism,
        }
    }

    pub fn api_config(&self) -> hermes_api::ApiConfig {
        let per_min = |n| hermes_api::Quota::per_minute(n);
        hermes_api::ApiConfig {
            trusted_proxies: self.server.trusted_proxies.clone(),
            cors_origins: self.server.cors_origins.clone(),
            body_limit_bytes: self.server.body_limit_bytes,
            request_timeout: Duration::from_secs(self.server.request_timeout_secs),
            force_hsts: self.server.force_hsts,
            refresh_ttl: Duration::from_secs(self.auth.refresh_ttl_days * 24 * 3600),
            auth_quota: per_min(self.rate_limit.auth_per_minute),
            anonymous_quota: per_min(self.rate_limit.anonymous_per_minute),
            principal_quota: per_min(self.rate_limit.principal_per_minute),
            tenant_quota: per_min(self.rate_limit.tenant_per_minute),
            lockout_failures: self.rate_limit.lockout_failures,
            lockout_window: Duration::from_secs(self.rate_limit.lockout_minutes * 60),
            ..hermes_api::ApiConfig::default()
        }
    }

    pub fn token_config(&self) -> hermes_auth::TokenConfig {
        hermes_auth::TokenConfig {
            issuer: self.issuer(),
            audience: self.auth.audience.clone(),
            access_ttl: Duration::from_secs(self.auth.access_ttl_secs),
            leeway: Duration::from_secs(self.auth.leeway_secs),
        }
    }
}

/// Figment's message, reworded so it leads with the dotted key.
fn describe_figment_error(e: figment::Error) -> String {
    let mut out = Vec::new();
    for err in e {
        let key = err.path.join(".");
        let what = err.kind.to_string();
        let source = err
            .metadata
            .as_ref()
            .map(|m| format!(" (from {})", m.name))
            .unwrap_or_default();
        if key.is_empty() {
            out.push(format!("{what}{source}"));
        } else {
            out.push(format!("{key}: {what}{source}"));
        }
    }
    out.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::result_large_err)] // figment's Jail API, test only
    fn load_with(toml: Option<&str>, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let mut result = None;
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            for (k, v) in env {
                jail.set_env(k, v);
            }
            let path = toml.map(|t| {
                jail.create_file("test.toml", t).unwrap();
                PathBuf::from("test.toml")
            });
            result = Some(Settings::load(path.as_deref()));
            Ok(())
        });
        result.unwrap()
    }

    #[test]
    fn no_configuration_gives_embedded_defaults() {
        let s = load_with(None, &[]).unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.database_url(), "sqlite://data/hermes.db");
        assert_eq!(s.keys_dir(), PathBuf::from("data/keys"));
        assert_eq!(s.auth.access_ttl_secs, 900);
        assert!(s.seed_demo());
    }

    #[test]
    fn file_then_environment() {
        let s = load_with(
            Some(
                "[server]\nbind = \"0.0.0.0:9000\"\n[database]\nurl = \"postgres://h@db/hermes\"\n",
            ),
            &[
                ("HERMES_SERVER__BIND", "127.0.0.1:7000"),
                ("HERMES_RATE_LIMIT__AUTH_PER_MINUTE", "20"),
                ("HERMES_ADMIN_PASSWORD", "not a setting"),
                ("HERMES_TEST_PG_URL", "ignored"),
            ],
        )
        .unwrap();
        assert_eq!(s.server.bind.to_string(), "127.0.0.1:7000");
        assert_eq!(s.database_url(), "postgres://h@db/hermes");
        assert_eq!(s.rate_limit.auth_per_minute, 20);
        // A configured database means production: no demo firm unless asked.
        assert!(!s.seed_demo());
    }

    #[test]
    fn errors_name_the_key() {
        let e = load_with(Some("[server]\nbind = \"nowhere\"\n"), &[]).unwrap_err();
        assert!(e.to_string().contains("server.bind"), "{e}");

        let e = load_with(None, &[("HERMES_RATE_LIMIT__AUTH_PER_MINUTE", "lots")]).unwrap_err();
        assert!(e.to_string().contains("rate_limit.auth_per_minute"), "{e}");

        let e = load_with(Some("[database]\nurl = \"mysql://x\"\n"), &[]).unwrap_err();
        assert!(e.to_string().contains("database.url"), "{e}");

        let e = load_with(None, &[("HERMES_RATE_LIMIT__TENANT_PER_MINUTE", "0")]).unwrap_err();
        assert!(
            e.to_string().contains("rate_limit.tenant_per_minute"),
            "{e}"
        );

        let e =
            load_with(Some("[server]\ntrusted_proxies = [\"10.0.0.0/99\"]\n"), &[]).unwrap_err();
        assert!(e.to_string().contains("server.trusted_proxies"), "{e}");

        let e = load_with(Some("[log]\nformat = \"xml\"\n"), &[]).unwrap_err();
        assert!(e.to_string().contains("log.format"), "{e}");

        // Redis over TLS is refused by name, not left to fail to connect.
        let e = load_with(None, &[("HERMES_REDIS__URL", "rediss://cache:6380/0")]).unwrap_err();
        assert!(e.to_string().contains("redis.url"), "{e}");
        assert!(e.to_string().contains("not supported"), "{e}");
        let e = load_with(None, &[("HERMES_REDIS__URL", "memcached://cache")]).unwrap_err();
        assert!(e.to_string().contains("redis.url"), "{e}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = load_with(Some("[server]\nbnd = \"0.0.0.0:1\"\n"), &[]).unwrap_err();
        assert!(e.to_string().contains("bnd"), "{e}");
        let e = load_with(None, &[("HERMES_DATABSE__URL", "sqlite://x")]).unwrap_err();
        assert!(e.to_string().contains("databse"), "{e}");
    }

    #[test]
    fn readme_documents_every_key() {
        fn keys(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>) {
            match v.as_object() {
                Some(map) => {
                    for (k, v) in map {
                        let path = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        keys(&path, v, out);
                    }
                }
                None => out.push(prefix.to_owned()),
            }
        }
        let mut all = Vec::new();
        keys(
            "",
            &serde_json::to_value(Settings::default()).unwrap(),
            &mut all,
        );
        let readme = include_str!("../../../README.md");
        let missing: Vec<_> = all
            .iter()
            .filter(|k| !readme.contains(&format!("| `{k}` |")))
            .collect();
        assert!(
            missing.is_empty(),
            "README.md lacks configuration keys {missing:?}"
        );
    }

    #[test]
    fn notification_channels_come_from_the_environment_and_hide_their_secrets() {
        let s = load_with(
            None,
            &[
                (
                    "HERMES_NOTIFY__TWILIO__ACCOUNT_SID",
                    "AC0123456789abcdef0123456789abcdef",
                ),
                ("HERMES_NOTIFY__TWILIO__AUTH_TOKEN", "tw-secret-token"),
                ("HERMES_NOTIFY__TWILIO__FROM", "+15035550100"),
                ("HERMES_NOTIFY__SMTP__HOST", "smtp.example.com"),
                ("HERMES_NOTIFY__SMTP__USERNAME", "alerts"),
                ("HERMES_NOTIFY__SMTP__PASSWORD", "0098765432"),
                ("HERMES_NOTIFY__SMTP__FROM", "HERMES <alerts@example.com>"),
            ],
        )
        .unwrap();
        let twilio = s.notify.twilio.as_ref().unwrap();
        assert_eq!(twilio.base_url, "https://api.twilio.com");
        let smtp = s.notify.smtp.as_ref().unwrap();
        assert_eq!(smtp.tls, hermes_notify::SmtpTls::Starttls);
        assert_eq!(smtp.port(), 587);
        let shown = format!("{s:?}");
        assert!(!shown.contains("tw-secret-token"), "{shown}");
        assert_eq!(twilio.from, "+15035550100");
        assert_eq!(smtp.password.as_deref(), Some("0098765432"));
        assert!(!shown.contains("0098765432"), "{shown}");

        let e = load_with(
            None,
            &[
                ("HERMES_NOTIFY__TWILIO__ACCOUNT_SID", "nope"),
                ("HERMES_NOTIFY__TWILIO__AUTH_TOKEN", "t"),
                ("HERMES_NOTIFY__TWILIO__FROM", "+15035550100"),
            ],
        )
        .unwrap_err();
        assert!(e.to_string().contains("notify.twilio.account_sid"), "{e}");
        let e = load_with(None, &[("HERMES_NOTIFY__MAX_ATTEMPTS", "0")]).unwrap_err();
        assert!(e.to_string().contains("notify.max_attempts"), "{e}");
    }

    #[test]
    fn cloud_speech_providers_take_their_keys_from_the_environment_and_hide_them() {
        let s = load_with(
            Some("[voice.deepgram]\nmodel = \"nova-3\"\n[voice.elevenlabs]\nvoice_id = \"JBFqnCBsd6RMkjVDRZzb\"\n"),
            &[
                ("HERMES_VOICE__DEEPGRAM__API_KEY", "0123456789"),
                ("HERMES_VOICE__ELEVENLABS__API_KEY", "xi-secret-key"),
                ("HERMES_VOICE__OPENAI__API_KEY", "sk-secret-key"),
            ],
        )
        .unwrap();
        let shown = format!("{s:?}");
        for secret in ["0123456789", "xi-secret-key", "sk-secret-key"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let openai = s.voice.openai.as_ref().unwrap();
        assert_eq!(openai.base_url, "https://api.openai.com/v1");
        // A numeric-looking key stays text.
        assert_eq!(
            s.voice.deepgram.as_ref().unwrap().api_key,
            ApiKey::from("0123456789")
        );
        let (stt, tts) = s.voice.cloud().engines().unwrap();
        let mut names: Vec<&str> = stt.iter().map(|e| e.name()).collect();
        names.extend(tts.iter().map(|e| e.name()));
        assert_eq!(names, ["openai", "deepgram", "openai", "elevenlabs"]);

        // A provider without its key, or ElevenLabs without a voice, is
        // refused by name.
        let e = load_with(Some("[voice.deepgram]\nmodel = \"nova-3\"\n"), &[]).unwrap_err();
        assert!(
            e.to_string().contains("voice.deepgram.api_key")
                && e.to_string().contains("HERMES_VOICE__DEEPGRAM__API_KEY"),
            "{e}"
        );
        let e = load_with(None, &[("HERMES_VOICE__ELEVENLABS__API_KEY", "k")]).unwrap_err();
        assert!(e.to_string().contains("voice.elevenlabs.voice_id"), "{e}");
        let e = load_with(
            Some("[voice.openai]\nbase_url = \"ftp://x\"\napi_key = \"k\"\n"),
            &[],
        )
        .unwrap_err();
        assert!(e.to_string().contains("voice.openai"), "{e}");
        let e = load_with(
            Some("[voice.elevenlabs]\napi_key = \"k\"\nvoice_id = \"v\"\nsample_rate = 44100\n"),
            &[],
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("voice.elevenlabs.sample_rate"),
            "{e}"
        );
    }

    #[test]
    fn backups_default_beside_sqlite_and_are_checked() {
        let s = load_with(None, &[]).unwrap();
        assert_eq!(s.backup_dir(), Some(PathBuf::from("data/backups")));
        assert_eq!(s.backup.every_minutes, 120);
        let s = load_with(None, &[("HERMES_DATABASE__URL", "postgres://h@db/hermes")]).unwrap();
        assert_eq!(s.backup_dir(), None, "PostgreSQL: only when set");
        let e = load_with(None, &[("HERMES_BACKUP__KEEP", "0")]).unwrap_err();
        assert!(e.to_string().contains("backup.keep"), "{e}");
        let e = load_with(Some("[backup]\ndatabase_url = \"sqlite://x.db\"\n"), &[]).unwrap_err();
        assert!(e.to_string().contains("backup.database_url"), "{e}");
    }

    #[test]
    fn missing_config_file_is_an_error() {
        let e = load_with(None, &[("HERMES_CONFIG", "/nonexistent/hermes.toml")]).unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
    }

    #[test]
    fn bad_cors_origin_and_argon_params() {
        let e = load_with(
            Some("[server]\ncors_origins = [\"https://x.com/path\"]\n"),
            &[],
        )
        .unwrap_err();
        assert!(e.to_string().contains("server.cors_origins"), "{e}");
        let e = load_with(None, &[("HERMES_AUTH__ARGON2_ITERATIONS", "0")]).unwrap_err();
        assert!(e.to_string().contains("argon2"), "{e}");
    }
}
