//! Who is calling, and may they do this.
//!
//! Two layers, one job each:
//!
//! - [`protect`] (middleware on every authenticated route) reads the
//!   `Authorization: Bearer …` header, authenticates it (a JWT access token
//!   or an `hk_…` API key) against live state, applies the per-principal
//!   and per-tenant rate limits, and leaves the outcome in the request.
//! - Extractors turn that outcome into a value or a refusal:
//!   [`Principal`] (401 if unauthenticated) and [`Require<P>`] (also 403
//!   without permission `P`, audited). Handlers take `Require<perm::X>`
//!   first in their argument list and never compare roles themselves.
//!
//! A token's signature is not enough: the user must still exist and be
//! active, and the token's `jti` must not be revoked. That is checked on
//! every request, against a small per-node cache of users and API keys.
//! The cache is invalidated by events (local at once, other nodes through
//! the shared state's pub/sub) and entries expire after a few seconds in
//! any case, which bounds staleness should an event be lost. The role that
//! counts is the user's current role, not the one in the token.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hermes_auth::ApiKeySecret;
use hermes_core::{ApiKeyId, Permission, RefreshFamilyId, Role, TenantId, UserId};
use hermes_store::{Actor, ApiKey, AuditEvent, Outcome, Tenant, User};

use crate::client::ClientInfo;
use crate::error::ApiError;
use crate::ratelimit;
use crate::state::AppState;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant: TenantId,
    /// The caller's current role.
    pub role: Role,
    pub kind: PrincipalKind,
}

#[derive(Debug, Clone)]
pub enum PrincipalKind {
    User {
        user: Arc<User>,
        jti: String,
        session: Option<RefreshFamilyId>,
        expires_at: DateTime<Utc>,
    },
    ApiKey {
        key: Arc<ApiKey>,
    },
}

impl Principal {
    pub fn actor(&self) -> Actor {
        match &self.kind {
            PrincipalKind::User { user, .. } => Actor::User(user.id),
            PrincipalKind::ApiKey { key } => Actor::ApiKey(key.id),
        }
    }

    /// Key for per-principal rate limits.
    fn limit_key(&self) -> String {
        match &self.kind {
            PrincipalKind::User { user, .. } => format!("user:{}", user.id),
            PrincipalKind::ApiKey { key } => format!("key:{}", key.id),
        }
    }

    pub fn user_id(&self) -> Option<UserId> {
        match &self.kind {
            PrincipalKind::User { user, .. } => Some(user.id),
            PrincipalKind::ApiKey { .. } => None,
        }
    }

    /// An audit event by this caller from this client.
    pub fn audit(&self, client: &ClientInfo, action: &'static str) -> AuditEvent {
        AuditEvent::new(self.actor(), action).client(client.ip_string(), client.user_agent.clone())
    }
}

/// What authentication concluded for this request.
#[derive(Debug, Clone)]
enum Authn {
    Missing,
    Authenticated(Principal),
    Refused(&'static str),
    Unavailable,
    Internal,
}

/// Per-node cache of the live state authentication needs.
#[derive(Clone)]
pub struct PrincipalCache {
    /// Bumped by every invalidation. A request that read a row before an
    /// invalidation must not put it back into the cache afterwards, so
    /// entries are only inserted if the epoch is the one seen before the
    /// read.
    epoch: Arc<std::sync::atomic::AtomicU64>,
    users: moka::sync::Cache<UserId, Arc<User>>,
    keys: moka::sync::Cache<String, Arc<ApiKey>>,
    tenants: moka::sync::Cache<TenantId, Arc<Tenant>>,
}

impl PrincipalCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            epoch: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            users: moka::sync::Cache::builder()
                .time_to_live(ttl)
                .max_capacity(100_000)
                .build(),
            keys: moka::sync::Cache::builder()
                .time_to_live(ttl)
                .max_capacity(100_000)
                .build(),
            tenants: moka::sync::Cache::builder()
                .time_to_live(ttl.max(Duration::from_secs(60)))
                .max_capacity(10_000)
                .build(),
        }
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn bump(&self) {
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// Inserts unless an invalidation happened since `epoch` was read.
    fn fill<K, V>(&self, cache: &moka::sync::Cache<K, V>, epoch: u64, key: K, value: V)
    where
        K: std::hash::Hash + Eq + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        if self.epoch() == epoch {
            cache.insert(key, value);
        }
    }

    fn clear(&self) {
        self.bump();
        self.users.invalidate_all();
        self.keys.invalidate_all();
        self.tenants.invalidate_all();
    }

    /// Applies an invalidation event (see [`Invalidation`]).
    pub fn apply(&self, event: &str) {
        self.bump();
        match Invalidation::parse(event) {
            Some(Invalidation::User(id)) => self.users.invalidate(&id),
            // Keys are cached by hash; revocations are rare, so drop them all.
            Some(Invalidation::ApiKey(_)) => self.keys.invalidate_all(),
            Some(Invalidation::Tenant(id)) => self.tenants.invalidate(&id),
            None => {}
        }
    }
}

/// Events that make nodes forget cached state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalidation {
    User(UserId),
    /// One key, or (`None`) any number of them.
    ApiKey(Option<ApiKeyId>),
    Tenant(TenantId),
}

impl Invalidation {
    pub fn encode(&self) -> String {
        match self {
            Invalidation::User(id) => format!("user:{id}"),
            Invalidation::ApiKey(Some(id)) => format!("api_key:{id}"),
            Invalidation::ApiKey(None) => "api_key:*".to_owned(),
            Invalidation::Tenant(id) => format!("tenant:{id}"),
        }
    }

    pub fn parse(event: &str) -> Option<Self> {
        let (kind, id) = event.split_once(':')?;
        match kind {
            "user" => id.parse().ok().map(Invalidation::User),
            "api_key" if id == "*" => Some(Invalidation::ApiKey(None)),
            "api_key" => id.parse().ok().map(|k| Invalidation::ApiKey(Some(k))),
            "tenant" => id.parse().ok().map(Invalidation::Tenant),
            _ => None,
        }
    }
}

impl AppState {
    /// Forgets `what` on this node now and tells the other nodes.
    pub async fn invalidate(&self, what: Invalidation) {
        let event = what.encode();
        self.principals.apply(&event);
        if let Err(e) = self.shared.publish(&event).await {
            tracing::warn!(error = %e, "could not publish an invalidation; other nodes catch up within the cache TTL");
        }
    }

    /// The tenant, from cache or storage.
    pub async fn tenant(&self, id: TenantId) -> Result<Arc<Tenant>, ApiError> {
        if let Some(t) = self.principals.tenants.get(&id) {
            return Ok(t);
        }
        let epoch = self.principals.epoch();
        let t = Arc::new(
            self.store
                .tenant_by_id(id)
                .await?
                .ok_or(ApiError::NotFound("tenant"))?,
        );
        self.principals
            .fill(&self.principals.tenants, epoch, id, t.clone());
        Ok(t)
    }
}

/// Keeps this node's cache in step with events from every node. Runs for
/// the life of the server.
///
/// When the shared state's event subscription restarts (Redis reconnected,
/// possibly restarted and emptied), the node also reloads every unexpired
/// revocation from the database into the shared state.
pub fn spawn_invalidation_listener(state: &AppState) -> tokio::task::JoinHandle<()> {
    let mut rx = state.shared.subscribe();
    let state = state.clone();
    tokio::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match rx.recv().await {
                Ok(event) if event == hermes_cache::RESYNC => {
                    state.principals.clear();
                    state.conflicts.clear();
                    if let Err(e) = crate::warm_revocations(&state).await {
                        tracing::warn!(error = %e, "could not reload revocations after a resync");
                    }
                }
                // Dashboards' business, not the caches'.
                Ok(event) if crate::live::is_live(&event) => {}
                Ok(event) => match crate::conflict_index::parse_event(&event) {
                    Some(e) => crate::routes::parties::on_event(&state, e).await,
                    None => state.principals.apply(&event),
                },
                Err(RecvError::Lagged(_)) => {
                    state.principals.clear();
                    state.conflicts.clear();
                }
                Err(RecvError::Closed) => break,
            }
        }
    })
}

fn bearer(headers: &HeaderMap) -> Result<Option<&str>, &'static str> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| "authorization header is not ASCII")?;
    let (scheme, credential) = value
        .split_once(' ')
        .ok_or("authorization header is not `Bearer <token>`")?;
    if !scheme.eq_ignore_ascii_case("bearer") || credential.trim().is_empty() {
        return Err("authorization header is not `Bearer <token>`");
    }
    Ok(Some(credential.trim()))
}

async fn authenticate(state: &AppState, headers: &HeaderMap, ip: &str) -> Authn {
    let credential = match bearer(headers) {
        Ok(Some(c)) => c,
        Ok(None) => return Authn::Missing,
        Err(reason) => return Authn::Refused(reason),
    };
    let result = if ApiKeySecret::looks_like(credential) {
        authenticate_api_key(state, credential, ip).await
    } else {
        authenticate_token(state, credential).await
    };
    match result {
        Ok(p) => Authn::Authenticated(p),
        Err(ApiError::Unauthenticated(reason)) => {
            metrics::counter!("hermes_auth_rejected_total", "reason" => reason).increment(1);
            Authn::Refused(reason)
        }
        Err(e @ ApiError::Unavailable(_)) => {
            tracing::warn!(error = ?e, "authentication could not consult storage");
            Authn::Unavailable
        }
        Err(e) => {
            tracing::error!(error = ?e, "authentication failed unexpectedly");
            Authn::Internal
        }
    }
}

async fn authenticate_api_key(
    state: &AppState,
    raw: &str,
    ip: &str,
) -> Result<Principal, ApiError> {
    let (tenant, hash) =
        ApiKeySecret::parse(raw).ok_or(ApiError::Unauthenticated("malformed api key"))?;
    let key = match state.principals.keys.get(&hash) {
        Some(k) => k,
        None => {
            // Unknown keys cost a database lookup: an address already over
            // its budget for failed authentication gets none.
            if let Ok(c) = state.shared.peek(&format!("rl:anon:{ip}")).await
                && c.count >= state.config.anonymous_quota.limit
            {
                return Err(ApiError::Unauthenticated("too many failed attempts"));
            }
            let epoch = state.principals.epoch();
            let k = state
                .store
                .scoped(tenant)
                .api_key_by_hash(&hash)
                .await?
                .ok_or(ApiError::Unauthenticated("unknown api key"))?;
            let k = Arc::new(k);
            state
                .principals
                .fill(&state.principals.keys, epoch, hash, k.clone());
            k
        }
    };
    if key.revoked_at.is_some() {
        return Err(ApiError::Unauthenticated("revoked api key"));
    }
    Ok(Principal {
        tenant: key.tenant_id,
        role: key.role,
        kind: PrincipalKind::ApiKey { key },
    })
}

pub(crate) async fn authenticate_token(state: &AppState, raw: &str) -> Result<Principal, ApiError> {
    let verified = state.tokens.verify(raw).map_err(|e| {
        ApiError::Unauthenticated(match e {
            hermes_auth::TokenError::Malformed => "malformed token",
            hermes_auth::TokenError::Algorithm => "wrong token algorithm or type",
            hermes_auth::TokenError::UnknownKey => "unknown signing key",
            hermes_auth::TokenError::Signature => "bad signature",
            hermes_auth::TokenError::Expired => "expired token",
            hermes_auth::TokenError::NotYetValid => "token not yet valid",
            hermes_auth::TokenError::Issuer => "wrong issuer",
            hermes_auth::TokenError::Audience => "wrong audience",
            hermes_auth::TokenError::Claims => "bad claims",
        })
    })?;
    let jti_key = format!("jti:{}", verified.jti);
    let sid_key = verified.session.map(|s| format!("sid:{s}"));
    let mut keys = vec![jti_key.as_str()];
    keys.extend(sid_key.as_deref());
    let revoked = match state.shared.any_marked(&keys).await {
        Ok(r) => r,
        // Shared state down: the database has every revocation too.
        Err(_) => {
            state
                .store
                .scoped(verified.tenant)
                .is_access_token_revoked(&verified.jti, verified.session)
                .await?
        }
    };
    if revoked {
        return Err(ApiError::Unauthenticated("revoked token"));
    }
    let user = match state.principals.users.get(&verified.user) {
        Some(u) => u,
        None => {
            let epoch = state.principals.epoch();
            let u = state
                .store
                .scoped(verified.tenant)
                .user(verified.user)
                .await?
                .ok_or(ApiError::Unauthenticated("user no longer exists"))?;
            let u = Arc::new(u);
            state
                .principals
                .fill(&state.principals.users, epoch, verified.user, u.clone());
            u
        }
    };
    if !user.active {
        return Err(ApiError::Unauthenticated("user deactivated"));
    }
    if user.tenant_id != verified.tenant {
        return Err(ApiError::Unauthenticated("tenant mismatch"));
    }
    Ok(Principal {
        tenant: user.tenant_id,
        role: user.role,
        kind: PrincipalKind::User {
            user,
            jti: verified.jti,
            session: verified.session,
            expires_at: verified.expires_at,
        },
    })
}

/// Middleware for authenticated routes: authenticate, then rate-limit per
/// principal and per tenant (or per IP when authentication failed, so a
/// flood of bad tokens is limited too).
pub async fn protect(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<ClientInfo>()
        .map(ClientInfo::ip_key)
        .unwrap_or_default();
    let authn = authenticate(&state, req.headers(), &ip).await;
    let usage = match &authn {
        Authn::Authenticated(p) => {
            // The principal's own budget first: a request it refuses does
            // not also spend the firm's, so one noisy user or key cannot
            // lock out the rest of the firm.
            let mine = ratelimit::hit(
                &state,
                "principal",
                &p.limit_key(),
                state.config.principal_quota,
            )
            .await;
            if mine.is_some_and(|u| !u.allowed()) {
                mine
            } else {
                let firm = ratelimit::hit(
                    &state,
                    "tenant",
                    &p.tenant.to_string(),
                    state.config.tenant_quota,
                )
                .await;
                ratelimit::tightest([mine, firm])
            }
        }
        _ => ratelimit::hit(&state, "anon", &ip, state.config.anonymous_quota).await,
    };
    let mut response = match usage {
        Some(u) if !u.allowed() => ApiError::TooManyRequests {
            retry_after: u.resets_in,
            message: "too many requests; slow down",
        }
        .into_response(),
        _ => {
            req.extensions_mut().insert(authn);
            next.run(req).await
        }
    };
    if let Some(u) = usage {
        u.write_headers(response.headers_mut());
    }
    response
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Authn>() {
            Some(Authn::Authenticated(p)) => Ok(p.clone()),
            Some(Authn::Missing) => Err(ApiError::Unauthenticated("no bearer token")),
            Some(Authn::Refused(reason)) => Err(ApiError::Unauthenticated(reason)),
            Some(Authn::Unavailable) => Err(ApiError::Unavailable(anyhow::anyhow!(
                "storage unavailable during authentication"
            ))),
            Some(Authn::Internal) => Err(ApiError::internal(anyhow::anyhow!(
                "authentication failed unexpectedly"
            ))),
            // A route that forgot the `protect` layer: fail closed, loudly.
            None => Err(ApiError::internal(anyhow::anyhow!(
                "route has no authentication layer"
            ))),
        }
    }
}

/// A permission as a type, so a handler states what it needs in its
/// signature: `Require<perm::ManageUsers>`.
pub trait Perm: Send + Sync + 'static {
    const PERMISSION: Permission;
}

pub mod perm {
    //! One marker type per [`Permission`](hermes_core::Permission).
    macro_rules! perms {
        ($($name:ident),*) => {$(
            #[derive(Debug)]
            pub struct $name;
            impl super::Perm for $name {
                const PERMISSION: hermes_core::Permission = hermes_core::Permission::$name;
            }
        )*};
    }
    perms!(
        ManageUsers,
        ManageApiKeys,
        ManageIntegrations,
        ManageBilling,
        ReadAuditLog,
        WriteSettings,
        ReadSettings,
        ReadCases,
        WriteCases,
        ListenRecordings,
        ReadConflicts,
        DecideConflicts
    );
}

/// An authenticated caller holding permission `P`.
pub struct Require<P: Perm> {
    pub principal: Principal,
    _perm: PhantomData<P>,
}

impl<P: Perm> std::ops::Deref for Require<P> {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<P: Perm> FromRequestParts<AppState> for Require<P> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let principal = Principal::from_request_parts(parts, state).await?;
        if principal.role.allows(P::PERMISSION) {
            return Ok(Self {
                principal,
                _perm: PhantomData,
            });
        }
        let client = ClientInfo::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        let event = principal
            .audit(&client, "access.denied")
            .outcome(Outcome::Denied)
            .details(serde_json::json!({
                "permission": P::PERMISSION.as_str(),
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
            }));
        if let Err(e) = state
            .store
            .scoped(principal.tenant)
            .append_audit(event)
            .await
        {
            tracing::warn!(error = %e, "could not audit a denied request");
        }
        Err(ApiError::Forbidden(P::PERMISSION))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidations_round_trip() {
        for inv in [
            Invalidation::User(UserId::new()),
            Invalidation::ApiKey(Some(ApiKeyId::new())),
            Invalidation::ApiKey(None),
            Invalidation::Tenant(TenantId::new()),
        ] {
            assert_eq!(Invalidation::parse(&inv.encode()), Some(inv));
        }
        assert_eq!(Invalidation::parse("user:nope"), None);
        assert_eq!(Invalidation::parse("resync"), None);
    }

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), Ok(None));
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&h), Ok(Some("abc")));
        h.insert(header::AUTHORIZATION, "bearer  abc ".parse().unwrap());
        assert_eq!(bearer(&h), Ok(Some("abc")));
        for bad in ["Basic abc", "Bearer", "Bearer    ", "abc"] {
            h.insert(header::AUTHORIZATION, bad.parse().unwrap());
            assert!(bearer(&h).is_err(), "{bad:?}");
        }
    }
}
