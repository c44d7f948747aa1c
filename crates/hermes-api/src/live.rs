//! Live updates for the dashboard: `GET /api/v1/events`, a server-sent
//! event stream of what changes in the firm while someone watches (a call
//! rings, a caller speaks, an intake finishes, a review is decided, a
//! booking moves).
//!
//! Why events go through [`SharedState::publish`](hermes_cache::SharedState):
//! the node a call runs on is rarely the node a user's dashboard is
//! connected to. With Redis configured every node hears every event; in
//! memory (one node) the same channel loops back. Each event is one
//! message `live:<tenant>:<json>`; a stream forwards only its own tenant's,
//! and only the kinds its role may read (a READ_ONLY user does not learn
//! of conflict reviews).
//!
//! Events say *what* changed, with just enough to draw it; pages read the
//! rest through the API, under its permission checks. The one exception
//! is a call's live transcript line, which is the point of watching a call.
//!
//! A stream ends when the access token that opened it expires, so a signed
//! out or demoted user stops receiving; the page reconnects with a fresh
//! token. A subscriber that falls behind gets a `resync` event and reloads.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use hermes_core::{Permission, TenantId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{PrincipalKind, Require, perm};
use crate::error::ErrorBody;
use crate::state::AppState;

const PREFIX: &str = "live:";

/// Something a dashboard may want to redraw.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A call was created or changed status (`ringing`, `in_progress`,
    /// `ended`).
    Call { id: Uuid, status: String },
    /// Someone spoke on a call in progress.
    CallLine {
        call: Uuid,
        /// `agent` or `caller`.
        speaker: String,
        text: String,
    },
    /// An intake was saved (a conversation finished, staff corrected it,
    /// its Clio sync moved).
    Intake { id: Uuid },
    /// A conflict review was opened or decided.
    Review { id: Uuid },
    /// A booking was made, confirmed, moved or cancelled.
    Booking { id: Uuid },
}

impl LiveEvent {
    /// What a subscriber must hold to receive it.
    fn needs(&self) -> Permission {
        match self {
            LiveEvent::Review { .. } => Permission::ReadConflicts,
            _ => Permission::ReadCases,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            LiveEvent::Call { .. } => "call",
            LiveEvent::CallLine { .. } => "call_line",
            LiveEvent::Intake { .. } => "intake",
            LiveEvent::Review { .. } => "review",
            LiveEvent::Booking { .. } => "booking",
        }
    }
}

/// Whether `event` is a live event (the invalidation listener skips them).
pub fn is_live(event: &str) -> bool {
    event.starts_with(PREFIX)
}

fn encode(tenant: TenantId, event: &LiveEvent) -> String {
    format!(
        "{PREFIX}{tenant}:{}",
        serde_json::to_string(event).expect("serializable")
    )
}

/// The event's JSON when it is `tenant`'s.
fn decode<'a>(tenant: &str, raw: &'a str) -> Option<&'a str> {
    raw.strip_prefix(PREFIX)?
        .strip_prefix(tenant)?
        .strip_prefix(':')
}

/// Tells every node's dashboards. Never waits and never fails the caller:
/// a live update is a courtesy, the record is in the database.
pub fn publish(state: &AppState, tenant: TenantId, event: LiveEvent) {
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = state.shared.publish(&encode(tenant, &event)).await {
            tracing::debug!(error = %e, "could not publish a live update");
        }
    });
}

/// The firm's live updates, as server-sent events.
///
/// Each event's name is its kind (`call`, `call_line`, `intake`, `review`,
/// `booking`, or `resync` when some were missed) and its data the JSON of
/// [`LiveEvent`]. The stream ends when the access token expires.
#[utoipa::path(
    get, path = "/api/v1/events", tag = "live",
    security(("bearer" = ["cases:read"])),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn events(
    auth: Require<perm::ReadCases>,
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let tenant = auth.tenant.to_string();
    let role = auth.role;
    let lifetime = match &auth.kind {
        PrincipalKind::User { expires_at, .. } => (*expires_at - chrono::Utc::now())
            .to_std()
            .unwrap_or_default(),
        // API keys do not expire by themselves: look again every 15 minutes.
        PrincipalKind::ApiKey { .. } => Duration::from_secs(15 * 60),
    };
    let until = tokio::time::Instant::now() + lifetime;
    let rx = state.shared.subscribe();
    let stream = futures_util::stream::unfold(rx, move |mut rx| {
        let tenant = tenant.clone();
        async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                let next = tokio::time::timeout_at(until, rx.recv()).await;
                let event = match next {
                    Err(_elapsed) => return None,
                    Ok(Err(RecvError::Closed)) => return None,
                    Ok(Err(RecvError::Lagged(_))) => Event::default().event("resync").data("{}"),
                    Ok(Ok(raw)) if raw == hermes_cache::RESYNC => {
                        Event::default().event("resync").data("{}")
                    }
                    Ok(Ok(raw)) => {
                        let Some(json) = decode(&tenant, &raw) else {
                            continue;
                        };
                        let Ok(live) = serde_json::from_str::<LiveEvent>(json) else {
                            continue;
                        };
                        if !role.allows(live.needs()) {
                            continue;
                        }
                        Event::default().event(live.name()).data(json)
                    }
                };
                return Some((Ok(event), rx));
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_read_back_only_for_their_tenant() {
        let t = TenantId::new();
        let e = LiveEvent::CallLine {
            call: Uuid::nil(),
            speaker: "caller".into(),
            text: "My name is: Maria".into(),
        };
        let raw = encode(t, &e);
        assert!(is_live(&raw));
        let json = decode(&t.to_string(), &raw).unwrap();
        let back: LiveEvent = serde_json::from_str(json).unwrap();
        assert_eq!(back, e);
        assert_eq!(decode(&TenantId::new().to_string(), &raw), None);
        assert_eq!(decode(&t.to_string(), "user:123"), None);
    }

    #[test]
    fn only_reviews_need_the_conflict_permission() {
        use hermes_core::Role;
        let review = LiveEvent::Review { id: Uuid::nil() };
        assert!(!Role::ReadOnly.allows(review.needs()));
        assert!(Role::Staff.allows(review.needs()));
        let call = LiveEvent::Call {
            id: Uuid::nil(),
            status: "ringing".into(),
        };
        assert!(Role::ReadOnly.allows(call.needs()));
    }
}
