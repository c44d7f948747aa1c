//! The firm issue's SQL, written once for both backends like `sql.rs`, and
//! expanded next to it in each backend module (so it can use the scoped
//! handle's transaction helpers).

use chrono::{DateTime, NaiveDate, Utc};
use hermes_conflicts::{MatterStatus, Party, PartyKind, PartyRole};
use hermes_core::UserId;
use uuid::Uuid;

use crate::StoreError;
use crate::firm::*;

fn corrupt(table: &'static str, reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table,
        reason: reason.to_string(),
    }
}

/// Parses a stored JSON document and re-validates it.
pub(crate) fn doc<T: serde::de::DeserializeOwned>(
    table: &'static str,
    raw: Option<String>,
    validate: impl Fn(&T) -> Result<(), hermes_core::ParseError>,
) -> Result<Option<T>, StoreError> {
    raw.map(|raw| {
        let v: T = serde_json::from_str(&raw).map_err(|e| corrupt(table, e))?;
        validate(&v).map_err(|e| corrupt(table, e))?;
        Ok(v)
    })
    .transpose()
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("settings documents serialise")
}

#[derive(sqlx::FromRow)]
pub(crate) struct SettingsRow {
    profile: Option<String>,
    hours: Option<String>,
    practice_areas: Option<String>,
    escalation: Option<String>,
    offices: Option<String>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<SettingsRow> for FirmSettings {
    type Error = StoreError;

    fn try_from(r: SettingsRow) -> Result<Self, StoreError> {
        Ok(FirmSettings {
            profile: doc(
                "firm_settings",
                r.profile,
                hermes_firm::FirmProfile::validate,
            )?,
            hours: doc("firm_settings", r.hours, hermes_firm::Hours::validate)?,
            practice_areas: doc(
                "firm_settings",
                r.practice_areas,
                hermes_firm::PracticeAreas::validate,
            )?,
            escalation: doc(
                "firm_settings",
                r.escalation,
                hermes_firm::EscalationContacts::validate,
            )?,
            offices: doc("firm_settings", r.offices, hermes_firm::Offices::validate)?,
            updated_at: Some(r.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AttorneyRow {
    id: Uuid,
    document: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<AttorneyRow> for AttorneyRecord {
    type Error = StoreError;

    fn try_from(r: AttorneyRow) -> Result<Self, StoreError> {
        Ok(AttorneyRecord {
            id: r.id,
            attorney: serde_json::from_str(&r.document).map_err(|e| corrupt("attorneys", e))?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PartyRow {
    id: Uuid,
    kind: String,
    name: String,
    aliases: String,
    role: String,
    date_of_birth: Option<NaiveDate>,
    phones: String,
    emails: String,
    matter_ref: Option<String>,
    matter_status: Option<String>,
    source: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn list(table: &'static str, raw: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(raw).map_err(|e| corrupt(table, e))
}

impl TryFrom<PartyRow> for PartyRecord {
    type Error = StoreError;

    fn try_from(r: PartyRow) -> Result<Self, StoreError> {
        let c = |e: String| corrupt("parties", e);
        Ok(PartyRecord {
            party: Party {
                id: r.id,
                kind: r
                    .kind
                    .parse::<PartyKind>()
                    .map_err(|_| c(format!("kind {}", r.kind)))?,
                name: r.name,
                aliases: list("parties", &r.aliases)?,
                role: r
                    .role
                    .parse::<PartyRole>()
                    .map_err(|_| c(format!("role {}", r.role)))?,
                date_of_birth: r.date_of_birth,
                phones: list("parties", &r.phones)?,
                emails: list("parties", &r.emails)?,
                matter_ref: r.matter_ref,
                matter_status: r
                    .matter_status
                    .map(|s| {
                        s.parse::<MatterStatus>()
                            .map_err(|_| c(format!("matter_status {s}")))
                    })
                    .transpose()?,
            },
            source: PartySource::parse(&r.source)
                .ok_or_else(|| c(format!("source {}", r.source)))?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReviewRow {
    id: Uuid,
    status: String,
    severity: String,
    subject: String,
    request: String,
    hits: String,
    created_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
    decided_by: Option<Uuid>,
    decision_note: Option<String>,
}

impl TryFrom<ReviewRow> for ConflictReview {
    type Error = StoreError;

    fn try_from(r: ReviewRow) -> Result<Self, StoreError> {
        Ok(ConflictReview {
            id: r.id,
            status: ReviewStatus::parse(&r.status)
                .ok_or_else(|| corrupt("conflict_reviews", format!("status {}", r.status)))?,
            severity: r.severity,
            subject: r.subject,
            request: serde_json::from_str(&r.request)
                .map_err(|e| corrupt("conflict_reviews", e))?,
            hits: serde_json::from_str(&r.hits).map_err(|e| corrupt("conflict_reviews", e))?,
            created_at: r.created_at,
            decided_at: r.decided_at,
            decided_by: r.decided_by.map(UserId::from_uuid),
            decision_note: r.decision_note,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct BookingRow {
    id: Uuid,
    attorney_id: Uuid,
    practice_area: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    blocked_until: DateTime<Utc>,
    status: String,
    hold_expires_at: Option<DateTime<Utc>>,
    conflict_review_id: Option<Uuid>,
    client_name: Option<String>,
    client_phone: Option<String>,
    client_email: Option<String>,
    sequence: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<BookingRow> for Booking {
    type Error = StoreError;

    fn try_from(r: BookingRow) -> Result<Self, StoreError> {
        Ok(Booking {
            id: r.id,
            attorney_id: r.attorney_id,
            practice_area: r.practice_area,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            blocked_until: r.blocked_until,
            status: BookingStatus::parse(&r.status)
                .ok_or_else(|| corrupt("bookings", format!("status {}", r.status)))?,
            hold_expires_at: r.hold_expires_at,
            conflict_review_id: r.conflict_review_id,
            contact: BookingContact {
                name: r.client_name,
                phone: r.client_phone,
                email: r.client_email,
            },
            sequence: r.sequence,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The database refused an overlapping reservation: PostgreSQL's exclusion
/// constraint (SQLSTATE 23P01) or the SQLite trigger's `booking_overlap`.
pub(crate) fn overlap_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db)
        if db.code().as_deref() == Some("23P01") || db.message().contains("booking_overlap"))
}

pub(crate) fn fk_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}

macro_rules! select_firm {
    (settings, $rest:literal) => {
        concat!(
            "SELECT profile, hours, practice_areas, escalation, offices, updated_at FROM firm_settings ",
            $rest
        )
    };
    (attorney, $rest:literal) => {
        concat!(
            "SELECT id, document, created_at, updated_at FROM attorneys ",
            $rest
        )
    };
    (party, $rest:literal) => {
        concat!(
            "SELECT id, kind, name, aliases, role, date_of_birth, phones, emails, matter_ref, ",
            "matter_status, source, created_at, updated_at FROM parties ",
            $rest
        )
    };
    (review, $rest:literal) => {
        concat!(
            "SELECT id, status, severity, subject, request, hits, created_at, decided_at, ",
            "decided_by, decision_note FROM conflict_reviews ",
            $rest
        )
    };
    (booking, $rest:literal) => {
        concat!(
            "SELECT id, attorney_id, practice_area, starts_at, ends_at, blocked_until, status, ",
            "hold_expires_at, conflict_review_id, client_name, client_phone, client_email, ",
            "sequence, created_at, updated_at FROM bookings ",
            $rest
        )
    };
}
pub(crate) use select_firm;

/// Implements [`crate::FirmStore`] for `$scoped`; see `sql::impl_backend!`.
macro_rules! impl_firm_backend {
    (scoped = $scoped:ident, db = $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Duration, Utc};
            use hermes_conflicts::Party;
            use hermes_core::UserId;
            use sqlx::Transaction;
            use uuid::Uuid;

            use $crate::audit::AuditEvent;
            use $crate::firm::*;
            use $crate::firm_sql::{
                fk_violation, overlap_violation, select_firm, to_json, AttorneyRow, BookingRow,
                PartyRow, ReviewRow, SettingsRow,
            };
            use $crate::model::now;
            use $crate::{Result, StoreError};

            type Tx = Transaction<'static, $db>;

            /// How far around a reservation `check` sees the attorney's
            /// other reservations: enough for any buffer and for the
            /// whole local day in any time zone (daily caps).
            const CHECK_MARGIN: Duration = Duration::hours(36);

            impl $scoped {
                async fn settings_in(&self, tx: &mut Tx) -> Result<FirmSettings> {
                    let row: Option<SettingsRow> =
                        sqlx::query_as(select_firm!(settings, "WHERE tenant_id = $1"))
                            .bind(self.tenant.as_uuid())
                            .fetch_optional(&mut **tx)
                            .await?;
                    row.map(FirmSettings::try_from).transpose().map(Option::unwrap_or_default)
                }

                async fn attorney_in(&self, tx: &mut Tx, id: Uuid) -> Result<Option<AttorneyRecord>> {
                    let row: Option<AttorneyRow> =
                        sqlx::query_as(select_firm!(attorney, "WHERE tenant_id = $1 AND id = $2"))
                            .bind(self.tenant.as_uuid())
                            .bind(id)
                            .fetch_optional(&mut **tx)
                            .await?;
                    row.map(AttorneyRecord::try_from).transpose()
                }

                async fn party_in(&self, tx: &mut Tx, id: Uuid) -> Result<Option<PartyRecord>> {
                    let row: Option<PartyRow> =
                        sqlx::query_as(select_firm!(party, "WHERE tenant_id = $1 AND id = $2"))
                            .bind(self.tenant.as_uuid())
                            .bind(id)
                            .fetch_optional(&mut **tx)
                            .await?;
                    row.map(PartyRecord::try_from).transpose()
                }

                async fn review_in(&self, tx: &mut Tx, id: Uuid) -> Result<Option<ConflictReview>> {
                    let row: Option<ReviewRow> =
                        sqlx::query_as(select_firm!(review, "WHERE tenant_id = $1 AND id = $2"))
                            .bind(self.tenant.as_uuid())
                            .bind(id)
                            .fetch_optional(&mut **tx)
                            .await?;
                    row.map(ConflictReview::try_from).transpose()
                }

                async fn booking_in(&self, tx: &mut Tx, id: Uuid) -> Result<Option<Booking>> {
                    let row: Option<BookingRow> =
                        sqlx::query_as(select_firm!(booking, "WHERE tenant_id = $1 AND id = $2"))
                            .bind(self.tenant.as_uuid())
                            .bind(id)
                            .fetch_optional(&mut **tx)
                            .await?;
                    row.map(Booking::try_from).transpose()
                }

                async fn insert_party_in(&self, tx: &mut Tx, p: &Party, source: PartySource, at: DateTime<Utc>) -> Result<()> {
                    let inserted = sqlx::query(
                        "INSERT INTO parties (tenant_id, id, kind, name, aliases, role, date_of_birth, \
                         phones, emails, matter_ref, matter_status, source, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(p.id)
                    .bind(p.kind.as_str())
                    .bind(p.name.clone())
                    .bind(to_json(&p.aliases))
                    .bind(p.role.as_str())
                    .bind(p.date_of_birth)
                    .bind(to_json(&p.phones))
                    .bind(to_json(&p.emails))
                    .bind(p.matter_ref.clone())
                    .bind(p.matter_status.map(|s| s.as_str()))
                    .bind(source.as_str())
                    .bind(at)
                    .execute(&mut **tx)
                    .await;
                    match inserted {
                        Err(e) if $crate::sql::unique_violation(&e) => Err(StoreError::Conflict("party")),
                        other => other.map(|_| ()).map_err(Into::into),
                    }
                }

                /// What a new booking's status is, decided under the write
                /// lock so that a concurrent review decision cannot slip in
                /// between: `Held` stays held; otherwise a review that is
                /// open makes it `Tentative`, a cleared one `Confirmed`, and
                /// a declined one refuses the booking.
                async fn booking_status_in(
                    &self,
                    tx: &mut Tx,
                    requested: BookingStatus,
                    review: Option<Uuid>,
                ) -> Result<BookingStatus> {
                    if requested == BookingStatus::Held {
                        return Ok(BookingStatus::Held);
                    }
                    let Some(review) = review else {
                        return Ok(BookingStatus::Confirmed);
                    };
                    match self.review_in(tx, review).await?.ok_or(StoreError::NotFound)?.status {
                        ReviewStatus::Open => Ok(BookingStatus::Tentative),
                        ReviewStatus::Cleared => Ok(BookingStatus::Confirmed),
                        ReviewStatus::Declined => Err(StoreError::ReviewDeclined),
                    }
                }

                /// Marks the attorney's holds that ran out as expired, so
                /// they stop occupying time (the overlap rule counts
                /// `held` rows).
                async fn expire_holds_in(&self, tx: &mut Tx, attorney: Uuid, now: DateTime<Utc>) -> Result<()> {
                    sqlx::query(
                        "UPDATE bookings SET status = 'expired', hold_expires_at = NULL, updated_at = $3 \
                         WHERE tenant_id = $1 AND attorney_id = $2 AND status = 'held' AND hold_expires_at <= $3",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(attorney)
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
                    Ok(())
                }

                /// The attorney's active reservations around `[from, to)`,
                /// except `except`.
                async fn around_in(
                    &self,
                    tx: &mut Tx,
                    attorney: Uuid,
                    from: DateTime<Utc>,
                    to: DateTime<Utc>,
                    except: Option<Uuid>,
                ) -> Result<Vec<Booking>> {
                    let rows: Vec<BookingRow> = sqlx::query_as(select_firm!(
                        booking,
                        "WHERE tenant_id = $1 AND attorney_id = $2 \
                         AND status IN ('held', 'tentative', 'confirmed') \
                         AND starts_at < $4 AND blocked_until > $3 ORDER BY starts_at"
                    ))
                    .bind(self.tenant.as_uuid())
                    .bind(attorney)
                    .bind(from - CHECK_MARGIN)
                    .bind(to + CHECK_MARGIN)
                    .fetch_all(&mut **tx)
                    .await?;
                    rows.into_iter()
                        .map(Booking::try_from)
                        .filter(|b| !matches!((b, except), (Ok(b), Some(x)) if b.id == x))
                        .collect()
                }
            }

            fn booking_write(e: sqlx::Error) -> StoreError {
                if overlap_violation(&e) {
                    StoreError::SlotTaken
                } else if fk_violation(&e) {
                    StoreError::NotFound
                } else {
                    e.into()
                }
            }

            #[async_trait]
            impl FirmStore for $scoped {
                async fn firm_settings(&self) -> Result<FirmSettings> {
                    let mut tx = self.read_tx().await?;
                    let s = self.settings_in(&mut tx).await?;
                    tx.commit().await?;
                    Ok(s)
                }

                async fn put_settings(&self, update: &SettingsUpdate, audit: AuditEvent) -> Result<FirmSettings> {
                    let mut tx = self.write_tx().await?;
                    let at = now();
                    sqlx::query(
                        "INSERT INTO firm_settings (tenant_id, updated_at) VALUES ($1, $2) \
                         ON CONFLICT (tenant_id) DO NOTHING",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    let (sql, json) = match update {
                        SettingsUpdate::Profile(p) => (
                            "UPDATE firm_settings SET profile = $2, updated_at = $3 WHERE tenant_id = $1",
                            to_json(p),
                        ),
                        SettingsUpdate::Hours(h) => (
                            "UPDATE firm_settings SET hours = $2, updated_at = $3 WHERE tenant_id = $1",
                            to_json(h),
                        ),
                        SettingsUpdate::PracticeAreas(a) => (
                            "UPDATE firm_settings SET practice_areas = $2, updated_at = $3 WHERE tenant_id = $1",
                            to_json(a),
                        ),
                        SettingsUpdate::Escalation(e) => (
                            "UPDATE firm_settings SET escalation = $2, updated_at = $3 WHERE tenant_id = $1",
                            to_json(e),
                        ),
                        SettingsUpdate::Offices(o) => (
                            "UPDATE firm_settings SET offices = $2, updated_at = $3 WHERE tenant_id = $1",
                            to_json(o),
                        ),
                    };
                    sqlx::query(sql)
                        .bind(self.tenant.as_uuid())
                        .bind(json)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                    self.audit_in(&mut tx, audit.target("tenant", self.tenant)).await?;
                    let s = self.settings_in(&mut tx).await?;
                    tx.commit().await?;
                    Ok(s)
                }

                async fn create_attorney(&self, id: Uuid, attorney: &hermes_firm::Attorney, audit: AuditEvent) -> Result<AttorneyRecord> {
                    let mut tx = self.write_tx().await?;
                    let at = now();
                    sqlx::query(
                        "INSERT INTO attorneys (tenant_id, id, document, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $4)",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id)
                    .bind(to_json(attorney))
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    self.audit_in(&mut tx, audit.target("attorney", id)).await?;
                    let rec = self.attorney_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(rec)
                }

                async fn attorney(&self, id: Uuid) -> Result<Option<AttorneyRecord>> {
                    let mut tx = self.read_tx().await?;
                    let a = self.attorney_in(&mut tx, id).await?;
                    tx.commit().await?;
                    Ok(a)
                }

                async fn list_attorneys(&self) -> Result<Vec<AttorneyRecord>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<AttorneyRow> =
                        sqlx::query_as(select_firm!(attorney, "WHERE tenant_id = $1 ORDER BY id"))
                            .bind(self.tenant.as_uuid())
                            .fetch_all(&mut *tx)
                            .await?;
                    tx.commit().await?;
                    rows.into_iter().map(AttorneyRecord::try_from).collect()
                }

                async fn update_attorney(&self, id: Uuid, attorney: &hermes_firm::Attorney, audit: AuditEvent) -> Result<AttorneyRecord> {
                    let mut tx = self.write_tx().await?;
                    let done = sqlx::query(
                        "UPDATE attorneys SET document = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id)
                    .bind(to_json(attorney))
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    self.audit_in(&mut tx, audit.target("attorney", id)).await?;
                    let rec = self.attorney_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(rec)
                }

                async fn delete_attorney(&self, id: Uuid, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    let done = sqlx::query("DELETE FROM attorneys WHERE tenant_id = $1 AND id = $2")
                        .bind(self.tenant.as_uuid())
                        .bind(id)
                        .execute(&mut *tx)
                        .await;
                    let done = match done {
                        Err(e) if fk_violation(&e) => return Err(StoreError::InUse("the attorney has bookings; deactivate them instead")),
                        other => other?,
                    };
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    self.audit_in(&mut tx, audit.target("attorney", id)).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn create_party(&self, party: &Party, source: PartySource, audit: AuditEvent) -> Result<PartyRecord> {
                    let mut tx = self.write_tx().await?;
                    self.insert_party_in(&mut tx, party, source, now()).await?;
                    self.audit_in(&mut tx, audit.target("party", party.id)).await?;
                    let rec = self.party_in(&mut tx, party.id).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(rec)
                }

                async fn import_parties(&self, parties: &[Party], source: PartySource, audit: AuditEvent) -> Result<u64> {
                    let mut tx = self.write_tx().await?;
                    let at = now();
                    for p in parties {
                        self.insert_party_in(&mut tx, p, source, at).await?;
                    }
                    self.audit_in(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(parties.len() as u64)
                }

                async fn replace_parties_from(&self, source: PartySource, parties: &[Party], audit: AuditEvent) -> Result<u64> {
                    let mut tx = self.write_tx().await?;
                    sqlx::query("DELETE FROM parties WHERE tenant_id = $1 AND source = $2")
                        .bind(self.tenant.as_uuid())
                        .bind(source.as_str())
                        .execute(&mut *tx)
                        .await?;
                    let at = now();
                    for p in parties {
                        self.insert_party_in(&mut tx, p, source, at).await?;
                    }
                    self.audit_in(&mut tx, audit.details(serde_json::json!({"source": source.as_str(), "parties": parties.len()}))).await?;
                    tx.commit().await?;
                    Ok(parties.len() as u64)
                }

                async fn party(&self, id: Uuid) -> Result<Option<PartyRecord>> {
                    let mut tx = self.read_tx().await?;
                    let p = self.party_in(&mut tx, id).await?;
                    tx.commit().await?;
                    Ok(p)
                }

                async fn update_party(&self, p: &Party, audit: AuditEvent) -> Result<PartyRecord> {
                    let mut tx = self.write_tx().await?;
                    let done = sqlx::query(
                        "UPDATE parties SET kind = $3, name = $4, aliases = $5, role = $6, date_of_birth = $7, \
                         phones = $8, emails = $9, matter_ref = $10, matter_status = $11, updated_at = $12 \
                         WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(p.id)
                    .bind(p.kind.as_str())
                    .bind(p.name.clone())
                    .bind(to_json(&p.aliases))
                    .bind(p.role.as_str())
                    .bind(p.date_of_birth)
                    .bind(to_json(&p.phones))
                    .bind(to_json(&p.emails))
                    .bind(p.matter_ref.clone())
                    .bind(p.matter_status.map(|s| s.as_str()))
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    self.audit_in(&mut tx, audit.target("party", p.id)).await?;
                    let rec = self.party_in(&mut tx, p.id).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(rec)
                }

                async fn delete_party(&self, id: Uuid, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.write_tx().await?;
                    let done = sqlx::query("DELETE FROM parties WHERE tenant_id = $1 AND id = $2")
                        .bind(self.tenant.as_uuid())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    self.audit_in(&mut tx, audit.target("party", id)).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn list_parties(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<PartyRecord>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<PartyRow> = sqlx::query_as(select_firm!(
                        party,
                        "WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
                    ))
                    .bind(self.tenant.as_uuid())
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    rows.into_iter().map(PartyRecord::try_from).collect()
                }

                async fn all_parties(&self) -> Result<Vec<Party>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<PartyRow> =
                        sqlx::query_as(select_firm!(party, "WHERE tenant_id = $1"))
                            .bind(self.tenant.as_uuid())
                            .fetch_all(&mut *tx)
                            .await?;
                    tx.commit().await?;
                    rows.into_iter().map(|r| PartyRecord::try_from(r).map(|p| p.party)).collect()
                }

                async fn parties_changed_since(&self, since: DateTime<Utc>) -> Result<Vec<Party>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<PartyRow> =
                        sqlx::query_as(select_firm!(party, "WHERE tenant_id = $1 AND updated_at > $2"))
                            .bind(self.tenant.as_uuid())
                            .bind(since)
                            .fetch_all(&mut *tx)
                            .await?;
                    tx.commit().await?;
                    rows.into_iter().map(|r| PartyRecord::try_from(r).map(|p| p.party)).collect()
                }

                async fn party_count(&self) -> Result<u64> {
                    let mut tx = self.read_tx().await?;
                    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM parties WHERE tenant_id = $1")
                        .bind(self.tenant.as_uuid())
                        .fetch_one(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(u64::try_from(n).unwrap_or(0))
                }

                async fn create_review(&self, r: &NewConflictReview, audit: AuditEvent) -> Result<ConflictReview> {
                    let mut tx = self.write_tx().await?;
                    sqlx::query(
                        "INSERT INTO conflict_reviews (tenant_id, id, status, severity, subject, request, hits, created_at) \
                         VALUES ($1, $2, 'open', $3, $4, $5, $6, $7)",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(r.id)
                    .bind(r.severity)
                    .bind(r.subject.clone())
                    .bind(r.request.to_string())
                    .bind(r.hits.to_string())
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    self.audit_in(&mut tx, audit.target("conflict_review", r.id)).await?;
                    let rec = self.review_in(&mut tx, r.id).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(rec)
                }

                async fn review(&self, id: Uuid) -> Result<Option<ConflictReview>> {
                    let mut tx = self.read_tx().await?;
                    let r = self.review_in(&mut tx, id).await?;
                    tx.commit().await?;
                    Ok(r)
                }

                async fn list_reviews(&self, page: &ReviewPage) -> Result<Vec<ConflictReview>> {
                    // Ids are UUIDv7, so id order is creation order and the
                    // id is the cursor.
                    const OLDEST_FIRST: &str = select_firm!(
                        review,
                        "WHERE tenant_id = $1 AND ($2 IS NULL OR status = $2) \
                         AND ($3 IS NULL OR id > $3) ORDER BY id ASC LIMIT $4"
                    );
                    const NEWEST_FIRST: &str = select_firm!(
                        review,
                        "WHERE tenant_id = $1 AND ($2 IS NULL OR status = $2) \
                         AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
                    );
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<ReviewRow> =
                        sqlx::query_as(if page.oldest_first { OLDEST_FIRST } else { NEWEST_FIRST })
                            .bind(self.tenant.as_uuid())
                            .bind(page.status.map(|s| s.as_str()))
                            .bind(page.after)
                            .bind(i64::from(page.limit))
                            .fetch_all(&mut *tx)
                            .await?;
                    tx.commit().await?;
                    rows.into_iter().map(ConflictReview::try_from).collect()
                }

                async fn decide_review(
                    &self,
                    id: Uuid,
                    decision: ReviewStatus,
                    note: Option<&str>,
                    by: UserId,
                    audit: AuditEvent,
                ) -> Result<(ConflictReview, Vec<Booking>)> {
                    let mut tx = self.write_tx().await?;
                    let review = self.review_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
                    if review.status != ReviewStatus::Open {
                        return Err(StoreError::InvalidState(format!(
                            "the review was already decided ({})",
                            review.status.as_str()
                        )));
                    }
                    let at = now();
                    sqlx::query(
                        "UPDATE conflict_reviews SET status = $3, decided_at = $4, decided_by = $5, decision_note = $6 \
                         WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id)
                    .bind(decision.as_str())
                    .bind(at)
                    .bind(by.as_uuid())
                    .bind(note.map(str::to_owned))
                    .execute(&mut *tx)
                    .await?;
                    let next = if decision == ReviewStatus::Cleared { "confirmed" } else { "cancelled" };
                    let ids: Vec<(Uuid,)> = sqlx::query_as(
                        "UPDATE bookings SET status = $3, sequence = sequence + 1, updated_at = $4 \
                         WHERE tenant_id = $1 AND conflict_review_id = $2 AND status = 'tentative' RETURNING id",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(id)
                    .bind(next)
                    .bind(at)
                    .fetch_all(&mut *tx)
                    .await?;
                    let booking_ids: Vec<String> = ids.iter().map(|(b,)| b.to_string()).collect();
                    self.audit_in(
                        &mut tx,
                        audit
                            .target("conflict_review", id)
                            .details(serde_json::json!({
                                "decision": decision.as_str(),
                                "bookings": booking_ids,
                                "bookings_now": next,
                            })),
                    )
                    .await?;
                    let mut bookings = Vec::with_capacity(ids.len());
                    for (b,) in ids {
                        bookings.push(self.booking_in(&mut tx, b).await?.ok_or(StoreError::NotFound)?);
                    }
                    let review = self.review_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok((review, bookings))
                }

                async fn create_booking(
                    &self,
                    b: &NewBooking,
                    now: DateTime<Utc>,
                    check: SlotCheck<'_>,
                    audit: AuditEvent,
                ) -> Result<Booking> {
                    let mut tx = self.write_tx().await?;
                    self.expire_holds_in(&mut tx, b.attorney_id, now).await?;
                    let around = self.around_in(&mut tx, b.attorney_id, b.starts_at, b.blocked_until, None).await?;
                    check(&around).map_err(StoreError::Rejected)?;
                    let status = self.booking_status_in(&mut tx, b.status, b.conflict_review_id).await?;
                    sqlx::query(
                        "INSERT INTO bookings (tenant_id, id, attorney_id, practice_area, starts_at, ends_at, \
                         blocked_until, status, hold_expires_at, conflict_review_id, client_name, client_phone, \
                         client_email, sequence, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $14)",
                    )
                    .bind(self.tenant.as_uuid())
                    .bind(b.id)
                    .bind(b.attorney_id)
                    .bind(b.practice_area.clone())
                    .bind(b.starts_at)
                    .bind(b.ends_at)
                    .bind(b.blocked_until)
                    .bind(status.as_str())
                    .bind(b.hold_expires_at)
                    .bind(b.conflict_review_id)
                    .bind(b.contact.name.clone())
                    .bind(b.contact.phone.clone())
                    .bind(b.contact.email.clone())
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(booking_write)?;
                    let target = if b.status == BookingStatus::Held { "hold" } else { "booking" };
                    self.audit_in(&mut tx, audit.target(target, b.id)).await?;
                    let rec = self.booking_in(&mut tx, b.id).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(rec)
                }

                async fn booking(&self, id: Uuid) -> Result<Option<Booking>> {
                    let mut tx = self.read_tx().await?;
                    let b = self.booking_in(&mut tx, id).await?;
                    tx.commit().await?;
                    Ok(b)
                }

                async fn list_bookings(&self, f: &BookingFilter, now: DateTime<Utc>) -> Result<Vec<Booking>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<BookingRow> = sqlx::query_as(select_firm!(
                        booking,
                        "WHERE tenant_id = $1 AND ($2 IS NULL OR ends_at > $2) AND ($3 IS NULL OR starts_at < $3) \
                         AND ($4 IS NULL OR attorney_id = $4) \
                         AND ($5 IS NULL OR (CASE WHEN status = 'held' AND hold_expires_at <= $8 \
                                                  THEN 'expired' ELSE status END) = $5) \
                         AND ($6 IS NULL OR conflict_review_id = $6) \
                         AND ($9 IS NULL OR starts_at > $9 OR (starts_at = $9 AND id > $10)) \
                         ORDER BY starts_at, id LIMIT $7"
                    ))
                    .bind(self.tenant.as_uuid())
                    .bind(f.from)
                    .bind(f.to)
                    .bind(f.attorney_id)
                    .bind(f.status.map(|s| s.as_str()))
                    .bind(f.conflict_review_id)
                    .bind(i64::from(f.limit))
                    .bind(now)
                    .bind(f.after.map(|(at, _)| at))
                    .bind(f.after.map(|(_, id)| id))
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    rows.into_iter().map(Booking::try_from).collect()
                }

                async fn busy(&self, from: DateTime<Utc>, to: DateTime<Utc>, now: DateTime<Utc>) -> Result<Vec<Booking>> {
                    let mut tx = self.read_tx().await?;
                    let rows: Vec<BookingRow> = sqlx::query_as(select_firm!(
                        booking,
                        "WHERE tenant_id = $1 AND status IN ('held', 'tentative', 'confirmed') \
                         AND starts_at < $3 AND blocked_until > $2 \
                         AND (status <> 'held' OR hold_expires_at > $4) ORDER BY starts_at"
                    ))
                    .bind(self.tenant.as_uuid())
                    .bind(from)
                    .bind(to)
                    .bind(now)
                    .fetch_all(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    rows.into_iter().map(Booking::try_from).collect()
                }

                async fn update_booking(
                    &self,
                    id: Uuid,
                    change: &BookingChange,
                    now: DateTime<Utc>,
                    check: SlotCheck<'_>,
                    audit: AuditEvent,
                ) -> Result<Booking> {
                    let mut tx = self.write_tx().await?;
                    let cur = self.booking_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
                    let invalid = |what: &str| {
                        Err(StoreError::InvalidState(format!(
                            "a {} reservation cannot be {what}",
                            cur.status.as_str()
                        )))
                    };
                    let (action_detail, done) = match change {
                        BookingChange::FromHold { conflict_review_id, contact } => {
                            if !cur.is_active_at(now) || cur.status != BookingStatus::Held {
                                return if cur.status == BookingStatus::Held {
                                    Err(StoreError::InvalidState("the hold has expired".into()))
                                } else {
                                    invalid("booked from a hold")
                                };
                            }
                            let status = self
                                .booking_status_in(&mut tx, BookingStatus::Confirmed, *conflict_review_id)
                                .await?;
                            let done = sqlx::query(
                                "UPDATE bookings SET status = $3, hold_expires_at = NULL, conflict_review_id = $4, \
                                 client_name = $5, client_phone = $6, client_email = $7, updated_at = $8 \
                                 WHERE tenant_id = $1 AND id = $2",
                            )
                            .bind(self.tenant.as_uuid())
                            .bind(id)
                            .bind(status.as_str())
                            .bind(*conflict_review_id)
                            .bind(contact.name.clone())
                            .bind(contact.phone.clone())
                            .bind(contact.email.clone())
                            .bind(now)
                            .execute(&mut *tx)
                            .await
                            .map_err(booking_write)?;
                            ("booked", done)
                        }
                        BookingChange::Reschedule { attorney_id, starts_at, ends_at, blocked_until } => {
                            if !matches!(cur.status, BookingStatus::Tentative | BookingStatus::Confirmed) {
                                return invalid("rescheduled");
                            }
                            self.expire_holds_in(&mut tx, *attorney_id, now).await?;
                            let around = self
                                .around_in(&mut tx, *attorney_id, *starts_at, *blocked_until, Some(id))
                                .await?;
                            check(&around).map_err(StoreError::Rejected)?;
                            let done = sqlx::query(
                                "UPDATE bookings SET attorney_id = $3, starts_at = $4, ends_at = $5, blocked_until = $6, \
                                 sequence = sequence + 1, updated_at = $7 WHERE tenant_id = $1 AND id = $2",
                            )
                            .bind(self.tenant.as_uuid())
                            .bind(id)
                            .bind(*attorney_id)
                            .bind(*starts_at)
                            .bind(*ends_at)
                            .bind(*blocked_until)
                            .bind(now)
                            .execute(&mut *tx)
                            .await
                            .map_err(booking_write)?;
                            ("rescheduled", done)
                        }
                        BookingChange::Cancel => {
                            if !cur.is_active_at(now) {
                                return invalid("cancelled");
                            }
                            let done = sqlx::query(
                                "UPDATE bookings SET status = 'cancelled', hold_expires_at = NULL, \
                                 sequence = sequence + 1, updated_at = $3 WHERE tenant_id = $1 AND id = $2",
                            )
                            .bind(self.tenant.as_uuid())
                            .bind(id)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?;
                            ("cancelled", done)
                        }
                    };
                    if done.rows_affected() == 0 {
                        return Err(StoreError::NotFound);
                    }
                    self.audit_in(
                        &mut tx,
                        audit.target("booking", id).details(serde_json::json!({ "change": action_detail })),
                    )
                    .await?;
                    let rec = self.booking_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
                    tx.commit().await?;
                    Ok(rec)
                }
            }
        };
    };
}
pub(crate) use impl_firm_backend;
