//! A firm's Clio connection and its OAuth authorizations in flight, as the
//! store keeps them.
//!
//! Tokens arrive sealed (AES-256-GCM, `hermes_auth::SecretBox`): the store
//! holds bytes it cannot read. An authorization's `state` is kept as its
//! hash only, and taking it deletes it, so a state works once. Connecting,
//! refreshing, needing a reconnect and disconnecting are audited.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{AuditEvent, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct ClioConnectionRow {
    /// `us`, `eu`, `ca` or `au`.
    pub region: String,
    /// The access and refresh tokens, sealed.
    pub tokens: Vec<u8>,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// `connected` or `needs_reconnect`.
    pub status: String,
    /// Who the connection acts as at Clio, and warnings found at connect.
    pub clio_user: serde_json::Value,
    pub connected_by: Uuid,
    pub connected_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OAuthStateRow {
    pub state_hash: String,
    pub user_id: Uuid,
    pub region: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The sync's steps, in the order they run.
pub const CLIO_SYNC_STEPS: [&str; 6] = [
    "contact",
    "matter",
    "calendar_entry",
    "note",
    "communication",
    "task",
];

/// What the Clio sync did for one step of one intake.
#[derive(Debug, Clone, PartialEq)]
pub struct ClioSyncStepRow {
    /// `contact`, `matter`, `calendar_entry`, `note`, `communication` or
    /// `task`.
    pub step: String,
    /// `done` (with the Clio record's id), `skipped` (nothing to do, with
    /// why) or `failed` (the last error; the step is tried again).
    pub status: String,
    pub clio_id: Option<i64>,
    pub detail: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A Clio record the conflict check needs, as Clio sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClioMirrorRow {
    /// `contact`, `matter` or `relationship`.
    pub kind: String,
    pub clio_id: i64,
    pub data: serde_json::Value,
}

/// A webhook HERMES asked Clio for.
#[derive(Debug, Clone, PartialEq)]
pub struct ClioWebhookRow {
    /// `contact` or `matter`.
    pub model: String,
    /// SHA-256 (hex) of the token in the webhook's URL.
    pub token_hash: String,
    /// Clio's id, once Clio has answered the request that created it.
    pub clio_id: Option<i64>,
    /// The handshake's secret, sealed; `None` until the handshake.
    pub secret: Option<Vec<u8>>,
    /// `pending` (no handshake yet) or `active`.
    pub status: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A firm's Clio Grow lead inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct ClioGrowRow {
    /// `us`, `eu`, `ca` or `au`.
    pub region: String,
    /// The inbox lead token, sealed.
    pub token: Vec<u8>,
    pub updated_at: DateTime<Utc>,
}

/// An attorney's time taken elsewhere (a Clio calendar entry).
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalBusy {
    pub attorney_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// Where a firm's Clio mirror stands.
#[derive(Debug, Clone, PartialEq)]
pub struct ClioIndexState {
    pub full_synced_at: Option<DateTime<Utc>>,
    /// The next incremental sync asks for changes since this.
    pub synced_since: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[async_trait]
pub trait ClioStore {
    /// Remembers an authorization the admin started.
    async fn put_oauth_state(&self, s: &OAuthStateRow, audit: AuditEvent) -> Result<()>;

    /// Takes the authorization whose state hashes to `state_hash`: deleted
    /// whether or not it has expired; `None` when unknown or expired.
    async fn take_oauth_state(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<OAuthStateRow>>;

    async fn clio_connection(&self) -> Result<Option<ClioConnectionRow>>;

    /// Connects (or reconnects) the firm.
    async fn put_clio_connection(&self, c: &ClioConnectionRow, audit: AuditEvent) -> Result<()>;

    /// New tokens from a refresh; the connection is `connected` again.
    /// `NotFound` when the firm has disconnected meanwhile.
    async fn update_clio_tokens(
        &self,
        tokens: &[u8],
        expires_at: DateTime<Utc>,
        audit: AuditEvent,
    ) -> Result<()>;

    /// A refresh failed for good: the firm must reconnect.
    async fn mark_clio_needs_reconnect(&self, audit: AuditEvent) -> Result<()>;

    /// Disconnects: the tokens are gone. Whether there was a connection.
    async fn delete_clio_connection(&self, audit: AuditEvent) -> Result<bool>;

    /// The sync steps recorded for an intake, in the order they run.
    async fn clio_sync_steps(&self, intake_id: Uuid) -> Result<Vec<ClioSyncStepRow>>;

    /// Records a step's outcome (replacing an earlier one). Not audited:
    /// the worker's bookkeeping for a job whose enqueueing was.
    async fn put_clio_sync_step(
        &self,
        intake_id: Uuid,
        step: &str,
        status: &str,
        clio_id: Option<i64>,
        detail: Option<&str>,
    ) -> Result<()>;

    /// The whole mirror.
    async fn clio_mirror(&self) -> Result<Vec<ClioMirrorRow>>;

    /// A full sync's result: the mirror becomes `rows`; the next
    /// incremental sync starts from `synced_since`.
    async fn replace_clio_mirror(
        &self,
        rows: &[ClioMirrorRow],
        synced_since: DateTime<Utc>,
    ) -> Result<()>;

    /// Changes: `rows` added or replaced, `removed` (kind, id) gone;
    /// `synced_since` moves the incremental sync's start when given.
    async fn update_clio_mirror(
        &self,
        rows: &[ClioMirrorRow],
        removed: &[(String, i64)],
        synced_since: Option<DateTime<Utc>>,
    ) -> Result<()>;

    async fn clio_index_state(&self) -> Result<Option<ClioIndexState>>;

    async fn clio_webhooks(&self) -> Result<Vec<ClioWebhookRow>>;

    /// Creates or replaces the firm's webhook for `row.model`.
    async fn put_clio_webhook(&self, row: &ClioWebhookRow) -> Result<()>;

    /// The webhook whose URL token hashes to `token_hash`.
    async fn clio_webhook_by_token(&self, token_hash: &str) -> Result<Option<ClioWebhookRow>>;

    async fn delete_clio_webhooks(&self) -> Result<()>;

    async fn clio_grow(&self) -> Result<Option<ClioGrowRow>>;

    /// Sets (or replaces) the firm's Grow inbox; audited.
    async fn put_clio_grow(&self, region: &str, token: &[u8], audit: AuditEvent) -> Result<()>;

    /// Whether there was one; audited.
    async fn delete_clio_grow(&self, audit: AuditEvent) -> Result<bool>;

    /// Replaces the attorney's busy time from `source` (`clio`).
    /// `NotFound` when the attorney is not this firm's.
    async fn replace_external_busy(
        &self,
        attorney: Uuid,
        source: &str,
        intervals: &[(DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<()>;

    /// Busy time overlapping `[from, to)`, every attorney.
    async fn external_busy(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ExternalBusy>>;
}
