//! The OpenAPI document.
//!
//! Paths and schemas come from the handlers' `#[utoipa::path]` attributes,
//! collected by `utoipa-axum` as routes are registered, so a route cannot be
//! served without being documented. Each protected operation lists the
//! permission it needs as the scope of its `bearer` security requirement
//! (OpenAPI 3.1 allows role names there for non-OAuth schemes).

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "HERMES API",
        description = "The AI receptionist for law firms. Every route under /api/v1 except \
                       login and refresh needs `Authorization: Bearer <access token or API key>`; \
                       the scope listed on an operation is the permission it requires. Errors \
                       are JSON: `{\"error\": {\"code\", \"message\"}}`.",
        license(name = "Proprietary")
    ),
    modifiers(&BearerScheme),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    tags(
        (name = "auth", description = "Sign in, tokens, the current caller"),
        (name = "users", description = "The firm's users (admins)"),
        (name = "api keys", description = "Machine credentials (admins)"),
        (name = "audit", description = "The audit log (admins)"),
        (name = "settings", description = "Firm settings: profile, hours, practice areas, escalation, offices"),
        (name = "attorneys", description = "Attorneys and their consultation calendars"),
        (name = "conflicts", description = "The parties index, conflict checks and the review queue"),
        (name = "scheduling", description = "Availability, holds, bookings and invitations"),
        (name = "intake", description = "The intake agent's text channel and the intakes it records"),
        (name = "calls", description = "Phone and browser calls, their timings and recordings"),
        (name = "notifications", description = "Escalation SMS and email in the delivery outbox"),
        (name = "live", description = "Live updates for the dashboard (server-sent events)"),
        (name = "usage", description = "What the firm used this month"),
        (name = "system", description = "Health, readiness, metrics"),
    )
)]
pub struct ApiDoc;

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT or hk_ API key".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(http));
    }
}

impl ApiDoc {
    pub fn base() -> utoipa::openapi::OpenApi {
        Self::openapi()
    }
}

/// Final touches on the assembled document.
pub fn finish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}
