//! Clio: a firm's connection to its Clio account (OAuth 2.0 per tenant)
//! and a client for it that refreshes its token ahead of expiry.
//!
//! - `GET /api/v1/integrations/clio/connect?region=…` (admins): a random,
//!   single-use, ten-minute `state` bound to the tenant and the admin —
//!   stored as its hash only — and a redirect to Clio's authorize page in
//!   the firm's region.
//! - `GET /api/v1/integrations/clio/callback`: Clio sends the admin's
//!   browser back here (no bearer token: the `state` is the credential).
//!   The code is exchanged, the Clio user checked (`who_am_i`: a user who
//!   cannot see every contact and matter makes conflict checks miss, so
//!   the firm is warned), the tokens sealed (AES-256-GCM, bound to the
//!   tenant) and stored.
//! - `GET /api/v1/integrations/clio`: the connection's state, never a
//!   token. `DELETE`: deauthorize at Clio, then forget the tokens.
//!
//! Every step is audited.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hermes_clio::{Client, ClientConfig, ClioError, RateLimiter, Region, oauth};
use hermes_core::{ParseError, TenantId, TenantSlug};
use hermes_store::{Actor, AuditEvent, ClioConnectionRow, OAuthStateRow};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Require, perm};
use crate::client::ClientInfo;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// How long an authorization may take the admin.
const STATE_TTL: chrono::Duration = chrono::Duration::minutes(10);
/// A token this close to expiry is refreshed before use.
const REFRESH_AHEAD: chrono::Duration = chrono::Duration::minutes(5);

/// The node's Clio registration.
#[derive(Debug, Clone, Default)]
pub struct ClioConfig {
    /// HERMES's Clio application; without it the integration is off.
    pub app: Option<oauth::App>,
    /// Every region's host replaced (tests: a fake Clio).
    pub host: Option<String>,
    /// The API base replaced (tests: Prism serving Clio's document).
    pub api_base: Option<String>,
    /// How long one request may take (default 30 s).
    pub timeout: Option<std::time::Duration>,
}

/// Clio for every firm on this node: the configuration, one HTTP client,
/// one rate limiter per firm's token.
#[derive(Clone, Default)]
pub struct Clio {
    config: Arc<ClioConfig>,
    http: reqwest::Client,
    limiters: Arc<Mutex<HashMap<TenantId, Arc<RateLimiter>>>>,
    /// One refresh at a time (a refresh token may be single-use).
    refreshing: Arc<tokio::sync::Mutex<()>>,
    /// This server as Clio reaches it (webhooks), known once bound.
    public_url: Arc<std::sync::OnceLock<String>>,
}

impl Clio {
    pub fn new(config: ClioConfig) -> Self {
        Clio {
            config: Arc::new(config),
            ..Default::default()
        }
    }

    /// Sets this server's public URL (once; later calls are ignored).
    pub fn set_public_url(&self, url: &str) {
        let _ = self.public_url.set(url.trim_end_matches('/').to_owned());
    }

    pub fn public_url(&self) -> Option<String> {
        self.public_url.get().cloned()
    }

    /// The stand-in for every Clio host (tests), if configured.
    pub fn test_host(&self) -> Option<String> {
        self.config.host.clone()
    }

    /// The node's HTTP client for Clio.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    fn host(&self, region: Region) -> String {
        self.config
            .host
            .clone()
            .unwrap_or_else(|| region.host().to_owned())
    }

    fn api_base(&self, region: Region) -> String {
        self.config
            .api_base
            .clone()
            .or_else(|| self.config.host.as_ref().map(|h| format!("{h}/api/v4")))
            .unwrap_or_else(|| region.api_base())
    }

    fn app(&self) -> ApiResult<&oauth::App> {
        self.config.app.as_ref().ok_or_else(|| ApiError::Conflict {
            code: "clio_not_configured",
            message: "Clio is not configured on this server (clio.client_id, clio.client_secret)"
                .into(),
        })
    }

    fn limiter(&self, tenant: TenantId) -> Arc<RateLimiter> {
        self.limiters
            .lock()
            .expect("not poisoned")
            .entry(tenant)
            .or_default()
            .clone()
    }

    fn client(&self, tenant: TenantId, region: Region, token: SecretString) -> Client {
        Client::new(
            self.http.clone(),
            {
                let mut c = ClientConfig::new(self.api_base(region));
                if let Some(t) = self.config.timeout {
                    c.timeout = t;
                }
                c
            },
            token,
            self.limiter(tenant),
        )
    }
}

/// The sealed part of a connection.
#[derive(Serialize, Deserialize)]
struct Tokens {
    access: String,
    refresh: Option<String>,
}

fn context(tenant: TenantId) -> String {
    format!("{tenant}/clio")
}

fn seal(state: &AppState, tenant: TenantId, t: &Tokens) -> Vec<u8> {
    let plain = serde_json::to_vec(t).expect("tokens serialise");
    state.secrets.seal(&context(tenant), &plain)
}

fn open(state: &AppState, tenant: TenantId, sealed: &[u8]) -> ApiResult<Tokens> {
    let plain = state
        .secrets
        .open(&context(tenant), sealed)
        .map_err(ApiError::internal)?;
    serde_json::from_slice(&plain).map_err(ApiError::internal)
}

fn hash(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

fn expiry(expires_in: Option<u64>) -> DateTime<Utc> {
    // Clio's access tokens live 30 days; assume an hour when not told.
    Utc::now() + chrono::Duration::seconds(expires_in.unwrap_or(3600).min(i64::MAX as u64) as i64)
}

fn needs_reconnect() -> ApiError {
    ApiError::Conflict {
        code: "clio_needs_reconnect",
        message: "the firm's Clio connection needs an admin to reconnect it".into(),
    }
}

fn clio_failed(e: ClioError) -> ApiError {
    match e {
        ClioError::RateLimited { retry_after } => ApiError::TooManyRequests {
            retry_after,
            message: "Clio's rate limit is reached; try again shortly",
        },
        e if e.is_transient() => ApiError::Unavailable(anyhow::Error::new(e)),
        e => ApiError::Conflict {
            code: "clio_refused",
            message: e.to_string(),
        },
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ConnectQuery {
    /// The firm's Clio region: `us`, `eu`, `ca` or `au`.
    #[param(example = "us")]
    pub region: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Authorize {
    /// Clio's authorize page (also the redirect's `Location`).
    pub authorize_url: String,
}

/// Start connecting the firm's Clio account.
#[utoipa::path(
    get, path = "/api/v1/integrations/clio/connect", tag = "integrations",
    security(("bearer" = ["integrations:manage"])),
    params(ConnectQuery),
    responses(
        (status = 302, body = Authorize, description = "to Clio's authorize page"),
        (status = 200, body = Authorize, description = "with `Accept: application/json` (the dashboard opens the address itself)"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Clio is not configured on this server"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn connect(
    auth: Require<perm::ManageIntegrations>,
    State(state): State<AppState>,
    client: ClientInfo,
    headers: axum::http::HeaderMap,
    Query(q): Query<ConnectQuery>,
) -> ApiResult<Response> {
    let region: Region = q
        .region
        .parse()
        .map_err(|_| ParseError::new("region", "must be us, eu, ca or au"))?;
    let app = state.clio.app()?.clone();
    let crate::auth::PrincipalKind::User { user, .. } = &auth.kind else {
        return Err(ApiError::BadRequest(
            "connecting Clio needs a person signed in, not an API key".into(),
        ));
    };
    let tenant = state.tenant(auth.tenant).await?;
    // The slug says whose state it is when the browser comes back without
    // a token; the rest (244 random bits) is the credential.
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let st = format!("{}.{secret}", tenant.slug);
    let now = Utc::now();
    state
        .store
        .scoped(auth.tenant)
        .put_oauth_state(
            &OAuthStateRow {
                state_hash: hash(&st),
                user_id: *user.id.as_uuid(),
                region: region.to_string(),
                created_at: now,
                expires_at: now + STATE_TTL,
            },
            AuditEvent::new(auth.actor(), "clio.authorize")
                .client(client.ip_string(), client.user_agent.clone())
                .details(serde_json::json!({"region": region.as_str()})),
        )
        .await?;
    let url = oauth::authorize_url(&state.clio.host(region), &app, &st);
    if accepts(&headers, "application/json") {
        return Ok(Json(Authorize { authorize_url: url }).into_response());
    }
    Ok((
        StatusCode::FOUND,
        [(header::LOCATION, url.clone())],
        Json(Authorize { authorize_url: url }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    /// Set by Clio when the admin declined.
    pub error: Option<String>,
}

/// What the firm sees of its connection (never a token).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClioStatus {
    /// `connected`, `needs_reconnect` or `not_connected`.
    #[schema(example = "connected")]
    pub status: String,
    pub region: Option<String>,
    /// Who HERMES acts as at Clio.
    pub clio_user: Option<serde_json::Value>,
    /// Why conflict checks may miss records, e.g. a user who is not a
    /// Clio administrator.
    pub warnings: Vec<String>,
    pub connected_at: Option<DateTime<Utc>>,
    pub token_expires_at: Option<DateTime<Utc>>,
    /// When the conflict check's copy of the firm's Clio (contacts,
    /// matters, relationships) was last brought up to date.
    pub parties_synced_at: Option<DateTime<Utc>>,
}

impl ClioStatus {
    fn synced(mut self, at: Option<DateTime<Utc>>) -> Self {
        self.parties_synced_at = at;
        self
    }

    fn of(row: Option<ClioConnectionRow>) -> Self {
        match row {
            None => ClioStatus {
                status: "not_connected".into(),
                region: None,
                clio_user: None,
                warnings: vec![],
                connected_at: None,
                token_expires_at: None,
                parties_synced_at: None,
            },
            Some(c) => ClioStatus {
                status: c.status,
                region: Some(c.region),
                warnings: c.clio_user["warnings"]
                    .as_array()
                    .map(|w| {
                        w.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                clio_user: Some(c.clio_user["user"].clone()),
                connected_at: Some(c.connected_at),
                token_expires_at: Some(c.expires_at),
                parties_synced_at: None,
            },
        }
    }
}

/// Who the token acts as, and why conflict checks might miss records.
fn warnings(me: &serde_json::Value) -> Vec<String> {
    let mut w = Vec::new();
    let admin = me["account_owner"].as_bool() == Some(true)
        || me["roles"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x.as_str() == Some("Admin")));
    if !admin {
        w.push(
            "The connected Clio user is not a Clio administrator: Clio may hide some contacts and \
             matters from them, and conflict checks would not see those. Connect as an administrator."
                .to_owned(),
        );
    }
    if me["enabled"].as_bool() == Some(false) {
        w.push("The connected Clio user is disabled in Clio.".to_owned());
    }
    w
}

/// Clio sends the admin back here with the code.
#[utoipa::path(
    get, path = "/api/v1/integrations/clio/callback", tag = "integrations",
    params(CallbackQuery),
    responses(
        (status = 200, body = ClioStatus, description = "connected"),
        (status = 303, description = "connected; a browser (`Accept: text/html`) is sent to the dashboard's Clio settings"),
        (status = 400, body = ErrorBody, description = "declined, expired, used or unknown authorization"),
        (status = 409, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "Clio did not answer"),
    )
)]
pub async fn callback(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: axum::http::HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> ApiResult<Response> {
    if let Some(e) = q.error {
        return Err(ApiError::BadRequest(format!(
            "Clio did not authorize HERMES ({e}); start again from HERMES to connect"
        )));
    }
    let (Some(code), Some(st)) = (q.code, q.state) else {
        return Err(ApiError::BadRequest(
            "code and state are required (this page is where Clio sends you back)".into(),
        ));
    };
    let stale = || {
        ApiError::BadRequest(
            "this authorization has expired, was already used, or is not HERMES's; start again \
             from HERMES to connect Clio"
                .into(),
        )
    };
    let slug = st.split_once('.').map(|(s, _)| s).ok_or_else(stale)?;
    let slug = TenantSlug::parse(slug).map_err(|_| stale())?;
    let tenant = state.store.tenant_by_slug(&slug).await?.ok_or_else(stale)?;
    let store = state.store.scoped(tenant.id);
    let pending = store
        .take_oauth_state(&hash(&st), Utc::now())
        .await?
        .ok_or_else(stale)?;
    let region: Region = pending.region.parse().map_err(ApiError::internal)?;
    let app = state.clio.app()?;
    let tokens = oauth::exchange_code(&state.clio.http, &state.clio.host(region), app, &code)
        .await
        .map_err(clio_failed)?;
    let me: serde_json::Value = state
        .clio
        .client(tenant.id, region, tokens.access_token.clone())
        .get(
            "/users/who_am_i.json",
            "id,name,email,account_owner,roles,enabled,subscription_type",
            &[],
        )
        .await
        .map_err(clio_failed)?;
    let warned = warnings(&me);
    let now = Utc::now();
    let row = ClioConnectionRow {
        region: region.to_string(),
        tokens: seal(
            &state,
            tenant.id,
            &Tokens {
                access: tokens.access_token.expose_secret().to_owned(),
                refresh: tokens
                    .refresh_token
                    .as_ref()
                    .map(|r| r.expose_secret().to_owned()),
            },
        ),
        expires_at: expiry(tokens.expires_in),
        status: "connected".into(),
        clio_user: serde_json::json!({"user": me, "warnings": warned}),
        connected_by: pending.user_id,
        connected_at: now,
        updated_at: now,
    };
    store
        .put_clio_connection(
            &row,
            AuditEvent::new(
                Actor::User(hermes_core::UserId::from_uuid(pending.user_id)),
                "clio.connect",
            )
            .client(client.ip_string(), client.user_agent.clone())
            .details(serde_json::json!({
                "region": region.as_str(),
                "clio_user_id": row.clio_user["user"]["id"],
                "warnings": row.clio_user["warnings"],
            })),
        )
        .await?;
    // The firm's Clio joins the conflict check: a full sync, now.
    queue_index_sync(
        &state,
        tenant.id,
        "full",
        &now.timestamp_millis().to_string(),
    )
    .await?;
    // A person's browser goes back to the dashboard's Clio settings.
    if accepts(&headers, "text/html") {
        return Ok((
            StatusCode::SEE_OTHER,
            [(header::LOCATION, "/#/settings?tab=integrations")],
        )
            .into_response());
    }
    let synced = crate::clio_parties::last_synced(&state, tenant.id).await;
    Ok(Json(ClioStatus::of(Some(row)).synced(synced)).into_response())
}

/// Whether the request's `Accept` header names `kind`.
fn accepts(headers: &axum::http::HeaderMap, kind: &str) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with(kind)))
}

/// Queues a sync of the firm's Clio parties (`full` or `incremental`),
/// once per `bucket`, and wakes this node's worker.
pub async fn queue_index_sync(
    state: &AppState,
    tenant: TenantId,
    kind: &str,
    bucket: &str,
) -> ApiResult<()> {
    state
        .store
        .scoped(tenant)
        .enqueue_outbox(
            &[crate::clio_sync::index_job(kind, bucket)],
            AuditEvent::new(Actor::System, "clio.index_sync_queued")
                .details(serde_json::json!({ "kind": kind })),
        )
        .await?;
    state.notify.wake.notify_one();
    Ok(())
}

/// Queues an incremental parties sync for every connected firm, once per
/// period of `every` across nodes.
pub async fn queue_incremental_syncs(state: &AppState, every: std::time::Duration) {
    let tenants = match state.store.list_tenants().await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "Clio sync: could not list firms");
            return;
        }
    };
    let period = (Utc::now().timestamp() as u64 / every.as_secs().max(1)).to_string();
    for t in tenants {
        let connected = matches!(
            state.store.scoped(t.id).clio_connection().await,
            Ok(Some(c)) if c.status == "connected"
        );
        if connected && let Err(e) = queue_index_sync(state, t.id, "incremental", &period).await {
            tracing::warn!(tenant = %t.id, error = %e, "Clio sync: could not queue");
        }
    }
}

/// Bring the conflict check's copy of the firm's Clio up to date now (a
/// full sync, in the background).
#[utoipa::path(
    post, path = "/api/v1/integrations/clio/sync", tag = "integrations",
    security(("bearer" = ["integrations:manage"])),
    responses(
        (status = 202, body = ClioStatus, description = "queued"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Clio is not connected"),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn sync_now(
    auth: Require<perm::ManageIntegrations>,
    State(state): State<AppState>,
    client: ClientInfo,
) -> ApiResult<(StatusCode, Json<ClioStatus>)> {
    let store = state.store.scoped(auth.tenant);
    let Some(row) = store.clio_connection().await? else {
        return Err(ApiError::NotFound("Clio connection"));
    };
    store
        .enqueue_outbox(
            &[crate::clio_sync::index_job(
                "full",
                &Utc::now().timestamp_millis().to_string(),
            )],
            auth.audit(&client, "clio.sync_requested"),
        )
        .await?;
    state.notify.wake.notify_one();
    let synced = crate::clio_parties::last_synced(&state, auth.tenant).await;
    Ok((
        StatusCode::ACCEPTED,
        Json(ClioStatus::of(Some(row)).synced(synced)),
    ))
}

/// The firm's Clio connection.
#[utoipa::path(
    get, path = "/api/v1/integrations/clio", tag = "integrations",
    security(("bearer" = ["settings:read"])),
    responses(
        (status = 200, body = ClioStatus),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn status(
    auth: Require<perm::ReadSettings>,
    State(state): State<AppState>,
) -> ApiResult<Json<ClioStatus>> {
    let row = state.store.scoped(auth.tenant).clio_connection().await?;
    let synced = crate::clio_parties::last_synced(&state, auth.tenant).await;
    Ok(Json(ClioStatus::of(row).synced(synced)))
}

/// Disconnect Clio: the tokens are revoked at Clio and deleted here.
#[utoipa::path(
    delete, path = "/api/v1/integrations/clio", tag = "integrations",
    security(("bearer" = ["integrations:manage"])),
    responses(
        (status = 204, description = "disconnected"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn disconnect(
    auth: Require<perm::ManageIntegrations>,
    State(state): State<AppState>,
    client: ClientInfo,
) -> ApiResult<StatusCode> {
    let store = state.store.scoped(auth.tenant);
    let Some(row) = store.clio_connection().await? else {
        return Err(ApiError::NotFound("Clio connection"));
    };
    // The webhooks go first, while the token still works.
    let api = client_for(&state, auth.tenant).await.ok();
    crate::clio_webhooks::remove(&state, auth.tenant, api.as_ref()).await;
    // Revoked at Clio when it answers; the tokens are deleted here either
    // way (a firm that disconnects must not stay connected because Clio
    // was down), and the audit entry says which.
    let revoked = match (
        open(&state, auth.tenant, &row.tokens),
        row.region.parse::<Region>(),
    ) {
        (Ok(t), Ok(region)) => oauth::deauthorize(
            &state.clio.http,
            &state.clio.host(region),
            &SecretString::from(t.access),
        )
        .await
        .map_err(|e| tracing::warn!(error = %e, "Clio did not deauthorize the token"))
        .is_ok(),
        _ => false,
    };
    store
        .delete_clio_connection(
            AuditEvent::new(auth.actor(), "clio.disconnect")
                .client(client.ip_string(), client.user_agent.clone())
                .details(serde_json::json!({"revoked_at_clio": revoked})),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A client for the firm's Clio, its token refreshed first when it
/// expires within five minutes. A refresh Clio refuses marks the
/// connection `needs_reconnect` (audited) and is an error.
pub async fn client_for(state: &AppState, tenant: TenantId) -> ApiResult<Client> {
    let store = state.store.scoped(tenant);
    let not_connected = || ApiError::Conflict {
        code: "clio_not_connected",
        message: "the firm has not connected Clio".into(),
    };
    let mut row = store.clio_connection().await?.ok_or_else(not_connected)?;
    if row.status != "connected" {
        return Err(needs_reconnect());
    }
    let region: Region = row.region.parse().map_err(ApiError::internal)?;
    if row.expires_at - Utc::now() < REFRESH_AHEAD {
        let _one = state.clio.refreshing.lock().await;
        // Another task may have refreshed while this one waited.
        row = store.clio_connection().await?.ok_or_else(not_connected)?;
        if row.expires_at - Utc::now() < REFRESH_AHEAD {
            row = refresh(state, tenant, region, row).await?;
        }
    }
    let tokens = open(state, tenant, &row.tokens)?;
    Ok(state
        .clio
        .client(tenant, region, SecretString::from(tokens.access)))
}

async fn refresh(
    state: &AppState,
    tenant: TenantId,
    region: Region,
    row: ClioConnectionRow,
) -> ApiResult<ClioConnectionRow> {
    let store = state.store.scoped(tenant);
    let old = open(state, tenant, &row.tokens)?;
    let Some(refresh_token) = old.refresh.clone() else {
        store
            .mark_clio_needs_reconnect(
                AuditEvent::new(Actor::System, "clio.refresh_failed")
                    .details(serde_json::json!({"reason": "no refresh token"})),
            )
            .await?;
        crate::clio_sync::tell_admins_to_reconnect(state, tenant).await;
        return Err(needs_reconnect());
    };
    let app = state.clio.app()?;
    match oauth::refresh(
        &state.clio.http,
        &state.clio.host(region),
        app,
        &SecretString::from(refresh_token.clone()),
    )
    .await
    {
        Ok(t) => {
            let sealed = seal(
                state,
                tenant,
                &Tokens {
                    access: t.access_token.expose_secret().to_owned(),
                    // Kept when Clio does not rotate it.
                    refresh: t
                        .refresh_token
                        .as_ref()
                        .map(|r| r.expose_secret().to_owned())
                        .or(Some(refresh_token)),
                },
            );
            let expires_at = expiry(t.expires_in);
            store
                .update_clio_tokens(
                    &sealed,
                    expires_at,
                    AuditEvent::new(Actor::System, "clio.refresh"),
                )
                .await?;
            Ok(ClioConnectionRow {
                tokens: sealed,
                expires_at,
                status: "connected".into(),
                ..row
            })
        }
        Err(e) if e.is_transient() => Err(clio_failed(e)),
        Err(e) => {
            tracing::warn!(%tenant, error = %e, "Clio refused to refresh a firm's token");
            store
                .mark_clio_needs_reconnect(
                    AuditEvent::new(Actor::System, "clio.refresh_failed")
                        .details(serde_json::json!({"reason": e.to_string()})),
                )
                .await?;
            crate::clio_sync::tell_admins_to_reconnect(state, tenant).await;
            Err(needs_reconnect())
        }
    }
}
