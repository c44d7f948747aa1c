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
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::agent::{drive, firm_for, update_of};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
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

/// Other query parameters (a website's `utm_*`, a cache-buster) are
/// ignored: the route is a widget's, on pages the firm does not control.
#[derive(Debug, Deserialize, IntoParams)]
pub struct StartQuery {
    /// The office whose website the conversation starts on (firms with
    /// offices): the agent speaks for that office and offers its
    /// attorneys' consultations.
    pub office: Option<String>,
}

/// Start a conversation with a firm's intake agent (public).
#[utoipa::path(
    post, path = "/api/v1/tenants/{slug}/conversations", tag = "intake",
    params(("slug" = String, Path, description = "The firm's slug"), StartQuery),
    responses(
        (status = 201, body = Started),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<StartQuery>,
) -> ApiResult<(StatusCode, Json<Started>)> {
    let slug = TenantSlug::parse(&slug).map_err(|_| ApiError::NotFound("firm"))?;
    let tenant = state
        .store
        .tenant_by_slug(&slug)
        .await?
        .ok_or(ApiError::NotFound("firm"))?;
    let office = q
        .office
        .as_deref()
        .map(hermes_firm::OfficeKey::parse)
        .transpose()?;
    if let Some(k) = &office {
        crate::routes::settings::offices_of(&state, tenant.id)
            .await?
            .require(k)?;
    }
    let firm = firm_for(&state, tenant.id, chrono::Utc::now(), office.as_ref()).await?;
    let id = Uuid::now_v7();
    let mut engine = Engine::new(firm).with_seed(crate::agent::seed_of(id));
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
    crate::live::publish(&state, tenant.id, crate::live::LiveEvent::Intake { id });
    let turn = drive(&state, tenant.id, id, &mut engine, Event::Start, 0).await?;
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
    let live = load(&state, &token).await?;
    live.take(&state, Event::caller(text.to_owned())).await
}

/// The caller left (closed the chat): the intake is kept as `abandoned`
/// with everything said so far (public; the token is the credential).
#[utoipa::path(
    post, path = "/api/v1/conversations/{conversation_id}/end", tag = "intake",
    params(("conversation_id" = String, Path, description = "The conversation token from the start")),
    responses(
        (status = 200, body = Reply),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The conversation has already ended", body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn end(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<Reply>> {
    let live = load(&state, &token).await?;
    live.take(&state, Event::HungUp).await
}

struct Live {
    tenant: hermes_core::TenantId,
    id: Uuid,
    engine: Engine,
    version: i64,
}

impl Live {
    /// One turn of the conversation, answered to the client.
    async fn take(mut self, state: &AppState, event: Event) -> ApiResult<Json<Reply>> {
        let turn = drive(
            state,
            self.tenant,
            self.id,
            &mut self.engine,
            event,
            self.version,
        )
        .await?;
        Ok(Json(Reply {
            reply: turn.replies.join(" "),
            state: turn.stage.to_owned(),
            done: turn.done,
        }))
    }
}

/// The live conversation a token names. One answer (404) for a malformed
/// token, an unknown one and a wrong secret; 409 once it has ended.
async fn load(state: &AppState, token: &str) -> ApiResult<Live> {
    let not_found = || ApiError::NotFound("conversation");
    let (tenant, id, hash) = ConversationSecret::parse(token).ok_or_else(not_found)?;
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
    let engine: Engine = serde_json::from_value(conversation).map_err(ApiError::internal)?;
    Ok(Live {
        tenant,
        id,
        engine,
        version: row.version,
    })
}

/// Text conversations nobody has written in for `idle`: the caller went
/// silent. Each gets the silence the engine would hear on a call (twice:
/// "are you still there?", then the end), so it is kept as `abandoned`
/// with everything said so far. Runs every minute on every node; two
/// nodes sweeping at once cannot both end one conversation (the turn's
/// version check lets one win).
pub async fn sweep_idle(state: &AppState, idle: std::time::Duration) -> usize {
    let Ok(tenants) = state.store.list_tenants().await else {
        return 0;
    };
    let cutoff = chrono::Utc::now()
        - chrono::Duration::from_std(idle).unwrap_or_else(|_| chrono::Duration::minutes(30));
    let mut ended = 0;
    for t in tenants {
        let store = state.store.scoped(t.id);
        let filter = hermes_store::IntakeFilter {
            status: Some("in_progress".into()),
            limit: 500,
            ..Default::default()
        };
        let Ok(rows) = store.list_intakes(&filter).await else {
            continue;
        };
        for row in rows {
            if row.channel != "text" || row.updated_at >= cutoff {
                continue;
            }
            let Some(conversation) = row.conversation else {
                continue;
            };
            let Ok(mut engine) = serde_json::from_value::<Engine>(conversation) else {
                continue;
            };
            let mut version = row.version;
            while !engine.is_done() {
                match drive(state, t.id, row.id, &mut engine, Event::Silence, version).await {
                    Ok(turn) => version = turn.version,
                    Err(e) => {
                        tracing::info!(error = %e, intake = %row.id, "idle sweep skipped a conversation");
                        break;
                    }
                }
            }
            if engine.is_done() {
                ended += 1;
            }
        }
    }
    ended
}
