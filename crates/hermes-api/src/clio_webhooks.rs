//! Clio's webhooks for contacts and matters: a change in the firm's Clio
//! reaches the conflict check within seconds, not at the next
//! incremental sync.
//!
//! - **Set up** by the parties sync (at connect, then every period):
//!   one webhook per model, its URL
//!   `<public_url>/api/v1/integrations/clio/webhooks/<slug>/<token>` with a
//!   random token. The row is written (`pending`, the token's hash) before
//!   Clio is asked, because Clio's handshake can arrive before its answer.
//! - **Handshake.** Clio POSTs `X-Hook-Secret` to the URL: the token in
//!   the URL is the only credential (the handshake is not signed), so a
//!   handshake is taken only for a pending webhook whose token matches.
//!   The secret is sealed and stored, the webhook is `active`, and the
//!   secret is echoed back (Clio's "immediate" confirmation).
//! - **Deliveries** must carry `X-Hook-Signature`, the body's HMAC-SHA256
//!   under that secret; anything else is refused (401) and counted. A
//!   delivery updates the mirror and the parties are re-derived. Clio
//!   retries and may deliver twice or out of order: a record older than
//!   the one mirrored is ignored, so a duplicate changes nothing.
//! - **Renewal.** Clio webhooks expire; each sync renews those expiring
//!   within a week (30 more days).
//!
//! Without an HTTPS public URL (Clio posts only to HTTPS; loopback is
//! allowed for development and tests) no webhook is set up and the
//! incremental sync alone keeps the mirror current.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use hermes_clio::{Client, ClioError, webhook};
use hermes_core::{TenantId, TenantSlug};
use hermes_store::ClioWebhookRow;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::clio_parties::{CONTACT_FIELDS, MATTER_FIELDS};
use crate::clio_sync::SyncError;
use crate::extract::Path;
use crate::state::AppState;

/// The models watched, with the fields a delivery carries (the mirror's).
const MODELS: [(&str, &str); 2] = [("contact", CONTACT_FIELDS), ("matter", MATTER_FIELDS)];

fn lifetime() -> Duration {
    Duration::days(30)
}

fn renew_within() -> Duration {
    Duration::days(7)
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn context(tenant: TenantId) -> String {
    format!("{tenant}/clio-webhook")
}

/// Where Clio may post: the public URL, when it is HTTPS (or loopback).
fn base(state: &AppState) -> Option<String> {
    let url = state.clio.public_url()?;
    let ok = url.starts_with("https://")
        || url.starts_with("http://127.0.0.1")
        || url.starts_with("http://localhost")
        || url.starts_with("http://[::1]");
    ok.then_some(url)
}

#[derive(Debug, serde::Deserialize)]
struct Created {
    id: i64,
}

/// Sets up the firm's webhooks, renews those about to expire, and
/// replaces those Clio no longer knows.
pub async fn ensure(state: &AppState, tenant: TenantId, client: &Client) -> Result<(), SyncError> {
    let Some(base) = base(state) else {
        tracing::info!(%tenant, "no HTTPS public URL: Clio changes arrive with the periodic sync only");
        return Ok(());
    };
    let store = state.store.scoped(tenant);
    let slug = state.tenant(tenant).await?.slug.clone();
    let existing = store.clio_webhooks().await?;
    let now = Utc::now();
    for (model, fields) in MODELS {
        let row = existing.iter().find(|r| r.model == model);
        if let Some(r) = row
            && r.status == "active"
            && let Some(id) = r.clio_id
        {
            if r.expires_at > now + renew_within() {
                continue;
            }
            let expires = now + lifetime();
            match client
                .patch::<Created>(&format!("/webhooks/{id}.json"), "id", renewal_body(expires))
                .await
            {
                Ok(_) => {
                    store
                        .put_clio_webhook(&ClioWebhookRow {
                            expires_at: expires,
                            ..r.clone()
                        })
                        .await?;
                    continue;
                }
                // Gone at Clio (expired, deleted by someone): make another.
                Err(ClioError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        create(state, tenant, client, &base, &slug, model, fields, row).await?;
    }
    Ok(())
}

/// A webhook as HERMES asks Clio for it (public so that its shape is
/// checked against Clio's published document).
pub fn webhook_body(url: &str, model: &str, fields: &str, expires: DateTime<Utc>) -> Value {
    json!({
        "url": url,
        "model": model,
        "fields": fields,
        "events": ["created", "updated", "deleted"],
        "expires_at": expires.to_rfc3339(),
    })
}

/// A webhook's renewal.
pub fn renewal_body(expires: DateTime<Utc>) -> Value {
    json!({ "expires_at": expires.to_rfc3339() })
}

#[allow(clippy::too_many_arguments)]
async fn create(
    state: &AppState,
    tenant: TenantId,
    client: &Client,
    base: &str,
    slug: &TenantSlug,
    model: &str,
    fields: &str,
    old: Option<&ClioWebhookRow>,
) -> Result<(), SyncError> {
    let store = state.store.scoped(tenant);
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let now = Utc::now();
    let expires = now + lifetime();
    let pending = ClioWebhookRow {
        model: model.to_owned(),
        token_hash: hash(&token),
        clio_id: None,
        secret: None,
        status: "pending".into(),
        expires_at: expires,
        created_at: now,
        updated_at: now,
    };
    // Before asking Clio: its handshake may come before its answer.
    store.put_clio_webhook(&pending).await?;
    let created: Created = client
        .post(
            "/webhooks.json",
            "id",
            webhook_body(
                &format!("{base}/api/v1/integrations/clio/webhooks/{slug}/{token}"),
                model,
                fields,
                expires,
            ),
        )
        .await?;
    // The handshake may have made it active meanwhile: keep what it wrote.
    let now_row = store
        .clio_webhook_by_token(&pending.token_hash)
        .await?
        .unwrap_or(pending);
    store
        .put_clio_webhook(&ClioWebhookRow {
            clio_id: Some(created.id),
            ..now_row
        })
        .await?;
    // The one it replaces goes, best effort.
    if let Some(id) = old.and_then(|o| o.clio_id) {
        let _ = client.delete(&format!("/webhooks/{id}.json")).await;
    }
    tracing::info!(%tenant, model, webhook = created.id, "Clio webhook set up");
    Ok(())
}

/// Removes the firm's webhooks at Clio (best effort) and here: the firm
/// disconnects.
pub async fn remove(state: &AppState, tenant: TenantId, client: Option<&Client>) {
    let store = state.store.scoped(tenant);
    if let (Some(client), Ok(rows)) = (client, store.clio_webhooks().await) {
        for id in rows.iter().filter_map(|r| r.clio_id) {
            let _ = client.delete(&format!("/webhooks/{id}.json")).await;
        }
    }
    if let Err(e) = store.delete_clio_webhooks().await {
        tracing::warn!(%tenant, error = %e, "could not forget the Clio webhooks");
    }
}

fn refused(reason: &'static str) -> Response {
    metrics::counter!("hermes_clio_webhooks_refused_total", "reason" => reason).increment(1);
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"error": "unauthorized", "message": "not a delivery of this webhook"})),
    )
        .into_response()
}

/// Where Clio delivers: the handshake, then signed changes.
#[utoipa::path(
    post, path = "/api/v1/integrations/clio/webhooks/{slug}/{token}", tag = "integrations",
    params(("slug" = String, Path), ("token" = String, Path)),
    responses(
        (status = 200, description = "handshake confirmed (X-Hook-Secret echoed) or delivery applied"),
        (status = 401, body = crate::error::ErrorBody, description = "unknown webhook or bad signature"),
    )
)]
pub async fn receive(
    State(state): State<AppState>,
    Path((slug, token)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(slug) = TenantSlug::parse(&slug) else {
        return refused("unknown");
    };
    let Ok(Some(tenant)) = state.store.tenant_by_slug(&slug).await else {
        return refused("unknown");
    };
    let store = state.store.scoped(tenant.id);
    let Ok(Some(row)) = store.clio_webhook_by_token(&hash(&token)).await else {
        return refused("unknown");
    };
    if let Some(secret) = headers.get(webhook::SECRET_HEADER) {
        if row.status != "pending" {
            return refused("handshake_again");
        }
        let Ok(value) = secret.to_str() else {
            return refused("bad_secret");
        };
        let sealed = state.secrets.seal(&context(tenant.id), value.as_bytes());
        let active = ClioWebhookRow {
            secret: Some(sealed),
            status: "active".into(),
            ..row
        };
        if let Err(e) = store.put_clio_webhook(&active).await {
            tracing::error!(tenant = %tenant.id, error = %e, "could not keep a Clio webhook's secret");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        tracing::info!(tenant = %tenant.id, model = %active.model, "Clio webhook confirmed");
        let mut resp = StatusCode::OK.into_response();
        if let Ok(v) = HeaderValue::from_str(value) {
            resp.headers_mut().insert(webhook::SECRET_HEADER, v);
        }
        return resp;
    }
    let Some(secret) = row
        .secret
        .as_ref()
        .and_then(|s| state.secrets.open(&context(tenant.id), s).ok())
    else {
        return refused("not_confirmed");
    };
    let signature = headers
        .get(webhook::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !webhook::verify(&secret, &body, signature) {
        return refused("bad_signature");
    }
    let Ok(delivery) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "bad_request", "message": "the body is not JSON"})),
        )
            .into_response();
    };
    match apply(&state, tenant.id, &row.model, &delivery).await {
        Ok(()) => {
            metrics::counter!("hermes_clio_webhooks_applied_total", "model" => row.model.clone())
                .increment(1);
            StatusCode::OK.into_response()
        }
        // Clio retries what is not answered 2xx.
        Err(e) => {
            tracing::warn!(tenant = %tenant.id, error = %e.message, "a Clio webhook delivery was not applied");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

fn updated_at(v: &Value) -> Option<DateTime<Utc>> {
    v["updated_at"]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// One delivery into the mirror and the parties.
async fn apply(
    state: &AppState,
    tenant: TenantId,
    model: &str,
    delivery: &Value,
) -> Result<(), SyncError> {
    let data = &delivery["data"];
    let Some(id) = data["id"].as_i64() else {
        return Ok(());
    };
    let event = delivery["meta"]["event"].as_str().unwrap_or("updated");
    if event == "deleted" {
        crate::clio_parties::apply_change(state, tenant, model, None, Some(id)).await?;
        return Ok(());
    }
    // Older than what the mirror holds (a retry that lost a race with a
    // later change, or a duplicate): nothing to do.
    let mirrored = state
        .store
        .scoped(tenant)
        .clio_mirror()
        .await?
        .into_iter()
        .find(|r| r.kind == model && r.clio_id == id);
    if let Some(m) = mirrored
        && let (Some(have), Some(got)) = (updated_at(&m.data), updated_at(data))
        && got <= have
    {
        return Ok(());
    }
    crate::clio_parties::apply_change(state, tenant, model, Some(data.clone()), None).await?;
    Ok(())
}
