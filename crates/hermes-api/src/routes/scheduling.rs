//! Consultation scheduling: open slots, holds, bookings and their iCalendar
//! invitations.
//!
//! The rules (availability, closures, buffers, notice, horizon, daily caps)
//! live in `hermes-scheduling`; this module gathers their inputs from the
//! store and runs them. A hold or booking is validated *inside* the store's
//! write transaction (the store hands the attorney's other reservations to
//! a check closure), and the database itself refuses an overlap, so two
//! callers racing for one slot get one booking and one `409 slot_taken`.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use hermes_core::{E164, Email, ParseError, TenantId};
use hermes_firm::{OfficeKey, PracticeArea, PracticeAreaKey};
use hermes_scheduling::{AttorneyRules, Busy, SlotQuery};
use hermes_store::{
    AttorneyRecord, Booking, BookingChange, BookingContact, BookingFilter, BookingStatus,
    NewBooking, TenantStore,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{Require, perm};
use crate::client::ClientInfo;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::live::{self, LiveEvent};
use crate::routes::attorneys::parse_uuid;
use crate::state::AppState;

/// Slot starts fall on this wall-clock grid (:00, :30).
const STEP: Duration = Duration::minutes(30);
/// The widest window one availability request may ask for.
const MAX_WINDOW_DAYS: i64 = 62;
const DEFAULT_HOLD_SECONDS: u32 = 300;

fn parse_tz(raw: &str) -> ApiResult<Tz> {
    Ok(hermes_core::TimeZone::parse(raw)?.tz())
}

fn parse_area(raw: &str) -> ApiResult<PracticeAreaKey> {
    Ok(PracticeAreaKey::parse(raw)?)
}

/// A stored reservation as busy time for an attorney whose buffer is now
/// `buffer` (see [`Calendar::busy_of`] for why the end moves).
fn as_busy(b: &Booking, buffer: Duration) -> Busy {
    Busy {
        attorney: b.attorney_id,
        start: b.starts_at,
        end: b.ends_at.max(b.blocked_until - buffer),
        counts_toward_cap: true,
    }
}

/// Where an attorney's availability is read: their office's time zone and
/// closures, or the firm's for an attorney without an office.
#[derive(Debug, Clone)]
struct Zone {
    tz: Tz,
    closures: Vec<hermes_scheduling::Closure>,
    /// The attorneys whose availability is read here.
    attorneys: Vec<Uuid>,
}

/// Everything the scheduler needs about a firm for one practice area.
struct Calendar {
    /// The zone times are shown in unless a caller asks for another: the
    /// office's for an office's calendar, else the firm's.
    tz: Tz,
    area: PracticeArea,
    attorneys: Vec<AttorneyRecord>,
    /// One per office the attorneys work from (and the firm's own).
    zones: Vec<Zone>,
}

impl Calendar {
    /// The calendar of one practice area: of the whole firm, or of one
    /// office's attorneys (a caller who rang that office).
    async fn load(
        state: &AppState,
        tenant: TenantId,
        area: &PracticeAreaKey,
        office: Option<&OfficeKey>,
    ) -> ApiResult<Self> {
        let firm_tz = state.tenant(tenant).await?.time_zone.tz();
        let store = state.store.scoped(tenant);
        let settings = store.firm_settings().await?;
        let areas = settings.practice_areas.unwrap_or_default();
        let area = areas.get(area).cloned().ok_or_else(|| {
            ApiError::Invalid(ParseError::new(
                "practice_area",
                format!("{area} is not one of the firm's practice areas"),
            ))
        })?;
        let firm_hours = settings
            .hours
            .unwrap_or_else(hermes_firm::Hours::default_for_new_firm);
        let offices = settings.offices.unwrap_or_default();
        let only = office.map(|k| offices.require(k)).transpose()?;
        let attorneys: Vec<AttorneyRecord> = store
            .list_attorneys()
            .await?
            .into_iter()
            .filter(|a| a.attorney.active && a.attorney.practice_areas.contains(&area.key))
            .filter(|a| only.is_none_or(|o| a.attorney.office.as_ref() == Some(&o.key)))
            .collect();
        // An attorney whose office is gone (removed while they were being
        // edited) falls back to the firm's zone rather than vanishing.
        let mut keyed: Vec<(Option<&OfficeKey>, Zone)> = Vec::new();
        for a in &attorneys {
            let office = a.attorney.office.as_ref().and_then(|k| offices.get(k));
            let key = office.map(|o| &o.key);
            match keyed.iter_mut().find(|(k, _)| *k == key) {
                Some((_, z)) => z.attorneys.push(a.id),
                None => keyed.push((
                    key,
                    Zone {
                        tz: office.map_or(firm_tz, |o| o.time_zone.tz()),
                        closures: office.map_or_else(
                            || firm_hours.closures.clone(),
                            |o| o.hours_within(&firm_hours).closures,
                        ),
                        attorneys: vec![a.id],
                    },
                )),
            }
        }
        Ok(Calendar {
            tz: only.map_or(firm_tz, |o| o.time_zone.tz()),
            area,
            attorneys,
            zones: keyed.into_iter().map(|(_, z)| z).collect(),
        })
    }

    /// The zone an attorney of this calendar is scheduled in.
    fn zone_of(&self, attorney: Uuid) -> Option<&Zone> {
        self.zones.iter().find(|z| z.attorneys.contains(&attorney))
    }

    fn rules(&self) -> Vec<AttorneyRules> {
        self.attorneys
            .iter()
            .map(|a| a.attorney.rules(a.id))
            .collect()
    }

    fn attorney(&self, id: Uuid) -> ApiResult<&AttorneyRecord> {
        self.attorneys.iter().find(|a| a.id == id).ok_or_else(|| {
            ApiError::Invalid(ParseError::new(
                "attorney_id",
                format!("no active attorney {id} takes {}", self.area.key),
            ))
        })
    }

    /// End and blocked-until of a consultation starting at `start` with
    /// `attorney`.
    fn span(
        &self,
        attorney: &AttorneyRecord,
        start: DateTime<Utc>,
    ) -> (DateTime<Utc>, DateTime<Utc>) {
        let end = start + self.area.consultation_length();
        (
            end,
            end + Duration::minutes(i64::from(attorney.attorney.buffer_minutes)),
        )
    }

    /// A stored reservation as the scheduler's busy time. The scheduler adds
    /// the attorney's *current* buffer after `end`; a reservation made when
    /// the buffer was longer blocks until its stored `blocked_until` (the
    /// database holds it to that), so its end is moved to keep both in step
    /// and no slot is offered that the database would refuse.
    fn busy_of(&self, b: &Booking) -> Busy {
        let buffer = self
            .attorneys
            .iter()
            .find(|a| a.id == b.attorney_id)
            .map_or(Duration::zero(), |a| {
                Duration::minutes(i64::from(a.attorney.buffer_minutes))
            });
        as_busy(b, buffer)
    }

    /// The check the store runs inside its write transaction.
    ///
    /// Time taken on the attorney's Clio calendar is read now, outside the
    /// transaction: it changes in Clio, not here, so no lock could hold it.
    async fn check(
        &self,
        state: &AppState,
        tenant: TenantId,
        attorney: Uuid,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> ApiResult<impl Fn(&[Booking]) -> Result<(), String> + Send + Sync + use<>> {
        let elsewhere: Vec<Busy> = state
            .store
            .scoped(tenant)
            .external_busy(start - Duration::days(1), start + Duration::days(1))
            .await?
            .into_iter()
            .filter(|b| b.attorney_id == attorney)
            .map(|b| Busy {
                attorney: b.attorney_id,
                start: b.starts_at,
                end: b.ends_at,
                counts_toward_cap: false,
            })
            .collect();
        let rules = self.rules();
        let zone = self.zone_of(attorney).ok_or_else(|| {
            ApiError::Invalid(ParseError::new(
                "attorney_id",
                format!("no active attorney {attorney} takes {}", self.area.key),
            ))
        })?;
        let closures = zone.closures.clone();
        let (tz, length) = (zone.tz, self.area.consultation_length());
        let buffers: Vec<(Uuid, Duration)> = self
            .attorneys
            .iter()
            .map(|a| {
                (
                    a.id,
                    Duration::minutes(i64::from(a.attorney.buffer_minutes)),
                )
            })
            .collect();
        Ok(move |others: &[Booking]| {
            let mut busy: Vec<Busy> = others
                .iter()
                .filter(|b| b.is_active_at(now))
                .map(|b| {
                    let buffer = buffers
                        .iter()
                        .find(|(id, _)| *id == b.attorney_id)
                        .map_or(Duration::zero(), |(_, d)| *d);
                    as_busy(b, buffer)
                })
                .collect();
            busy.extend(elsewhere.iter().copied());
            let q = SlotQuery {
                tz,
                attorneys: &rules,
                busy: &busy,
                closures: &closures,
                length,
                step: STEP,
                now,
                from: start,
                to: start + length,
            };
            hermes_scheduling::is_bookable(&q, attorney, start)
                .map(|_| ())
                .map_err(|why| format!("that time cannot be booked: {why}"))
        })
    }
}

// --- availability ----------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityQuery {
    /// A practice area key, e.g. `family`.
    pub practice_area: String,
    /// Only this attorney's slots.
    pub attorney_id: Option<Uuid>,
    /// Start of the window (RFC 3339; in a query string write `+` as
    /// `%2B`, e.g. `2026-12-01T09:00:00%2B01:00`, or use `Z`); default now.
    pub from: Option<DateTime<Utc>>,
    /// End of the window (RFC 3339); default 14 days after `from`, at most 62.
    pub to: Option<DateTime<Utc>>,
    /// IANA time zone to render times in (the caller's); default the
    /// office's, or the firm's.
    pub tz: Option<String>,
    /// Only the attorneys of this office (firms with offices).
    pub office: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotOut {
    pub attorney_id: Uuid,
    pub attorney_name: String,
    /// In the requested time zone's offset.
    #[schema(value_type = String, example = "2026-12-01T10:30:00-08:00")]
    pub start: String,
    #[schema(value_type = String)]
    pub end: String,
    /// How the agent reads it out.
    #[schema(example = "Tuesday, December 1st at 10:30 in the morning, Pacific time")]
    pub spoken: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Availability {
    pub practice_area: String,
    pub consultation_minutes: u32,
    pub free_consultation: bool,
    /// The zone the times are rendered in.
    pub time_zone: String,
    pub slots: Vec<SlotOut>,
}

/// Open consultation slots for a practice area.
#[utoipa::path(
    get, path = "/api/v1/availability", tag = "scheduling",
    security(("bearer" = ["cases:read"])),
    params(AvailabilityQuery),
    responses(
        (status = 200, body = Availability),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn availability(
    auth: Require<perm::ReadCases>,
    State(state): State<AppState>,
    Query(q): Query<AvailabilityQuery>,
) -> ApiResult<Json<Availability>> {
    let area = parse_area(&q.practice_area)?;
    let office = q.office.as_deref().map(OfficeKey::parse).transpose()?;
    let cal = Calendar::load(&state, auth.tenant, &area, office.as_ref()).await?;
    let show_tz = q.tz.as_deref().map(parse_tz).transpose()?.unwrap_or(cal.tz);
    let now = Utc::now();
    let from = q.from.unwrap_or(now).max(now);
    let to = q.to.unwrap_or(from + Duration::days(14));
    let slots = cal
        .open_slots(&state, auth.tenant, q.attorney_id, from, to, now)
        .await?;
    Ok(Json(Availability {
        practice_area: cal.area.key.to_string(),
        consultation_minutes: cal.area.consultation_minutes,
        free_consultation: cal.area.free_consultation,
        time_zone: show_tz.name().to_owned(),
        slots: slots.iter().map(|s| cal.slot_out(s, show_tz)).collect(),
    }))
}

impl Calendar {
    /// Open slots starting in `[from, to)`, for one attorney or all.
    async fn open_slots(
        &self,
        state: &AppState,
        tenant: TenantId,
        attorney: Option<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> ApiResult<Vec<hermes_scheduling::Slot>> {
        if to <= from {
            return Err(ParseError::new("to", "must be after from").into());
        }
        if to - from > Duration::days(MAX_WINDOW_DAYS) {
            return Err(ParseError::new(
                "to",
                format!("the window is at most {MAX_WINDOW_DAYS} days"),
            )
            .into());
        }
        if let Some(id) = attorney {
            self.attorney(id)?;
        }
        let rules: Vec<AttorneyRules> = self
            .rules()
            .into_iter()
            .filter(|r| attorney.is_none_or(|id| r.attorney == id))
            .collect();
        // A day either side: buffers and daily caps look past the window.
        let store = state.store.scoped(tenant);
        let (around_from, around_to) = (from - Duration::days(1), to + Duration::days(1));
        let mut busy: Vec<Busy> = store
            .busy(around_from, around_to, now)
            .await?
            .iter()
            .map(|b| self.busy_of(b))
            .collect();
        // Time taken on the attorneys' Clio calendars (not consultations:
        // no daily cap).
        busy.extend(
            store
                .external_busy(around_from, around_to)
                .await?
                .into_iter()
                .map(|b| Busy {
                    attorney: b.attorney_id,
                    start: b.starts_at,
                    end: b.ends_at,
                    counts_toward_cap: false,
                }),
        );
        // Each office's attorneys in their office's zone and closures.
        let mut slots = Vec::new();
        for zone in &self.zones {
            let rules: Vec<AttorneyRules> = rules
                .iter()
                .filter(|r| zone.attorneys.contains(&r.attorney))
                .cloned()
                .collect();
            if rules.is_empty() {
                continue;
            }
            slots.extend(hermes_scheduling::open_slots(&SlotQuery {
                tz: zone.tz,
                attorneys: &rules,
                busy: &busy,
                closures: &zone.closures,
                length: self.area.consultation_length(),
                step: STEP,
                now,
                from,
                to,
            }));
        }
        slots.sort_unstable_by_key(|s| (s.start, s.attorney));
        Ok(slots)
    }

    fn slot_out(&self, s: &hermes_scheduling::Slot, tz: Tz) -> SlotOut {
        SlotOut {
            attorney_id: s.attorney,
            attorney_name: self
                .attorneys
                .iter()
                .find(|a| a.id == s.attorney)
                .map_or_else(String::new, |a| a.attorney.name.clone()),
            start: s.start.with_timezone(&tz).to_rfc3339(),
            end: s.end.with_timezone(&tz).to_rfc3339(),
            spoken: hermes_scheduling::spoken(s.start, tz),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OffersQuery {
    /// A practice area key, e.g. `family`.
    pub practice_area: String,
    /// What the caller said, e.g. `tuesday morning`, `after 5`, `as soon as
    /// possible` (default).
    pub preference: Option<String>,
    /// IANA time zone the caller lives in; default the office's, or the
    /// firm's.
    pub tz: Option<String>,
    /// 2 or 3 (default 3).
    pub count: Option<usize>,
    /// Only the attorneys of this office (firms with offices).
    pub office: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OffersOut {
    /// False when no slot matched the preference and the options are the
    /// nearest ones instead (the agent says so).
    pub matched_preference: bool,
    pub time_zone: String,
    pub options: Vec<SlotOut>,
}

/// Two or three concrete consultation options for what a caller asked
/// for, spread sensibly, each with the sentence the agent reads out: the
/// intake agent's scheduling step, over HTTP.
#[utoipa::path(
    get, path = "/api/v1/availability/offers", tag = "scheduling",
    security(("bearer" = ["cases:read"])),
    params(OffersQuery),
    responses(
        (status = 200, body = OffersOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn offers(
    auth: Require<perm::ReadCases>,
    State(state): State<AppState>,
    Query(q): Query<OffersQuery>,
) -> ApiResult<Json<OffersOut>> {
    let count = q.count.unwrap_or(3);
    let caller_tz = q.tz.as_deref().map(parse_tz).transpose()?;
    let office = q.office.as_deref().map(OfficeKey::parse).transpose()?;
    let said = q.preference.as_deref().unwrap_or("");
    Ok(Json(
        offers_for(
            &state,
            auth.tenant,
            &q.practice_area,
            said,
            caller_tz,
            office.as_ref(),
            count,
        )
        .await?,
    ))
}

/// Two or three options for what a caller said: the HTTP route and the
/// intake agent both come through here. `office` limits them to that
/// office's attorneys; `caller_tz` defaults to the office's zone, or the
/// firm's.
pub async fn offers_for(
    state: &AppState,
    tenant: TenantId,
    practice_area: &str,
    said: &str,
    caller_tz: Option<Tz>,
    office: Option<&OfficeKey>,
    count: usize,
) -> ApiResult<OffersOut> {
    if !(2..=3).contains(&count) {
        return Err(ParseError::new("count", "must be 2 or 3").into());
    }
    let said = said.trim();
    if said.chars().count() > 200 {
        return Err(ParseError::new("preference", "must be at most 200 characters").into());
    }
    let area = parse_area(practice_area)?;
    let cal = Calendar::load(state, tenant, &area, office).await?;
    let caller_tz = caller_tz.unwrap_or(cal.tz);
    let now = Utc::now();
    let horizon = cal
        .attorneys
        .iter()
        .map(|a| i64::from(a.attorney.horizon_days))
        .max()
        .unwrap_or(1)
        .min(MAX_WINDOW_DAYS);
    let slots = cal
        .open_slots(state, tenant, None, now, now + Duration::days(horizon), now)
        .await?;
    // Days and times the caller names are in the caller's own zone.
    let preference = hermes_scheduling::Preference::parse(said, now, caller_tz);
    let picked = hermes_scheduling::offers(&slots, &preference, now, caller_tz, count);
    Ok(OffersOut {
        matched_preference: picked.matched_preference,
        time_zone: caller_tz.name().to_owned(),
        options: picked
            .options
            .iter()
            .map(|o| SlotOut {
                spoken: o.spoken.clone(),
                ..cal.slot_out(&o.slot, caller_tz)
            })
            .collect(),
    })
}

// --- holds and bookings ------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingOut {
    pub id: Uuid,
    pub attorney_id: Uuid,
    pub practice_area: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `held`, `tentative`, `confirmed`, `cancelled` or `expired`.
    pub status: String,
    /// For a hold: when it lapses unless booked.
    pub hold_expires_at: Option<DateTime<Utc>>,
    /// The conflict review a tentative booking waits on.
    pub conflict_review_id: Option<Uuid>,
    pub client: ContactOut,
    /// iCalendar SEQUENCE.
    pub sequence: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactOut {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl From<&Booking> for BookingOut {
    fn from(b: &Booking) -> Self {
        // A hold past its expiry is expired, whether or not a later write
        // has marked it so yet.
        let status = if b.status == BookingStatus::Held && !b.is_active_at(Utc::now()) {
            BookingStatus::Expired
        } else {
            b.status
        };
        BookingOut {
            id: b.id,
            attorney_id: b.attorney_id,
            practice_area: b.practice_area.clone(),
            start: b.starts_at,
            end: b.ends_at,
            status: status.as_str().to_owned(),
            hold_expires_at: b.hold_expires_at,
            conflict_review_id: b.conflict_review_id,
            client: ContactOut {
                name: b.contact.name.clone(),
                phone: b.contact.phone.clone(),
                email: b.contact.email.clone(),
            },
            sequence: b.sequence,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

fn contact(c: Option<ContactOut>) -> Result<BookingContact, ParseError> {
    let c = c.unwrap_or_default();
    let name = match c.name.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) if n.chars().count() > 120 || n.chars().any(char::is_control) => {
            return Err(ParseError::new(
                "client.name",
                "must be at most 120 characters",
            ));
        }
        Some(n) => Some(n.to_owned()),
    };
    Ok(BookingContact {
        name,
        phone: c
            .phone
            .as_deref()
            .map(|p| E164::parse_field("client.phone", p).map(|e| e.as_ref().to_owned()))
            .transpose()?,
        email: c
            .email
            .as_deref()
            .map(|e| Email::parse(e).map(|e| e.as_ref().to_owned()))
            .transpose()?,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    pub attorney_id: Uuid,
    #[schema(example = "family")]
    pub practice_area: String,
    /// A slot start from `/api/v1/availability`.
    pub start: DateTime<Utc>,
    /// How long to hold it, 1 to 900 seconds (default 300).
    pub hold_seconds: Option<u32>,
}

/// Hold a slot for a few minutes while a caller decides.
#[utoipa::path(
    post, path = "/api/v1/holds", tag = "scheduling",
    security(("bearer" = ["cases:write"])),
    request_body = HoldRequest,
    responses(
        (status = 201, body = BookingOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "`slot_taken` or `slot_unavailable`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn create_hold(
    auth: Require<perm::WriteCases>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<HoldRequest>,
) -> ApiResult<(StatusCode, Json<BookingOut>)> {
    let seconds = req.hold_seconds.unwrap_or(DEFAULT_HOLD_SECONDS);
    let audit = auth.audit(&client, "hold.create");
    let b = hold_slot(
        &state,
        auth.tenant,
        req.attorney_id,
        &req.practice_area,
        req.start,
        seconds,
        audit,
    )
    .await?;
    Ok((StatusCode::CREATED, Json((&b).into())))
}

/// Holds a slot for `seconds`: the HTTP route and the intake agent both
/// come through here.
pub async fn hold_slot(
    state: &AppState,
    tenant: TenantId,
    attorney_id: Uuid,
    practice_area: &str,
    start: DateTime<Utc>,
    seconds: u32,
    audit: hermes_store::AuditEvent,
) -> ApiResult<Booking> {
    if !(1..=900).contains(&seconds) {
        return Err(ParseError::new("hold_seconds", "must be 1 to 900").into());
    }
    let area = parse_area(practice_area)?;
    let cal = Calendar::load(state, tenant, &area, None).await?;
    let attorney = cal.attorney(attorney_id)?;
    let (end, blocked) = cal.span(attorney, start);
    let now = Utc::now();
    let check = cal.check(state, tenant, attorney.id, start, now).await?;
    let b = state
        .store
        .scoped(tenant)
        .create_booking(
            &NewBooking {
                id: Uuid::now_v7(),
                attorney_id: attorney.id,
                practice_area: area.to_string(),
                starts_at: start,
                ends_at: end,
                blocked_until: blocked,
                status: BookingStatus::Held,
                hold_expires_at: Some(now + Duration::seconds(i64::from(seconds))),
                conflict_review_id: None,
                contact: BookingContact::default(),
            },
            now,
            &check,
            audit,
        )
        .await?;
    live::publish(state, tenant, LiveEvent::Booking { id: b.id });
    Ok(b)
}

/// Books a held slot (tentative while `review` is open).
pub async fn book_hold(
    state: &AppState,
    tenant: TenantId,
    hold: Uuid,
    review: Option<Uuid>,
    contact: BookingContact,
    audit: hermes_store::AuditEvent,
) -> ApiResult<Booking> {
    let b = state
        .store
        .scoped(tenant)
        .update_booking(
            hold,
            &BookingChange::FromHold {
                conflict_review_id: review,
                contact,
            },
            Utc::now(),
            &|_: &[Booking]| Ok(()),
            audit,
        )
        .await
        .map_err(ApiError::store_for("hold"))?;
    live::publish(state, tenant, LiveEvent::Booking { id: b.id });
    Ok(b)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    /// Book a held slot; or give `attorney_id`, `practice_area` and `start`.
    pub hold_id: Option<Uuid>,
    pub attorney_id: Option<Uuid>,
    pub practice_area: Option<String>,
    pub start: Option<DateTime<Utc>>,
    /// A conflict review the booking must wait on: while it is open the
    /// booking is `tentative`; clearing it confirms the booking, declining
    /// cancels it.
    pub conflict_review_id: Option<Uuid>,
    pub client: Option<ContactOut>,
}

/// Checks that the review a booking names exists in this firm (422
/// otherwise). What it makes of the booking (tentative, confirmed, refused)
/// the store decides inside its write transaction, so a decision arriving
/// at the same moment cannot leave a booking on a declined review.
async fn check_review(store: &dyn TenantStore, review: Option<Uuid>) -> ApiResult<()> {
    if let Some(id) = review {
        store.review(id).await?.ok_or_else(|| {
            ApiError::Invalid(ParseError::new("conflict_review_id", "no such review"))
        })?;
    }
    Ok(())
}

/// Book a consultation: from a hold, or directly.
#[utoipa::path(
    post, path = "/api/v1/bookings", tag = "scheduling",
    security(("bearer" = ["cases:write"])),
    request_body = BookingRequest,
    responses(
        (status = 201, body = BookingOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such hold", body = ErrorBody),
        (status = 409, description = "`slot_taken`, `slot_unavailable`, `invalid_state` (the hold expired) or `conflict_declined`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn create_booking(
    auth: Require<perm::WriteCases>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<BookingRequest>,
) -> ApiResult<(StatusCode, Json<BookingOut>)> {
    let store = state.store.scoped(auth.tenant);
    check_review(store.as_ref(), req.conflict_review_id).await?;
    let contact = contact(req.client)?;
    let now = Utc::now();
    let b = if let Some(hold) = req.hold_id {
        if req.attorney_id.is_some() || req.start.is_some() || req.practice_area.is_some() {
            return Err(ApiError::BadRequest(
                "give either hold_id, or attorney_id, practice_area and start".into(),
            ));
        }
        store
            .update_booking(
                hold,
                &BookingChange::FromHold {
                    conflict_review_id: req.conflict_review_id,
                    contact,
                },
                now,
                &|_: &[Booking]| Ok(()),
                auth.audit(&client, "booking.create"),
            )
            .await
            .map_err(ApiError::store_for("hold"))?
    } else {
        let (Some(attorney_id), Some(area), Some(start)) =
            (req.attorney_id, req.practice_area, req.start)
        else {
            return Err(ApiError::BadRequest(
                "give either hold_id, or attorney_id, practice_area and start".into(),
            ));
        };
        let area = parse_area(&area)?;
        let cal = Calendar::load(&state, auth.tenant, &area, None).await?;
        let attorney = cal.attorney(attorney_id)?;
        let (end, blocked) = cal.span(attorney, start);
        let check = cal
            .check(&state, auth.tenant, attorney.id, start, now)
            .await?;
        store
            .create_booking(
                &NewBooking {
                    id: Uuid::now_v7(),
                    attorney_id: attorney.id,
                    practice_area: area.to_string(),
                    starts_at: start,
                    ends_at: end,
                    blocked_until: blocked,
                    status: BookingStatus::Confirmed,
                    hold_expires_at: None,
                    conflict_review_id: req.conflict_review_id,
                    contact,
                },
                now,
                &check,
                auth.audit(&client, "booking.create"),
            )
            .await?
    };
    live::publish(&state, auth.tenant, LiveEvent::Booking { id: b.id });
    Ok((StatusCode::CREATED, Json((&b).into())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BookingQuery {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub attorney_id: Option<Uuid>,
    /// `held`, `tentative`, `confirmed`, `cancelled` or `expired`.
    pub status: Option<String>,
    pub conflict_review_id: Option<Uuid>,
    /// The `next_after` of the previous page.
    pub after: Option<Uuid>,
    /// 1 to 500, default 100.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingList {
    pub bookings: Vec<BookingOut>,
    /// Pass as `after` for the next page; absent on the last one.
    pub next_after: Option<Uuid>,
}

/// Holds and bookings, by start time.
#[utoipa::path(
    get, path = "/api/v1/bookings", tag = "scheduling",
    security(("bearer" = ["cases:read"])),
    params(BookingQuery),
    responses((status = 200, body = BookingList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list_bookings(
    auth: Require<perm::ReadCases>,
    State(state): State<AppState>,
    Query(q): Query<BookingQuery>,
) -> ApiResult<Json<BookingList>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 500".into()));
    }
    let status = q
        .status
        .as_deref()
        .map(|s| {
            BookingStatus::parse(s).ok_or_else(|| {
                ApiError::BadRequest(
                    "status must be held, tentative, confirmed, cancelled or expired".into(),
                )
            })
        })
        .transpose()?;
    let store = state.store.scoped(auth.tenant);
    let after = match q.after {
        None => None,
        Some(id) => {
            let b = store.booking(id).await?.ok_or_else(|| {
                ApiError::BadRequest(
                    "after must be the id of a booking from the previous page".into(),
                )
            })?;
            Some((b.starts_at, b.id))
        }
    };
    let list = store
        .list_bookings(
            &BookingFilter {
                from: q.from,
                to: q.to,
                attorney_id: q.attorney_id,
                status,
                conflict_review_id: q.conflict_review_id,
                after,
                limit,
            },
            Utc::now(),
        )
        .await?;
    let next_after = (list.len() == limit as usize)
        .then(|| list.last().map(|b| b.id))
        .flatten();
    Ok(Json(BookingList {
        bookings: list.iter().map(BookingOut::from).collect(),
        next_after,
    }))
}

/// One hold or booking. `GET /api/v1/bookings/{id}.ics` answers its
/// iCalendar invitation instead (METHOD:REQUEST, or CANCEL once cancelled).
#[utoipa::path(
    get, path = "/api/v1/bookings/{id}", tag = "scheduling",
    security(("bearer" = ["cases:read"])),
    params(("id" = String, Path, description = "The booking id, or the id followed by `.ics` for its iCalendar invitation")),
    responses(
        (status = 200, body = BookingOut),
        (status = 200, description = "With `.ics`: the invitation", content_type = "text/calendar", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn get_booking(
    auth: Require<perm::ReadCases>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (raw, ics) = match id.strip_suffix(".ics") {
        Some(raw) => (raw, true),
        None => (id.as_str(), false),
    };
    let id = parse_uuid("booking", raw)?;
    let store = state.store.scoped(auth.tenant);
    let b = store
        .booking(id)
        .await?
        .ok_or(ApiError::NotFound("booking"))?;
    if !ics {
        return Ok(Json(BookingOut::from(&b)).into_response());
    }
    if matches!(b.status, BookingStatus::Held | BookingStatus::Expired) {
        return Err(ApiError::Conflict {
            code: "invalid_state",
            message: "a hold has no invitation; book it first".into(),
        });
    }
    let tenant = state.tenant(auth.tenant).await?;
    let attorney = store
        .attorney(b.attorney_id)
        .await?
        .ok_or(ApiError::NotFound("attorney"))?;
    let settings = store.firm_settings().await?;
    let firm_name = settings
        .profile
        .as_ref()
        .and_then(|p| p.spoken_name.clone())
        .unwrap_or_else(|| tenant.name.as_ref().to_owned());
    // An attorney of an office meets at that office, in its zone.
    let offices = settings.offices.clone().unwrap_or_default();
    let office = attorney
        .attorney
        .office
        .as_ref()
        .and_then(|k| offices.get(k));
    let location = office
        .and_then(|o| o.address.as_ref())
        .or_else(|| settings.profile.as_ref().and_then(|p| p.address.as_ref()))
        .map(|a| format!("{}, {}, {} {}", a.street, a.city, a.region, a.postal_code));
    let event = hermes_scheduling::IcsEvent {
        uid: format!("{}@hermes", b.id),
        sequence: u32::try_from(b.sequence).unwrap_or(0),
        dtstamp: b.updated_at,
        start: b.starts_at,
        end: b.ends_at,
        tz: office.map_or(tenant.time_zone.tz(), |o| o.time_zone.tz()),
        // Invitations leave the firm: no names, no matter, nothing the
        // caller said. The reference lets staff find the booking.
        summary: format!("Consultation with {firm_name}"),
        description: format!(
            "Consultation with {} of {firm_name}. Reference {}.",
            attorney.attorney.name, b.id
        ),
        location,
        organizer: attorney
            .attorney
            .email
            .clone()
            .map(|e| (attorney.attorney.name.clone(), e)),
        attendees: b
            .contact
            .email
            .clone()
            .map(|e| (b.contact.name.clone().unwrap_or_default(), e))
            .into_iter()
            .collect(),
        status: match b.status {
            BookingStatus::Tentative => hermes_scheduling::EventStatus::Tentative,
            BookingStatus::Cancelled => hermes_scheduling::EventStatus::Cancelled,
            _ => hermes_scheduling::EventStatus::Confirmed,
        },
    };
    let method = if b.status == BookingStatus::Cancelled {
        hermes_scheduling::Method::Cancel
    } else {
        hermes_scheduling::Method::Request
    };
    let body = hermes_scheduling::to_ics(&event, method);
    let method_name = if method == hermes_scheduling::Method::Cancel {
        "CANCEL"
    } else {
        "REQUEST"
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                format!("text/calendar; charset=utf-8; method={method_name}"),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"consultation-{}.ics\"", b.id),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingPatch {
    /// `cancelled` to cancel.
    pub status: Option<String>,
    /// A new start (reschedule).
    pub start: Option<DateTime<Utc>>,
    /// A new attorney (reschedule), taking the same practice area.
    pub attorney_id: Option<Uuid>,
}

/// Reschedule or cancel a booking (or release a hold by cancelling it).
#[utoipa::path(
    patch, path = "/api/v1/bookings/{id}", tag = "scheduling",
    security(("bearer" = ["cases:write"])),
    params(("id" = Uuid, Path)),
    request_body = BookingPatch,
    responses(
        (status = 200, body = BookingOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`slot_taken`, `slot_unavailable` or `invalid_state`", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn update_booking(
    auth: Require<perm::WriteCases>,
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<String>,
    Json(req): Json<BookingPatch>,
) -> ApiResult<Json<BookingOut>> {
    let id = parse_uuid("booking", &id)?;
    let store = state.store.scoped(auth.tenant);
    let now = Utc::now();
    let b = match (req.status.as_deref(), req.start, req.attorney_id) {
        (Some("cancelled"), None, None) => store
            .update_booking(
                id,
                &BookingChange::Cancel,
                now,
                &|_: &[Booking]| Ok(()),
                auth.audit(&client, "booking.cancel"),
            )
            .await
            .map_err(ApiError::store_for("booking"))?,
        (Some(other), _, _) if other != "cancelled" => {
            return Err(ParseError::new("status", "only cancelled can be set; bookings are confirmed by clearing their conflict review").into());
        }
        (None, start, attorney) if start.is_some() || attorney.is_some() => {
            let cur = store
                .booking(id)
                .await?
                .ok_or(ApiError::NotFound("booking"))?;
            let area = parse_area(&cur.practice_area)?;
            let cal = Calendar::load(&state, auth.tenant, &area, None).await?;
            let attorney = cal.attorney(attorney.unwrap_or(cur.attorney_id))?;
            let start = start.unwrap_or(cur.starts_at);
            let (end, blocked) = cal.span(attorney, start);
            let check = cal
                .check(&state, auth.tenant, attorney.id, start, now)
                .await?;
            store
                .update_booking(
                    id,
                    &BookingChange::Reschedule {
                        attorney_id: attorney.id,
                        starts_at: start,
                        ends_at: end,
                        blocked_until: blocked,
                    },
                    now,
                    &check,
                    auth.audit(&client, "booking.reschedule"),
                )
                .await
                .map_err(ApiError::store_for("booking"))?
        }
        _ => {
            return Err(ApiError::BadRequest(
                "send {\"status\": \"cancelled\"}, or a new start and/or attorney_id".into(),
            ));
        }
    };
    live::publish(&state, auth.tenant, LiveEvent::Booking { id: b.id });
    Ok(Json((&b).into()))
}
