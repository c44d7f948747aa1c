//! What the firm issue stores: settings documents, attorneys, the parties
//! index, conflict reviews, holds and bookings; and the [`FirmStore`] trait
//! through which a [`crate::TenantStore`] reads and writes them.
//!
//! Rules the database itself enforces, so that no code path can break them:
//! - **No double booking.** An active hold or booking (`held`, `tentative`,
//!   `confirmed`) of one attorney never overlaps another over
//!   `[starts_at, blocked_until)`, where `blocked_until` is the end plus the
//!   attorney's buffer: an exclusion constraint on PostgreSQL, a trigger on
//!   SQLite (whose single writer makes check-and-insert atomic). A violation
//!   is [`StoreError::SlotTaken`].
//! - A booking points only at an attorney and a review of its own firm
//!   (composite foreign keys), and an attorney with bookings cannot be
//!   deleted ([`StoreError::InUse`]).
//!
//! Rules that need the domain (availability, notice, daily caps) are checked
//! by a caller-supplied [`SlotCheck`] *inside* the write transaction, after
//! the attorney's other reservations are read under the tenant's write
//! lock, so the check and the insert see the same calendar.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hermes_conflicts::Party;
use hermes_core::UserId;
use hermes_firm::{Attorney, EscalationContacts, FirmProfile, Hours, Offices, PracticeAreas};
use uuid::Uuid;

use crate::{AuditEvent, Result};

/// The firm's settings documents; `None` until an admin sets one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FirmSettings {
    pub profile: Option<FirmProfile>,
    pub hours: Option<Hours>,
    pub practice_areas: Option<PracticeAreas>,
    pub escalation: Option<EscalationContacts>,
    /// Several offices under the one firm (the Enterprise plan).
    pub offices: Option<Offices>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// One section, replaced as a whole.
#[derive(Debug, Clone)]
pub enum SettingsUpdate {
    Profile(FirmProfile),
    Hours(Hours),
    PracticeAreas(PracticeAreas),
    Escalation(EscalationContacts),
    Offices(Offices),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttorneyRecord {
    pub id: Uuid,
    pub attorney: Attorney,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where a party entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartySource {
    Manual,
    CsvImport,
    Intake,
    Clio,
}

impl PartySource {
    pub fn as_str(&self) -> &'static str {
        match self {
            PartySource::Manual => "manual",
            PartySource::CsvImport => "csv_import",
            PartySource::Intake => "intake",
            PartySource::Clio => "clio",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "manual" => PartySource::Manual,
            "csv_import" => PartySource::CsvImport,
            "intake" => PartySource::Intake,
            "clio" => PartySource::Clio,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PartyRecord {
    pub party: Party,
    pub source: PartySource,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewStatus {
    Open,
    Cleared,
    Declined,
}

impl ReviewStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ReviewStatus::Open => "open",
            ReviewStatus::Cleared => "cleared",
            ReviewStatus::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => ReviewStatus::Open,
            "cleared" => ReviewStatus::Cleared,
            "declined" => ReviewStatus::Declined,
            _ => return None,
        })
    }
}

/// A conflict check that needs an attorney's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictReview {
    pub id: Uuid,
    pub status: ReviewStatus,
    /// `potential` or `conflict`.
    pub severity: String,
    /// Who the check was for, as the staff will recognise it.
    pub subject: String,
    /// The parties checked (JSON, as the API received them).
    pub request: serde_json::Value,
    /// The hits with their reasons (JSON, as the API answered).
    pub hits: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<UserId>,
    pub decision_note: Option<String>,
}

/// Which reviews, in which order, from where.
#[derive(Debug, Clone, Copy)]
pub struct ReviewPage {
    pub status: Option<ReviewStatus>,
    /// Oldest first (the open queue: who has waited longest) or newest
    /// first (the history).
    pub oldest_first: bool,
    /// The last review of the previous page.
    pub after: Option<Uuid>,
    pub limit: u32,
}

#[derive(Debug, Clone)]
pub struct NewConflictReview {
    pub id: Uuid,
    pub severity: &'static str,
    pub subject: String,
    pub request: serde_json::Value,
    pub hits: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingStatus {
    /// Reserved for a few minutes while a caller decides.
    Held,
    /// Booked, waiting on a conflict review.
    Tentative,
    Confirmed,
    Cancelled,
    /// A hold that ran out.
    Expired,
}

impl BookingStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            BookingStatus::Held => "held",
            BookingStatus::Tentative => "tentative",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "held" => BookingStatus::Held,
            "tentative" => BookingStatus::Tentative,
            "confirmed" => BookingStatus::Confirmed,
            "cancelled" => BookingStatus::Cancelled,
            "expired" => BookingStatus::Expired,
            _ => return None,
        })
    }

    /// Whether it occupies the attorney's time.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            BookingStatus::Held | BookingStatus::Tentative | BookingStatus::Confirmed
        )
    }
}

/// Contact details of the person booked. Nothing about their matter:
/// bookings end up in calendar invitations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BookingContact {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A hold or a booking.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub id: Uuid,
    pub attorney_id: Uuid,
    pub practice_area: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub blocked_until: DateTime<Utc>,
    pub status: BookingStatus,
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub conflict_review_id: Option<Uuid>,
    pub contact: BookingContact,
    /// iCalendar SEQUENCE: bumped on every reschedule or cancellation.
    pub sequence: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Booking {
    /// Whether it occupies the attorney's time at `now` (a hold past its
    /// expiry does not, even before it is marked expired).
    pub fn is_active_at(&self, now: DateTime<Utc>) -> bool {
        match self.status {
            BookingStatus::Held => self.hold_expires_at.is_some_and(|e| e > now),
            s => s.is_active(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewBooking {
    pub id: Uuid,
    pub attorney_id: Uuid,
    pub practice_area: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub blocked_until: DateTime<Utc>,
    /// `Held` (with `hold_expires_at`) for a hold; for a booking
    /// `Confirmed`, which the store turns into `Tentative` while
    /// `conflict_review_id` names an open review (and refuses with
    /// `ReviewDeclined` for a declined one), deciding under the write lock.
    pub status: BookingStatus,
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub conflict_review_id: Option<Uuid>,
    pub contact: BookingContact,
}

/// How a booking changes.
#[derive(Debug, Clone)]
pub enum BookingChange {
    /// A held slot becomes a booking (`Tentative` while the review is
    /// open, `Confirmed` without one or once it is cleared, refused with
    /// `ReviewDeclined` if it was declined), if the hold has not expired.
    FromHold {
        conflict_review_id: Option<Uuid>,
        contact: BookingContact,
    },
    /// Move a tentative or confirmed booking.
    Reschedule {
        attorney_id: Uuid,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        blocked_until: DateTime<Utc>,
    },
    Cancel,
}

/// Validates a reservation against the attorney's other active
/// reservations (read in the same transaction), returning why not.
pub type SlotCheck<'a> = &'a (dyn Fn(&[Booking]) -> std::result::Result<(), String> + Send + Sync);

#[derive(Debug, Clone, Default)]
pub struct BookingFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub attorney_id: Option<Uuid>,
    pub status: Option<BookingStatus>,
    pub conflict_review_id: Option<Uuid>,
    /// Start and id of the last booking of the previous page (results are
    /// ordered by start, then id).
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u32,
}

/// The firm issue's part of a tenant's store. Every method is scoped to the
/// handle's tenant like the rest of [`crate::TenantStore`].
#[async_trait]
pub trait FirmStore: Send + Sync {
    // --- settings ------------------------------------------------------------

    async fn firm_settings(&self) -> Result<FirmSettings>;

    /// Replaces one section; the caller has validated it.
    async fn put_settings(
        &self,
        update: &SettingsUpdate,
        audit: AuditEvent,
    ) -> Result<FirmSettings>;

    // --- attorneys -----------------------------------------------------------

    async fn create_attorney(
        &self,
        id: Uuid,
        attorney: &Attorney,
        audit: AuditEvent,
    ) -> Result<AttorneyRecord>;

    async fn attorney(&self, id: Uuid) -> Result<Option<AttorneyRecord>>;

    async fn list_attorneys(&self) -> Result<Vec<AttorneyRecord>>;

    async fn update_attorney(
        &self,
        id: Uuid,
        attorney: &Attorney,
        audit: AuditEvent,
    ) -> Result<AttorneyRecord>;

    /// `InUse` when bookings refer to the attorney (deactivate instead).
    async fn delete_attorney(&self, id: Uuid, audit: AuditEvent) -> Result<()>;

    // --- parties -------------------------------------------------------------

    async fn create_party(
        &self,
        party: &Party,
        source: PartySource,
        audit: AuditEvent,
    ) -> Result<PartyRecord>;

    /// All or nothing: one transaction, one audit entry.
    async fn import_parties(
        &self,
        parties: &[Party],
        source: PartySource,
        audit: AuditEvent,
    ) -> Result<u64>;

    /// Replaces every party from `source` with `parties` (a sync from an
    /// outside system: what it no longer has goes), in one transaction
    /// with one audit entry. Returns how many there are now.
    async fn replace_parties_from(
        &self,
        source: PartySource,
        parties: &[Party],
        audit: AuditEvent,
    ) -> Result<u64>;

    async fn party(&self, id: Uuid) -> Result<Option<PartyRecord>>;

    /// Replaces the party's fields (its source stays).
    async fn update_party(&self, party: &Party, audit: AuditEvent) -> Result<PartyRecord>;

    async fn delete_party(&self, id: Uuid, audit: AuditEvent) -> Result<()>;

    /// A page in id order (ids are UUIDv7, so roughly creation order),
    /// starting after `after`.
    async fn list_parties(&self, after: Option<Uuid>, limit: u32) -> Result<Vec<PartyRecord>>;

    /// Every party, to build the in-memory conflict index.
    async fn all_parties(&self) -> Result<Vec<Party>>;

    /// Parties created or changed after `since`, to reconcile an index.
    async fn parties_changed_since(&self, since: DateTime<Utc>) -> Result<Vec<Party>>;

    async fn party_count(&self) -> Result<u64>;

    // --- conflict reviews ----------------------------------------------------

    async fn create_review(
        &self,
        review: &NewConflictReview,
        audit: AuditEvent,
    ) -> Result<ConflictReview>;

    async fn review(&self, id: Uuid) -> Result<Option<ConflictReview>>;

    /// A page of reviews in creation order (or its reverse), after the
    /// cursor.
    async fn list_reviews(&self, page: &ReviewPage) -> Result<Vec<ConflictReview>>;

    /// Records the decision and, in the same transaction, confirms
    /// (`Cleared`) or cancels (`Declined`) the tentative bookings waiting on
    /// the review. `InvalidState` when it was already decided.
    async fn decide_review(
        &self,
        id: Uuid,
        decision: ReviewStatus,
        note: Option<&str>,
        by: UserId,
        audit: AuditEvent,
    ) -> Result<(ConflictReview, Vec<Booking>)>;

    // --- holds and bookings ----------------------------------------------------

    /// Inserts a hold or booking after expiring the attorney's stale holds
    /// and running `check` on the attorney's other active reservations
    /// around the slot. `SlotTaken` if it overlaps one (the database's rule),
    /// `Rejected` if `check` says no.
    async fn create_booking(
        &self,
        booking: &NewBooking,
        now: DateTime<Utc>,
        check: SlotCheck<'_>,
        audit: AuditEvent,
    ) -> Result<Booking>;

    async fn booking(&self, id: Uuid) -> Result<Option<Booking>>;

    /// Filtered by start time, attorney, review and status, where a hold
    /// past its expiry at `now` counts as `expired`.
    async fn list_bookings(
        &self,
        filter: &BookingFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<Booking>>;

    /// Active reservations (live holds, tentative and confirmed bookings)
    /// overlapping `[from, to)`, for availability.
    async fn busy(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Booking>>;

    /// Applies `change`; `check` runs for a reschedule as in
    /// [`FirmStore::create_booking`] (the booking itself excluded).
    /// `InvalidState` for a change its status does not allow (an expired
    /// hold, a cancelled booking).
    async fn update_booking(
        &self,
        id: Uuid,
        change: &BookingChange,
        now: DateTime<Utc>,
        check: SlotCheck<'_>,
        audit: AuditEvent,
    ) -> Result<Booking>;
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn booking(status: BookingStatus, hold_expires_at: Option<DateTime<Utc>>) -> Booking {
        let t = Utc.with_ymd_and_hms(2030, 1, 7, 10, 0, 0).unwrap();
        Booking {
            id: Uuid::nil(),
            attorney_id: Uuid::nil(),
            practice_area: "family".into(),
            starts_at: t,
            ends_at: t + Duration::minutes(30),
            blocked_until: t + Duration::minutes(45),
            status,
            hold_expires_at,
            conflict_review_id: None,
            contact: BookingContact::default(),
            sequence: 0,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn a_hold_occupies_time_until_it_expires() {
        let now = Utc.with_ymd_and_hms(2030, 1, 6, 12, 0, 0).unwrap();
        let hold = booking(BookingStatus::Held, Some(now + Duration::minutes(5)));
        assert!(hold.is_active_at(now));
        assert!(hold.is_active_at(now + Duration::minutes(5) - Duration::seconds(1)));
        assert!(!hold.is_active_at(now + Duration::minutes(5)));
        assert!(!booking(BookingStatus::Held, None).is_active_at(now));
    }

    #[test]
    fn statuses_that_occupy_time() {
        let now = Utc.with_ymd_and_hms(2030, 1, 6, 12, 0, 0).unwrap();
        for (status, active) in [
            (BookingStatus::Tentative, true),
            (BookingStatus::Confirmed, true),
            (BookingStatus::Cancelled, false),
            (BookingStatus::Expired, false),
        ] {
            assert_eq!(
                booking(status, None).is_active_at(now),
                active,
                "{status:?}"
            );
            assert_eq!(BookingStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(BookingStatus::parse("booked"), None);
        for s in [
            ReviewStatus::Open,
            ReviewStatus::Cleared,
            ReviewStatus::Declined,
        ] {
            assert_eq!(ReviewStatus::parse(s.as_str()), Some(s));
        }
        for s in [
            PartySource::Manual,
            PartySource::CsvImport,
            PartySource::Intake,
            PartySource::Clio,
        ] {
            assert_eq!(PartySource::parse(s.as_str()), Some(s));
        }
    }
}
