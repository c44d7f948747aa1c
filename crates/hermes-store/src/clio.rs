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
}
