//! Storage: one API, two backends.
//!
//! HERMES keeps everything in one relational database: SQLite on a single
//! machine (the embedded default), PostgreSQL when several nodes share it.
//! Callers see two traits and never a SQL dialect:
//!
//! - [`Store`]: the few operations that are not about one firm (creating a
//!   tenant, finding one by slug, health checks, migrations).
//! - [`TenantStore`]: everything else, obtained with [`Store::scoped`]. The
//!   handle carries its `TenantId`; no method takes one, so no query can be
//!   issued for "whatever tenant the caller remembered to filter on".
//!
//! **Architecture Invariant:** every tenant-owned table has a `tenant_id`
//! column, references other tenant-owned rows through composite
//! `(tenant_id, id)` foreign keys (a row cannot point into another firm),
//! and is only read or written through a [`TenantStore`]. On PostgreSQL,
//! row-level security enforces the same thing a second time: each
//! transaction binds `hermes.tenant_id` with `set_config(.., $1, true)`, and
//! every tenant table has a `FORCE`d policy keyed on it.
//!
//! **Architecture Invariant:** every write through a `TenantStore` carries
//! the [`AuditEvent`] that describes it, appended in the same transaction:
//! a change without its audit entry cannot be committed.
//!
//! # Layout
//! - [`model`]: rows as domain types, and what callers pass in.
//! - [`firm`]: the firm issue's rows and the [`FirmStore`] part of a
//!   tenant's store (settings, attorneys, parties, reviews, bookings).
//! - [`outbox`]: notifications waiting to be sent, and the
//!   [`OutboxStore`] part of a tenant's store (enqueue, lease, retry).
//! - [`call`]: calls, recordings and telephony settings, and the
//!   [`CallStore`] part of a tenant's store.
//! - [`maintenance`]: whole-database snapshots, checks and row counts for
//!   backups and restores (`hermes backup`, `hermes restore`).
//! - [`audit`]: the per-tenant hash chain (pure: hashing and verification).
//! - `sql`: the SQL, written once and compiled for both backends.
//! - [`sqlite`], [`postgres`]: pools, transactions and migrations per backend.

pub mod audit;
pub mod call;
mod call_sql;
pub mod clio;
mod clio_sql;
pub mod firm;
mod firm_sql;
pub mod intake;
mod intake_sql;
pub mod maintenance;
pub mod model;
pub mod outbox;
mod outbox_sql;
pub mod postgres;
mod sql;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hermes_core::{ApiKeyId, Email, RefreshFamilyId, TenantId, TenantSlug, UserId};

pub use audit::{AuditEvent, ChainReport};
pub use call::*;
pub use clio::*;
pub use firm::*;
pub use intake::*;
pub use model::*;
pub use outbox::*;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the field says which ("email", "slug").
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The change would leave the tenant with no active administrator.
    #[error("the tenant must keep at least one active administrator")]
    LastAdmin,
    /// A row holds a value the domain types refuse: data was edited by hand
    /// or a migration is missing.
    /// The slot overlaps another active hold or booking of the attorney
    /// (the database's no-double-booking rule).
    #[error("that time is no longer available")]
    SlotTaken,
    /// The slot breaks a scheduling rule (availability, notice, buffer,
    /// daily cap); the text says which.
    #[error("{0}")]
    Rejected(String),
    /// The booking names a conflict review that was declined.
    #[error("the conflict review was declined; the firm cannot book this matter")]
    ReviewDeclined,
    /// The row is referred to and cannot be deleted; the text says why.
    #[error("{0}")]
    InUse(&'static str),
    /// The change is not allowed in the row's current state.
    #[error("{0}")]
    InvalidState(String),
    /// The row changed since it was read (optimistic concurrency); reload
    /// and try again.
    #[error("the record changed since it was read; try again")]
    Stale,
    #[error("corrupt row in {table}: {reason}")]
    Corrupt { table: &'static str, reason: String },
    #[error("unsupported database url: {0}")]
    UnsupportedUrl(String),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Errors worth retrying: the database was unreachable or busy, as
    /// opposed to a request that can never succeed.
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            // PostgreSQL: connection exceptions (08), operator intervention
            // such as a shutdown or terminated backend (57P), insufficient
            // resources (53), and "database is not accepting connections".
            // SQLite: still busy or locked after the busy timeout.
            sqlx::Error::Database(db)
                if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() =>
            {
                db.code()
                    .and_then(|c| c.parse::<i32>().ok())
                    .is_some_and(|c| matches!(c & 0xff, 5 | 6))
            }
            sqlx::Error::Database(db) => db.code().is_some_and(|c| {
                c.starts_with("08") || c.starts_with("57P") || c.starts_with("53") || c == "55000"
            }),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Connection-pool figures for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// How to open a database.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout: std::time::Duration,
}

impl ConnectOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: std::time::Duration::from_secs(5),
        }
    }
}

/// Opens the database named by `opts.url` (without migrating it).
pub async fn connect(opts: &ConnectOptions) -> Result<Arc<dyn Store>> {
    let url = opts.url.as_str();
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(opts).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(opts).await?))
    } else {
        // Never echo the URL: it may carry a password.
        let scheme = url.split(':').next().unwrap_or_default().to_owned();
        Err(StoreError::UnsupportedUrl(format!(
            "scheme {scheme:?}; use sqlite://… or postgres://…"
        )))
    }
}

/// Operations that are not about one tenant.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Brings the schema up to date. Safe to run on every start and from
    /// several nodes at once (the backends' migrators take a lock).
    async fn migrate(&self) -> Result<()>;

    /// One cheap round trip, for `/readyz`.
    async fn ping(&self) -> Result<()>;

    fn pool_stats(&self) -> PoolStats;

    async fn close(&self);

    /// Creates a firm together with its first administrator, atomically: a
    /// tenant never exists without someone who can manage it.
    async fn create_tenant(&self, tenant: &NewTenant, admin: &NewUser) -> Result<(Tenant, User)>;

    async fn tenant_by_slug(&self, slug: &TenantSlug) -> Result<Option<Tenant>>;

    async fn tenant_by_id(&self, id: TenantId) -> Result<Option<Tenant>>;

    async fn list_tenants(&self) -> Result<Vec<Tenant>>;

    /// The handle through which everything belonging to `tenant` is read and
    /// written.
    fn scoped(&self, tenant: TenantId) -> Box<dyn TenantStore>;
}

/// Everything that belongs to one tenant. See the crate docs for why there
/// is no `tenant_id` parameter anywhere below.
#[async_trait]
pub trait TenantStore:
    FirmStore + IntakeStore + OutboxStore + CallStore + ClioStore + Send + Sync
{
    fn tenant_id(&self) -> TenantId;

    /// Changes this tenant's own profile.
    async fn update_tenant(&self, patch: &TenantPatch, audit: AuditEvent) -> Result<Tenant>;

    // --- users -----------------------------------------------------------

    /// Fails with `Conflict("email")` when the email is taken in this tenant.
    async fn create_user(&self, user: &NewUser, audit: AuditEvent) -> Result<User>;

    async fn user(&self, id: UserId) -> Result<Option<User>>;

    /// The user and their password hash, for login.
    async fn user_credentials(&self, email: &Email) -> Result<Option<(User, String)>>;

    async fn list_users(&self) -> Result<Vec<User>>;

    /// Applies `patch`; refuses with `LastAdmin` a change that would leave
    /// no active admin. Deactivation or a new password ends every session
    /// of the user (returned, so callers can also reject the
    /// sessions' access tokens at once). Deactivation revokes the API keys
    /// the user created, and a demotion those above the new role.
    async fn update_user(
        &self,
        id: UserId,
        patch: &UserPatch,
        audit: AuditEvent,
    ) -> Result<(User, Vec<RefreshFamilyId>)>;

    /// Deletes the user and their sessions, and revokes the API keys they
    /// created; `LastAdmin` as above.
    async fn delete_user(&self, id: UserId, audit: AuditEvent) -> Result<()>;

    // --- sessions (refresh-token families) --------------------------------

    /// Starts a login's token family with its first refresh token.
    async fn start_session(
        &self,
        user: UserId,
        token: &NewRefreshToken,
        audit: AuditEvent,
    ) -> Result<RefreshFamilyId>;

    /// Spends the refresh token whose hash is `presented` and stores `next`
    /// in its family, auditing `auth.refresh`. A token spent before revokes
    /// its whole family, audited as `auth.refresh_reuse`. `audit` carries
    /// the client's address; the store fills in action, actor and target.
    async fn rotate_refresh_token(
        &self,
        presented: &str,
        next: &NewRefreshToken,
        now: DateTime<Utc>,
        audit: AuditEvent,
    ) -> Result<RotateOutcome>;

    /// Logout: revokes the refresh family (when the access token names one)
    /// and the access token's `jti` until `jti_expires_at`.
    async fn end_session(
        &self,
        family: Option<RefreshFamilyId>,
        jti: &str,
        jti_expires_at: DateTime<Utc>,
        audit: AuditEvent,
    ) -> Result<()>;

    /// Whether an access token is revoked: its `jti` by logout, or its
    /// session (`sid`) ended. The authority when the shared state is down.
    async fn is_access_token_revoked(
        &self,
        jti: &str,
        session: Option<RefreshFamilyId>,
    ) -> Result<bool>;

    /// Revocations that have not expired yet, to warm a node's cache.
    async fn active_revocations(&self, now: DateTime<Utc>) -> Result<Vec<(String, DateTime<Utc>)>>;

    /// Sessions ended after `since` (logout, refresh-token reuse, a change
    /// to the user), to warm a node's cache: their access tokens must keep
    /// failing until they expire.
    async fn recently_ended_sessions(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(RefreshFamilyId, DateTime<Utc>)>>;

    // --- API keys ---------------------------------------------------------

    async fn create_api_key(&self, key: &NewApiKey, audit: AuditEvent) -> Result<ApiKey>;

    async fn api_key(&self, id: ApiKeyId) -> Result<Option<ApiKey>>;

    async fn api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKey>>;

    async fn list_api_keys(&self) -> Result<Vec<ApiKey>>;

    /// Marks the key revoked (idempotent) and returns it.
    async fn revoke_api_key(&self, id: ApiKeyId, audit: AuditEvent) -> Result<ApiKey>;

    // --- audit log ----------------------------------------------------------

    /// Appends an entry on its own, for events that change nothing else
    /// (a failed login, a denied request, a read of something sensitive).
    async fn append_audit(&self, audit: AuditEvent) -> Result<AuditEntry>;

    /// Newest first, filtered and paginated by `seq`.
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>>;

    /// Recomputes the whole chain and compares it with the stored hashes and
    /// the tenant's recorded head.
    async fn verify_audit_chain(&self) -> Result<ChainReport>;
}
