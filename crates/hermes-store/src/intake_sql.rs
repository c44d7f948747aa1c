//! The intake SQL, written once for both backends (see `sql.rs`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;
use crate::intake::IntakeRow;

#[derive(sqlx::FromRow)]
pub(crate) struct IntakeDbRow {
    id: Uuid,
    channel: String,
    status: String,
    urgency: String,
    practice_area: Option<String>,
    caller_name: Option<String>,
    document: String,
    conversation: Option<String>,
    access_hash: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

impl TryFrom<IntakeDbRow> for IntakeRow {
    type Error = StoreError;

    fn try_from(r: IntakeDbRow) -> Result<Self, StoreError> {
        let corrupt = |e: serde_json::Error| StoreError::Corrupt {
            table: "intakes",
            reason: e.to_string(),
        };
        Ok(IntakeRow {
            id: r.id,
            channel: r.channel,
            status: r.status,
            urgency: r.urgency,
            practice_area: r.practice_area,
            caller_name: r.caller_name,
            document: serde_json::from_str(&r.document).map_err(corrupt)?,
            conversation: r
                .conversation
                .map(|c| serde_json::from_str(&c).map_err(corrupt))
                .transpose()?,
            access_hash: r.access_hash,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        })
    }
}

macro_rules! select_intake {
    ($rest:literal) => {
        concat!(
            "SELECT id, channel, status, urgency, practice_area, caller_name, document, conversation, ",
            "access_hash, created_at, updated_at, version FROM intakes ",
            $rest
        )
    };
}
pub(crate) use select_intake;

/// Implements [`crate::IntakeStore`] for `$scoped`.
macro_rules! impl_intake_backend {
    (scoped = $scoped:ident, db = $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use uuid::Uuid;

            use $crate::audit::AuditEvent;
            use $crate::intake::*;
            use $crate::intake_sql::{select_intake, IntakeDbRow};
            use $crate::model::now;
            use $crate::{Result, StoreError};

            impl $scoped {
                async fn intake_in(&self, tx: &mut sqlx::Transaction<'static, $db>, id: Uuid) -> Result<Option<IntakeRow>> {
                    let row: Option<IntakeDbRow> =
                        sqlx::query_as(select_intake!("WHERE tenant_id = $1 AND id = $2"))
                            .bind(self.tenant.as_uuid())
                            .bind(id)
                            .fetch_optional(&mut **tx)
                            .await?;
                    row.map(IntakeRow::try_from).transpose()
                }

                /// `expected`: the version the turn was computed from (live
                /// conversations only), and whether to bump it; `None` for
                /// staff corrections.
                async fn write_intake_in(
                    &self,
                    tx: &mut sqlx::Transaction<'static, $db>,
                    id: Uuid,
                    u: &IntakeUpdate,
                    expected: Option<(i64, bool)>,
                ) -> Result<IntakeRow> {
                    let sql = if let Some((_, bump)) = expected {
                        if bump {
                            "UPDATE intakes SET status = $3, urgency = $4, practice_area = $5, caller_name = $6, \
                             document = $7, conversation = $8, updated_at = $9, version = version + 1 \
                             WHERE tenant_id = $1 AND id = $2 AND conversation IS NOT NULL AND version = $10"
                        } else {
                            "UPDATE intakes SET status = $3, urgency = $4, practice_area = $5, caller_name = $6, \
                             document = $7, conversation = $8, updated_at = $9 \
                             WHERE tenant_id = $1 AND id = $2 AND conversation IS NOT NULL AND version = $10"
                        }
                    } else {
                        "UPDATE intakes SET status = $3, urgency = $4, practice_area = $5, caller_name = $6, \
                         document = $7, conversation = $8, updated_at = $9 \
                         WHERE tenant_id = $1 AND id = $2 AND $10 = $10"
                    };
                    let done = sqlx::query(sql)
                        .bind(self.tenant.as_uuid())
                        .bind(id)
                        .bind(u.status.clone())
                        .bind(u.urgency.clone())
                        .bind(u.practice_area.clone())
                        .bind(u.caller_name.clone())
                        .bind(u.document.to_string())
                        .bind(u.conversation.as_ref().map(|c| c.to_string()))
                        .bind(now())
                        .bind(expected.map_or(0, |(v, _)| v))
                        .execute(&mut **tx)
                        .await?;
                    if done.rows_affected() == 0 {
                        return match self.intake_in(tx, id).await? {
                            Some(row) if row.conversation.is_none() => {
                                Err(StoreError::InvalidState("the conversation has ended".into()))
                            }
                            Some(_) => Err(StoreError::Stale),
                            None => Err(StoreError::NotFound),
                        };
                    }
                    self.enqueue_in(tx, &u.jobs).await?;
                    self.intake_in(tx, id).await?.ok_or(StoreError::NotFound)
                }

                async fn question_set_rows(&self, tx: &mut sqlx::Transaction<'static, $db>) -> Result<Vec<QuestionSetRow>> {
                    let rows: Vec<(String, String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                        "SELECT practice_area, document, updated_at FROM question_sets \
                         WHERE tenant_id = $1 ORDER BY practice_area",
                    )
                    .bind(self.tenant.as_uuid())
                    .fetch_all(&mut **tx)
                    .await?;
                    rows.into_iter()
                        .map(|(practice_area, document, updated_at)| {
                            Ok(QuestionSetRow {
                                practice_area,
                                document: serde_json::from_str(&document).map_err(|e| StoreError::Corrupt {
                                    table: "question_sets",
                                    reason: e.to_string(),
                                })?,
                                updated_at,
                            })
                        })
                        .collect()
                }
            }

            #[async_trait]
            impl IntakeStore for $scoped {
                async fn create_intake(&self, id: Uuid, channel: &str, access_hash: Option<&str>, u: &IntakeUpdate, audit: AuditEvent) -> Result<IntakeRow> {
                    let mut tx = self.write_tx().await?;
                    let at = now();
                    sqlx::query(
                        "INSERT INTO intakes (tenant_id, id, channel, status, urgency, practice_area, caller_name, \
                         document, conversation, access_hash, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $10, $10)",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id)
                    .bind(channel.to_owned())
                    .bind(u.status.clone())
                    .bind(u.urgency.clone())
                    .bind(u.practice_area.clone())
                    .bind(u.caller_name.clone())
                    .bind(u.document.to_string())
                    .bind(u.conversation.as_ref().map(|c| c.to_string()))
                    .bind(at)
                    .bind(access_hash.map(str::to_owned))
                    .execute(&mut *tx)
                    .await?;
                    self.audit_in(&mut tx, audit.target("intake", id)).await?;
                    let row = self.intake_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn save_intake_turn(&self, id: Uuid, u: &IntakeUpdate, version: i64) -> Result<IntakeRow> {
                    let mut tx = self.write_tx().await?;
                    let row = self.write_intake_in(&mut tx, id, u, Some((version, true))).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn checkpoint_intake_turn(&self, id: Uuid, u: &IntakeUpdate, version: i64) -> Result<IntakeRow> {
                    let mut tx = self.write_tx().await?;
                    let row = self.write_intake_in(&mut tx, id, u, Some((version, false))).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn intake(&self, id: Uuid) -> Result<Option<IntakeRow>> {
                    let mut tx = self.read_tx().await?;
                    let row = self.intake_in(&mut tx, id).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn list_intakes(&self, f: &IntakeFilter) -> Result<Vec<IntakeRow>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<IntakeDbRow> = sqlx::query_as(select_intake!(
                        "WHERE tenant_id = $1 AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR urgency = $3) \
                         AND ($4 IS NULL OR practice_area = $4) AND ($5 IS NULL OR created_at >= $5) \
                         AND ($6 IS NULL OR created_at < $6) AND ($7 IS NULL OR id < $7) \
                         ORDER BY id DESC LIMIT $8"
                    ))
                    .bind(self.tenant.as_uuid())
                    .bind(f.status.clone())
                    .bind(f.urgency.clone())
                    .bind(f.practice_area.clone())
                    .bind(f.from)
                    .bind(f.to)
                    .bind(f.before)
                    .bind(i64::from(f.limit))
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    rows.into_iter().map(IntakeRow::try_from).collect()
                }

                async fn correct_intake(&self, id: Uuid, u: &IntakeUpdate, audit: AuditEvent) -> Result<IntakeRow> {
                    let mut tx = self.write_tx().await?;
                    let row = self.write_intake_in(&mut tx, id, u, None).await?;
                    self.audit_in(&mut tx, audit.target("intake", id)).await?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn expire_transcripts(
                    &self,
                    created_before: chrono::DateTime<chrono::Utc>,
                    redact: Redaction,
                    limit: u32,
                    audit: AuditEvent,
                ) -> Result<u64> {
                    let mut tx = self.write_tx().await?;
                    // `conversation IS NULL`: the conversation has ended (a
                    // live one is never touched, whatever its age).
                    let rows: Vec<(Uuid, String)> = sqlx::query_as(
                        "SELECT id, document FROM intakes WHERE tenant_id = $1 AND created_at < $2 \
                         AND conversation IS NULL AND transcript_deleted_at IS NULL ORDER BY created_at LIMIT $3",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(created_before)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await?;
                    let at = now();
                    for (id, document) in &rows {
                        let mut doc: serde_json::Value =
                            serde_json::from_str(document).map_err(|e| StoreError::Corrupt {
                                table: "intakes",
                                reason: e.to_string(),
                            })?;
                        redact(&mut doc);
                        sqlx::query(
                            "UPDATE intakes SET document = $3, transcript_deleted_at = $4 WHERE tenant_id = $1 AND id = $2",
                        )
                        .bind(self.tenant.as_uuid())
                        .bind(*id)
                        .bind(doc.to_string())
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    }
                    let n = rows.len() as u64;
                    if n > 0 {
                        let details = serde_json::json!({ "intakes": n, "created_before": created_before });
                        self.audit_in(&mut tx, audit.details(details)).await?;
                    }
                    tx.commit().await?;
                    Ok(n)
                }

                async fn question_sets(&self) -> Result<Vec<QuestionSetRow>> {
                    let mut tx = self.read_tx().await?;
                    let rows = self.question_set_rows(&mut tx).await?;
                    tx.commit().await?;
                    Ok(rows)
                }

                async fn put_question_set(&self, practice_area: &str, document: &serde_json::Value, audit: AuditEvent) -> Result<QuestionSetRow> {
                    let mut tx = self.write_tx().await?;
                    sqlx::query(
                        "INSERT INTO question_sets (tenant_id, practice_area, document, updated_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (tenant_id, practice_area) DO UPDATE SET document = EXCLUDED.document, updated_at = EXCLUDED.updated_at",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(practice_area.to_owned())
                    .bind(document.to_string())
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    self.audit_in(&mut tx, audit.target("question_set", practice_area)).await?;
                    let row = self
                        .question_set_rows(&mut tx)
                        .await?
                        .into_iter()
                        .find(|r| r.practice_area == practice_area)
                        .ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(row)
                }

                async fn delete_question_set(&self, practice_area: &str, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    let done = sqlx::query("DELETE FROM question_sets WHERE tenant_id = $1 AND practice_area = $2")
                        .bind(self.tenant.as_uuid())
                        .bind(practice_area.to_owned())
                        .execute(&mut *tx)
                        .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    self.audit_in(&mut tx, audit.target("question_set", practice_area)).await?;
                    tx.commit().await?;
                    Ok(())
                }
            }
        };
    };
}
pub(crate) use impl_intake_backend;
