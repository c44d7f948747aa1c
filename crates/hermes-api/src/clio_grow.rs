//! Clio Grow, for firms that run their intake pipeline there rather than
//! in Clio Manage: each finished intake is posted to the firm's Grow lead
//! inbox (`POST https://<region>grow.clio.com/inbox_leads` with the firm's
//! inbox lead token), where staff accept it into the pipeline.
//!
//! The post is an outbox job (kind `clio`), queued with the intake's final
//! save like the Manage sync. Grow's inbox has no way to look a lead up,
//! so a retry after a timeout whose request did reach Grow can leave the
//! lead twice in the inbox; staff review the inbox before accepting a
//! lead, and a lost lead would be worse. Nothing else is retried blindly:
//! a token Grow refuses is a dead letter for the admin.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use hermes_clio::Region;
use hermes_core::{ParseError, TenantId};
use hermes_intake::record::Intake;
use hermes_store::{NewOutboxJob, OutboxKind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Require, perm};
use crate::client::ClientInfo;
use crate::clio_sync::SyncError;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

fn context(tenant: TenantId) -> String {
    format!("{tenant}/clio-grow")
}

/// The job that posts `intake` to the firm's Grow inbox.
pub fn job_for(intake: Uuid) -> NewOutboxJob {
    NewOutboxJob {
        kind: OutboxKind::Clio,
        dedupe_key: format!("clio-grow:{intake}"),
        payload: json!({ "grow_intake_id": intake }),
    }
}

/// Grow's host for a region (or the configured stand-in).
fn host(state: &AppState, region: Region) -> String {
    if let Some(h) = state.clio.test_host() {
        return h;
    }
    match region {
        Region::Us => "https://grow.clio.com".into(),
        Region::Eu => "https://eu.grow.clio.com".into(),
        Region::Ca => "https://ca.grow.clio.com".into(),
        Region::Au => "https://au.grow.clio.com".into(),
    }
}

/// Whether the firm posts its intakes to Grow.
pub async fn configured(state: &AppState, tenant: TenantId) -> bool {
    matches!(state.store.scoped(tenant).clio_grow().await, Ok(Some(_)))
}

/// Posts one finished intake as a lead.
pub async fn post_lead(
    state: &AppState,
    tenant: TenantId,
    intake_id: Uuid,
) -> Result<(), SyncError> {
    let store = state.store.scoped(tenant);
    let Some(grow) = store.clio_grow().await? else {
        return Err(SyncError::permanent(
            "the firm no longer has a Clio Grow inbox",
        ));
    };
    let region: Region = grow
        .region
        .parse()
        .map_err(|_| SyncError::permanent(format!("unknown Grow region {}", grow.region)))?;
    let token = state
        .secrets
        .open(&context(tenant), &grow.token)
        .map_err(|e| SyncError::permanent(format!("the Grow token cannot be opened: {e}")))?;
    let row = store
        .intake(intake_id)
        .await?
        .ok_or_else(|| SyncError::permanent("the intake no longer exists"))?;
    let intake: Intake = serde_json::from_value(row.document)
        .map_err(|e| SyncError::permanent(format!("the intake cannot be read: {e}")))?;
    let name = intake
        .field("name")
        .unwrap_or("Unknown caller")
        .trim()
        .to_owned();
    let (first, last) = match name.rsplit_once(' ') {
        Some((f, l)) => (f.trim().to_owned(), l.trim().to_owned()),
        None => (name.clone(), "(not given)".to_owned()),
    };
    let summary = intake
        .summary
        .clone()
        .unwrap_or_else(|| intake.local_summary());
    let mut message = summary;
    if let Some(area) = &intake.practice_area {
        message.push_str(&format!("\nPractice area: {}", area.replace('_', " ")));
    }
    if let Some(b) = &intake.booking {
        message.push_str(&format!("\nConsultation booked: {}", b.spoken));
    }
    message.push_str(&format!("\nHERMES intake {intake_id}"));
    let mut lead = json!({
        "from_first": first,
        "from_last": last,
        "from_message": message,
        "referring_url": if row.channel == "voice" {
            "Phone call answered by the HERMES receptionist"
        } else {
            "Web chat with the HERMES receptionist"
        },
        "from_source": "HERMES",
    });
    if let Some(e) = intake.field("email") {
        lead["from_email"] = json!(e);
    }
    if let Some(p) = intake.field("phone") {
        lead["from_phone"] = json!(p);
    }
    let token = String::from_utf8_lossy(&token).into_owned();
    let resp = state
        .clio
        .http()
        .post(format!("{}/inbox_leads", host(state, region)))
        .header("accept", "application/json")
        .json(&json!({ "inbox_lead": lead, "inbox_lead_token": token }))
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await
        .map_err(|e| SyncError::transient(format!("could not reach Clio Grow: {e}")))?;
    let status = resp.status();
    if status.is_success() {
        tracing::info!(%tenant, intake = %intake_id, "intake posted to the Clio Grow inbox");
        return Ok(());
    }
    Err(SyncError {
        transient: status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS,
        message: format!("Clio Grow answered {status}"),
    })
}

/// The firm's Grow inbox as admins see it (the token never leaves).
#[derive(Debug, Serialize, ToSchema)]
pub struct GrowStatus {
    pub configured: bool,
    pub region: Option<String>,
    /// The token's last four characters.
    pub token_hint: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrowSettings {
    /// `us`, `eu`, `ca` or `au`: where the firm's Grow account lives.
    pub region: String,
    /// Grow: Settings → Integrations → Inbox token.
    pub inbox_lead_token: String,
}

async fn status_for(state: &AppState, tenant: TenantId) -> ApiResult<GrowStatus> {
    let row = state.store.scoped(tenant).clio_grow().await?;
    Ok(match row {
        None => GrowStatus {
            configured: false,
            region: None,
            token_hint: None,
            updated_at: None,
        },
        Some(r) => {
            let token = state
                .secrets
                .open(&context(tenant), &r.token)
                .map_err(ApiError::internal)?;
            let token = String::from_utf8_lossy(&token).into_owned();
            GrowStatus {
                configured: true,
                region: Some(r.region),
                token_hint: Some(crate::voice::settings::mask(&token)),
                updated_at: Some(r.updated_at),
            }
        }
    })
}

/// The firm's Clio Grow inbox.
#[utoipa::path(
    get, path = "/api/v1/integrations/clio-grow", tag = "integrations",
    security(("bearer" = ["settings:read"])),
    responses((status = 200, body = GrowStatus), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn get_grow(
    auth: Require<perm::ReadSettings>,
    State(state): State<AppState>,
) -> ApiResult<Json<GrowStatus>> {
    Ok(Json(status_for(&state, auth.tenant).await?))
}

/// Post each finished intake to the firm's Clio Grow inbox (audited; the
/// token is sealed and never shown again).
#[utoipa::path(
    put, path = "/api/v1/integrations/clio-grow", tag = "integrations",
    security(("bearer" = ["integrations:manage"])),
    request_body = GrowSettings,
    responses((status = 200, body = GrowStatus), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn put_grow(
    auth: Require<perm::ManageIntegrations>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(body): Json<GrowSettings>,
) -> ApiResult<Json<GrowStatus>> {
    let region: Region = body
        .region
        .parse()
        .map_err(|_| ParseError::new("region", "must be us, eu, ca or au"))?;
    let token = body.inbox_lead_token.trim();
    if token.len() < 8 || token.len() > 200 || token.chars().any(char::is_whitespace) {
        return Err(ParseError::new(
            "inbox_lead_token",
            "must be the inbox token Grow shows (8 to 200 characters, no spaces)",
        )
        .into());
    }
    let sealed = state.secrets.seal(&context(auth.tenant), token.as_bytes());
    state
        .store
        .scoped(auth.tenant)
        .put_clio_grow(
            region.as_str(),
            &sealed,
            auth.audit(&client, "clio_grow.configure")
                .details(json!({ "region": region.as_str() })),
        )
        .await?;
    Ok(Json(status_for(&state, auth.tenant).await?))
}

/// Stop posting intakes to Grow (audited).
#[utoipa::path(
    delete, path = "/api/v1/integrations/clio-grow", tag = "integrations",
    security(("bearer" = ["integrations:manage"])),
    responses((status = 204, description = "removed"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn delete_grow(
    auth: Require<perm::ManageIntegrations>,
    State(state): State<AppState>,
    client: ClientInfo,
) -> ApiResult<StatusCode> {
    let had = state
        .store
        .scoped(auth.tenant)
        .delete_clio_grow(auth.audit(&client, "clio_grow.remove"))
        .await?;
    if had {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("Clio Grow inbox"))
    }
}
