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
//! A stream ends when the access token that opened it expires or is
//! revoked (checked every 15 s), when its node begins to stop (see
//! [`crate::drain`]), and at once when its user or API key
//! changes (the cache invalidation every node hears: deactivated, demoted,
//! deleted); the page reconnects and is authenticated afresh, with its
//! current role. A subscriber that falls behind gets a `resync` event and
//! reloads. A call's lines go through one [`Feed`] per call, so they arrive
//! in the order they were said.

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
    /// An intake was saved (a turn of a conversation, its end, a staff
    /// correction).
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

/// Publishes one source's events in the order they happen (a call's
/// lines): one queue, drained by one task, so no line overtakes another.
pub struct Feed {
    tx: tokio::sync::mpsc::UnboundedSender<LiveEvent>,
}

impl Feed {
    pub fn new(state: &AppState, tenant: TenantId) -> Self {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<LiveEvent>();
        let state = state.clone();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                if let Err(e) = state.shared.publish(&encode(tenant, &event)).await {
                    tracing::debug!(error = %e, "could not publish a live update");
                }
            }
        });
        Feed { tx }
    }

    pub fn send(&self, event: LiveEvent) {
        let _ = self.tx.send(event);
    }
}

/// How often a stream checks that its token has not been revoked.
const RECHECK: Duration = Duration::from_secs(15);

/// What a stream listens as, and what ends it early.
struct Listener {
    tenant: String,
    role: hermes_core::Role,
    /// Invalidation events after which the stream must end (the user or
    /// key changed: signed out everywhere, deactivated, demoted).
    ends_on: Vec<String>,
    /// Revocation marks (`jti:…`, `sid:…`) checked every [`RECHECK`].
    revoked_if: Vec<String>,
}

impl Listener {
    fn of(auth: &crate::auth::Principal) -> Self {
        let tenant = auth.tenant.to_string();
        let mut ends_on = Vec::new();
        let mut revoked_if = Vec::new();
        match &auth.kind {
            PrincipalKind::User {
                user, jti, session, ..
            } => {
                ends_on.push(format!("user:{}", user.id));
                revoked_if.push(format!("jti:{jti}"));
                revoked_if.extend(session.as_ref().map(|s| format!("sid:{s}")));
            }
            PrincipalKind::ApiKey { key } => {
                ends_on.push(format!("api_key:{}", key.id));
                ends_on.push("api_key:*".to_owned());
            }
        }
        Listener {
            tenant,
            role: auth.role,
            ends_on,
            revoked_if,
        }
    }

    /// What to send for `raw`, `None` to skip it, `Err` to end the stream.
    fn on(&self, raw: &str) -> Result<Option<Event>, ()> {
        if raw == hermes_cache::RESYNC {
            return Ok(Some(Event::default().event("resync").data("{}")));
        }
        if self.ends_on.iter().any(|e| e == raw) {
            return Err(());
        }
        let Some(json) = decode(&self.tenant, raw) else {
            return Ok(None);
        };
        let Ok(live) = serde_json::from_str::<LiveEvent>(json) else {
            return Ok(None);
        };
        if !self.role.allows(live.needs()) {
            return Ok(None);
        }
        Ok(Some(Event::default().event(live.name()).data(json)))
    }
}

/// The firm's live updates, as server-sent events.
///
/// Each event's name is its kind (`call`, `call_line`, `intake`, `review`,
/// `booking`, or `resync` when some were missed) and its data the JSON of
/// [`LiveEvent`]. The stream ends when the access token expires, is
/// revoked (checked every 15 s), or its user or key changes (signed out,
/// deactivated, a new role): the client reconnects and is authenticated
/// afresh.
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
    let lifetime = match &auth.kind {
        PrincipalKind::User { expires_at, .. } => (*expires_at - chrono::Utc::now())
            .to_std()
            .unwrap_or_default(),
        // API keys do not expire by themselves: look again every 15 minutes.
        PrincipalKind::ApiKey { .. } => Duration::from_secs(15 * 60),
    };
    let until = tokio::time::Instant::now() + lifetime;
    let listener = std::sync::Arc::new(Listener::of(&auth));
    let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + RECHECK, RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Live events on their own channel; invalidations (which end the
    // stream when its user or key changes) on theirs.
    let start = (
        state.shared.subscribe_live(),
        state.shared.subscribe(),
        recheck,
    );
    let stream = futures_util::stream::unfold(start, move |(mut rx, mut changes, mut recheck)| {
        let listener = listener.clone();
        let state = state.clone();
        async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                let raw = tokio::select! {
                    _ = tokio::time::sleep_until(until) => return None,
                    // This node is stopping: end the stream so the page
                    // reconnects (through the proxy, to another node)
                    // rather than hold up the shutdown.
                    _ = state.drain.draining() => return None,
                    _ = recheck.tick() => {
                        let keys: Vec<&str> = listener.revoked_if.iter().map(String::as_str).collect();
                        // Shared state down: the token stays trusted until it
                        // expires, as for any other request's cached checks.
                        if !keys.is_empty() && state.shared.any_marked(&keys).await.unwrap_or(false) {
                            return None;
                        }
                        continue;
                    }
                    next = rx.recv() => next,
                    change = changes.recv() => match change {
                        // Said on the live channel too.
                        Ok(raw) if raw == hermes_cache::RESYNC => continue,
                        Ok(raw) => Ok(raw),
                        // Lost some invalidations: the user may have changed.
                        Err(RecvError::Lagged(_)) => return None,
                        Err(RecvError::Closed) => return None,
                    },
                };
                let event = match raw {
                    Err(RecvError::Closed) => return None,
                    Err(RecvError::Lagged(_)) => Event::default().event("resync").data("{}"),
                    Ok(raw) => match listener.on(&raw) {
                        Ok(Some(event)) => event,
                        Ok(None) => continue,
                        Err(()) => return None,
                    },
                };
                return Some((Ok(event), (rx, changes, recheck)));
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
