//! The intake agent's hands: runs a `hermes_intake::dialogue::Engine` for
//! one tenant, carrying out its actions against the firm's real data
//! (conflict index, scheduler, bookings) and persisting the intake.
//!
//! The engine decides; this module only does what it is told and reports
//! back. Failures are reported in the safest form the engine understands:
//! a conflict check that errors counts as `potential` (no facts are taken
//! and a person follows up), a scheduler error as "no slot found", a failed
//! hold or booking as "that time was just taken".
//!
//! Persistence: the intake is saved as soon as the caller's words are in
//! the transcript (before any action runs), and again after the turn, so a
//! crash mid-turn loses nothing the caller said.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use hermes_core::TenantId;
use hermes_firm::OfficeKey;
use hermes_intake::dialogue::{Action, AfterHours, Engine, Event, Firm, SlotOption};
use hermes_intake::record::{IntakeStatus, MatterParty};
use hermes_store::{Actor, AuditEvent, BookingContact, BookingStatus, IntakeUpdate};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::routes::conflicts::{CheckParty, CheckRequest, run_check};
use crate::routes::scheduling::{book_hold, hold_slot, offers_for};
use crate::state::AppState;

/// How long the agent holds a slot while it books it.
const AGENT_HOLD_SECONDS: u32 = 120;

/// The firm as the engine needs it, from the tenant and its settings; as
/// one of its offices when the caller reached that office (its spoken
/// name, zone and hours; consultations with its attorneys).
pub async fn firm_for(
    state: &AppState,
    tenant: TenantId,
    at: DateTime<Utc>,
    office: Option<&OfficeKey>,
) -> ApiResult<Firm> {
    let t = state.tenant(tenant).await?;
    let settings = state.store.scoped(tenant).firm_settings().await?;
    let areas = settings.practice_areas.unwrap_or_default();
    let offices = settings.offices.unwrap_or_default();
    let office = office.and_then(|k| offices.get(k));
    let firm_hours = settings
        .hours
        .unwrap_or_else(hermes_firm::Hours::default_for_new_firm);
    let hours = office.map_or(firm_hours.clone(), |o| o.hours_within(&firm_hours));
    let tz = office.map_or(t.time_zone.tz(), |o| o.time_zone.tz());
    let profile = settings.profile.unwrap_or_default();
    let firm_name = profile
        .spoken_name
        .clone()
        .unwrap_or_else(|| t.name.as_ref().to_owned());
    let question_sets = crate::routes::question_sets::effective_sets(state, tenant)
        .await?
        .into_iter()
        .filter_map(|s| s.set)
        .collect();
    Ok(Firm {
        name: office.map_or(firm_name.clone(), |o| o.spoken_or(&firm_name).to_owned()),
        tz,
        state: profile.states.first().map(|s| s.as_ref().to_owned()),
        areas: areas
            .areas
            .iter()
            .map(|a| (a.key.to_string(), a.display_name().to_owned()))
            .collect(),
        question_sets,
        open_now: hours.is_open(tz, at),
        after_hours: match hours.after_hours {
            hermes_firm::AfterHoursPolicy::Book => AfterHours::Book,
            hermes_firm::AfterHoursPolicy::TakeMessage => AfterHours::TakeMessage,
            hermes_firm::AfterHoursPolicy::EscalateUrgentOnly => AfterHours::EscalateUrgentOnly,
        },
        // Set per call by the voice session (the plan's allowance).
        message_only: false,
        office: office.map(|o| o.key.to_string()),
    })
}

/// The office a call to `dialled` reached, at a firm with offices.
pub async fn office_for_number(
    state: &AppState,
    tenant: TenantId,
    dialled: Option<&str>,
) -> Option<OfficeKey> {
    let dialled = dialled?;
    match crate::routes::settings::offices_of(state, tenant).await {
        Ok(offices) => offices.by_number(dialled).map(|o| o.key.clone()),
        Err(e) => {
            // The call is still answered, as the firm.
            tracing::warn!(%tenant, error = %e, "could not read the firm's offices");
            None
        }
    }
}

/// The seed of a conversation's reasoning traces: from its intake id, so
/// a trace can be reproduced from the stored intake alone.
pub fn seed_of(intake: Uuid) -> u64 {
    let (hi, lo) = intake.as_u64_pair();
    hi ^ lo
}

fn system(action: &'static str) -> AuditEvent {
    AuditEvent::new(Actor::System, action)
}

/// What one turn produced for the client.
pub struct TurnResult {
    /// The intake row's version after the turn.
    pub version: i64,
    pub replies: Vec<String>,
    pub done: bool,
    pub stage: &'static str,
}

fn snake<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The store's copy of the engine's state.
pub fn update_of(engine: &Engine) -> ApiResult<IntakeUpdate> {
    let i = &engine.intake;
    Ok(IntakeUpdate {
        status: snake(&i.status),
        urgency: snake(&i.urgency),
        practice_area: i.practice_area.clone(),
        caller_name: i.field("name").map(str::to_owned),
        document: serde_json::to_value(i).map_err(ApiError::internal)?,
        conversation: if engine.is_done() {
            None
        } else {
            Some(serde_json::to_value(engine).map_err(ApiError::internal)?)
        },
        jobs: Vec::new(),
    })
}

/// Feeds `event` to the engine, carries out every action it returns (and
/// the events those produce), and saves the intake. `version` is the
/// intake row's version the engine state was loaded at. Of two turns that
/// race on one conversation, the first to finish is taken; the other fails
/// with `Stale` (409) — at its checkpoint if the first has finished, else
/// at its final save, which the first's has superseded — and its client
/// sends it again. Nothing a 200 answered for is ever overwritten.
pub async fn drive(
    state: &AppState,
    tenant: TenantId,
    intake_id: Uuid,
    engine: &mut Engine,
    event: Event,
    version: i64,
) -> ApiResult<TurnResult> {
    let store = state.store.scoped(tenant);
    // Readings beyond the local extractors (a language model), bounded by
    // the turn budget; none on the local path.
    let event = match event {
        Event::Caller { text, readings } if readings.is_empty() => {
            let seed = engine
                .seed()
                .wrapping_add(engine.intake.transcript.len() as u64 * 7919);
            let readings = state.understanding.readings(engine, &text, seed).await;
            Event::Caller { text, readings }
        }
        other => other,
    };
    let at = Utc::now();
    let mut queue: VecDeque<Action> = engine.on_event(at, event).into();
    // The caller's words are in the transcript now: keep them before
    // anything slow or fallible runs. (A turn that ended the conversation
    // is saved once, below: after that, the row takes no more turns.)
    if !engine.is_done() {
        store
            .checkpoint_intake_turn(intake_id, &update_of(engine)?, version)
            .await?;
    }
    let mut replies = Vec::new();
    let mut holds: HashMap<String, Uuid> = HashMap::new();
    while let Some(action) = queue.pop_front() {
        let next = match action {
            Action::Say { text } => {
                replies.push(text);
                None
            }
            Action::CheckConflicts { parties } => Some(check(state, tenant, &parties).await),
            Action::FindOffers {
                practice_area,
                preference,
            } => {
                // A caller who reached an office is offered its attorneys
                // (the whole firm's, should the office have gone since).
                let office = engine
                    .firm()
                    .office
                    .as_deref()
                    .and_then(|k| OfficeKey::parse(k).ok());
                let mut found = offers_for(
                    state,
                    tenant,
                    &practice_area,
                    &preference,
                    None,
                    office.as_ref(),
                    3,
                )
                .await;
                if let (Err(ApiError::Invalid(e)), Some(_)) = (&found, &office)
                    && e.field == "office"
                {
                    found =
                        offers_for(state, tenant, &practice_area, &preference, None, None, 3).await;
                }
                Some(match found {
                    Ok(o) => Event::OffersFound {
                        options: o
                            .options
                            .iter()
                            .map(|s| SlotOption {
                                id: format!("{}|{}", s.attorney_id, s.start),
                                spoken: s.spoken.clone(),
                            })
                            .collect(),
                        matched_preference: o.matched_preference,
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "the agent could not find offers");
                        Event::OffersFound {
                            options: vec![],
                            matched_preference: false,
                        }
                    }
                })
            }
            Action::Hold { option } => Some(match hold(state, tenant, engine, &option).await {
                Ok(id) => {
                    holds.insert(option, id);
                    Event::Held { ok: true }
                }
                Err(e) => {
                    tracing::info!(error = %e, "the agent's hold failed");
                    Event::Held { ok: false }
                }
            }),
            Action::Book { option, review_id } => Some(match holds.get(&option) {
                Some(hold) => {
                    let review = review_id.and_then(|r| r.parse().ok());
                    let i = &engine.intake;
                    let contact = BookingContact {
                        name: i.field("name").map(str::to_owned),
                        phone: i.field("phone").map(str::to_owned),
                        email: i.field("email").map(str::to_owned),
                    };
                    match book_hold(
                        state,
                        tenant,
                        *hold,
                        review,
                        contact,
                        system("booking.create"),
                    )
                    .await
                    {
                        Ok(b) => Event::Booked {
                            id: b.id.to_string(),
                            tentative: b.status == BookingStatus::Tentative,
                        },
                        Err(e) => {
                            tracing::info!(error = %e, "the agent's booking failed");
                            Event::BookingFailed
                        }
                    }
                }
                None => Event::BookingFailed,
            }),
            Action::Escalate { level, reasons } => {
                tracing::warn!(%tenant, intake = %intake_id, ?level, ?reasons, "urgent intake");
                // The on-call contact is told through the outbox; a failure
                // here must never break the conversation.
                let i = &engine.intake;
                let caller = crate::escalation::Caller {
                    name: i.field("name"),
                    callback_phone: i.field("phone"),
                };
                if let Err(e) = crate::escalation::escalate(
                    state,
                    tenant,
                    intake_id,
                    &snake(&level),
                    &reasons,
                    caller,
                )
                .await
                {
                    tracing::error!(%tenant, intake = %intake_id, error = %e, "could not enqueue the escalation notifications");
                }
                None
            }
            Action::SendConfirmation { sms, email } => {
                let i = &engine.intake;
                let when = i.booking.as_ref().map(|b| b.spoken.clone());
                if let Some(when) = when {
                    let phone = i.field("phone").filter(|_| sms);
                    let mail = i.field("email").filter(|_| email);
                    if let Err(e) = crate::escalation::confirm_booking(
                        state,
                        tenant,
                        intake_id,
                        engine.firm().office.as_deref(),
                        &when,
                        phone,
                        mail,
                    )
                    .await
                    {
                        tracing::error!(%tenant, intake = %intake_id, error = %e, "could not enqueue the booking confirmation");
                    }
                }
                None
            }
            Action::End { status } => {
                if matches!(status, IntakeStatus::Completed | IntakeStatus::NeedsReview) {
                    remember_parties(state, tenant, engine).await;
                }
                None
            }
            Action::SetRecording { .. } | Action::TransferToPerson | Action::Save => None,
        };
        if let Some(event) = next {
            queue.extend(engine.on_event(Utc::now(), event));
        }
    }
    let replies = state.understanding.phrase(engine, replies).await;
    if engine.is_done()
        && let Some(summary) = state.understanding.summary(engine).await
    {
        engine.intake.summary = Some(summary);
    }
    let mut update = update_of(engine)?;
    // A finished intake for Clio: its sync is queued with this save, so
    // it cannot be lost between the two.
    if engine.is_done() {
        update.jobs =
            crate::clio_sync::jobs_for_finished(state, tenant, intake_id, &engine.intake).await;
    }
    let to_clio = !update.jobs.is_empty();
    let version = store
        .save_intake_turn(intake_id, &update, version)
        .await?
        .version;
    crate::live::publish(
        state,
        tenant,
        crate::live::LiveEvent::Intake { id: intake_id },
    );
    if to_clio {
        state.notify.wake.notify_one();
    }
    Ok(TurnResult {
        version,
        replies,
        done: engine.is_done(),
        stage: engine.stage_name(),
    })
}

async fn check(state: &AppState, tenant: TenantId, parties: &[MatterParty]) -> Event {
    let req = CheckRequest {
        parties: parties
            .iter()
            .take(20)
            .map(|p| CheckParty {
                name: p.name.clone(),
                role: p.role.clone(),
                kind: None,
                date_of_birth: None,
                phone: None,
                email: None,
            })
            .collect(),
    };
    match run_check(state, tenant, req, system("conflicts.check")).await {
        Ok(r) => Event::ConflictChecked {
            status: r.status,
            review_id: r.review_id.map(|id| id.to_string()),
        },
        Err(e) => {
            // Not knowing is not "clear": take no facts, have a person call.
            tracing::warn!(error = %e, "the agent's conflict check failed");
            Event::ConflictChecked {
                status: "potential".into(),
                review_id: None,
            }
        }
    }
}

async fn hold(
    state: &AppState,
    tenant: TenantId,
    engine: &Engine,
    option: &str,
) -> ApiResult<Uuid> {
    let (attorney, start) = option
        .split_once('|')
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("bad option id")))?;
    let attorney: Uuid = attorney.parse().map_err(ApiError::internal)?;
    let start = DateTime::parse_from_rfc3339(start)
        .map_err(ApiError::internal)?
        .with_timezone(&Utc);
    let area = engine.intake.practice_area.clone().unwrap_or_default();
    let b = hold_slot(
        state,
        tenant,
        attorney,
        &area,
        start,
        AGENT_HOLD_SECONDS,
        system("hold.create"),
    )
    .await?;
    Ok(b.id)
}

/// Rule 1.18: the caller and the other side join the parties index.
async fn remember_parties(state: &AppState, tenant: TenantId, engine: &Engine) {
    use hermes_conflicts::{MatterStatus, Party, PartyKind, PartyRole};
    let i = &engine.intake;
    let party = |name: &str, role| Party {
        id: Uuid::now_v7(),
        kind: hermes_conflicts::infer_kind(name),
        name: name.to_owned(),
        aliases: vec![],
        role,
        date_of_birth: None,
        phones: vec![],
        emails: vec![],
        matter_ref: None,
        matter_status: Some(MatterStatus::Pending),
    };
    let mut parties = Vec::new();
    if let Some(name) = i.field("name").filter(|n| !n.is_empty()) {
        let mut p = party(name, PartyRole::ProspectiveClient);
        p.kind = PartyKind::Person;
        p.phones = i.field("phone").map(str::to_owned).into_iter().collect();
        p.emails = i.field("email").map(str::to_owned).into_iter().collect();
        parties.push(p);
    }
    for mp in &i.parties {
        parties.push(party(&mp.name, PartyRole::AdverseParty));
    }
    if let Err(e) = crate::routes::parties::record_intake_parties(
        state,
        tenant,
        parties,
        system("intake.parties"),
    )
    .await
    {
        tracing::warn!(error = %e, "could not add an intake's parties to the index");
    }
}
