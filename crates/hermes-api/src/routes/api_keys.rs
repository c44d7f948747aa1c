//! API keys: machine credentials with a role, shown once, stored hashed,
//! revocable. Used as `Authorization: Bearer hk_…`.

use axum::extract::State;
use axum::http::StatusCode;
use hermes_auth::ApiKeySecret;
use hermes_core::{ApiKeyId, ParseError};
use hermes_store::NewApiKey;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Invalidation, Require, perm};
use crate::client::ClientInfo;
use crate::dto;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// What the key is for ("website intake form").
    #[schema(example = "website intake form")]
    pub name: String,
    pub role: dto::Role,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: dto::ApiKey,
    /// The key itself. Shown this once; HERMES keeps only its hash.
    pub key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    pub api_keys: Vec<dto::ApiKey>,
}

fn parse_name(raw: &str) -> Result<String, ParseError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ParseError::new("name", "must be 1 to 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(ParseError::new(
            "name",
            "must not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

fn parse_id(raw: &str) -> ApiResult<ApiKeyId> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest("the API key id in the path is not a valid id".into()))
}

/// Create an API key. The response holds the key; it is never shown again.
#[utoipa::path(
    post, path = "/api/v1/api-keys", tag = "api keys",
    security(("bearer" = ["api_keys:manage"])),
    request_body = CreateApiKey,
    responses(
        (status = 201, body = CreatedApiKey),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn create_api_key(
    auth: Require<perm::ManageApiKeys>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<CreateApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let name = parse_name(&req.name)?;
    let role: hermes_core::Role = req.role.into();
    let secret = ApiKeySecret::generate(auth.tenant);
    let key = state
        .store
        .scoped(auth.tenant)
        .create_api_key(
            &NewApiKey {
                name: name.clone(),
                role,
                hash: secret.hash.clone(),
                prefix: secret.prefix.clone(),
                created_by: auth.user_id(),
            },
            auth.audit(&client, "api_key.create")
                .details(serde_json::json!({"name": name, "role": role.as_str()})),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            api_key: (&key).into(),
            key: secret.key,
        }),
    ))
}

/// The firm's API keys (never the keys themselves).
#[utoipa::path(
    get, path = "/api/v1/api-keys", tag = "api keys",
    security(("bearer" = ["api_keys:manage"])),
    responses(
        (status = 200, body = ApiKeyList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn list_api_keys(
    auth: Require<perm::ManageApiKeys>,
    State(state): State<AppState>,
) -> ApiResult<Json<ApiKeyList>> {
    let keys = state.store.scoped(auth.tenant).list_api_keys().await?;
    Ok(Json(ApiKeyList {
        api_keys: keys.iter().map(dto::ApiKey::from).collect(),
    }))
}

/// One API key.
#[utoipa::path(
    get, path = "/api/v1/api-keys/{id}", tag = "api keys",
    security(("bearer" = ["api_keys:manage"])),
    params(("id" = String, Path, description = "API key id")),
    responses(
        (status = 200, body = dto::ApiKey),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn get_api_key(
    auth: Require<perm::ManageApiKeys>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<dto::ApiKey>> {
    let id = parse_id(&id)?;
    let key = state
        .store
        .scoped(auth.tenant)
        .api_key(id)
        .await?
        .ok_or(ApiError::NotFound("API key"))?;
    Ok(Json((&key).into()))
}

/// Revoke an API key. It stops working at once on every node.
#[utoipa::path(
    delete, path = "/api/v1/api-keys/{id}", tag = "api keys",
    security(("bearer" = ["api_keys:manage"])),
    params(("id" = String, Path, description = "API key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn revoke_api_key(
    auth: Require<perm::ManageApiKeys>,
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&id)?;
    state
        .store
        .scoped(auth.tenant)
        .revoke_api_key(id, auth.audit(&client, "api_key.revoke"))
        .await
        .map_err(ApiError::store_for("API key"))?;
    state.invalidate(Invalidation::ApiKey(Some(id))).await;
    Ok(StatusCode::NO_CONTENT)
}
