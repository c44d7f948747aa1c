//! `/api/v1/calls`: the firm's calls — who called, when, how it ended,
//! the intake it produced and how fast the agent answered each turn — and
//! their recordings. Reading calls needs `cases:read`; a recording,
//! `recordings:listen`, and every listen is audited.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hermes_store::{CallFilter, CallRow};
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
pub struct CallOut {
    pub id: Uuid,
    /// `twilio`, `telnyx` or `browser`.
    pub provider: String,
    /// The provider's id for the call.
    pub provider_call_id: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `ringing`, `in_progress` or `ended`.
    pub status: String,
    /// `completed`, `abandoned`, `needs_review`, `declined`,
    /// `transferred`, `busy`, `no_answer`, `failed`, `canceled`.
    pub outcome: Option<String>,
    pub recording_consent: Option<bool>,
    pub has_recording: bool,
    pub intake_id: Option<Uuid>,
    /// Per turn, in ms from the end of the caller's speech: transcript,
    /// reply, first audio synthesised, first frame sent.
    #[schema(value_type = Vec<Object>)]
    pub turns: serde_json::Value,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
}

impl From<CallRow> for CallOut {
    fn from(r: CallRow) -> Self {
        CallOut {
            id: r.id,
            provider: r.provider,
            provider_call_id: r.provider_call_id,
            from: r.from_number,
            to: r.to_number,
            status: r.status,
            outcome: r.outcome,
            recording_consent: r.recording_consent,
            has_recording: r.has_recording,
            intake_id: r.intake_id,
            turns: r.turns,
            started_at: r.started_at,
            ended_at: r.ended_at,
            duration_ms: r.duration_ms,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallList {
    pub calls: Vec<CallOut>,
    /// Pass as `before` for the next (older) page.
    pub next_before: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CallQuery {
    /// `ringing`, `in_progress` or `ended`.
    pub status: Option<String>,
    /// Started at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Started before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    pub before: Option<Uuid>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

/// Calls, newest first.
#[utoipa::path(
    get, path = "/api/v1/calls", tag = "calls",
    security(("bearer" = ["cases:read"])),
    params(CallQuery),
    responses((status = 200, body = CallList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list_calls(
    auth: Require<perm::ReadCases>,
    State(state): State<AppState>,
    Query(q): Query<CallQuery>,
) -> ApiResult<Json<CallList>> {
    let limit = super::paging::limit(q.limit)?;
    let status = super::paging::one_of("status", q.status, &["ringing", "in_progress", "ended"])?;
    let rows = state
        .store
        .scoped(auth.tenant)
        .list_calls(&CallFilter {
            from: q.from,
            to: q.to,
            status,
            before: q.before,
            limit,
        })
        .await?;
    let next_before = super::paging::next_before(&rows, limit, |r| r.id);
    Ok(Json(CallList {
        calls: rows.into_iter().map(CallOut::from).collect(),
        next_before,
    }))
}

/// One call.
#[utoipa::path(
    get, path = "/api/v1/calls/{id}", tag = "calls",
    security(("bearer" = ["cases:read"])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CallOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get_call(
    auth: Require<perm::ReadCases>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<CallOut>> {
    let id = parse_uuid("call", &id)?;
    let row = state
        .store
        .scoped(auth.tenant)
        .call(id)
        .await?
        .ok_or(ApiError::NotFound("call"))?;
    Ok(Json(row.into()))
}

/// A call's recording (WAV), audited.
#[utoipa::path(
    get, path = "/api/v1/calls/{id}/recording", tag = "calls",
    security(("bearer" = ["recordings:listen"])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The recording", content_type = "audio/wav"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)
    )
)]
pub async fn get_recording(
    auth: Require<perm::ListenRecordings>,
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_uuid("call", &id)?;
    let audit = auth.audit(&client, "recording.listen");
    let row = state
        .store
        .scoped(auth.tenant)
        .recording(id, audit)
        .await?
        .ok_or(ApiError::NotFound("recording"))?;
    let wav = state
        .secrets
        .open(
            &crate::voice::record::recording_context(auth.tenant, id),
            &row.sealed,
        )
        .map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "audio/wav"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        wav,
    )
        .into_response())
}
