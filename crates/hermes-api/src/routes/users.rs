//! The firm's users (admins only). A firm always keeps one active admin:
//! the store refuses the change that would remove the last one (409).

use axum::extract::State;
use axum::http::StatusCode;
use hermes_core::{DisplayName, Email, NewPassword, UserId};
use hermes_store::{NewUser, UserPatch};
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
pub struct CreateUser {
    #[schema(example = "ana.lopez@example.com")]
    pub email: String,
    #[schema(example = "Ana Lopez")]
    pub name: String,
    pub role: dto::Role,
    /// At least 12 characters. Omit it to have one generated and returned
    /// once in `initial_password`.
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: dto::User,
    /// Present only when the password was generated; shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub name: Option<String>,
    pub role: Option<dto::Role>,
    pub active: Option<bool>,
    /// A new password (at least 12 characters). Ends the user's sessions.
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<dto::User>,
}

fn parse_id(raw: &str) -> ApiResult<UserId> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest("the user id in the path is not a valid id".into()))
}

/// List the firm's users.
#[utoipa::path(
    get, path = "/api/v1/users", tag = "users",
    security(("bearer" = ["users:manage"])),
    responses(
        (status = 200, body = UserList),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn list_users(
    auth: Require<perm::ManageUsers>,
    State(state): State<AppState>,
) -> ApiResult<Json<UserList>> {
    let users = state.store.scoped(auth.tenant).list_users().await?;
    Ok(Json(UserList {
        users: users.iter().map(dto::User::from).collect(),
    }))
}

/// Add a user to the firm.
#[utoipa::path(
    post, path = "/api/v1/users", tag = "users",
    security(("bearer" = ["users:manage"])),
    request_body = CreateUser,
    responses(
        (status = 201, body = CreatedUser),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "The email is already used in this firm", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn create_user(
    auth: Require<perm::ManageUsers>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<CreateUser>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    let email = Email::parse(&req.email)?;
    let name = DisplayName::parse(&req.name)?;
    let (password, generated) = match &req.password {
        Some(p) => (NewPassword::parse(p)?, false),
        None => (hermes_auth::generate_password(), true),
    };
    let shown = generated.then(|| password.expose().to_owned());
    let role: hermes_core::Role = req.role.into();
    let user = state
        .store
        .scoped(auth.tenant)
        .create_user(
            &NewUser {
                email: email.clone(),
                display_name: name,
                role,
                password_hash: state.hash_password(password).await?,
            },
            auth.audit(&client, "user.create")
                .details(serde_json::json!({
                    "email": email.to_string(),
                    "role": role.as_str(),
                })),
        )
        .await
        .map_err(|e| match e {
            hermes_store::StoreError::Conflict(_) => ApiError::Conflict {
                code: "email_taken",
                message: "a user with this email already exists in this firm".into(),
            },
            e => e.into(),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user: (&user).into(),
            initial_password: shown,
        }),
    ))
}

/// One user.
#[utoipa::path(
    get, path = "/api/v1/users/{id}", tag = "users",
    security(("bearer" = ["users:manage"])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, body = dto::User),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn get_user(
    auth: Require<perm::ManageUsers>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<dto::User>> {
    let id = parse_id(&id)?;
    let user = state
        .store
        .scoped(auth.tenant)
        .user(id)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    Ok(Json((&user).into()))
}

/// Rename, change the role of, deactivate/reactivate, or set the password of
/// a user. Deactivation or a new password ends the user's sessions;
/// deactivation revokes the API keys they created, and a demotion those
/// above the new role.
#[utoipa::path(
    patch, path = "/api/v1/users/{id}", tag = "users",
    security(("bearer" = ["users:manage"])),
    params(("id" = String, Path, description = "User id")),
    request_body = UpdateUser,
    responses(
        (status = 200, body = dto::User),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Would leave the firm without an active admin", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn update_user(
    auth: Require<perm::ManageUsers>,
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<String>,
    Json(req): Json<UpdateUser>,
) -> ApiResult<Json<dto::User>> {
    let id = parse_id(&id)?;
    let mut patch = UserPatch {
        display_name: req.name.as_deref().map(DisplayName::parse).transpose()?,
        role: req.role.map(Into::into),
        active: req.active,
        password_hash: None,
    };
    if let Some(p) = &req.password {
        patch.password_hash = Some(state.hash_password(NewPassword::parse(p)?).await?);
    }
    if patch.is_empty() {
        return Err(ApiError::BadRequest(
            "nothing to change: send at least one of name, role, active, password".into(),
        ));
    }
    let mut changed = Vec::new();
    if patch.display_name.is_some() {
        changed.push("name");
    }
    if patch.role.is_some() {
        changed.push("role");
    }
    if patch.active.is_some() {
        changed.push("active");
    }
    if patch.password_hash.is_some() {
        changed.push("password");
    }
    let audit = auth
        .audit(&client, "user.update")
        .details(serde_json::json!({
            "changed": changed,
            "role": patch.role.map(|r| r.as_str()),
            "active": patch.active,
        }));
    let (user, ended) = state
        .store
        .scoped(auth.tenant)
        .update_user(id, &patch, audit)
        .await
        .map_err(ApiError::store_for("user"))?;
    state.end_sessions(&ended).await;
    state.invalidate(Invalidation::User(id)).await;
    if patch.active == Some(false) || patch.role.is_some() {
        // API keys the user created may have been revoked with them.
        state.invalidate(Invalidation::ApiKey(None)).await;
    }
    Ok(Json((&user).into()))
}

/// Remove a user, end their sessions and revoke the API keys they created.
#[utoipa::path(
    delete, path = "/api/v1/users/{id}", tag = "users",
    security(("bearer" = ["users:manage"])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Would leave the firm without an active admin", body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn delete_user(
    auth: Require<perm::ManageUsers>,
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&id)?;
    state
        .store
        .scoped(auth.tenant)
        .delete_user(id, auth.audit(&client, "user.delete"))
        .await
        .map_err(ApiError::store_for("user"))?;
    state.invalidate(Invalidation::User(id)).await;
    state.invalidate(Invalidation::ApiKey(None)).await;
    Ok(StatusCode::NO_CONTENT)
}
