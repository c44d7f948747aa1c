//! `GET /api/v1/me`: who the caller is. The dashboard's first request and
//! the load benchmark's hot path, so it is served from the per-node caches
//! without touching the database.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Principal, PrincipalKind};
use crate::dto;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// `user` or `api_key`.
    #[schema(example = "user")]
    pub kind: &'static str,
    /// The user's or the API key's id.
    pub id: String,
    pub role: dto::Role,
    /// The user's name, or the API key's.
    pub name: String,
    /// Users only.
    pub email: Option<String>,
    pub tenant: dto::Tenant,
    /// What the role may do (`cases:read`, `conflicts:decide`, …): the
    /// dashboard offers exactly these actions.
    #[schema(example = json!(["cases:read", "settings:read"]))]
    pub permissions: Vec<&'static str>,
}

/// The signed-in user (or API key) and their firm.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 429, description = "Rate limited", body = ErrorBody),
    )
)]
pub async fn me(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Me>> {
    let tenant = state.tenant(principal.tenant).await?;
    let me = match &principal.kind {
        PrincipalKind::User { user, .. } => Me {
            kind: "user",
            id: user.id.to_string(),
            role: principal.role.into(),
            name: user.display_name.as_ref().to_owned(),
            email: Some(user.email.to_string()),
            tenant: tenant.as_ref().into(),
            permissions: permissions(principal.role),
        },
        PrincipalKind::ApiKey { key } => Me {
            kind: "api_key",
            id: key.id.to_string(),
            role: principal.role.into(),
            name: key.name.clone(),
            email: None,
            tenant: tenant.as_ref().into(),
            permissions: permissions(principal.role),
        },
    };
    Ok(Json(me))
}

fn permissions(role: hermes_core::Role) -> Vec<&'static str> {
    hermes_core::Permission::ALL
        .iter()
        .filter(|p| role.allows(**p))
        .map(|p| p.as_str())
        .collect()
}
