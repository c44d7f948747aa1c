//! Login, refresh, logout.
//!
//! Login never says which of tenant, email or password was wrong, and takes
//! about as long whichever it was: an unknown account still pays for one
//! argon2 verification (against a dummy hash).
//!
//! Lockout: each attempt for one account from one address takes a slot in
//! a sliding window (`SharedState::attempt`, atomic, so parallel guesses
//! cannot overrun it); a success frees them all. With the window full (five
//! failures within 15 minutes by default) the answer is 429 until the
//! oldest leaves it. The key is a hash, so account names do not sit in
//! Redis in clear.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use hermes_auth::RefreshSecret;
use hermes_core::{Email, TenantSlug};
use hermes_store::{Actor, AuditEvent, NewRefreshToken, Outcome, RotateOutcome, User};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::{Principal, PrincipalKind};
use crate::client::ClientInfo;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The firm's slug.
    #[schema(example = "demo")]
    pub tenant: String,
    #[schema(example = "admin@demo.example")]
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// RS256 JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque; single use. Exchange it at `/api/v1/auth/refresh`.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
}

fn lockout_key(tenant: &str, email: &str, ip: &str) -> String {
    let who = Sha256::digest(format!(
        "{}\n{}",
        tenant.trim().to_lowercase(),
        email.trim().to_lowercase()
    ));
    format!("lock:{}:{ip}", hex::encode(&who[..16]))
}

fn pair(
    state: &AppState,
    user: &User,
    session: hermes_core::RefreshFamilyId,
    refresh: String,
) -> TokenPair {
    let (access_token, _) = state
        .tokens
        .issue(user.id, user.tenant_id, user.role, Some(session));
    TokenPair {
        access_token,
        refresh_token: refresh,
        token_type: "Bearer",
        expires_in: state.tokens.config().access_ttl.as_secs(),
    }
}

/// Sign in with the firm's slug, an email and a password.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Wrong tenant, email or password (one answer for all three)", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address, or this account is locked out for a while; see Retry-After", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Json<TokenPair>> {
    let ip = client.ip_key();
    let lock_key = lockout_key(&req.tenant, &req.email, &ip);
    let cfg = &state.config;
    let attempts = match state
        .shared
        .attempt(&lock_key, cfg.lockout_failures, cfg.lockout_window)
        .await
    {
        Ok(a) if !a.allowed => {
            metrics::counter!("hermes_login_total", "outcome" => "locked").increment(1);
            return Err(ApiError::TooManyRequests {
                retry_after: a.retry_after,
                message: "too many failed sign-ins for this account; try again later",
            });
        }
        Ok(a) => a.count,
        Err(e) => {
            tracing::warn!(error = %e, "lockout check unavailable");
            0
        }
    };

    // Shape errors are answered like wrong credentials: no hints.
    let tenant = match TenantSlug::parse(&req.tenant) {
        Ok(slug) => state.store.tenant_by_slug(&slug).await?,
        Err(_) => None,
    };
    let email = Email::parse(&req.email).ok();
    let account = match (&tenant, &email) {
        (Some(t), Some(e)) => state.store.scoped(t.id).user_credentials(e).await?,
        _ => None,
    };
    let stored = account.as_ref().map(|(_, h)| h.clone());
    let password_ok = state.verify_password(req.password, stored).await?;

    let user = match account {
        Some((user, _)) if password_ok && user.active => user,
        other => {
            metrics::counter!("hermes_login_total", "outcome" => "failure").increment(1);
            if let Some(t) = &tenant {
                // The person trying is unknown: the actor is anonymous and
                // the account, if any, is the target, so filtering the log
                // by a user's id shows what they did, not what was tried
                // against them.
                let target = other.as_ref().map(|(u, _)| u.id);
                let reason = match &other {
                    Some((u, _)) if !u.active && password_ok => "account deactivated",
                    Some(_) => "wrong password",
                    None => "unknown email",
                };
                let event = |action: &'static str, outcome: Outcome, details: serde_json::Value| {
                    let mut ev = AuditEvent::new(Actor::Anonymous, action)
                        .outcome(outcome)
                        .client(client.ip_string(), client.user_agent.clone())
                        .details(details);
                    if let Some(id) = target {
                        ev = ev.target("user", id);
                    }
                    ev
                };
                let email = email.as_ref().map(|e| e.to_string());
                let scoped = state.store.scoped(t.id);
                scoped
                    .append_audit(event(
                        "auth.login",
                        Outcome::Failure,
                        serde_json::json!({"email": email, "reason": reason}),
                    ))
                    .await?;
                if attempts == cfg.lockout_failures {
                    scoped
                        .append_audit(event(
                            "auth.lockout",
                            Outcome::Denied,
                            serde_json::json!({
                                "email": email,
                                "window_seconds": cfg.lockout_window.as_secs(),
                            }),
                        ))
                        .await?;
                }
            }
            return Err(ApiError::BadCredentials);
        }
    };

    if let Err(e) = state.shared.clear(&lock_key).await {
        tracing::warn!(error = %e, "could not clear lockout counter");
    }
    let refresh = RefreshSecret::generate(user.tenant_id);
    let session = state
        .store
        .scoped(user.tenant_id)
        .start_session(
            user.id,
            &NewRefreshToken {
                hash: refresh.hash.clone(),
                expires_at: Utc::now() + cfg.refresh_ttl,
            },
            AuditEvent::new(Actor::User(user.id), "auth.login")
                .client(client.ip_string(), client.user_agent.clone()),
        )
        .await?;
    metrics::counter!("hermes_login_total", "outcome" => "success").increment(1);
    Ok(Json(pair(&state, &user, session, refresh.token)))
}

/// Exchange a refresh token for a new pair. Each refresh token works once;
/// presenting a spent one ends the whole session (all its descendants).
#[utoipa::path(
    post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Unknown, expired, spent or revoked refresh token", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<RefreshRequest>,
) -> ApiResult<Json<TokenPair>> {
    let (tenant, hash) = RefreshSecret::parse(req.refresh_token.trim())
        .ok_or(ApiError::Unauthenticated("malformed refresh token"))?;
    let next = RefreshSecret::generate(tenant);
    let outcome = state
        .store
        .scoped(tenant)
        .rotate_refresh_token(
            &hash,
            &NewRefreshToken {
                hash: next.hash.clone(),
                expires_at: Utc::now() + state.config.refresh_ttl,
            },
            hermes_store::model::now(),
            AuditEvent::new(Actor::Anonymous, "auth.refresh")
                .client(client.ip_string(), client.user_agent.clone()),
        )
        .await;
    match outcome {
        Ok(RotateOutcome::Rotated { user, family }) => {
            Ok(Json(pair(&state, &user, family, next.token)))
        }
        Ok(RotateOutcome::Reused { user, family }) => {
            tracing::warn!(%user, %family, "refresh token reuse; session revoked");
            // The session's access tokens stop working too, everywhere.
            state.end_sessions(&[family]).await;
            Err(ApiError::Unauthenticated("refresh token reuse"))
        }
        Ok(RotateOutcome::Invalid) => Err(ApiError::Unauthenticated("invalid refresh token")),
        // A token naming a tenant that does not exist.
        Err(hermes_store::StoreError::NotFound) => {
            Err(ApiError::Unauthenticated("invalid refresh token"))
        }
        Err(e) => Err(e.into()),
    }
}

/// End this session: its refresh tokens and its access tokens (this one and
/// any issued to it earlier) stop working.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 400, description = "Called with an API key (revoke it instead)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    principal: Principal,
    client: ClientInfo,
) -> ApiResult<StatusCode> {
    let PrincipalKind::User {
        jti,
        session,
        expires_at,
        ..
    } = &principal.kind
    else {
        return Err(ApiError::BadRequest(
            "API keys do not sign out; revoke the key with DELETE /api/v1/api-keys/{id}".into(),
        ));
    };
    state
        .store
        .scoped(principal.tenant)
        .end_session(
            *session,
            jti,
            *expires_at,
            principal.audit(&client, "auth.logout"),
        )
        .await?;
    let ttl =
        (*expires_at - Utc::now()).to_std().unwrap_or_default() + state.tokens.config().leeway;
    if let Err(e) = state.shared.mark(&format!("jti:{jti}"), ttl).await {
        // The database has the revocation; every node re-warms from it.
        tracing::warn!(error = %e, "could not share a token revocation");
    }
    if let Some(session) = session {
        state.end_sessions(&[*session]).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_key_normalises_and_hides_the_account() {
        let a = lockout_key("Demo", " Ana@Example.com", "1.2.3.4");
        let b = lockout_key("demo", "ana@example.com", "1.2.3.4");
        assert_eq!(a, b);
        assert!(!a.contains("ana"));
        assert_ne!(a, lockout_key("demo", "ana@example.com", "1.2.3.5"));
        assert_ne!(a, lockout_key("other", "ana@example.com", "1.2.3.4"));
    }
}
