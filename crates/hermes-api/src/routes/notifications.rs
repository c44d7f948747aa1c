//! `/api/v1/notifications`: the escalation messages in the delivery outbox
//! (pending, leased, sent, dead) and the retry of a dead one.
//!
//! Permissions, from the existing table: reading needs `cases:write` —
//! the people who work the firm's matters (admin, attorney, staff), not
//! read-only users: a notification is an operational record of who was
//! paged about which urgent intake. Retrying a dead one needs
//! `integrations:manage` (admin): a job dies when a delivery channel
//! (Twilio, SMTP) keeps failing, which is the admin's to fix first.

use axum::extract::State;
use chrono::{DateTime, Utc};
use hermes_store::{OutboxFilter, OutboxJob, OutboxStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{Require, perm};
use crate::client::ClientInfo;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::routes::attorneys::parse_uuid;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationOut {
    pub id: Uuid,
    /// `sms` or `email`.
    pub kind: String,
    /// The recipient: a phone number (E.164) or an email address.
    pub to: Option<String>,
    /// `pending`, `leased`, `sent` or `dead`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<OutboxJob> for NotificationOut {
    fn from(j: OutboxJob) -> Self {
        NotificationOut {
            id: j.id,
            kind: j.kind.as_str().to_owned(),
            to: j.payload["to"].as_str().map(str::to_owned),
            status: j.status.as_str().to_owned(),
            attempts: j.attempts,
            next_attempt_at: j.next_attempt_at,
            last_error: j.last_error,
            created_at: j.created_at,
            updated_at: j.updated_at,
            sent_at: j.sent_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub notifications: Vec<NotificationOut>,
    /// Pass as `before` for the next (older) page.
    pub next_before: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// `pending`, `leased`, `sent` or `dead`.
    pub status: Option<String>,
    /// The `next_before` of the previous page.
    pub before: Option<Uuid>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

/// Escalation notifications, newest first.
#[utoipa::path(
    get, path = "/api/v1/notifications", tag = "notifications",
    security(("bearer" = ["cases:write"])),
    params(NotificationQuery),
    responses((status = 200, body = NotificationList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list_notifications(
    auth: Require<perm::WriteCases>,
    State(state): State<AppState>,
    Query(q): Query<NotificationQuery>,
) -> ApiResult<Json<NotificationList>> {
    let limit = super::paging::limit(q.limit)?;
    let status = q
        .status
        .map(|s| {
            OutboxStatus::parse(&s).ok_or_else(|| {
                ApiError::BadRequest("status must be one of pending, leased, sent, dead".into())
            })
        })
        .transpose()?;
    let rows = state
        .store
        .scoped(auth.tenant)
        .list_outbox(&OutboxFilter {
            status,
            before: q.before,
            limit,
        })
        .await?;
    let next_before = super::paging::next_before(&rows, limit, |r| r.id);
    Ok(Json(NotificationList {
        notifications: rows.into_iter().map(NotificationOut::from).collect(),
        next_before,
    }))
}

/// Retry a dead notification now (audited); 409 unless it is dead.
#[utoipa::path(
    post, path = "/api/v1/notifications/{id}/retry", tag = "notifications",
    security(("bearer" = ["integrations:manage"])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = NotificationOut),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    )
)]
pub async fn retry_notification(
    auth: Require<perm::ManageIntegrations>,
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<String>,
) -> ApiResult<Json<NotificationOut>> {
    let id = parse_uuid("notification", &id)?;
    let job = state
        .store
        .scoped(auth.tenant)
        .retry_outbox_job(id, auth.audit(&client, "notification.retry"))
        .await
        .map_err(ApiError::store_for("notification"))?;
    state.notify.wake.notify_one();
    Ok(Json(job.into()))
}
