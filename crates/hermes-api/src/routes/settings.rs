//! `/api/v1/settings/...`: the firm's settings.
//!
//! `firm` is the tenant row itself (written name, time zone). The other
//! sections (`profile`, `hours`, `practice-areas`, `escalation`,
//! `offices`) are
//! `hermes-firm` documents, each replaced as a whole by `PUT` so that an
//! admin's form and the stored document never drift apart field by field;
//! before a section is first set, `GET` answers its default. Reading needs
//! `settings:read` (everyone), writing `settings:write` (admins), and every
//! write is audited as `settings.update` with the section's name.

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
        plan: None,
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

// --- the firm issue's sections: each a document replaced as a whole -------

use hermes_firm::{EscalationContacts, FirmProfile, Hours, Offices, PracticeAreas};
use hermes_store::{FirmSettings, SettingsUpdate};

async fn settings(state: &AppState, tenant: hermes_core::TenantId) -> ApiResult<FirmSettings> {
    Ok(state.store.scoped(tenant).firm_settings().await?)
}

/// The firm's practice areas (empty until set).
pub(crate) async fn practice_areas_of(
    state: &AppState,
    tenant: hermes_core::TenantId,
) -> ApiResult<PracticeAreas> {
    Ok(settings(state, tenant)
        .await?
        .practice_areas
        .unwrap_or_default())
}

/// The firm's offices (none until set; only on the Enterprise plan).
pub(crate) async fn offices_of(
    state: &AppState,
    tenant: hermes_core::TenantId,
) -> ApiResult<Offices> {
    Ok(settings(state, tenant).await?.offices.unwrap_or_default())
}

/// The firm's hours (weekdays 9 to 5 until set).
pub(crate) async fn hours_of(state: &AppState, tenant: hermes_core::TenantId) -> ApiResult<Hours> {
    Ok(settings(state, tenant)
        .await?
        .hours
        .unwrap_or_else(Hours::default_for_new_firm))
}

async fn put(
    auth: &crate::auth::Principal,
    state: &AppState,
    client: &ClientInfo,
    section: &'static str,
    update: SettingsUpdate,
) -> ApiResult<FirmSettings> {
    let audit = auth
        .audit(client, "settings.update")
        .details(serde_json::json!({ "section": section }));
    Ok(state
        .store
        .scoped(auth.tenant)
        .put_settings(&update, audit)
        .await?)
}

/// The firm's profile: spoken name, phone, address, website, states.
#[utoipa::path(
    get, path = "/api/v1/settings/profile", tag = "settings",
    security(("bearer" = ["settings:read"])),
    responses((status = 200, body = FirmProfile), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn get_profile(
    auth: Require<perm::ReadSettings>,
    State(state): State<AppState>,
) -> ApiResult<Json<FirmProfile>> {
    Ok(Json(
        settings(&state, auth.tenant)
            .await?
            .profile
            .unwrap_or_default(),
    ))
}

/// Replace the firm's profile.
#[utoipa::path(
    put, path = "/api/v1/settings/profile", tag = "settings",
    security(("bearer" = ["settings:write"])),
    request_body = FirmProfile,
    responses(
        (status = 200, body = FirmProfile),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn put_profile(
    auth: Require<perm::WriteSettings>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<FirmProfile>,
) -> ApiResult<Json<FirmProfile>> {
    let profile = req.normalized()?;
    let s = put(
        &auth,
        &state,
        &client,
        "profile",
        SettingsUpdate::Profile(profile),
    )
    .await?;
    Ok(Json(s.profile.unwrap_or_default()))
}

/// Business hours, closures and the after-hours policy.
#[utoipa::path(
    get, path = "/api/v1/settings/hours", tag = "settings",
    security(("bearer" = ["settings:read"])),
    responses((status = 200, body = Hours), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn get_hours(
    auth: Require<perm::ReadSettings>,
    State(state): State<AppState>,
) -> ApiResult<Json<Hours>> {
    Ok(Json(hours_of(&state, auth.tenant).await?))
}

/// Replace business hours, closures and the after-hours policy.
#[utoipa::path(
    put, path = "/api/v1/settings/hours", tag = "settings",
    security(("bearer" = ["settings:write"])),
    request_body = Hours,
    responses(
        (status = 200, body = Hours),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn put_hours(
    auth: Require<perm::WriteSettings>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<Hours>,
) -> ApiResult<Json<Hours>> {
    req.validate()?;
    let s = put(&auth, &state, &client, "hours", SettingsUpdate::Hours(req)).await?;
    Ok(Json(s.hours.unwrap_or_else(Hours::default_for_new_firm)))
}

/// The practice areas the firm takes, with consultation terms.
#[utoipa::path(
    get, path = "/api/v1/settings/practice-areas", tag = "settings",
    security(("bearer" = ["settings:read"])),
    responses((status = 200, body = PracticeAreas), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn get_practice_areas(
    auth: Require<perm::ReadSettings>,
    State(state): State<AppState>,
) -> ApiResult<Json<PracticeAreas>> {
    Ok(Json(practice_areas_of(&state, auth.tenant).await?))
}

/// Replace the practice areas. An area an attorney still takes cannot be
/// removed (409): change the attorney first.
#[utoipa::path(
    put, path = "/api/v1/settings/practice-areas", tag = "settings",
    security(("bearer" = ["settings:write"])),
    request_body = PracticeAreas,
    responses(
        (status = 200, body = PracticeAreas),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "An attorney still takes a removed area", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn put_practice_areas(
    auth: Require<perm::WriteSettings>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<PracticeAreas>,
) -> ApiResult<Json<PracticeAreas>> {
    let areas = req.normalized()?;
    for a in state.store.scoped(auth.tenant).list_attorneys().await? {
        if let Some(k) = a
            .attorney
            .practice_areas
            .iter()
            .find(|k| areas.get(k).is_none())
        {
            return Err(ApiError::Conflict {
                code: "practice_area_in_use",
                message: format!(
                    "attorney {} ({}) takes {k}; change the attorney before removing it",
                    a.attorney.name, a.id
                ),
            });
        }
    }
    let s = put(
        &auth,
        &state,
        &client,
        "practice_areas",
        SettingsUpdate::PracticeAreas(areas),
    )
    .await?;
    Ok(Json(s.practice_areas.unwrap_or_default()))
}

/// Escalation contacts and when each is on call.
#[utoipa::path(
    get, path = "/api/v1/settings/escalation", tag = "settings",
    security(("bearer" = ["settings:read"])),
    responses((status = 200, body = EscalationContacts), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn get_escalation(
    auth: Require<perm::ReadSettings>,
    State(state): State<AppState>,
) -> ApiResult<Json<EscalationContacts>> {
    Ok(Json(
        settings(&state, auth.tenant)
            .await?
            .escalation
            .unwrap_or_default(),
    ))
}

/// Replace the escalation contacts.
#[utoipa::path(
    put, path = "/api/v1/settings/escalation", tag = "settings",
    security(("bearer" = ["settings:write"])),
    request_body = EscalationContacts,
    responses(
        (status = 200, body = EscalationContacts),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn put_escalation(
    auth: Require<perm::WriteSettings>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<EscalationContacts>,
) -> ApiResult<Json<EscalationContacts>> {
    let contacts = req.normalized()?;
    let s = put(
        &auth,
        &state,
        &client,
        "escalation",
        SettingsUpdate::Escalation(contacts),
    )
    .await?;
    Ok(Json(s.escalation.unwrap_or_default()))
}

/// The firm's offices, each with its numbers, hours, time zone and
/// attorneys (the Enterprise plan); empty for a firm that is one office.
#[utoipa::path(
    get, path = "/api/v1/settings/offices", tag = "settings",
    security(("bearer" = ["settings:read"])),
    responses((status = 200, body = Offices), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn get_offices(
    auth: Require<perm::ReadSettings>,
    State(state): State<AppState>,
) -> ApiResult<Json<Offices>> {
    Ok(Json(offices_of(&state, auth.tenant).await?))
}

/// Replace the offices. Offices are part of the Enterprise plan (403
/// `plan_required` on another plan, except to remove them all). An office
/// an attorney still works from cannot be removed (409): move the attorney
/// first. A number belongs to one office; calls to it are answered as that
/// office (its name, hours and zone, its attorneys' consultations).
#[utoipa::path(
    put, path = "/api/v1/settings/offices", tag = "settings",
    security(("bearer" = ["settings:write"])),
    request_body = Offices,
    responses(
        (status = 200, body = Offices),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "Not allowed, or not on the Enterprise plan", body = ErrorBody),
        (status = 409, description = "An attorney still works from a removed office", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn put_offices(
    auth: Require<perm::WriteSettings>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<Offices>,
) -> ApiResult<Json<Offices>> {
    let offices = req.normalized()?;
    let plan = state.tenant(auth.tenant).await?.plan;
    if !offices.is_empty() && !plan.has_offices() {
        return Err(ApiError::PlanRequired(format!(
            "offices are part of the Enterprise plan; this firm is on the {} plan",
            plan.as_str()
        )));
    }
    for a in state.store.scoped(auth.tenant).list_attorneys().await? {
        if let Some(k) = a
            .attorney
            .office
            .as_ref()
            .filter(|k| offices.get(k).is_none())
        {
            return Err(ApiError::Conflict {
                code: "office_in_use",
                message: format!(
                    "attorney {} ({}) works from {k}; move the attorney before removing it",
                    a.attorney.name, a.id
                ),
            });
        }
    }
    let s = put(
        &auth,
        &state,
        &client,
        "offices",
        SettingsUpdate::Offices(offices),
    )
    .await?;
    Ok(Json(s.offices.unwrap_or_default()))
}
