//! The outbox SQL, written once for both backends (see `sql.rs`). The one
//! difference is the lease's row lock: PostgreSQL's `FOR UPDATE SKIP
//! LOCKED` lets workers on several nodes lease side by side without waiting
//! for or taking each other's rows; SQLite has a single writer, so its
//! `UPDATE … RETURNING` in a `BEGIN IMMEDIATE` transaction is already
//! exclusive.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;
use crate::outbox::{OutboxJob, OutboxKind, OutboxStatus};

#[derive(sqlx::FromRow)]
pub(crate) struct OutboxDbRow {
    id: Uuid,
    kind: String,
    payload: String,
    dedupe_key: String,
    status: String,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    lease_until: Option<DateTime<Utc>>,
    leased_by: Option<String>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl TryFrom<OutboxDbRow> for OutboxJob {
    type Error = StoreError;

    fn try_from(r: OutboxDbRow) -> Result<Self, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            table: "outbox",
            reason,
        };
        Ok(OutboxJob {
            id: r.id,
            kind: OutboxKind::parse(&r.kind)
                .ok_or_else(|| corrupt(format!("kind {:?}", r.kind)))?,
            payload: serde_json::from_str(&r.payload).map_err(|e| corrupt(e.to_string()))?,
            dedupe_key: r.dedupe_key,
            status: OutboxStatus::parse(&r.status)
                .ok_or_else(|| corrupt(format!("status {:?}", r.status)))?,
            attempts: u32::try_from(r.attempts).map_err(|e| corrupt(e.to_string()))?,
            next_attempt_at: r.next_attempt_at,
            lease_until: r.lease_until,
            leased_by: r.leased_by,
            last_error: r.last_error,
            created_at: r.created_at,
            updated_at: r.updated_at,
            sent_at: r.sent_at,
        })
    }
}

macro_rules! select_outbox {
    ($rest:literal) => {
        concat!(
            "SELECT id, kind, payload, dedupe_key, status, attempts, next_attempt_at, lease_until, ",
            "leased_by, last_error, created_at, updated_at, sent_at FROM outbox ",
            $rest
        )
    };
}
pub(crate) use select_outbox;

/// Implements [`crate::OutboxStore`] for `$scoped`; `$lock` is the row
/// lock the lease's subquery takes.
macro_rules! impl_outbox_backend {
    (store = $store:ty, scoped = $scoped:ident, db = $db:ty, lock = $lock:literal) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use uuid::Uuid;

            use $crate::audit::AuditEvent;
            use $crate::model::now;
            use $crate::outbox::*;
            use $crate::outbox_sql::{select_outbox, OutboxDbRow};
            use $crate::{Result, StoreError};

            impl $scoped {
                /// Enqueues `jobs` (due now) in `tx`; a `dedupe_key` the
                /// tenant already has gives back the existing job.
                pub(crate) async fn enqueue_in(&self, tx: &mut sqlx::Transaction<'static, $db>, jobs: &[NewOutboxJob]) -> Result<Vec<OutboxJob>> {
                    let at = now();
                    let mut out = Vec::with_capacity(jobs.len());
                    for job in jobs {
                        sqlx::query(
                            "INSERT INTO outbox (tenant_id, id, kind, payload, dedupe_key, status, attempts, \
                             next_attempt_at, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6) \
                             ON CONFLICT (tenant_id, dedupe_key) DO NOTHING",
                        )
                        .bind(self.tenant.as_uuid())
                        .bind(Uuid::now_v7())
                        .bind(job.kind.as_str())
                        .bind(job.payload.to_string())
                        .bind(job.dedupe_key.clone())
                        .bind(at)
                        .execute(&mut **tx)
                        .await?;
                        let row: OutboxDbRow =
                            sqlx::query_as(select_outbox!("WHERE tenant_id = $1 AND dedupe_key = $2"))
                                .bind(self.tenant.as_uuid())
                                .bind(job.dedupe_key.clone())
                                .fetch_one(&mut **tx)
                                .await?;
                        out.push(OutboxJob::try_from(row)?);
                    }
                    Ok(out)
                }

                async fn outbox_in(&self, tx: &mut sqlx::Transaction<'static, $db>, id: Uuid) -> Result<Option<OutboxJob>> {
                    let row: Option<OutboxDbRow> =
                        sqlx::query_as(select_outbox!("WHERE tenant_id = $1 AND id = $2"))
                            .bind(self.tenant.as_uuid())
                            .bind(id)
                            .fetch_optional(&mut **tx)
                            .await?;
                    row.map(OutboxJob::try_from).transpose()
                }

                /// A write transaction for the worker's bookkeeping: bound
                /// to the tenant (RLS) but without the tenant-row lock that
                /// audited writes take, so delivery never queues behind the
                /// firm's own writes (no audit entry is appended here).
                async fn outbox_tx(&self) -> Result<sqlx::Transaction<'static, $db>> {
                    let mut tx = self.store.global_write_tx().await?;
                    <$store>::bind_tenant(&mut tx, self.tenant).await?;
                    Ok(tx)
                }
            }

            #[async_trait]
            impl OutboxStore for $scoped {
                async fn enqueue_outbox(&self, jobs: &[NewOutboxJob], audit: AuditEvent) -> Result<Vec<OutboxJob>> {
                    let mut tx = self.write_tx().await?;
                    let out = self.enqueue_in(&mut tx, jobs).await?;
                    self.audit_in(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(out)
                }

                async fn outbox_job(&self, id: Uuid) -> Result<Option<OutboxJob>> {
                    let mut tx = self.read_tx().await?;
                    let job = self.outbox_in(&mut tx, id).await?;
                    tx.commit().await?;
                    Ok(job)
                }

                async fn outbox_job_by_key(&self, key: &str) -> Result<Option<OutboxJob>> {
                    let mut tx = self.read_tx().await?;
                    let row: Option<OutboxDbRow> =
                        sqlx::query_as(select_outbox!("WHERE tenant_id = $1 AND dedupe_key = $2"))
                            .bind(self.tenant.as_uuid())
                            .bind(key.to_owned())
                            .fetch_optional(&mut *tx)
                            .await?;
                    tx.commit().await?;
                    row.map(OutboxJob::try_from).transpose()
                }

                async fn list_outbox(&self, f: &OutboxFilter) -> Result<Vec<OutboxJob>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<OutboxDbRow> = sqlx::query_as(select_outbox!(
                        "WHERE tenant_id = $1 AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR id < $3) \
                         ORDER BY id DESC LIMIT $4"
                    ))
                    .bind(self.tenant.as_uuid())
                    .bind(f.status.map(OutboxStatus::as_str))
                    .bind(f.before)
                    .bind(i64::from(f.limit))
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    rows.into_iter().map(OutboxJob::try_from).collect()
                }

                async fn retry_outbox_job(&self, id: Uuid, audit: AuditEvent) -> Result<OutboxJob> {
                    let mut tx = self.write_tx().await?;
                    let at = now();
                    let done = sqlx::query(
                        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $3, \
                         lease_until = NULL, leased_by = NULL, updated_at = $3 \
                         WHERE tenant_id = $1 AND id = $2 AND status = 'dead'",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return match self.outbox_in(&mut tx, id).await? {
                            Some(j) => Err(StoreError::InvalidState(format!(
                                "only a dead notification can be retried; this one is {}",
                                j.status.as_str()
                            ))),
                            None => Err(StoreError::NotFound),
                        };
                    }
                    self.audit_in(&mut tx, audit.target("notification", id)).await?;
                    let job = self.outbox_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(job)
                }

                async fn lease_outbox(
                    &self,
                    worker: &str,
                    at: DateTime<Utc>,
                    lease: std::time::Duration,
                    limit: u32,
                ) -> Result<Vec<OutboxJob>> {
                    let until = at + chrono::Duration::from_std(lease)
                        .map_err(|e| StoreError::Rejected(e.to_string()))?;
                    let mut tx = self.outbox_tx().await?;
                    let rows: Vec<OutboxDbRow> = sqlx::query_as(concat!(
                        "UPDATE outbox SET status = 'leased', leased_by = $2, lease_until = $3, \
                         attempts = attempts + 1, updated_at = $4 \
                         WHERE tenant_id = $1 AND id IN (\
                           SELECT id FROM outbox WHERE tenant_id = $1 AND \
                           ((status = 'pending' AND next_attempt_at <= $4) OR (status = 'leased' AND lease_until <= $4)) \
                           ORDER BY next_attempt_at LIMIT $5 ", $lock, ") \
                         RETURNING id, kind, payload, dedupe_key, status, attempts, next_attempt_at, lease_until, \
                         leased_by, last_error, created_at, updated_at, sent_at"
                    ))
                    .bind(self.tenant.as_uuid())
                    .bind(worker.to_owned())
                    .bind(until)
                    .bind(at)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    let mut jobs = rows.into_iter().map(OutboxJob::try_from).collect::<Result<Vec<_>>>()?;
                    jobs.sort_by_key(|j| (j.next_attempt_at, j.id));
                    Ok(jobs)
                }

                async fn mark_outbox_sent(&self, id: Uuid, worker: &str, at: DateTime<Utc>) -> Result<bool> {
                    let mut tx = self.outbox_tx().await?;
                    let done = sqlx::query(
                        "UPDATE outbox SET status = 'sent', sent_at = $4, updated_at = $4, lease_until = NULL, \
                         last_error = NULL \
                         WHERE tenant_id = $1 AND id = $2 AND status = 'leased' AND leased_by = $3",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id)
                    .bind(worker.to_owned())
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn mark_outbox_failed(
                    &self,
                    id: Uuid,
                    worker: &str,
                    error: &str,
                    permanent: bool,
                    policy: &RetryPolicy,
                    at: DateTime<Utc>,
                ) -> Result<Option<OutboxStatus>> {
                    let mut tx = self.outbox_tx().await?;
                    let Some(job) = self.outbox_in(&mut tx, id).await? else {
                        return Err(StoreError::NotFound);
                    };
                    if job.status != OutboxStatus::Leased || job.leased_by.as_deref() != Some(worker) {
                        return Ok(None);
                    }
                    let dead = permanent || job.attempts >= policy.max_attempts;
                    let (status, next) = if dead {
                        (OutboxStatus::Dead, job.next_attempt_at)
                    } else {
                        let delay = chrono::Duration::from_std(policy.delay(job.attempts))
                            .map_err(|e| StoreError::Rejected(e.to_string()))?;
                        (OutboxStatus::Pending, at + delay)
                    };
                    // Errors are short and carry no message content; cap
                    // them anyway so a chatty server cannot bloat the row.
                    let error: String = error.chars().take(500).collect();
                    let done = sqlx::query(
                        "UPDATE outbox SET status = $4, next_attempt_at = $5, last_error = $6, \
                         lease_until = NULL, updated_at = $7 \
                         WHERE tenant_id = $1 AND id = $2 AND status = 'leased' AND leased_by = $3",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id)
                    .bind(worker.to_owned())
                    .bind(status.as_str())
                    .bind(next)
                    .bind(error)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok((done.rows_affected() == 1).then_some(status))
                }
            }
        };
    };
}
pub(crate) use impl_outbox_backend;
