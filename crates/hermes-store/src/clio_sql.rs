//! The Clio connection's SQL, written once for both backends (see
//! `sql.rs`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;
use crate::clio::ClioConnectionRow;

#[derive(sqlx::FromRow)]
pub(crate) struct ClioDbRow {
    region: String,
    tokens: Vec<u8>,
    expires_at: DateTime<Utc>,
    status: String,
    clio_user: String,
    connected_by: Uuid,
    connected_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ClioDbRow> for ClioConnectionRow {
    type Error = StoreError;

    fn try_from(r: ClioDbRow) -> Result<Self, StoreError> {
        Ok(ClioConnectionRow {
            region: r.region,
            tokens: r.tokens,
            expires_at: r.expires_at,
            status: r.status,
            clio_user: serde_json::from_str(&r.clio_user).map_err(|e| StoreError::Corrupt {
                table: "clio_connections",
                reason: e.to_string(),
            })?,
            connected_by: r.connected_by,
            connected_at: r.connected_at,
            updated_at: r.updated_at,
        })
    }
}

/// A row that points at another firm's (or no) intake or attorney: not
/// found, as far as this firm can tell.
pub(crate) fn not_found_if_foreign(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound,
        other => other.into(),
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct WebhookDbRow {
    model: String,
    token_hash: String,
    clio_id: Option<i64>,
    secret: Option<Vec<u8>>,
    status: String,
    expires_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<WebhookDbRow> for crate::clio::ClioWebhookRow {
    fn from(r: WebhookDbRow) -> Self {
        crate::clio::ClioWebhookRow {
            model: r.model,
            token_hash: r.token_hash,
            clio_id: r.clio_id,
            secret: r.secret,
            status: r.status,
            expires_at: r.expires_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

macro_rules! impl_clio_backend {
    (scoped = $scoped:ident, db = $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use uuid::Uuid;

            use $crate::audit::AuditEvent;
            use $crate::clio::*;
            use $crate::clio_sql::{ClioDbRow, WebhookDbRow};
            use $crate::model::now;
            use $crate::{Result, StoreError};

            impl $scoped {
                async fn upsert_mirror_in(&self, tx: &mut sqlx::Transaction<'static, $db>, rows: &[ClioMirrorRow]) -> Result<()> {
                    let at = now();
                    for r in rows {
                        sqlx::query(
                            "INSERT INTO clio_mirror (tenant_id, kind, clio_id, data, updated_at) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (tenant_id, kind, clio_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                        )
                        .bind(self.tenant.as_uuid())
                        .bind(r.kind.clone())
                        .bind(r.clio_id)
                        .bind(r.data.to_string())
                        .bind(at)
                        .execute(&mut **tx)
                        .await?;
                    }
                    Ok(())
                }
            }

            #[async_trait]
            impl ClioStore for $scoped {
                async fn put_oauth_state(&self, s: &OAuthStateRow, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    // Expired authorizations nobody finished go with each new one.
                    sqlx::query("DELETE FROM oauth_states WHERE tenant_id = $1 AND expires_at < $2")
                        .bind(self.tenant.as_uuid())
                        .bind(now())
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "INSERT INTO oauth_states (tenant_id, state_hash, user_id, region, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(s.state_hash.clone())
                    .bind(s.user_id)
                    .bind(s.region.clone())
                    .bind(s.created_at)
                    .bind(s.expires_at)
                    .execute(&mut *tx)
                    .await?;
                    self.audit_in(&mut tx, audit.target("clio_connection", self.tenant.as_uuid())).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn take_oauth_state(&self, state_hash: &str, at: DateTime<Utc>) -> Result<Option<OAuthStateRow>> {
                    let mut tx = self.write_tx().await?;
                    let row: Option<(String, Uuid, String, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
                        "DELETE FROM oauth_states WHERE tenant_id = $1 AND state_hash = $2 \
                         RETURNING state_hash, user_id, region, created_at, expires_at",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(state_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(row
                        .map(|(state_hash, user_id, region, created_at, expires_at)| OAuthStateRow {
                            state_hash,
                            user_id,
                            region,
                            created_at,
                            expires_at,
                        })
                        .filter(|s| s.expires_at > at))
                }

                async fn clio_connection(&self) -> Result<Option<ClioConnectionRow>> {
                    let mut tx = self.read_tx().await?;
                    let row: Option<ClioDbRow> = sqlx::query_as(
                        "SELECT region, tokens, expires_at, status, clio_user, connected_by, connected_at, updated_at \
                         FROM clio_connections WHERE tenant_id = $1",
                    )
                    .bind(self.tenant.as_uuid())
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    row.map(ClioConnectionRow::try_from).transpose()
                }

                async fn put_clio_connection(&self, c: &ClioConnectionRow, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    sqlx::query(
                        "INSERT INTO clio_connections (tenant_id, region, tokens, expires_at, status, clio_user, \
                         connected_by, connected_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                         ON CONFLICT (tenant_id) DO UPDATE SET region = EXCLUDED.region, tokens = EXCLUDED.tokens, \
                         expires_at = EXCLUDED.expires_at, status = EXCLUDED.status, clio_user = EXCLUDED.clio_user, \
                         connected_by = EXCLUDED.connected_by, connected_at = EXCLUDED.connected_at, \
                         updated_at = EXCLUDED.updated_at",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(c.region.clone())
                    .bind(c.tokens.clone())
                    .bind(c.expires_at)
                    .bind(c.status.clone())
                    .bind(c.clio_user.to_string())
                    .bind(c.connected_by)
                    .bind(c.connected_at)
                    .bind(c.updated_at)
                    .execute(&mut *tx)
                    .await?;
                    self.audit_in(&mut tx, audit.target("clio_connection", self.tenant.as_uuid())).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn update_clio_tokens(&self, tokens: &[u8], expires_at: DateTime<Utc>, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    let done = sqlx::query(
                        "UPDATE clio_connections SET tokens = $2, expires_at = $3, status = 'connected', updated_at = $4 \
                         WHERE tenant_id = $1",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(tokens)
                    .bind(expires_at)
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    self.audit_in(&mut tx, audit.target("clio_connection", self.tenant.as_uuid())).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn mark_clio_needs_reconnect(&self, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    let done = sqlx::query(
                        "UPDATE clio_connections SET status = 'needs_reconnect', updated_at = $2 WHERE tenant_id = $1",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    self.audit_in(&mut tx, audit.target("clio_connection", self.tenant.as_uuid())).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn delete_clio_connection(&self, audit: AuditEvent) -> Result<bool> {
                    let mut tx = self.write_tx().await?;
                    let done = sqlx::query("DELETE FROM clio_connections WHERE tenant_id = $1")
                        .bind(self.tenant.as_uuid())
                        .execute(&mut *tx)
                        .await?;
                    self.audit_in(&mut tx, audit.target("clio_connection", self.tenant.as_uuid())).await?;
                    tx.commit().await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn clio_mirror(&self) -> Result<Vec<ClioMirrorRow>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<(String, i64, String)> = sqlx::query_as(
                        "SELECT kind, clio_id, data FROM clio_mirror WHERE tenant_id = $1 ORDER BY kind, clio_id",
                    )
                    .bind(self.tenant.as_uuid())
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    rows.into_iter()
                        .map(|(kind, clio_id, data)| {
                            Ok(ClioMirrorRow {
                                kind,
                                clio_id,
                                data: serde_json::from_str(&data).map_err(|e| StoreError::Corrupt {
                                    table: "clio_mirror",
                                    reason: e.to_string(),
                                })?,
                            })
                        })
                        .collect()
                }

                async fn replace_clio_mirror(&self, rows: &[ClioMirrorRow], synced_since: DateTime<Utc>) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    sqlx::query("DELETE FROM clio_mirror WHERE tenant_id = $1")
                        .bind(self.tenant.as_uuid())
                        .execute(&mut *tx)
                        .await?;
                    self.upsert_mirror_in(&mut tx, rows).await?;
                    let at = now();
                    sqlx::query(
                        "INSERT INTO clio_index_state (tenant_id, full_synced_at, synced_since, updated_at) \
                         VALUES ($1, $2, $3, $2) ON CONFLICT (tenant_id) DO UPDATE SET \
                         full_synced_at = excluded.full_synced_at, synced_since = excluded.synced_since, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(at)
                    .bind(synced_since)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn update_clio_mirror(&self, rows: &[ClioMirrorRow], removed: &[(String, i64)], synced_since: Option<DateTime<Utc>>) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    self.upsert_mirror_in(&mut tx, rows).await?;
                    for (kind, id) in removed {
                        sqlx::query("DELETE FROM clio_mirror WHERE tenant_id = $1 AND kind = $2 AND clio_id = $3")
                            .bind(self.tenant.as_uuid())
                            .bind(kind.clone())
                            .bind(*id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    if let Some(since) = synced_since {
                        sqlx::query(
                            "INSERT INTO clio_index_state (tenant_id, synced_since, updated_at) \
                             VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO UPDATE SET \
                             synced_since = excluded.synced_since, updated_at = excluded.updated_at",
                        )
                        .bind(self.tenant.as_uuid())
                        .bind(since)
                        .bind(now())
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn clio_index_state(&self) -> Result<Option<ClioIndexState>> {
                    let mut tx = self.read_tx().await?;
                    let row: Option<(Option<DateTime<Utc>>, Option<DateTime<Utc>>, DateTime<Utc>)> = sqlx::query_as(
                        "SELECT full_synced_at, synced_since, updated_at FROM clio_index_state WHERE tenant_id = $1",
                    )
                    .bind(self.tenant.as_uuid())
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(row.map(|(full_synced_at, synced_since, updated_at)| ClioIndexState { full_synced_at, synced_since, updated_at }))
                }

                async fn clio_webhooks(&self) -> Result<Vec<ClioWebhookRow>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<WebhookDbRow> = sqlx::query_as(
                        "SELECT model, token_hash, clio_id, secret, status, expires_at, created_at, updated_at \
                         FROM clio_webhooks WHERE tenant_id = $1 ORDER BY model",
                    )
                    .bind(self.tenant.as_uuid())
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(rows.into_iter().map(ClioWebhookRow::from).collect())
                }

                async fn put_clio_webhook(&self, r: &ClioWebhookRow) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    sqlx::query(
                        "INSERT INTO clio_webhooks (tenant_id, model, token_hash, clio_id, secret, status, expires_at, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant_id, model) DO UPDATE SET \
                         token_hash = excluded.token_hash, clio_id = excluded.clio_id, secret = excluded.secret, \
                         status = excluded.status, expires_at = excluded.expires_at, created_at = excluded.created_at, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(r.model.clone())
                    .bind(r.token_hash.clone())
                    .bind(r.clio_id)
                    .bind(r.secret.clone())
                    .bind(r.status.clone())
                    .bind(r.expires_at)
                    .bind(r.created_at)
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn clio_webhook_by_token(&self, token_hash: &str) -> Result<Option<ClioWebhookRow>> {
                    let mut tx = self.read_tx().await?;
                    let row: Option<WebhookDbRow> = sqlx::query_as(
                        "SELECT model, token_hash, clio_id, secret, status, expires_at, created_at, updated_at \
                         FROM clio_webhooks WHERE tenant_id = $1 AND token_hash = $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(token_hash.to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(row.map(ClioWebhookRow::from))
                }

                async fn delete_clio_webhooks(&self) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    sqlx::query("DELETE FROM clio_webhooks WHERE tenant_id = $1")
                        .bind(self.tenant.as_uuid())
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn clio_grow(&self) -> Result<Option<ClioGrowRow>> {
                    let mut tx = self.read_tx().await?;
                    let row: Option<(String, Vec<u8>, DateTime<Utc>)> = sqlx::query_as(
                        "SELECT region, token, updated_at FROM clio_grow WHERE tenant_id = $1",
                    )
                    .bind(self.tenant.as_uuid())
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(row.map(|(region, token, updated_at)| ClioGrowRow { region, token, updated_at }))
                }

                async fn put_clio_grow(&self, region: &str, token: &[u8], audit: AuditEvent) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    sqlx::query(
                        "INSERT INTO clio_grow (tenant_id, region, token, updated_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (tenant_id) DO UPDATE SET region = excluded.region, token = excluded.token, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(region.to_owned())
                    .bind(token.to_vec())
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    self.audit_in(&mut tx, audit.target("clio_grow", self.tenant.as_uuid())).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn delete_clio_grow(&self, audit: AuditEvent) -> Result<bool> {
                    let mut tx = self.write_tx().await?;
                    let done = sqlx::query("DELETE FROM clio_grow WHERE tenant_id = $1")
                        .bind(self.tenant.as_uuid())
                        .execute(&mut *tx)
                        .await?;
                    self.audit_in(&mut tx, audit.target("clio_grow", self.tenant.as_uuid())).await?;
                    tx.commit().await?;
                    Ok(done.rows_affected() > 0)
                }

                async fn replace_external_busy(
                    &self,
                    attorney: Uuid,
                    source: &str,
                    intervals: &[(DateTime<Utc>, DateTime<Utc>)],
                ) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    sqlx::query("DELETE FROM external_busy WHERE tenant_id = $1 AND attorney_id = $2 AND source = $3")
                        .bind(self.tenant.as_uuid())
                        .bind(attorney)
                        .bind(source.to_owned())
                        .execute(&mut *tx)
                        .await?;
                    for (start, end) in intervals {
                        sqlx::query(
                            "INSERT INTO external_busy (tenant_id, attorney_id, source, starts_at, ends_at) \
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(self.tenant.as_uuid())
                        .bind(attorney)
                        .bind(source.to_owned())
                        .bind(*start)
                        .bind(*end)
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::clio_sql::not_found_if_foreign)?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn external_busy(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ExternalBusy>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<(Uuid, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
                        "SELECT attorney_id, starts_at, ends_at FROM external_busy \
                         WHERE tenant_id = $1 AND starts_at < $3 AND ends_at > $2 ORDER BY starts_at",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(from)
                    .bind(to)
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    Ok(rows
                        .into_iter()
                        .map(|(attorney_id, starts_at, ends_at)| ExternalBusy { attorney_id, starts_at, ends_at })
                        .collect())
                }

                async fn clio_sync_steps(&self, intake_id: Uuid) -> Result<Vec<ClioSyncStepRow>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<(String, String, Option<i64>, Option<String>, DateTime<Utc>)> = sqlx::query_as(
                        "SELECT step, status, clio_id, detail, updated_at FROM clio_sync_steps \
                         WHERE tenant_id = $1 AND intake_id = $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(intake_id)
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    let mut out: Vec<ClioSyncStepRow> = rows
                        .into_iter()
                        .map(|(step, status, clio_id, detail, updated_at)| ClioSyncStepRow { step, status, clio_id, detail, updated_at })
                        .collect();
                    out.sort_by_key(|r| CLIO_SYNC_STEPS.iter().position(|s| *s == r.step));
                    Ok(out)
                }

                async fn put_clio_sync_step(
                    &self,
                    intake_id: Uuid,
                    step: &str,
                    status: &str,
                    clio_id: Option<i64>,
                    detail: Option<&str>,
                ) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    sqlx::query(
                        "INSERT INTO clio_sync_steps (tenant_id, intake_id, step, status, clio_id, detail, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (tenant_id, intake_id, step) DO UPDATE SET \
                         status = excluded.status, clio_id = excluded.clio_id, detail = excluded.detail, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(intake_id)
                    .bind(step.to_owned())
                    .bind(status.to_owned())
                    .bind(clio_id)
                    .bind(detail.map(str::to_owned))
                    .bind(now())
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::clio_sql::not_found_if_foreign)?;
                    tx.commit().await?;
                    Ok(())
                }
            }
        };
    };
}
pub(crate) use impl_clio_backend;
