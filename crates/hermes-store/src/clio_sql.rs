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

macro_rules! impl_clio_backend {
    (scoped = $scoped:ident, db = $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use uuid::Uuid;

            use $crate::audit::AuditEvent;
            use $crate::clio::*;
            use $crate::clio_sql::ClioDbRow;
            use $crate::model::now;
            use $crate::{Result, StoreError};

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
            }
        };
    };
}
pub(crate) use impl_clio_backend;
