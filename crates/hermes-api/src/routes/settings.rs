//! `/api/v1/settings/firm`: the firm's profile as the platform knows it (the
//! name the agent speaks, the time zone appointments are read back in).
//! The firm issue extends settings with hours, practice areas and
//! attorneys under the same prefix.

use axum::extract::State;
use hermes_core::{TenantName, TimeZone};
use hermes_store::TenantPatch;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::{Invalidation, Require, perm};
use crate::client::ClientInfo;
use crate::dto;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFirm {
    #[schema(example = "Smith & Jones LLP")]
    pub name: Option<String>,
    /// IANA time zone.
    #[schema(example = "America/New_York")]
    pub time_zone: Option<String>,
}

/// The firm's profile.
#[utoipa::path(
    get, path = "/api/v1/settings/firm", tag = "settings",
    security(("bearer" = ["settings:read"])),
    responses(
        (status = 200, body = dto::Tenant),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn get_firm(
    auth: Require<perm::ReadSettings>,
    State(state): State<AppState>,
) -> ApiResult<Json<dto::Tenant>> {
    let tenant = state.tenant(auth.tenant).await?;
    Ok(Json(tenant.as_ref().into()))
}

/// Change the firm's name or time zone.
#[utoipa::path(
    patch, path = "/api/v1/settings/firm", tag = "settings",
    security(("bearer" = ["settings:write"])),
    request_body = UpdateFirm,
    responses(
        (status = 200, body = dto::Tenant),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn update_firm(
    auth: Require<perm::WriteSettings>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<UpdateFirm>,
) -> ApiResult<Json<dto::Tenant>> {
    let patch = TenantPatch {
        name: req.name.as_deref().map(TenantName::parse).transpose()?,
        time_zone: req.time_zone.as_deref().map(TimeZone::parse).transpose()?,
    };
    if patch.name.is_none() && patch.time_zone.is_none() {
        return Err(ApiError::BadRequest(
            "nothing to change: send name and/or time_zone".into(),
        ));
    }
    let audit = auth
        .audit(&client, "settings.update")
        .details(serde_json::json!({
            "section": "firm",
            "name": patch.name.as_ref().map(|n| n.as_ref().to_owned()),
            "time_zone": patch.time_zone.map(|z| z.name()),
        }));
    let tenant = state
        .store
        .scoped(auth.tenant)
        .update_tenant(&patch, audit)
        .await?;
    state.invalidate(Invalidation::Tenant(auth.tenant)).await;
    Ok(Json((&tenant).into()))
}
