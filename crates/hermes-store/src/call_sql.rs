//! The voice SQL, written once for both backends (see `sql.rs`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;
use crate::call::CallRow;

#[derive(sqlx::FromRow)]
pub(crate) struct CallDbRow {
    id: Uuid,
    provider: String,
    provider_call_id: String,
    from_number: Option<String>,
    to_number: Option<String>,
    status: String,
    outcome: Option<String>,
    recording_consent: Option<bool>,
    intake_id: Option<Uuid>,
    turns: String,
    started_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
    duration_ms: Option<i64>,
    has_recording: bool,
    month_ordinal: Option<i64>,
}

impl TryFrom<CallDbRow> for CallRow {
    type Error = StoreError;

    fn try_from(r: CallDbRow) -> Result<Self, StoreError> {
        Ok(CallRow {
            id: r.id,
            provider: r.provider,
            provider_call_id: r.provider_call_id,
            from_number: r.from_number,
            to_number: r.to_number,
            status: r.status,
            outcome: r.outcome,
            recording_consent: r.recording_consent,
            intake_id: r.intake_id,
            turns: serde_json::from_str(&r.turns).map_err(|e| StoreError::Corrupt {
                table: "calls",
                reason: e.to_string(),
            })?,
            started_at: r.started_at,
            ended_at: r.ended_at,
            duration_ms: r.duration_ms,
            has_recording: r.has_recording,
            month_ordinal: r.month_ordinal.map(|n| n.max(0) as u64),
        })
    }
}

macro_rules! select_call {
    ($rest:literal) => {
        concat!(
            "SELECT c.id, c.provider, c.provider_call_id, c.from_number, c.to_number, c.status, c.outcome, ",
            "c.recording_consent, c.intake_id, c.turns, c.started_at, c.ended_at, c.duration_ms, c.month_ordinal, ",
            "EXISTS (SELECT 1 FROM recordings r WHERE r.tenant_id = c.tenant_id AND r.call_id = c.id) AS has_recording ",
            "FROM calls c ",
            $rest
        )
    };
}
pub(crate) use select_call;

/// Implements [`crate::CallStore`] for `$scoped`.
macro_rules! impl_call_backend {
    (scoped = $scoped:ident, db = $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use uuid::Uuid;

            use $crate::audit::AuditEvent;
            use $crate::call::*;
            use $crate::call_sql::{select_call, CallDbRow};
            use $crate::model::now;
            use $crate::{Result, StoreError};

            impl $scoped {
                async fn call_in(&self, tx: &mut sqlx::Transaction<'static, $db>, id: Uuid) -> Result<Option<CallRow>> {
                    let row: Option<CallDbRow> = sqlx::query_as(select_call!("WHERE c.tenant_id = $1 AND c.id = $2"))
                        .bind(self.tenant.as_uuid())
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await?;
                    row.map(CallRow::try_from).transpose()
                }

                async fn voice_settings_in(&self, tx: &mut sqlx::Transaction<'static, $db>) -> Result<Option<VoiceSettingsRow>> {
                    let row: Option<(String, Option<Vec<u8>>, DateTime<Utc>)> = sqlx::query_as(
                        "SELECT document, secrets, updated_at FROM voice_settings WHERE tenant_id = $1",
                    )
                    .bind(self.tenant.as_uuid())
                    .fetch_optional(&mut **tx)
                    .await?;
                    row.map(|(document, secrets, updated_at)| {
                        Ok(VoiceSettingsRow {
                            document: serde_json::from_str(&document).map_err(|e| StoreError::Corrupt {
                                table: "voice_settings",
                                reason: e.to_string(),
                            })?,
                            secrets,
                            updated_at,
                        })
                    })
                    .transpose()
                }
            }

            #[async_trait]
            impl CallStore for $scoped {
                async fn create_call(&self, c: &NewCall) -> Result<CallRow> {
                    let mut tx = self.write_tx().await?;
                    let done = sqlx::query(
                        "INSERT INTO calls (tenant_id, id, provider, provider_call_id, from_number, to_number, status, started_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, 'ringing', $7) \
                         ON CONFLICT (tenant_id, provider, provider_call_id) DO NOTHING",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(c.id)
                    .bind(c.provider.clone())
                    .bind(c.provider_call_id.clone())
                    .bind(c.from_number.clone())
                    .bind(c.to_number.clone())
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::Conflict("call"));
                    }
                    if c.metered {
                        let month = now().format("%Y-%m").to_string();
                        let (count,): (i64,) = sqlx::query_as(
                            "INSERT INTO usage_meters (tenant_id, month, calls) VALUES ($1, $2, 1) \
                             ON CONFLICT (tenant_id, month) DO UPDATE SET calls = usage_meters.calls + 1 \
                             RETURNING calls",
                        )
                        .bind(self.tenant.as_uuid())
                        .bind(month)
                        .fetch_one(&mut *tx)
                        .await?;
                        sqlx::query("UPDATE calls SET month_ordinal = $3 WHERE tenant_id = $1 AND id = $2")
                            .bind(self.tenant.as_uuid())
                            .bind(c.id)
                            .bind(count)
                            .execute(&mut *tx)
                            .await?;
                    }
                    let row = self.call_in(&mut tx, c.id).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn call(&self, id: Uuid) -> Result<Option<CallRow>> {
                    let mut tx = self.read_tx().await?;
                    let row = self.call_in(&mut tx, id).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn call_by_provider_id(&self, provider: &str, provider_call_id: &str) -> Result<Option<CallRow>> {
                    let mut tx = self.read_tx().await?;
                    let row: Option<CallDbRow> = sqlx::query_as(select_call!(
                        "WHERE c.tenant_id = $1 AND c.provider = $2 AND c.provider_call_id = $3"
                    ))
                    .bind(self.tenant.as_uuid())
                    .bind(provider.to_owned())
                    .bind(provider_call_id.to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    row.map(CallRow::try_from).transpose()
                }

                async fn list_calls(&self, f: &CallFilter) -> Result<Vec<CallRow>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<CallDbRow> = sqlx::query_as(select_call!(
                        "WHERE c.tenant_id = $1 AND ($2 IS NULL OR c.started_at >= $2) AND ($3 IS NULL OR c.started_at < $3) \
                         AND ($4 IS NULL OR c.status = $4) AND ($5 IS NULL OR c.id < $5) ORDER BY c.id DESC LIMIT $6"
                    ))
                    .bind(self.tenant.as_uuid())
                    .bind(f.from)
                    .bind(f.to)
                    .bind(f.status.clone())
                    .bind(f.before)
                    .bind(i64::from(f.limit))
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    rows.into_iter().map(CallRow::try_from).collect()
                }

                async fn usage(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Usage> {
                    let mut tx = self.read_tx().await?;
                    let (calls, intakes, metered): (i64, i64, i64) = sqlx::query_as(
                        "SELECT (SELECT COUNT(*) FROM calls WHERE tenant_id = $1 AND started_at >= $2 AND started_at < $3), \
                                (SELECT COUNT(*) FROM intakes WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3), \
                                (SELECT COUNT(*) FROM calls WHERE tenant_id = $1 AND started_at >= $2 AND started_at < $3 \
                                   AND month_ordinal IS NOT NULL)",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(from)
                    .bind(to)
                    .fetch_one(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(Usage {
                        calls: calls.max(0) as u64,
                        intakes: intakes.max(0) as u64,
                        metered_calls: metered.max(0) as u64,
                    })
                }

                async fn update_call(&self, id: Uuid, p: &CallProgress) -> Result<CallRow> {
                    let mut tx = self.write_tx().await?;
                    let current = self.call_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
                    let ended = current.status == "ended";
                    let status = if ended { current.status.clone() } else { p.status.clone() };
                    let ended_at = if ended { current.ended_at } else { p.ended_at };
                    let duration = ended_at.map(|e| (e - current.started_at).num_milliseconds().max(0));
                    let turns = if p.turns.is_null() { current.turns.clone() } else { p.turns.clone() };
                    sqlx::query(
                        "UPDATE calls SET status = $3, outcome = $4, recording_consent = $5, intake_id = $6, \
                         turns = $7, ended_at = $8, duration_ms = $9 WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id)
                    .bind(status)
                    .bind(p.outcome.clone().or(current.outcome))
                    .bind(p.recording_consent.or(current.recording_consent))
                    .bind(p.intake_id.or(current.intake_id))
                    .bind(turns.to_string())
                    .bind(ended_at)
                    .bind(duration)
                    .execute(&mut *tx)
                    .await?;
                    let row = self.call_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn put_recording(&self, r: &RecordingRow) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    sqlx::query(
                        "INSERT INTO recordings (tenant_id, call_id, format, sealed, duration_ms, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (tenant_id, call_id) DO UPDATE SET format = EXCLUDED.format, sealed = EXCLUDED.sealed, \
                         duration_ms = EXCLUDED.duration_ms, expires_at = EXCLUDED.expires_at",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(r.call_id)
                    .bind(r.format.clone())
                    .bind(r.sealed.clone())
                    .bind(r.duration_ms)
                    .bind(r.created_at)
                    .bind(r.expires_at)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn recording(&self, call_id: Uuid, audit: AuditEvent) -> Result<Option<RecordingRow>> {
                    let mut tx = self.write_tx().await?;
                    let row: Option<(Uuid, String, Vec<u8>, i64, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
                        "SELECT call_id, format, sealed, duration_ms, created_at, expires_at FROM recordings \
                         WHERE tenant_id = $1 AND call_id = $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(call_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if row.is_some() {
                        self.audit_in(&mut tx, audit.target("call", call_id)).await?;
                    }
                    tx.commit().await?;
                    Ok(row.map(|(call_id, format, sealed, duration_ms, created_at, expires_at)| RecordingRow {
                        call_id,
                        format,
                        sealed,
                        duration_ms,
                        created_at,
                        expires_at,
                    }))
                }

                async fn delete_expired_recordings(&self, at: DateTime<Utc>, audit: AuditEvent) -> Result<u64> {
                    let mut tx = self.write_tx().await?;
                    let done = sqlx::query("DELETE FROM recordings WHERE tenant_id = $1 AND expires_at <= $2")
                        .bind(self.tenant.as_uuid())
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    let n = done.rows_affected();
                    if n > 0 {
                        self.audit_in(&mut tx, audit.details(serde_json::json!({ "deleted": n }))).await?;
                    }
                    tx.commit().await?;
                    Ok(n)
                }

                async fn voice_settings(&self) -> Result<Option<VoiceSettingsRow>> {
                    let mut tx = self.read_tx().await?;
                    let row = self.voice_settings_in(&mut tx).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn put_voice_settings(&self, document: &serde_json::Value, secrets: Option<&[u8]>, audit: AuditEvent) -> Result<VoiceSettingsRow> {
                    let mut tx = self.write_tx().await?;
                    sqlx::query(
                        "INSERT INTO voice_settings (tenant_id, document, secrets, updated_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (tenant_id) DO UPDATE SET document = EXCLUDED.document, \
                         secrets = COALESCE(EXCLUDED.secrets, voice_settings.secrets), updated_at = EXCLUDED.updated_at",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(document.to_string())
                    .bind(secrets.map(<[u8]>::to_vec))
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    self.audit_in(&mut tx, audit.target("settings", "telephony")).await?;
                    let row = self.voice_settings_in(&mut tx).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(row)
                }
            }
        };
    };
}
pub(crate) use impl_call_backend;
