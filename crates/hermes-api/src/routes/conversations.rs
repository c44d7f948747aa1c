//! The text channel: a website chat widget (or any client) talks to the
//! firm's intake agent.
//!
//! Starting a conversation is public — anyone visiting the firm's site may
//! — and rate-limited per client address like the other anonymous routes.
//! The answer carries a conversation token (`hcv_…`, see
//! `hermes_auth::ConversationSecret`) that names the firm and the intake
//! and is the only key to continue it; the server keeps its hash.

use axum::extract::State;
use axum::http::StatusCode;
use hermes_auth::ConversationSecret;
use hermes_core::{ParseError, TenantSlug};
use hermes_intake::dialogue::{Engine, Event};
use hermes_store::{Actor, AuditEvent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::agent::{drive, firm_for, update_of};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Started {
    /// The token to continue this conversation with (keep it secret).
    pub conversation_id: String,
    /// What the agent says first.
    pub reply: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// What the caller typed (1 to 2000 characters).
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Reply {
    pub reply: String,
    /// The step the conversation is at, e.g. `name`, `facts`, `scheduling`.
    pub state: String,
    /// Whether the conversation has ended.
    pub done: bool,
}

/// Start a conversation with a firm's intake agent (public).
#[utoipa::path(
    post, path = "/api/v1/tenants/{slug}/conversations", tag = "intake",
    params(("slug" = String, Path, description = "The firm's slug")),
    responses(
        (status = 201, body = Started),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<(StatusCode, Json<Started>)> {
    let slug = TenantSlug::parse(&slug).map_err(|_| ApiError::NotFound("firm"))?;
    let tenant = state
        .store
        .tenant_by_slug(&slug)
        .await?
        .ok_or(ApiError::NotFound("firm"))?;
    let firm = firm_for(&state, tenant.id, chrono::Utc::now()).await?;
    let mut engine = Engine::new(firm);
    let id = Uuid::now_v7();
    let secret = ConversationSecret::generate(tenant.id, id);
    state
        .store
        .scoped(tenant.id)
        .create_intake(
            id,
            "text",
            Some(&secret.hash),
            &update_of(&engine)?,
            AuditEvent::new(Actor::System, "intake.start")
                .details(serde_json::json!({"channel": "text"})),
        )
        .await?;
    let turn = drive(&state, tenant.id, id, &mut engine, Event::Start).await?;
    Ok((
        StatusCode::CREATED,
        Json(Started {
            conversation_id: secret.token,
            reply: turn.replies.join(" "),
        }),
    ))
}

/// Say something in a conversation (public; the conversation token is the
/// credential).
#[utoipa::path(
    post, path = "/api/v1/conversations/{conversation_id}/messages", tag = "intake",
    params(("conversation_id" = String, Path, description = "The conversation token from the start")),
    request_body = Message,
    responses(
        (status = 200, body = Reply),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The conversation has ended", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn message(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Json(msg): Json<Message>,
) -> ApiResult<Json<Reply>> {
    let text = msg.text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(ParseError::new("text", "must be 1 to 2000 characters").into());
    }
    // One answer for a malformed token, an unknown one and a wrong secret.
    let not_found = || ApiError::NotFound("conversation");
    let (tenant, id, hash) = ConversationSecret::parse(&token).ok_or_else(not_found)?;
    let row = state
        .store
        .scoped(tenant)
        .intake(id)
        .await?
        .ok_or_else(not_found)?;
    if row.access_hash.as_deref() != Some(hash.as_str()) {
        return Err(not_found());
    }
    let Some(conversation) = row.conversation else {
        return Err(ApiError::Conflict {
            code: "conversation_ended",
            message: "this conversation has ended; start a new one".into(),
        });
    };
    let mut engine: Engine = serde_json::from_value(conversation).map_err(ApiError::internal)?;
    let turn = drive(
        &state,
        tenant,
        id,
        &mut engine,
        Event::Caller {
            text: text.to_owned(),
        },
    )
    .await?;
    Ok(Json(Reply {
        reply: turn.replies.join(" "),
        state: turn.stage.to_owned(),
        done: turn.done,
    }))
}
