//! `GET /api/v1/audit`: the firm's audit log, newest first, filtered and
//! paginated by sequence number (stable under concurrent appends, unlike
//! offsets).

use axum::extract::State;
use chrono::{DateTime, Datelike, Utc};
use hermes_store::{AuditFilter, Outcome};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Require, perm};
use crate::dto;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

pub const MAX_PAGE: u32 = 200;
const DEFAULT_PAGE: u32 = 50;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only this action, e.g. `auth.login`.
    pub action: Option<String>,
    /// Only entries by this user or API key id.
    pub actor_id: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: Option<String>,
    /// Entries at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Entries before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// Entries with a sequence number below this (the previous page's
    /// `next_before`).
    pub before: Option<i64>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<dto::AuditEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// Search the audit log.
#[utoipa::path(
    get, path = "/api/v1/audit", tag = "audit",
    security(("bearer" = ["audit:read"])),
    params(AuditQuery),
    responses(
        (status = 200, body = AuditPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn list_audit(
    auth: Require<perm::ReadAuditLog>,
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(
            hermes_core::ParseError::new("limit", format!("must be 1 to {MAX_PAGE}")).into(),
        );
    }
    let outcome = q
        .outcome
        .as_deref()
        .map(str::parse::<Outcome>)
        .transpose()?;
    for (field, value) in [("since", q.since), ("until", q.until)] {
        // Both backends store years 1970..=9999 faithfully; outside that
        // range PostgreSQL errors and SQLite's text compares wrongly.
        if value.is_some_and(|t| !(1970..=9999).contains(&t.year())) {
            return Err(hermes_core::ParseError::new(
                field,
                "must be between the years 1970 and 9999",
            )
            .into());
        }
    }
    if let (Some(s), Some(u)) = (q.since, q.until)
        && s >= u
    {
        return Err(ApiError::BadRequest(
            "`since` must be before `until`".into(),
        ));
    }
    let filter = AuditFilter {
        action: q.action,
        actor_id: q.actor_id,
        outcome,
        since: q.since,
        until: q.until,
        before_seq: q.before,
        limit: limit + 1,
    };
    let mut entries = state.store.scoped(auth.tenant).list_audit(&filter).await?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let next_before = if more {
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(Json(AuditPage {
        entries: entries.iter().map(dto::AuditEntry::from).collect(),
        next_before,
    }))
}
