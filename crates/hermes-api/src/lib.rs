//! The HTTP API.
//!
//! [`router`] builds the whole axum application from an [`AppState`]; the
//! binary serves it, tests call it over real HTTP. Routes live in
//! [`routes`], one module per resource; cross-cutting behaviour in layers:
//!
//! - [`middleware`]: request ids, access logs, metrics, security headers,
//!   JSON error bodies;
//! - [`client`]: the client's IP (trusting `X-Forwarded-For` only from
//!   configured proxies);
//! - [`auth`]: bearer authentication, rate limiting per principal/tenant,
//!   and the `Require<P>` permission extractor;
//! - [`ratelimit`]: buckets and `RateLimit-*` headers;
//! - [`openapi`]: the OpenAPI document, generated from the handlers.
//!
//! **API Boundary:** only [`dto`] types and the request/response types next
//! to each handler are serialized.
//!
//! **Architecture Invariant:** every route under `/api/v1` except login,
//! refresh and the OpenAPI document sits behind [`auth::protect`], and every handler that touches
//! tenant data takes `Require<perm::…>`, whose permission the OpenAPI
//! document repeats as the operation's security scope (a test checks every
//! operation × every role against the permission table).

pub mod agent;
pub mod auth;
pub mod client;
pub mod clio;
pub mod clio_grow;
pub mod clio_parties;
pub mod clio_sync;
pub mod clio_webhooks;
pub mod conflict_index;
pub mod dashboard;
pub mod drain;
pub mod dto;
pub mod error;
pub mod escalation;
pub mod extract;
pub mod live;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod phone;
pub mod quota;
pub mod ratelimit;
pub mod routes;
pub mod state;
pub mod understanding;
pub mod voice;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Method, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::{ApiError, ApiResult};
pub use state::{ApiConfig, AppState, Quota};

/// The whole application.
pub fn router(state: AppState) -> Router {
    let (api, doc) = api_router(&state).split_for_parts();
    let doc = openapi::finish(doc);

    // The document and the interactive docs page (Swagger UI, embedded in
    // the binary; nothing is fetched from a CDN).
    let public = Router::from(
        utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", doc),
    )
    .layer(from_fn_with_state(
        state.clone(),
        ratelimit::anonymous_routes,
    ));

    let mut app = Router::new()
        .merge(api)
        .merge(public)
        .merge(voice::routes())
        .merge(phone::routes())
        .merge(dashboard::routes())
        .fallback(middleware::not_found)
        .with_state(state.clone())
        .layer(DefaultBodyLimit::max(state.config.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.request_timeout,
        ))
        .layer(from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(from_fn(middleware::json_errors))
        .layer(from_fn_with_state(state.clone(), client::middleware));
    if let Some(cors) = cors(&state.config.cors_origins) {
        app = app.layer(cors);
    }
    app.layer(from_fn(middleware::request_context))
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
}

/// The documented routes, grouped by the layers they need.
fn api_router(state: &AppState) -> OpenApiRouter<AppState> {
    let sign_in = OpenApiRouter::new()
        .routes(routes!(routes::auth::login))
        .routes(routes!(routes::auth::refresh))
        .layer(from_fn_with_state(state.clone(), ratelimit::auth_routes));

    let protected = OpenApiRouter::new()
        .routes(routes!(routes::auth::logout))
        .routes(routes!(routes::me::me))
        .routes(routes!(
            routes::users::list_users,
            routes::users::create_user
        ))
        .routes(routes!(
            routes::users::get_user,
            routes::users::update_user,
            routes::users::delete_user
        ))
        .routes(routes!(
            routes::api_keys::list_api_keys,
            routes::api_keys::create_api_key
        ))
        .routes(routes!(
            routes::api_keys::get_api_key,
            routes::api_keys::revoke_api_key
        ))
        .routes(routes!(routes::audit::list_audit))
        .routes(routes!(
            routes::settings::get_firm,
            routes::settings::update_firm
        ))
        .routes(routes!(
            routes::settings::get_profile,
            routes::settings::put_profile
        ))
        .routes(routes!(
            routes::settings::get_hours,
            routes::settings::put_hours
        ))
        .routes(routes!(
            routes::settings::get_practice_areas,
            routes::settings::put_practice_areas
        ))
        .routes(routes!(
            routes::settings::get_escalation,
            routes::settings::put_escalation
        ))
        .routes(routes!(
            routes::settings::get_offices,
            routes::settings::put_offices
        ))
        .routes(routes!(routes::question_sets::list_question_sets))
        .routes(routes!(
            routes::question_sets::get_question_set,
            routes::question_sets::put_question_set,
            routes::question_sets::delete_question_set
        ))
        .routes(routes!(
            routes::attorneys::list_attorneys,
            routes::attorneys::create_attorney
        ))
        .routes(routes!(
            routes::attorneys::get_attorney,
            routes::attorneys::update_attorney,
            routes::attorneys::delete_attorney
        ))
        .routes(routes!(
            routes::parties::list_parties,
            routes::parties::create_party
        ))
        .routes(routes!(routes::parties::import_parties))
        .routes(routes!(
            routes::parties::get_party,
            routes::parties::update_party,
            routes::parties::delete_party
        ))
        .routes(routes!(routes::conflicts::check))
        .routes(routes!(routes::conflicts::list_reviews))
        .routes(routes!(routes::conflicts::get_review))
        .routes(routes!(routes::conflicts::decide))
        .routes(routes!(routes::scheduling::availability))
        .routes(routes!(routes::scheduling::offers))
        .routes(routes!(routes::scheduling::create_hold))
        .routes(routes!(
            routes::scheduling::list_bookings,
            routes::scheduling::create_booking
        ))
        .routes(routes!(
            routes::scheduling::get_booking,
            routes::scheduling::update_booking
        ))
        .routes(routes!(routes::notifications::list_notifications))
        .routes(routes!(routes::notifications::retry_notification))
        .routes(routes!(
            routes::voice_settings::get_telephony,
            routes::voice_settings::put_telephony
        ))
        .routes(routes!(routes::calls::list_calls))
        .routes(routes!(routes::calls::get_call))
        .routes(routes!(routes::calls::get_recording))
        .routes(routes!(routes::intakes::list_intakes))
        .routes(routes!(
            routes::intakes::get_intake,
            routes::intakes::correct_intake
        ))
        .routes(routes!(clio_sync::retry_sync))
        .routes(routes!(clio::connect))
        .routes(routes!(clio::sync_now))
        .routes(routes!(
            clio_grow::get_grow,
            clio_grow::put_grow,
            clio_grow::delete_grow
        ))
        .routes(routes!(clio::status, clio::disconnect))
        .routes(routes!(live::events))
        .routes(routes!(routes::usage::usage))
        .layer(from_fn_with_state(state.clone(), auth::protect));

    let well_known = OpenApiRouter::new()
        .routes(routes!(routes::system::jwks))
        .routes(routes!(routes::conversations::start))
        .routes(routes!(routes::conversations::message))
        .routes(routes!(routes::conversations::end))
        .routes(routes!(clio::callback))
        .routes(routes!(clio_webhooks::receive))
        .layer(from_fn_with_state(
            state.clone(),
            ratelimit::anonymous_routes,
        ));

    let ops = OpenApiRouter::new()
        .routes(routes!(routes::system::healthz))
        .routes(routes!(routes::system::readyz))
        .routes(routes!(routes::system::metrics));

    OpenApiRouter::with_openapi(openapi::ApiDoc::base())
        .merge(sign_in)
        .merge(protected)
        .merge(well_known)
        .merge(ops)
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<_> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static(middleware::REQUEST_ID),
            ])
            .expose_headers([
                HeaderName::from_static(middleware::REQUEST_ID),
                HeaderName::from_static("ratelimit-limit"),
                HeaderName::from_static("ratelimit-remaining"),
                HeaderName::from_static("ratelimit-reset"),
                header::RETRY_AFTER,
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// Loads every tenant's unexpired revocations (access-token ids revoked by
/// logout, sessions ended recently) from the database into the shared
/// state. Run at start (in-process state did not survive the restart),
/// whenever the Redis subscription restarts (Redis may have lost them), and
/// periodically, so a revocation that could not be shared when it happened
/// reaches every node within that period.
pub async fn warm_revocations(state: &AppState) -> anyhow::Result<usize> {
    let now = chrono::Utc::now();
    let cfg = state.tokens.config();
    let lifetime = cfg.access_ttl + cfg.leeway;
    let since = now - chrono::Duration::from_std(lifetime)?;
    let mut n = 0;
    for tenant in state.store.list_tenants().await? {
        let scoped = state.store.scoped(tenant.id);
        for (jti, expires) in scoped.active_revocations(now).await? {
            let ttl = (expires - now).to_std().unwrap_or_default() + cfg.leeway;
            state.shared.mark(&format!("jti:{jti}"), ttl).await?;
            n += 1;
        }
        for (session, ended) in scoped.recently_ended_sessions(since).await? {
            let ttl = (ended - since).to_std().unwrap_or_default();
            state.shared.mark(&format!("sid:{session}"), ttl).await?;
            n += 1;
        }
    }
    Ok(n)
}

/// Builds every tenant's conflict index (see [`conflict_index`]). Failures
/// are logged: a tenant whose index could not be built now gets it built on
/// its first check.
pub async fn warm_conflict_indexes(state: &AppState) {
    let tenants = match state.store.list_tenants().await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "could not list tenants to warm conflict indexes");
            return;
        }
    };
    for t in tenants {
        if let Err(e) = state.conflicts.get(&state.store, t.id).await {
            tracing::warn!(tenant = %t.id, error = %e, "could not build a conflict index");
        }
    }
}

/// Reconciles every conflict index this node keeps with the database (see
/// [`conflict_index::ConflictIndexes::reconcile`]); the binary runs it
/// every minute.
pub async fn reconcile_conflict_indexes(state: &AppState) {
    state.conflicts.reconcile(&state.store).await;
}
