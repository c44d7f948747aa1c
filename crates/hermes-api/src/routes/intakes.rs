//! `/api/v1/intakes`: what callers told the agent, for the firm's staff.
//! Reading needs `cases:read`; corrections need `cases:write` and are
//! audited (which fields changed, not their values: the audit log is not a
//! second copy of what callers said).

use axum::extract::State;
use chrono::{DateTime, Utc};
use hermes_core::ParseError;
use hermes_store::{IntakeFilter, IntakeRow, IntakeUpdate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{Require, perm};
use crate::client::ClientInfo;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::routes::attorneys::parse_uuid;
use crate::state::AppState;

const STATUSES: [&str; 5] = [
    "in_progress",
    "completed",
    "abandoned",
    "needs_review",
    "declined",
];
const URGENCIES: [&str; 4] = ["routine", "soon", "urgent", "emergency"];

#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeOut {
    pub id: Uuid,
    /// `text` or `voice`.
    pub channel: String,
    /// `in_progress`, `completed`, `abandoned`, `needs_review` or `declined`.
    pub status: String,
    /// `routine`, `soon`, `urgent` or `emergency`.
    pub urgency: String,
    pub practice_area: Option<String>,
    pub caller_name: Option<String>,
    /// The whole record: transcript, fields (value, confidence, source
    /// turn, flagged), parties, urgency reasons, conflict result, booking.
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Its sync to the firm's Clio, step by step (one intake only; absent
    /// when it was never queued).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clio_sync: Option<crate::clio_sync::ClioSyncOut>,
}

impl From<IntakeRow> for IntakeOut {
    fn from(r: IntakeRow) -> Self {
        IntakeOut {
            id: r.id,
            channel: r.channel,
            status: r.status,
            urgency: r.urgency,
            practice_area: r.practice_area,
            caller_name: r.caller_name,
            record: r.document,
            created_at: r.created_at,
            updated_at: r.updated_at,
            clio_sync: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeList {
    pub intakes: Vec<IntakeOut>,
    /// Pass as `before` for the next (older) page.
    pub next_before: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IntakeQuery {
    pub status: Option<String>,
    pub urgency: Option<String>,
    pub practice_area: Option<String>,
    /// Created at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Created before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// The `next_before` of the previous page.
    pub before: Option<Uuid>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

/// Intakes, newest first, with filters.
#[utoipa::path(
    get, path = "/api/v1/intakes", tag = "intake",
    security(("bearer" = ["cases:read"])),
    params(IntakeQuery),
    responses((status = 200, body = IntakeList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list_intakes(
    auth: Require<perm::ReadCases>,
    State(state): State<AppState>,
    Query(q): Query<IntakeQuery>,
) -> ApiResult<Json<IntakeList>> {
    let limit = super::paging::limit(q.limit)?;
    let rows = state
        .store
        .scoped(auth.tenant)
        .list_intakes(&IntakeFilter {
            status: super::paging::one_of("status", q.status, &STATUSES)?,
            urgency: super::paging::one_of("urgency", q.urgency, &URGENCIES)?,
            practice_area: q.practice_area,
            from: q.from,
            to: q.to,
            before: q.before,
            limit,
        })
        .await?;
    let next_before = super::paging::next_before(&rows, limit, |r| r.id);
    Ok(Json(IntakeList {
        intakes: rows.into_iter().map(IntakeOut::from).collect(),
        next_before,
    }))
}

/// One intake.
#[utoipa::path(
    get, path = "/api/v1/intakes/{id}", tag = "intake",
    security(("bearer" = ["cases:read"])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = IntakeOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get_intake(
    auth: Require<perm::ReadCases>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<IntakeOut>> {
    let id = parse_uuid("intake", &id)?;
    let row = state
        .store
        .scoped(auth.tenant)
        .intake(id)
        .await?
        .ok_or(ApiError::NotFound("intake"))?;
    let clio_sync = crate::clio_sync::status_of(&state, auth.tenant, id).await?;
    Ok(Json(IntakeOut {
        clio_sync,
        ..row.into()
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeCorrection {
    /// Field id → corrected value (e.g. `{"phone": "+15035550101"}`); a
    /// corrected field gets confidence 1 and loses its flag.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: std::collections::BTreeMap<String, String>,
    pub status: Option<String>,
    pub practice_area: Option<String>,
}

/// Correct an intake (staff), audited.
#[utoipa::path(
    patch, path = "/api/v1/intakes/{id}", tag = "intake",
    security(("bearer" = ["cases:write"])),
    params(("id" = Uuid, Path)),
    request_body = IntakeCorrection,
    responses(
        (status = 200, body = IntakeOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn correct_intake(
    auth: Require<perm::WriteCases>,
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<String>,
    Json(req): Json<IntakeCorrection>,
) -> ApiResult<Json<IntakeOut>> {
    let id = parse_uuid("intake", &id)?;
    let store = state.store.scoped(auth.tenant);
    let row = store
        .intake(id)
        .await?
        .ok_or(ApiError::NotFound("intake"))?;
    let mut doc = row.document.clone();
    if req.fields.len() > 50 {
        return Err(ParseError::new("fields", "at most 50 fields per correction").into());
    }
    for (key, value) in &req.fields {
        if key.is_empty() || key.len() > 60 || value.chars().count() > 2000 {
            return Err(ParseError::new(
                "fields",
                "field ids are 1 to 60 characters and values at most 2000",
            )
            .into());
        }
        let field = doc["fields"]
            .as_object_mut()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("intake document without fields")))?
            .entry(key.clone())
            .or_insert_with(|| serde_json::json!({"source_turn": 0}));
        field["value"] = serde_json::json!(value.trim());
        field["confidence"] = serde_json::json!(1.0);
        field["flagged"] = serde_json::json!(false);
    }
    let status = super::paging::one_of("status", req.status.clone(), &STATUSES)?
        .unwrap_or(row.status.clone());
    if let Some(s) = &req.status {
        doc["status"] = serde_json::json!(s);
    }
    let practice_area = match &req.practice_area {
        Some(a) => {
            let key = hermes_firm::PracticeAreaKey::parse(a)?;
            doc["practice_area"] = serde_json::json!(key.to_string());
            Some(key.to_string())
        }
        None => row.practice_area.clone(),
    };
    let caller_name = doc["fields"]["name"]["value"]
        .as_str()
        .map(str::to_owned)
        .or(row.caller_name.clone());
    let updated = store
        .correct_intake(
            id,
            &IntakeUpdate {
                status,
                urgency: row.urgency.clone(),
                practice_area,
                caller_name,
                document: doc,
                conversation: row.conversation.clone(),
                jobs: Vec::new(),
            },
            auth.audit(&client, "intake.correct")
                .details(serde_json::json!({
                    "fields": req.fields.keys().collect::<Vec<_>>(),
                    "status": req.status,
                    "practice_area": req.practice_area,
                })),
        )
        .await
        .map_err(ApiError::store_for("intake"))?;
    crate::live::publish(&state, auth.tenant, crate::live::LiveEvent::Intake { id });
    Ok(Json(updated.into()))
}
