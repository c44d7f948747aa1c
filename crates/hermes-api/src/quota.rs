//! The plan's monthly allowance of answered calls, applied to a call.
//!
//! Every phone call is counted as it is recorded (`NewCall::metered`; the
//! store counts atomically, so with many nodes each call still gets its
//! own place in the month). A call past the allowance is still answered —
//! a firm never loses a caller — but the agent takes a message instead of
//! the whole intake (`hermes_intake::Firm::message_only`), and the firm's
//! admins are emailed once a month that calls are being taken as
//! messages, so they can change plans.

use chrono::Utc;
use hermes_core::{Plan, Role, TenantId};
use hermes_store::{Actor, AuditEvent, NewOutboxJob, OutboxKind};

use crate::state::AppState;

/// `YYYY-MM` (UTC) of now: the month calls are metered in.
pub fn this_month() -> String {
    Utc::now().format("%Y-%m").to_string()
}

/// Whether the call with this place in the month is answered as a
/// message under `plan`. An unmetered call (the test phone) never is.
pub fn message_only(plan: Plan, month_ordinal: Option<u64>) -> bool {
    month_ordinal.is_some_and(|n| plan.over_allowance(n))
}

/// Tells the firm's active admins, by email through the outbox, that this
/// month's calls are now taken as messages. Once per admin and month
/// (the dedupe key), audited as `plan.allowance_used` when queued; safe to
/// call on every call over the allowance. Failures are logged: they never
/// touch the call.
pub async fn tell_admins(state: &AppState, tenant: TenantId, plan: Plan, month: &str) {
    let store = state.store.scoped(tenant);
    let included = plan.calls_included().unwrap_or_default();
    let users = match store.list_users().await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(%tenant, error = %e, "could not list the admins to tell about the plan's allowance");
            return;
        }
    };
    let admins: Vec<_> = users
        .iter()
        .filter(|u| u.active && u.role == Role::Admin)
        .collect();
    let key = |u: &hermes_store::User| format!("plan-allowance:{month}:{}", u.id);
    // Already told this month (the cheap common case once over).
    let mut untold = Vec::new();
    for u in &admins {
        match store.outbox_job_by_key(&key(u)).await {
            Ok(Some(_)) => {}
            Ok(None) => untold.push(*u),
            Err(e) => {
                tracing::warn!(%tenant, error = %e, "could not read the outbox");
                return;
            }
        }
    }
    if untold.is_empty() {
        return;
    }
    if !state.notify.email {
        tracing::warn!(%tenant, month, "calls over the plan's allowance are taken as messages; email is not configured to tell the admins");
        return;
    }
    let body = format!(
        "Your firm's {plan} plan includes {included} answered calls a month, and this month's \
         ({month}) are used up. HERMES is still answering every call, but it now only takes a \
         message (the caller's name, number and a line on what it is about) instead of the \
         whole intake; these intakes are marked \"message only\" in HERMES and need a call back. \
         To take full intakes again this month, move the firm to the Professional plan."
    );
    let jobs: Vec<NewOutboxJob> = untold
        .iter()
        .filter_map(|u| {
            serde_json::to_value(hermes_notify::EmailPayload {
                to: u.email.as_ref().to_owned(),
                subject: "HERMES: this month's calls are being taken as messages".into(),
                body: body.clone(),
            })
            .ok()
            .map(|payload| NewOutboxJob {
                kind: OutboxKind::Email,
                dedupe_key: key(u),
                payload,
            })
        })
        .collect();
    let audit = AuditEvent::new(Actor::System, "plan.allowance_used").details(serde_json::json!({
        "plan": plan.as_str(), "month": month, "calls_included": included, "admins": jobs.len(),
    }));
    match store.enqueue_outbox(&jobs, audit).await {
        Ok(_) => state.notify.wake.notify_one(),
        Err(e) => tracing::error!(%tenant, error = %e, "could not queue the plan allowance notice"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_metered_calls_past_the_allowance_are_messages() {
        assert!(!message_only(Plan::Free, None));
        assert!(!message_only(Plan::Free, Some(100)));
        assert!(message_only(Plan::Free, Some(101)));
        assert!(!message_only(Plan::Professional, Some(10_000)));
        assert!(!message_only(Plan::Enterprise, Some(10_000)));
    }
}
