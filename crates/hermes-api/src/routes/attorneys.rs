//! `/api/v1/attorneys`: who takes consultations, in which practice areas,
//! when, and under which calendar rules. Reading needs `settings:read`;
//! changing needs `settings:write` (admins).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use hermes_core::{ParseError, UserId};
use hermes_firm::Attorney;
use hermes_store::AttorneyRecord;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Require, perm};
use crate::client::ClientInfo;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::routes::settings::{offices_of, practice_areas_of};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AttorneyOut {
    pub id: Uuid,
    #[serde(flatten)]
    pub attorney: Attorney,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<AttorneyRecord> for AttorneyOut {
    fn from(r: AttorneyRecord) -> Self {
        AttorneyOut {
            id: r.id,
            attorney: r.attorney,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttorneyList {
    pub attorneys: Vec<AttorneyOut>,
}

pub(crate) fn parse_uuid(what: &'static str, raw: &str) -> ApiResult<Uuid> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest(format!("the {what} id in the path is not a valid id")))
}

/// Normalises and checks an attorney against the firm's areas, offices and
/// users.
async fn checked(
    state: &AppState,
    tenant: hermes_core::TenantId,
    req: Attorney,
) -> ApiResult<Attorney> {
    let areas = practice_areas_of(state, tenant).await?;
    let attorney = req.normalized(&areas)?;
    if let Some(office) = &attorney.office {
        offices_of(state, tenant).await?.require(office)?;
    }
    if let Some(user) = attorney.user_id {
        let found = state
            .store
            .scoped(tenant)
            .user(UserId::from_uuid(user))
            .await?;
        if found.is_none() {
            return Err(ParseError::new("user_id", "no such user in this firm").into());
        }
    }
    Ok(attorney)
}

/// List the firm's attorneys.
#[utoipa::path(
    get, path = "/api/v1/attorneys", tag = "attorneys",
    security(("bearer" = ["settings:read"])),
    responses((status = 200, body = AttorneyList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list_attorneys(
    auth: Require<perm::ReadSettings>,
    State(state): State<AppState>,
) -> ApiResult<Json<AttorneyList>> {
    let list = state.store.scoped(auth.tenant).list_attorneys().await?;
    Ok(Json(AttorneyList {
        attorneys: list.into_iter().map(AttorneyOut::from).collect(),
    }))
}

/// Add an attorney.
#[utoipa::path(
    post, path = "/api/v1/attorneys", tag = "attorneys",
    security(("bearer" = ["settings:write"])),
    request_body = Attorney,
    responses(
        (status = 201, body = AttorneyOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "A field is invalid, or names an area the firm does not offer", body = ErrorBody),
    )
)]
pub async fn create_attorney(
    auth: Require<perm::WriteSettings>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<Attorney>,
) -> ApiResult<(StatusCode, Json<AttorneyOut>)> {
    let attorney = checked(&state, auth.tenant, req).await?;
    let rec = state
        .store
        .scoped(auth.tenant)
        .create_attorney(
            Uuid::now_v7(),
            &attorney,
            auth.audit(&client, "attorney.create"),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(rec.into())))
}

/// One attorney.
#[utoipa::path(
    get, path = "/api/v1/attorneys/{id}", tag = "attorneys",
    security(("bearer" = ["settings:read"])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = AttorneyOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get_attorney(
    auth: Require<perm::ReadSettings>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<AttorneyOut>> {
    let id = parse_uuid("attorney", &id)?;
    let rec = state
        .store
        .scoped(auth.tenant)
        .attorney(id)
        .await?
        .ok_or(ApiError::NotFound("attorney"))?;
    Ok(Json(rec.into()))
}

/// Replace an attorney's settings.
#[utoipa::path(
    put, path = "/api/v1/attorneys/{id}", tag = "attorneys",
    security(("bearer" = ["settings:write"])),
    params(("id" = Uuid, Path)),
    request_body = Attorney,
    responses(
        (status = 200, body = AttorneyOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn update_attorney(
    auth: Require<perm::WriteSettings>,
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<String>,
    Json(req): Json<Attorney>,
) -> ApiResult<Json<AttorneyOut>> {
    let id = parse_uuid("attorney", &id)?;
    let attorney = checked(&state, auth.tenant, req).await?;
    let rec = state
        .store
        .scoped(auth.tenant)
        .update_attorney(id, &attorney, auth.audit(&client, "attorney.update"))
        .await
        .map_err(ApiError::store_for("attorney"))?;
    Ok(Json(rec.into()))
}

/// Remove an attorney who has no bookings (otherwise 409: set `active`
/// to false instead, which keeps the history).
#[utoipa::path(
    delete, path = "/api/v1/attorneys/{id}", tag = "attorneys",
    security(("bearer" = ["settings:write"])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    )
)]
pub async fn delete_attorney(
    auth: Require<perm::WriteSettings>,
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_uuid("attorney", &id)?;
    state
        .store
        .scoped(auth.tenant)
        .delete_attorney(id, auth.audit(&client, "attorney.delete"))
        .await
        .map_err(ApiError::store_for("attorney"))?;
    Ok(StatusCode::NO_CONTENT)
}
