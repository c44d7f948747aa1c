//! The notification outbox: messages (SMS, email) to send on a tenant's
//! behalf, written durably first and sent by a background worker.
//!
//! Delivery is **at least once**: a job is leased to one worker for a
//! while; if the worker dies before it marks the job sent or failed, the
//! lease runs out and another worker takes it. A message can therefore be
//! sent twice (the worker sent it and died before recording that), never
//! zero times while the job exists. Enqueueing is idempotent on the job's
//! `dedupe_key` within a tenant.
//!
//! Enqueueing and an admin's retry are audited like every tenant write.
//! The worker's bookkeeping (lease, sent, failed) is not: it records what
//! the system did with a job already audited, the way a conversation's
//! turns are kept in the intake rather than the audit log.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{AuditEvent, Result};

/// The channel a job is sent through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxKind {
    Sms,
    Email,
    /// A finished intake's sync to the firm's Clio account.
    Clio,
}

impl OutboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Sms => "sms",
            OutboxKind::Email => "email",
            OutboxKind::Clio => "clio",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sms" => Some(OutboxKind::Sms),
            "email" => Some(OutboxKind::Email),
            "clio" => Some(OutboxKind::Clio),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxStatus {
    /// Waiting for `next_attempt_at`.
    Pending,
    /// A worker holds it until `lease_until`.
    Leased,
    Sent,
    /// Every attempt failed (or the failure was permanent); an admin may
    /// retry it.
    Dead,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Leased => "leased",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(OutboxStatus::Pending),
            "leased" => Some(OutboxStatus::Leased),
            "sent" => Some(OutboxStatus::Sent),
            "dead" => Some(OutboxStatus::Dead),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxJob {
    pub id: Uuid,
    pub kind: OutboxKind,
    /// What the sender needs (recipient, text); its shape belongs to the
    /// sender, the store does not interpret it.
    pub payload: serde_json::Value,
    pub dedupe_key: String,
    pub status: OutboxStatus,
    /// Leases taken so far (a lease counts as an attempt even if the
    /// worker died during it, so a job that crashes nodes still ends).
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub lease_until: Option<DateTime<Utc>>,
    pub leased_by: Option<String>,
    /// The last failure, without message content.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewOutboxJob {
    pub kind: OutboxKind,
    pub dedupe_key: String,
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, Default)]
pub struct OutboxFilter {
    pub status: Option<OutboxStatus>,
    /// Newest first; the last id of the previous page.
    pub before: Option<Uuid>,
    pub limit: u32,
}

/// When a failed job is tried again: exponential backoff with jitter, and
/// dead after `max_attempts`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// The delay after the first failure (before jitter).
    pub base: Duration,
    /// The longest delay.
    pub cap: Duration,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 30 s, 1 min, 2 min, … capped at 30 min; eight attempts span about
    /// an hour.
    fn default() -> Self {
        Self {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(30 * 60),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `attempts + 1`, after `attempts` failed:
    /// `base · 2^(attempts−1)` capped, then "equal jitter" (a uniform
    /// point in its upper half), so jobs that failed together (an SMTP
    /// outage) do not all come back in the same second.
    pub fn delay(&self, attempts: u32) -> Duration {
        let (lo, hi) = self.bounds(attempts);
        let span = hi.saturating_sub(lo).as_millis() as u64;
        lo + Duration::from_millis(if span == 0 {
            0
        } else {
            rand::random_range(0..=span)
        })
    }

    /// The range [`RetryPolicy::delay`] draws from.
    pub fn bounds(&self, attempts: u32) -> (Duration, Duration) {
        let exp = attempts.saturating_sub(1).min(30);
        let full = self.base.saturating_mul(1u32 << exp).min(self.cap);
        (full / 2, full)
    }
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Enqueues `jobs` (due now) and appends `audit`, in one transaction.
    /// A job whose `dedupe_key` this tenant already has is not added again:
    /// the existing one is returned in its place.
    async fn enqueue_outbox(
        &self,
        jobs: &[NewOutboxJob],
        audit: AuditEvent,
    ) -> Result<Vec<OutboxJob>>;

    async fn outbox_job(&self, id: Uuid) -> Result<Option<OutboxJob>>;

    /// The job enqueued with `dedupe_key`, if any.
    async fn outbox_job_by_key(&self, dedupe_key: &str) -> Result<Option<OutboxJob>>;

    async fn list_outbox(&self, filter: &OutboxFilter) -> Result<Vec<OutboxJob>>;

    /// Makes a dead job pending again, due now, with its attempts reset.
    /// `InvalidState` unless it is dead.
    async fn retry_outbox_job(&self, id: Uuid, audit: AuditEvent) -> Result<OutboxJob>;

    // --- the worker ------------------------------------------------------

    /// Leases up to `limit` jobs that are due at `now` (pending and their
    /// time has come, or leased and the lease has run out) to `worker`
    /// until `now + lease`, counting an attempt on each. Two workers never
    /// get the same job (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one
    /// writer).
    async fn lease_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxJob>>;

    /// Records the job sent. False when `worker` no longer holds its lease
    /// (it expired and another worker took the job).
    async fn mark_outbox_sent(&self, id: Uuid, worker: &str, now: DateTime<Utc>) -> Result<bool>;

    /// Records a failed attempt: pending again after the policy's delay,
    /// or dead when the attempts are used up or the failure is permanent.
    /// `None` when `worker` no longer holds the lease.
    async fn mark_outbox_failed(
        &self,
        id: Uuid,
        worker: &str,
        error: &str,
        permanent: bool,
        policy: &RetryPolicy,
        now: DateTime<Utc>,
    ) -> Result<Option<OutboxStatus>>;
}
