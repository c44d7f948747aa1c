//! What every handler can reach: storage, keys, shared state, settings.

use std::sync::Arc;
use std::time::Duration;

use hermes_auth::{PasswordHasher, Tokens};
use hermes_cache::SharedState;
use hermes_core::NewPassword;
use hermes_store::Store;
use ipnet::IpNet;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::PrincipalCache;
use crate::error::ApiError;

/// A request budget: `limit` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u64,
    pub window: Duration,
}

impl Quota {
    pub const fn per_minute(limit: u64) -> Self {
        Self {
            limit,
            window: Duration::from_secs(60),
        }
    }
}

/// Everything the HTTP layer is configured with. The binary builds it from
/// the validated configuration file; tests build it directly.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Peers whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Origins allowed by CORS; empty means no cross-origin access.
    pub cors_origins: Vec<String>,
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
    /// Send HSTS even without seeing TLS (the server is known to be behind
    /// a TLS terminator that does not set `X-Forwarded-Proto`).
    pub force_hsts: bool,
    pub refresh_ttl: Duration,
    /// Anonymous auth routes (login, refresh), per client IP.
    pub auth_quota: Quota,
    /// Other anonymous routes (JWKS, OpenAPI, docs), per client IP.
    pub anonymous_quota: Quota,
    /// Authenticated routes, per user or API key.
    pub principal_quota: Quota,
    /// Authenticated routes, per tenant (all its users and keys together).
    pub tenant_quota: Quota,
    /// Login failures for one account from one IP before lockout.
    pub lockout_failures: u64,
    pub lockout_window: Duration,
    /// How long a node trusts its cached view of a user or API key when no
    /// invalidation event arrives (the fallback bound on staleness).
    pub principal_cache_ttl: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            body_limit_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            force_hsts: false,
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            auth_quota: Quota::per_minute(10),
            anonymous_quota: Quota::per_minute(120),
            principal_quota: Quota::per_minute(600),
            tenant_quota: Quota::per_minute(3000),
            lockout_failures: 5,
            lockout_window: Duration::from_secs(15 * 60),
            principal_cache_ttl: Duration::from_secs(5),
        }
    }
}

/// Shared by all requests. Cloning is one reference-count increment: axum
/// clones the state for every layer and extractor of every request, and a
/// field-by-field clone (token validation sets, three caches) showed up in
/// the load benchmark's profile.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub store: Arc<dyn Store>,
    pub tokens: Tokens,
    pub passwords: Arc<PasswordHasher>,
    /// Bounds concurrent argon2 work to the number of CPUs: each hash takes
    /// ~19 MiB and tens of milliseconds, so an unbounded flood of logins
    /// from many addresses would exhaust memory before any rate limit bit.
    password_slots: tokio::sync::Semaphore,
    pub shared: Arc<dyn SharedState>,
    pub principals: PrincipalCache,
    pub config: Arc<ApiConfig>,
    pub metrics: PrometheusHandle,
    /// Each tenant's in-memory conflict index.
    pub conflicts: crate::conflict_index::ConflictIndexes,
    /// The agent's optional language model (and other readers).
    pub understanding: crate::understanding::Understanding,
    /// Escalation notifications: the configured channels and the outbox
    /// worker's wake-up.
    pub notify: crate::escalation::Notifications,
    /// Seals values that must be read back (provider credentials,
    /// recordings); shared by every node through its key file.
    pub secrets: Arc<hermes_auth::SecretBox>,
    /// Calls: speech engines and settings.
    pub voice: crate::voice::Voice,
    /// Clio: the node's registration, its HTTP client and rate limiters.
    pub clio: crate::clio::Clio,
    /// The calls in progress, and whether this node is stopping (see
    /// [`crate::drain`]).
    pub drain: crate::drain::Drain,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        tokens: Tokens,
        passwords: PasswordHasher,
        shared: Arc<dyn SharedState>,
        config: ApiConfig,
        understanding: crate::understanding::Understanding,
    ) -> Self {
        let principals = PrincipalCache::new(config.principal_cache_ttl);
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self(Arc::new(Shared {
            store,
            tokens,
            passwords: Arc::new(passwords),
            password_slots: tokio::sync::Semaphore::new(cpus),
            shared,
            principals,
            config: Arc::new(config),
            metrics: crate::metrics::handle(),
            conflicts: Default::default(),
            understanding,
            notify: Default::default(),
            secrets: Arc::new(hermes_auth::SecretBox::generate()),
            voice: Default::default(),
            clio: Default::default(),
            drain: Default::default(),
        }))
    }

    /// Sets the notification channels; call before the state is shared.
    pub fn with_notifications(mut self, notify: crate::escalation::Notifications) -> Self {
        Arc::get_mut(&mut self.0)
            .expect("notifications are configured before the state is cloned")
            .notify = notify;
        self
    }
}

impl AppState {
    /// Sets the data-at-rest keys; call before the state is shared.
    pub fn with_secrets(mut self, secrets: hermes_auth::SecretBox) -> Self {
        Arc::get_mut(&mut self.0)
            .expect("secrets are configured before the state is cloned")
            .secrets = Arc::new(secrets);
        self
    }

    /// Sets the Clio registration; call before the state is shared.
    pub fn with_clio(mut self, clio: crate::clio::Clio) -> Self {
        Arc::get_mut(&mut self.0)
            .expect("Clio is configured before the state is cloned")
            .clio = clio;
        self
    }

    /// Sets the voice configuration; call before the state is shared.
    pub fn with_voice(mut self, voice: crate::voice::Voice) -> Self {
        Arc::get_mut(&mut self.0)
            .expect("voice is configured before the state is cloned")
            .voice = voice;
        self
    }
}

/// How long a request waits for a password-hashing slot before 503.
const PASSWORD_SLOT_WAIT: Duration = Duration::from_secs(10);

impl AppState {
    async fn password_slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, ApiError> {
        match tokio::time::timeout(PASSWORD_SLOT_WAIT, self.password_slots.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError::Unavailable(anyhow::anyhow!(
                "too many password checks in progress"
            ))),
        }
    }

    /// Hashes a new password (argon2id) on the blocking pool.
    pub async fn hash_password(&self, password: NewPassword) -> Result<String, ApiError> {
        let _slot = self.password_slot().await?;
        let hasher = self.passwords.clone();
        tokio::task::spawn_blocking(move || hasher.hash(&password))
            .await
            .map_err(ApiError::internal)
    }

    /// Checks `password` against `stored`, or against a dummy hash when
    /// there is no account, so both take the same time.
    pub async fn verify_password(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, ApiError> {
        let _slot = self.password_slot().await?;
        let hasher = self.passwords.clone();
        tokio::task::spawn_blocking(move || match stored {
            Some(hash) => hasher.verify(&password, &hash),
            None => hasher.verify_dummy(&password),
        })
        .await
        .map_err(ApiError::internal)
    }

    /// Makes access tokens of these sessions fail on every node until they
    /// would have expired anyway.
    pub async fn end_sessions(&self, sessions: &[hermes_core::RefreshFamilyId]) {
        let ttl = self.tokens.config().access_ttl + self.tokens.config().leeway;
        for s in sessions {
            if let Err(e) = self.shared.mark(&format!("sid:{s}"), ttl).await {
                // The database has it; nodes re-warm from it (see lib.rs).
                tracing::warn!(error = %e, "could not share an ended session");
            }
        }
    }
}
