//! `/api/v1/settings/question-sets`: the questions the agent asks for each
//! practice area, as data the firm edits.
//!
//! Every area the firm takes has an effective set: the firm's edited one
//! if it saved one, else the built-in default for a standard area, else
//! none (a custom area with no set: the agent checks conflicts on the
//! caller alone and takes no facts — which is why a firm adding a custom
//! area should add a set too). A `PUT` is validated by
//! `hermes_intake::questions::validate` — conflict questions first and at
//! least one naming a party (Rule 1.18), slug ids, no duplicate, prompts
//! that pass the legal-advice guardrail — and replaces the area's set as a
//! whole; `DELETE` goes back to the default. Reading needs `settings:read`,
//! writing `settings:write`; writes are audited with the area, not the
//! prompts.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use hermes_core::TenantId;
use hermes_intake::questions::{self, QuestionSet};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Require, perm};
use crate::client::ClientInfo;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::routes::settings::practice_areas_of;
use crate::state::AppState;

/// One practice area's effective question set.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionSetOut {
    pub practice_area: String,
    /// `custom` (edited by the firm), `default` (built in) or `none`.
    pub source: &'static str,
    pub set: Option<QuestionSet>,
    /// When the firm last edited it (custom only).
    pub updated_at: Option<DateTime<Utc>>,
}

/// The firm's effective question sets, one per practice area it takes.
/// Edited sets that no longer parse or validate (a hand-edited row, an
/// older format) fall back to the default and are logged.
pub(crate) async fn effective_sets(
    state: &AppState,
    tenant: TenantId,
) -> ApiResult<Vec<QuestionSetOut>> {
    let areas = practice_areas_of(state, tenant).await?;
    let edited = state.store.scoped(tenant).question_sets().await?;
    Ok(areas
        .areas
        .iter()
        .map(|a| {
            let key = a.key.to_string();
            let custom = edited.iter().find(|r| r.practice_area == key).and_then(|r| {
                match serde_json::from_value::<QuestionSet>(r.document.clone()) {
                    Ok(set) if questions::validate(&set).is_ok() => Some((set, r.updated_at)),
                    _ => {
                        tracing::warn!(%tenant, area = %key, "an edited question set is unreadable; using the default");
                        None
                    }
                }
            });
            match custom {
                Some((set, at)) => QuestionSetOut {
                    practice_area: key,
                    source: "custom",
                    set: Some(set),
                    updated_at: Some(at),
                },
                None => {
                    let set = questions::default_set(&key);
                    QuestionSetOut {
                        source: if set.is_some() { "default" } else { "none" },
                        practice_area: key,
                        set,
                        updated_at: None,
                    }
                }
            }
        })
        .collect())
}

async fn one(state: &AppState, tenant: TenantId, area: &str) -> ApiResult<QuestionSetOut> {
    effective_sets(state, tenant)
        .await?
        .into_iter()
        .find(|s| s.practice_area == area)
        .ok_or(ApiError::NotFound("practice area"))
}

/// The question set of every practice area the firm takes.
#[utoipa::path(
    get, path = "/api/v1/settings/question-sets", tag = "settings",
    security(("bearer" = ["settings:read"])),
    responses(
        (status = 200, body = [QuestionSetOut]),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn list_question_sets(
    auth: Require<perm::ReadSettings>,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<QuestionSetOut>>> {
    Ok(Json(effective_sets(&state, auth.tenant).await?))
}

/// One practice area's question set.
#[utoipa::path(
    get, path = "/api/v1/settings/question-sets/{practice_area}", tag = "settings",
    security(("bearer" = ["settings:read"])),
    params(("practice_area" = String, Path, description = "A practice area key the firm takes")),
    responses(
        (status = 200, body = QuestionSetOut),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn get_question_set(
    auth: Require<perm::ReadSettings>,
    State(state): State<AppState>,
    Path(area): Path<String>,
) -> ApiResult<Json<QuestionSetOut>> {
    Ok(Json(one(&state, auth.tenant, &area).await?))
}

/// Replace one practice area's question set (validated as a whole).
#[utoipa::path(
    put, path = "/api/v1/settings/question-sets/{practice_area}", tag = "settings",
    security(("bearer" = ["settings:write"])),
    params(("practice_area" = String, Path, description = "A practice area key the firm takes")),
    request_body = QuestionSet,
    responses(
        (status = 200, body = QuestionSetOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "The firm does not take this practice area", body = ErrorBody),
        (status = 422, description = "Every problem with the set, separated by '; '", body = ErrorBody),
    )
)]
pub async fn put_question_set(
    auth: Require<perm::WriteSettings>,
    State(state): State<AppState>,
    client: ClientInfo,
    Path(area): Path<String>,
    Json(set): Json<QuestionSet>,
) -> ApiResult<Json<QuestionSetOut>> {
    let areas = practice_areas_of(&state, auth.tenant).await?;
    if !areas.areas.iter().any(|a| a.key.to_string() == area) {
        return Err(ApiError::NotFound("practice area"));
    }
    if set.practice_area != area {
        return Err(ApiError::InvalidBody(format!(
            "practice_area {:?} does not match the path's {area:?}",
            set.practice_area
        )));
    }
    questions::validate(&set).map_err(ApiError::InvalidBody)?;
    let audit = auth
        .audit(&client, "settings.update")
        .details(serde_json::json!({ "section": "question_set", "practice_area": area }));
    let doc = serde_json::to_value(&set).map_err(ApiError::internal)?;
    state
        .store
        .scoped(auth.tenant)
        .put_question_set(&area, &doc, audit)
        .await?;
    Ok(Json(one(&state, auth.tenant, &area).await?))
}

/// Go back to the built-in default set for a practice area.
#[utoipa::path(
    delete, path = "/api/v1/settings/question-sets/{practice_area}", tag = "settings",
    security(("bearer" = ["settings:write"])),
    params(("practice_area" = String, Path, description = "A practice area key")),
    responses(
        (status = 204, description = "The area uses the default set again"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "The area had no edited set", body = ErrorBody),
    )
)]
pub async fn delete_question_set(
    auth: Require<perm::WriteSettings>,
    State(state): State<AppState>,
    client: ClientInfo,
    Path(area): Path<String>,
) -> ApiResult<StatusCode> {
    let audit = auth.audit(&client, "settings.update").details(
        serde_json::json!({ "section": "question_set", "practice_area": area, "reset": true }),
    );
    state
        .store
        .scoped(auth.tenant)
        .delete_question_set(&area, audit)
        .await
        .map_err(|e| match e {
            hermes_store::StoreError::NotFound => ApiError::NotFound("edited question set"),
            e => e.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}
