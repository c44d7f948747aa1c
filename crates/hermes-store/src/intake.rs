//! Intake records as the store keeps them: the record itself is a JSON
//! document owned by `hermes-intake` (the store does not interpret it), with
//! a few columns copied out for filtering.
//!
//! Caller turns are saved with [`IntakeStore::save_intake_turn`], which
//! writes no audit entry: what a caller says is recorded in the intake's own
//! transcript, and the audit log records what people *at the firm* (and the
//! system on their behalf) did. Starting an intake and a staff correction
//! are audited.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{AuditEvent, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct IntakeRow {
    pub id: Uuid,
    /// `text` or `voice`.
    pub channel: String,
    pub status: String,
    pub urgency: String,
    pub practice_area: Option<String>,
    pub caller_name: Option<String>,
    pub document: serde_json::Value,
    /// The dialogue engine's state while the conversation is live.
    pub conversation: Option<serde_json::Value>,
    /// SHA-256 (hex) of the secret that lets a client continue the
    /// conversation (the text channel's token).
    pub access_hash: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every saved turn (optimistic concurrency).
    pub version: i64,
}

/// What a turn changes.
#[derive(Debug, Clone)]
pub struct IntakeUpdate {
    pub status: String,
    pub urgency: String,
    pub practice_area: Option<String>,
    pub caller_name: Option<String>,
    pub document: serde_json::Value,
    pub conversation: Option<serde_json::Value>,
    /// Outbox jobs to enqueue in the same transaction (a finished
    /// intake's Clio sync): saved together or not at all.
    pub jobs: Vec<crate::NewOutboxJob>,
}

#[derive(Debug, Clone, Default)]
pub struct IntakeFilter {
    pub status: Option<String>,
    pub urgency: Option<String>,
    pub practice_area: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Newest first; the last id of the previous page.
    pub before: Option<Uuid>,
    pub limit: u32,
}

#[async_trait]
pub trait IntakeStore: Send + Sync {
    async fn create_intake(
        &self,
        id: Uuid,
        channel: &str,
        access_hash: Option<&str>,
        first: &IntakeUpdate,
        audit: AuditEvent,
    ) -> Result<IntakeRow>;

    /// Saves a turn computed from the row at `version` and bumps it.
    /// `InvalidState` if the conversation has already ended, `Stale` if
    /// another turn was saved since `version` (two messages at once).
    async fn save_intake_turn(
        &self,
        id: Uuid,
        update: &IntakeUpdate,
        version: i64,
    ) -> Result<IntakeRow>;

    /// Saves the caller's words mid-turn, before anything slow runs, so a
    /// crash loses nothing said: checks `version` like
    /// [`IntakeStore::save_intake_turn`] but does not bump it, so only the
    /// turn's final save decides which of two racing turns is taken (the
    /// other gets `Stale` and its client sends it again).
    async fn checkpoint_intake_turn(
        &self,
        id: Uuid,
        update: &IntakeUpdate,
        version: i64,
    ) -> Result<IntakeRow>;

    async fn intake(&self, id: Uuid) -> Result<Option<IntakeRow>>;

    async fn list_intakes(&self, filter: &IntakeFilter) -> Result<Vec<IntakeRow>>;

    /// A staff correction of the record (not the live conversation).
    async fn correct_intake(
        &self,
        id: Uuid,
        update: &IntakeUpdate,
        audit: AuditEvent,
    ) -> Result<IntakeRow>;

    /// Retention: deletes the caller's words from ended intakes begun
    /// before `created_before` whose transcript is still there. `redact`
    /// rewrites each document (the store does not know its shape); the row
    /// is then marked `transcript_deleted_at` and never read for this
    /// again. At most `limit` rows per call, in one transaction; audited
    /// once with the count when any were done. Returns how many.
    async fn expire_transcripts(
        &self,
        created_before: DateTime<Utc>,
        redact: Redaction,
        limit: u32,
        audit: AuditEvent,
    ) -> Result<u64>;

    // --- question sets -------------------------------------------------------

    /// The firm's edited question sets (areas without one use defaults).
    async fn question_sets(&self) -> Result<Vec<QuestionSetRow>>;

    /// Creates or replaces one area's set; the caller has validated it.
    async fn put_question_set(
        &self,
        practice_area: &str,
        document: &serde_json::Value,
        audit: AuditEvent,
    ) -> Result<QuestionSetRow>;

    /// Back to the defaults. `NotFound` if the area had no edited set.
    async fn delete_question_set(&self, practice_area: &str, audit: AuditEvent) -> Result<()>;
}

/// Rewrites an intake's document to forget the caller's words (see
/// [`IntakeStore::expire_transcripts`]). A named type: `async_trait` would
/// otherwise tie the reference's lifetime to the call's.
pub type Redaction = fn(&mut serde_json::Value);

/// A firm's edited question set, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionSetRow {
    pub practice_area: String,
    pub document: serde_json::Value,
    pub updated_at: DateTime<Utc>,
}
