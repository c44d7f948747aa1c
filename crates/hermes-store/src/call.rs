//! Calls, their recordings, and a firm's telephony settings, as the store
//! keeps them.
//!
//! A call's row is created when the provider's webhook arrives and
//! finished when the call ends; what the caller said lives in the linked
//! intake's transcript, not here. Recordings and provider credentials
//! arrive already sealed (AES-256-GCM, `hermes_auth::SecretBox`): the
//! store holds bytes it cannot read.
//!
//! Writes of call rows are not audited (like intake turns, they record
//! what callers did, not what people at the firm did); changing the
//! telephony settings, listening to a recording and deleting expired
//! recordings are.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{AuditEvent, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct CallRow {
    pub id: Uuid,
    /// `twilio`, `telnyx` or `browser`.
    pub provider: String,
    /// The provider's id for the call (Twilio's CallSid).
    pub provider_call_id: String,
    pub from_number: Option<String>,
    pub to_number: Option<String>,
    /// `ringing`, `in_progress` or `ended`.
    pub status: String,
    /// How it ended: `completed`, `abandoned`, `transferred`, `busy`,
    /// `no_answer`, `failed`, `canceled`, …
    pub outcome: Option<String>,
    pub recording_consent: Option<bool>,
    pub intake_id: Option<Uuid>,
    /// The per-turn latency breakdown (a JSON array).
    pub turns: serde_json::Value,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    /// Whether a recording is stored.
    pub has_recording: bool,
    /// A metered call's place in its calendar month (UTC), 1-based.
    pub month_ordinal: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct NewCall {
    pub id: Uuid,
    pub provider: String,
    pub provider_call_id: String,
    pub from_number: Option<String>,
    pub to_number: Option<String>,
    /// Counted against the firm's plan (a phone call; not the browser
    /// test phone). The call gets its place in the month.
    pub metered: bool,
}

/// What the media stream learned by the end of the call.
#[derive(Debug, Clone, Default)]
pub struct CallProgress {
    pub status: String,
    pub outcome: Option<String>,
    pub recording_consent: Option<bool>,
    pub intake_id: Option<Uuid>,
    pub turns: serde_json::Value,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub calls: u64,
    pub intakes: u64,
    /// Calls counted against the plan (`NewCall::metered`).
    pub metered_calls: u64,
}

#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub status: Option<String>,
    /// Newest first; the last id of the previous page.
    pub before: Option<Uuid>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordingRow {
    pub call_id: Uuid,
    /// e.g. `wav/pcm_mulaw/8000`.
    pub format: String,
    pub sealed: Vec<u8>,
    pub duration_ms: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VoiceSettingsRow {
    pub document: serde_json::Value,
    pub secrets: Option<Vec<u8>>,
    pub updated_at: DateTime<Utc>,
}

#[async_trait]
pub trait CallStore: Send + Sync {
    /// `Conflict("call")` when the provider's call id is already known
    /// (a webhook delivered twice). A metered call is counted in the same
    /// transaction (`usage_meters`, atomically), and its count is its
    /// `month_ordinal`.
    async fn create_call(&self, call: &NewCall) -> Result<CallRow>;

    async fn call(&self, id: Uuid) -> Result<Option<CallRow>>;

    async fn call_by_provider_id(
        &self,
        provider: &str,
        provider_call_id: &str,
    ) -> Result<Option<CallRow>>;

    async fn list_calls(&self, filter: &CallFilter) -> Result<Vec<CallRow>>;

    /// Calls started and intakes begun in `[from, to)`: what a month is
    /// metered by.
    async fn usage(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Usage>;

    /// Records what the media stream knows; fields left `None` keep their
    /// value, and an ended call stays ended (a late update cannot reopen
    /// it). Duration is computed from `ended_at`.
    async fn update_call(&self, id: Uuid, progress: &CallProgress) -> Result<CallRow>;

    /// Stores the call's sealed recording.
    async fn put_recording(&self, recording: &RecordingRow) -> Result<()>;

    /// Reads a recording for someone at the firm; audited (`audit` names
    /// who), because listening to a caller is a disclosure.
    async fn recording(&self, call_id: Uuid, audit: AuditEvent) -> Result<Option<RecordingRow>>;

    /// Deletes recordings whose retention ran out by `now`; audited once
    /// with the count when any were deleted.
    async fn delete_expired_recordings(&self, now: DateTime<Utc>, audit: AuditEvent)
    -> Result<u64>;

    async fn voice_settings(&self) -> Result<Option<VoiceSettingsRow>>;

    /// Replaces the telephony settings; `secrets: None` keeps the stored
    /// ones.
    async fn put_voice_settings(
        &self,
        document: &serde_json::Value,
        secrets: Option<&[u8]>,
        audit: AuditEvent,
    ) -> Result<VoiceSettingsRow>;
}
