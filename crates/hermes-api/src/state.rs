//! What every handler can reach: storage, keys, shared state, settings.

use std::sync::Arc;
use std::time::Duration;

use hermes_auth::{PasswordHasher, Tokens};
use hermes_cache::SharedState;
use hermes_store::Store;
use ipnet::IpNet;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::PrincipalCache;

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
    pub shared: Arc<dyn SharedState>,
    pub principals: PrincipalCache,
    pub config: Arc<ApiConfig>,
    pub metrics: PrometheusHandle,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        tokens: Tokens,
        passwords: PasswordHasher,
        shared: Arc<dyn SharedState>,
        config: ApiConfig,
    ) -> Self {
        let principals = PrincipalCache::new(config.principal_cache_ttl);
        Self(Arc::new(Shared {
            store,
            tokens,
            passwords: Arc::new(passwords),
            shared,
            principals,
            config: Arc::new(config),
            metrics: crate::metrics::handle(),
        }))
    }
}
