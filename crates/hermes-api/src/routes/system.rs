//! Operational endpoints: liveness, readiness, metrics, the JWKS.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::extract::Json;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`, `unavailable`, or `draining` when the node is stopping
    /// (it finishes its calls and takes no new work).
    pub status: &'static str,
    /// `ok` or `unavailable`, per dependency.
    pub database: &'static str,
    /// `ok`, `unavailable`, or `in-process` when no Redis is configured.
    pub shared_state: &'static str,
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The node can serve: the database answers and, when configured, Redis,
/// and it is not stopping.
#[utoipa::path(
    get, path = "/readyz", tag = "system",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness))
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    const LIMIT: Duration = Duration::from_secs(2);
    let (db, shared) = tokio::join!(
        tokio::time::timeout(LIMIT, state.store.ping()),
        tokio::time::timeout(LIMIT, state.shared.ping()),
    );
    let db_ok = matches!(db, Ok(Ok(())));
    let shared_ok = matches!(shared, Ok(Ok(())));
    if !db_ok {
        tracing::warn!("readiness: database unavailable");
    }
    if !shared_ok {
        tracing::warn!("readiness: shared state unavailable");
    }
    let draining = state.drain.is_draining();
    let ready = db_ok && shared_ok && !draining;
    let body = Readiness {
        status: if draining {
            "draining"
        } else if ready {
            "ready"
        } else {
            "unavailable"
        },
        database: if db_ok { "ok" } else { "unavailable" },
        shared_state: match (state.shared.kind(), shared_ok) {
            ("memory", _) => "in-process",
            (_, true) => "ok",
            (_, false) => "unavailable",
        },
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// Prometheus metrics (text exposition format). Keep it off the public
/// internet (the nginx configuration does).
#[utoipa::path(get, path = "/metrics", tag = "system", responses((status = 200, content_type = "text/plain", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut resp = crate::metrics::render(&state).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}

/// The public keys that verify HERMES access tokens (current and previous).
#[utoipa::path(
    get, path = "/.well-known/jwks.json", tag = "auth",
    responses((status = 200, description = "A JSON Web Key Set (RFC 7517)", content_type = "application/json", body = Object)),
)]
pub async fn jwks(State(state): State<AppState>) -> Response {
    let mut resp = axum::Json(state.tokens.keys().jwks()).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        // Short, so verifiers elsewhere see a rotated key soon.
        HeaderValue::from_static("public, max-age=60"),
    );
    resp
}
