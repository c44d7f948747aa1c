//! Urgent intakes reach a person: the firm's on-call contact gets an SMS
//! and/or an email through the durable outbox (`hermes-store`'s
//! `OutboxStore`, delivered by `hermes-notify`'s worker).
//!
//! The text is firm-internal and minimal — level, reasons, who to call
//! back, the intake id — with nothing of the matter's story: an SMS sits
//! on a lock screen. The audit entry names the intake, the level and the
//! reasons, never the caller.
//!
//! Enqueueing is idempotent per (intake, level, contact, channel), so an
//! escalation repeated (a retried turn, a second node) is one message.

use std::sync::Arc;

use chrono::Utc;
use hermes_core::TenantId;
use hermes_firm::{EscalationContact, EscalationContacts};
use hermes_notify::{EmailPayload, SmsPayload};
use hermes_store::{Actor, AuditEvent, NewOutboxJob, OutboxJob, OutboxKind};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Which channels this node may enqueue for, and how to wake its worker.
#[derive(Clone, Default)]
pub struct Notifications {
    /// `notify.twilio` is configured.
    pub sms: bool,
    /// `notify.smtp` is configured.
    pub email: bool,
    /// Woken after every enqueue, so this node's worker sends at once.
    pub wake: Arc<Notify>,
}

/// The caller as the on-call contact needs them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Caller<'a> {
    pub name: Option<&'a str>,
    pub callback_phone: Option<&'a str>,
}

/// Notifies the contacts on call now (or, when nobody is, the first
/// contact: the list is in order of preference) about an urgent intake.
/// With no contacts or no configured channel nothing is enqueued, but the
/// escalation is still audited. Returns the jobs (existing ones for a
/// repeated escalation).
pub async fn escalate(
    state: &AppState,
    tenant: TenantId,
    intake_id: Uuid,
    level: &str,
    reasons: &[String],
    caller: Caller<'_>,
) -> ApiResult<Vec<OutboxJob>> {
    let t = state.tenant(tenant).await?;
    let store = state.store.scoped(tenant);
    let contacts = store.firm_settings().await?.escalation.unwrap_or_default();
    let (chosen, fallback) = recipients(&contacts, t.time_zone.tz(), Utc::now());

    let reasons: Vec<String> = reasons.iter().map(|r| reason_words(r)).collect();
    let text = message(level, &reasons, caller, intake_id);
    let subject = format!("URGENT intake ({level})");
    let n = &state.notify;
    let mut jobs = Vec::new();
    for c in &chosen {
        let key = |channel: &str| format!("escalation:{intake_id}:{level}:{}:{channel}", c.phone);
        if n.sms {
            jobs.push(NewOutboxJob {
                kind: OutboxKind::Sms,
                dedupe_key: key("sms"),
                payload: serde_json::to_value(SmsPayload {
                    to: c.phone.to_string(),
                    body: text.clone(),
                })
                .map_err(ApiError::internal)?,
            });
        }
        if let (true, Some(email)) = (n.email, &c.email) {
            jobs.push(NewOutboxJob {
                kind: OutboxKind::Email,
                dedupe_key: key("email"),
                payload: serde_json::to_value(EmailPayload {
                    to: email.clone(),
                    subject: subject.clone(),
                    body: text.clone(),
                })
                .map_err(ApiError::internal)?,
            });
        }
    }
    let audit = AuditEvent::new(Actor::System, "intake.escalate")
        .target("intake", intake_id)
        .details(serde_json::json!({
            "level": level,
            "reasons": reasons,
            "contacts": chosen.len(),
            "fallback": fallback,
            "sms": jobs.iter().filter(|j| j.kind == OutboxKind::Sms).count(),
            "email": jobs.iter().filter(|j| j.kind == OutboxKind::Email).count(),
        }));
    let queued = store.enqueue_outbox(&jobs, audit).await?;
    if !queued.is_empty() {
        n.wake.notify_one();
    }
    if chosen.is_empty() {
        tracing::warn!(%tenant, intake = %intake_id, "urgent intake, but the firm has no escalation contacts");
    }
    Ok(queued)
}

/// Sends the caller a confirmation of their consultation, by text and/or
/// email (the engine decides which: texts only when the caller agreed to
/// them at that number). The text names the firm and the time, nothing of
/// the matter: a phone's lock screen is not confidential. Idempotent per
/// (intake, channel); channels not configured on this node are skipped.
pub async fn confirm_booking(
    state: &AppState,
    tenant: TenantId,
    intake_id: Uuid,
    office: Option<&str>,
    when: &str,
    phone: Option<&str>,
    email: Option<&str>,
) -> ApiResult<Vec<OutboxJob>> {
    let t = state.tenant(tenant).await?;
    let store = state.store.scoped(tenant);
    let settings = store.firm_settings().await?;
    let profile = settings.profile.unwrap_or_default();
    let mut firm = profile
        .spoken_name
        .clone()
        .unwrap_or_else(|| t.name.as_ref().to_owned());
    let mut call = profile
        .main_phone
        .as_ref()
        .map_or_else(|| "the firm".to_owned(), |p| p.as_ref().to_owned());
    // A caller who reached an office hears from that office, and calls it.
    let offices = settings.offices.unwrap_or_default();
    let office = office.and_then(|k| hermes_firm::OfficeKey::parse(k).ok());
    if let Some(o) = office.and_then(|k| offices.get(&k)) {
        firm = o.spoken_or(&firm).to_owned();
        if let Some(n) = o.phone_numbers.first() {
            call = n.as_ref().to_owned();
        }
    }
    let text = format!(
        "{firm}: your consultation is booked for {when}. To change it, call {call}. Please do not reply with details of your matter."
    );
    let n = &state.notify;
    let mut jobs = Vec::new();
    if let (true, Some(to)) = (n.sms, phone.filter(|p| !p.is_empty())) {
        jobs.push(NewOutboxJob {
            kind: OutboxKind::Sms,
            dedupe_key: format!("confirmation:{intake_id}:sms"),
            payload: serde_json::to_value(SmsPayload {
                to: to.to_owned(),
                body: text.clone(),
            })
            .map_err(ApiError::internal)?,
        });
    }
    if let (true, Some(to)) = (n.email, email.filter(|e| !e.is_empty())) {
        jobs.push(NewOutboxJob {
            kind: OutboxKind::Email,
            dedupe_key: format!("confirmation:{intake_id}:email"),
            payload: serde_json::to_value(EmailPayload {
                to: to.to_owned(),
                subject: format!("Your consultation with {firm}"),
                body: text.clone(),
            })
            .map_err(ApiError::internal)?,
        });
    }
    let audit = AuditEvent::new(Actor::System, "intake.confirmation")
        .target("intake", intake_id)
        .details(serde_json::json!({
            "sms": jobs.iter().filter(|j| j.kind == OutboxKind::Sms).count(),
            "email": jobs.iter().filter(|j| j.kind == OutboxKind::Email).count(),
        }));
    let queued = store.enqueue_outbox(&jobs, audit).await?;
    if !queued.is_empty() {
        n.wake.notify_one();
    }
    Ok(queued)
}

/// The contacts on call at `at`; when nobody is, the first contact (the
/// list is in order of preference), with `true` for that fallback.
pub(crate) fn recipients(
    contacts: &EscalationContacts,
    tz: chrono_tz::Tz,
    at: chrono::DateTime<Utc>,
) -> (Vec<&EscalationContact>, bool) {
    let on_call = contacts.on_call_at(tz, at);
    if on_call.is_empty() {
        (contacts.contacts.first().into_iter().collect(), true)
    } else {
        (on_call, false)
    }
}

/// "URGENT intake (urgent): in custody; caller Ana Diaz, callback
/// +15035550123; intake 0193…".
fn message(level: &str, reasons: &[String], caller: Caller<'_>, intake: Uuid) -> String {
    let reasons = if reasons.is_empty() {
        "no reason given".to_owned()
    } else {
        reasons.join(", ")
    };
    format!(
        "URGENT intake ({level}): {reasons}; caller {}, callback {}; intake {intake}",
        caller.name.filter(|n| !n.is_empty()).unwrap_or("unknown"),
        caller
            .callback_phone
            .filter(|p| !p.is_empty())
            .unwrap_or("unknown"),
    )
}

/// The engine's reason (`InCustody`, `HearingSoon { date: … }`) in words
/// (`in custody`, `hearing soon`): the variant name only.
fn reason_words(reason: &str) -> String {
    let name = reason.split([' ', '{', '(']).next().unwrap_or_default();
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(ch.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_on_call_contacts_or_else_the_first() {
        let contacts: EscalationContacts = serde_json::from_value(serde_json::json!({"contacts": [
            {"name": "Days", "phone": "+15035550111",
             "on_call": [{"days": ["monday", "tuesday", "wednesday", "thursday", "friday"], "start": "09:00", "end": "17:00"}]},
            {"name": "Nights", "phone": "+15035550112",
             "on_call": [{"days": ["friday"], "start": "18:00", "end": "08:00"}]},
        ]}))
        .unwrap();
        let tz = chrono_tz::America::Chicago;
        let at = |d: u32, h: u32| {
            use chrono::TimeZone;
            tz.with_ymd_and_hms(2026, 12, d, h, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        let names = |(c, fallback): (Vec<&EscalationContact>, bool)| {
            (
                c.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
                fallback,
            )
        };
        // Wednesday 2 December 2026, 10:00: days.
        assert_eq!(
            names(recipients(&contacts, tz, at(2, 10))),
            (vec!["Days".to_owned()], false)
        );
        // Saturday 5 December, 03:00: Friday night's rota.
        assert_eq!(
            names(recipients(&contacts, tz, at(5, 3))),
            (vec!["Nights".to_owned()], false)
        );
        // Sunday noon: nobody; the first contact.
        assert_eq!(
            names(recipients(&contacts, tz, at(6, 12))),
            (vec!["Days".to_owned()], true)
        );
        // No contacts at all: nobody.
        assert_eq!(
            names(recipients(&EscalationContacts::default(), tz, at(6, 12))),
            (vec![], true)
        );
    }

    #[test]
    fn reasons_read_as_words() {
        assert_eq!(reason_words("InCustody"), "in custody");
        assert_eq!(
            reason_words("HearingSoon { date: Some(2026-12-01) }"),
            "hearing soon"
        );
    }

    #[test]
    fn the_message_is_minimal() {
        let id = Uuid::nil();
        let m = message(
            "urgent",
            &["in custody".into()],
            Caller {
                name: Some("Ana Diaz"),
                callback_phone: Some("+15035550123"),
            },
            id,
        );
        assert_eq!(
            m,
            "URGENT intake (urgent): in custody; caller Ana Diaz, callback +15035550123; intake 00000000-0000-0000-0000-000000000000"
        );
        let m = message("emergency", &[], Caller::default(), id);
        assert!(m.contains("caller unknown, callback unknown"), "{m}");
    }
}
