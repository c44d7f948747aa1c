//! `/api/v1/conflicts`: conflict-of-interest checks and the review queue.
//!
//! A check runs against the tenant's in-memory index (ABA Model Rules 1.7,
//! 1.9, 1.10, 1.18: is anyone on the other side a current or former client,
//! is the new client someone the firm was adverse to). Anything above
//! `clear` opens a review that only an attorney or admin — a person, not an
//! API key — can clear or decline; the decision confirms or cancels the
//! tentative bookings that waited on it, in the same transaction.

use axum::extract::State;

use chrono::{DateTime, NaiveDate, Utc};
use hermes_conflicts::{CheckOptions, NewMatterRole, Probe, Severity, Status};
use hermes_core::{E164, Email, ParseError};
use hermes_store::{ConflictReview, NewConflictReview, ReviewStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{Require, perm};
use crate::client::ClientInfo;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::live::{self, LiveEvent};
use crate::routes::attorneys::parse_uuid;
use crate::routes::parties::{parse_dob, parse_kind};
use crate::state::AppState;

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckParty {
    #[schema(example = "Bill Turner")]
    pub name: String,
    /// The party's role in the new matter: `client`, `adverse` or `related`.
    #[schema(example = "adverse")]
    pub role: String,
    /// `person` or `organization`; guessed from the name when absent.
    pub kind: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// The new matter's parties, the prospective client first.
    pub parties: Vec<CheckParty>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HitOut {
    /// Index into the request's `parties`.
    pub party_index: usize,
    pub party_id: Uuid,
    /// The indexed party's name (or the alias that matched).
    pub matched_name: String,
    /// The indexed party's role, e.g. `client`.
    pub party_role: String,
    pub matter_ref: Option<String>,
    pub matter_status: Option<String>,
    /// 0 to 1.
    pub score: f32,
    /// Why it matched, e.g. `["nickname(bill→william)", "surname exact"]`.
    pub reasons: Vec<String>,
    /// The reasons as one line.
    pub explanation: String,
    /// `info`, `potential` or `conflict`.
    pub severity: String,
    /// The rule that set the severity.
    pub rule: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResponse {
    /// `clear`, `potential` (an attorney must review) or `conflict`.
    #[schema(example = "potential")]
    pub status: String,
    pub hits: Vec<HitOut>,
    /// The review opened for a `potential` or `conflict` result.
    pub review_id: Option<Uuid>,
}

fn status_str(s: Status) -> &'static str {
    match s {
        Status::Clear => "clear",
        Status::Potential => "potential",
        Status::Conflict => "conflict",
    }
}

fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Potential => "potential",
        Severity::Conflict => "conflict",
    }
}

fn probe(p: &CheckParty) -> Result<Probe, ParseError> {
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ParseError::new(
            "parties.name",
            "must be 1 to 200 characters",
        ));
    }
    let role = match p.role.trim() {
        "client" => NewMatterRole::Client,
        "adverse" => NewMatterRole::Adverse,
        "related" => NewMatterRole::Related,
        other => {
            return Err(ParseError::new(
                "parties.role",
                format!("{other:?} is not client, adverse or related"),
            ));
        }
    };
    Ok(Probe {
        name: name.to_owned(),
        kind: p.kind.as_deref().map(|k| parse_kind(Some(k))).transpose()?,
        role,
        date_of_birth: parse_dob(p.date_of_birth)?,
        phone: p
            .phone
            .as_deref()
            .map(|x| E164::parse(x).map(|e| e.as_ref().to_owned()))
            .transpose()?,
        email: p
            .email
            .as_deref()
            .map(|x| Email::parse(x).map(|e| e.as_ref().to_owned()))
            .transpose()?,
    })
}

/// Check a new matter's parties for conflicts of interest.
#[utoipa::path(
    post, path = "/api/v1/conflicts/check", tag = "conflicts",
    security(("bearer" = ["cases:write"])),
    request_body = CheckRequest,
    responses(
        (status = 200, body = CheckResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn check(
    auth: Require<perm::WriteCases>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<CheckRequest>,
) -> ApiResult<Json<CheckResponse>> {
    let audit = auth.audit(&client, "conflicts.check");
    Ok(Json(run_check(&state, auth.tenant, req, audit).await?))
}

/// Runs a conflict check for `tenant` and, when it is not clear, opens a
/// review: the HTTP route and the intake agent both come through here.
pub async fn run_check(
    state: &AppState,
    tenant: hermes_core::TenantId,
    req: CheckRequest,
    audit: hermes_store::AuditEvent,
) -> ApiResult<CheckResponse> {
    if req.parties.is_empty() || req.parties.len() > 20 {
        return Err(ParseError::new("parties", "send 1 to 20 parties").into());
    }
    let probes = req
        .parties
        .iter()
        .map(probe)
        .collect::<Result<Vec<_>, _>>()?;
    let index = state.conflicts.get(&state.store, tenant).await?;
    let outcome = index
        .read()
        .expect("poisoned")
        .check(&probes, &CheckOptions::default());
    let store = state.store.scoped(tenant);
    let mut hits = Vec::with_capacity(outcome.hits.len());
    for h in &outcome.hits {
        // The index holds what matching needs; role and matter come from
        // the same entry, read back for the reviewer.
        let party = store.party(h.party_id).await?;
        hits.push(HitOut {
            party_index: h.probe,
            party_id: h.party_id,
            matched_name: h.matched_name.clone(),
            party_role: party
                .as_ref()
                .map_or("unknown", |p| p.party.role.as_str())
                .to_owned(),
            matter_ref: party.as_ref().and_then(|p| p.party.matter_ref.clone()),
            matter_status: party
                .as_ref()
                .and_then(|p| p.party.matter_status.map(|s| s.as_str().to_owned())),
            score: h.score,
            reasons: h.reasons.iter().map(ToString::to_string).collect(),
            explanation: h.explanation(),
            severity: severity_str(h.severity).to_owned(),
            rule: h.rule.to_owned(),
        });
    }
    let status = status_str(outcome.status);
    let review_id = if outcome.status == Status::Clear {
        store
            .append_audit(
                audit.details(serde_json::json!({ "status": status, "parties": probes.len(), "hits": hits.len() })),
            )
            .await?;
        None
    } else {
        let subject = req
            .parties
            .iter()
            .find(|p| p.role.trim() == "client")
            .unwrap_or(&req.parties[0])
            .name
            .trim()
            .to_owned();
        let review = store
            .create_review(
                &NewConflictReview {
                    id: Uuid::now_v7(),
                    severity: status,
                    subject,
                    request: serde_json::to_value(&req.parties).map_err(ApiError::internal)?,
                    hits: serde_json::to_value(&hits).map_err(ApiError::internal)?,
                },
                audit.details(serde_json::json!({ "status": status, "parties": probes.len(), "hits": hits.len() })),
            )
            .await?;
        live::publish(state, tenant, LiveEvent::Review { id: review.id });
        Some(review.id)
    };
    Ok(CheckResponse {
        status: status.to_owned(),
        hits,
        review_id,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewOut {
    pub id: Uuid,
    /// `open`, `cleared` or `declined`.
    pub status: String,
    /// `potential` or `conflict`.
    pub severity: String,
    /// Who the check was for.
    pub subject: String,
    pub parties: Vec<CheckParty>,
    pub hits: Vec<HitOut>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<Uuid>,
    pub decision_note: Option<String>,
}

impl TryFrom<ConflictReview> for ReviewOut {
    type Error = ApiError;

    fn try_from(r: ConflictReview) -> ApiResult<Self> {
        Ok(ReviewOut {
            id: r.id,
            status: r.status.as_str().to_owned(),
            severity: r.severity,
            subject: r.subject,
            parties: serde_json::from_value(r.request).map_err(ApiError::internal)?,
            hits: serde_json::from_value(r.hits).map_err(ApiError::internal)?,
            created_at: r.created_at,
            decided_at: r.decided_at,
            decided_by: r.decided_by.map(|u| *u.as_uuid()),
            decision_note: r.decision_note,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewList {
    pub reviews: Vec<ReviewOut>,
    /// Pass as `after` for the next page; absent on the last one.
    pub next_after: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReviewQuery {
    /// `open` (default), `cleared`, `declined` or `all`.
    pub status: Option<String>,
    /// `oldest` (the default for `open`: who has waited longest) or
    /// `newest` (the default otherwise).
    pub order: Option<String>,
    /// The `next_after` of the previous page.
    pub after: Option<Uuid>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

/// The conflict review queue: open reviews oldest first by default, the
/// history newest first; paged with `after`.
#[utoipa::path(
    get, path = "/api/v1/conflicts/reviews", tag = "conflicts",
    security(("bearer" = ["conflicts:read"])),
    params(ReviewQuery),
    responses((status = 200, body = ReviewList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn list_reviews(
    auth: Require<perm::ReadConflicts>,
    State(state): State<AppState>,
    Query(q): Query<ReviewQuery>,
) -> ApiResult<Json<ReviewList>> {
    let status = match q.status.as_deref().unwrap_or("open") {
        "all" => None,
        s => Some(ReviewStatus::parse(s).ok_or_else(|| {
            ApiError::BadRequest("status must be open, cleared, declined or all".into())
        })?),
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 200".into()));
    }
    let oldest_first = match q.order.as_deref() {
        None => status == Some(ReviewStatus::Open),
        Some("oldest") => true,
        Some("newest") => false,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "order must be oldest or newest".into(),
            ));
        }
    };
    let reviews = state
        .store
        .scoped(auth.tenant)
        .list_reviews(&hermes_store::ReviewPage {
            status,
            oldest_first,
            after: q.after,
            limit,
        })
        .await?;
    let next_after = (reviews.len() == limit as usize)
        .then(|| reviews.last().map(|r| r.id))
        .flatten();
    Ok(Json(ReviewList {
        reviews: reviews
            .into_iter()
            .map(ReviewOut::try_from)
            .collect::<ApiResult<_>>()?,
        next_after,
    }))
}

/// One review.
#[utoipa::path(
    get, path = "/api/v1/conflicts/reviews/{id}", tag = "conflicts",
    security(("bearer" = ["conflicts:read"])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ReviewOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get_review(
    auth: Require<perm::ReadConflicts>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ReviewOut>> {
    let id = parse_uuid("review", &id)?;
    let r = state
        .store
        .scoped(auth.tenant)
        .review(id)
        .await?
        .ok_or(ApiError::NotFound("review"))?;
    Ok(Json(r.try_into()?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `cleared` or `declined`.
    #[schema(example = "cleared")]
    pub decision: String,
    /// Why, for the file (at most 2000 characters).
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionResponse {
    pub review: ReviewOut,
    /// Tentative bookings this decision confirmed or cancelled.
    pub bookings: Vec<Uuid>,
}

/// Decide a review: `cleared` confirms the tentative bookings waiting on
/// it, `declined` cancels them. Attorneys and admins only, signed in as
/// themselves (an API key cannot exercise professional judgement).
#[utoipa::path(
    post, path = "/api/v1/conflicts/reviews/{id}/decision", tag = "conflicts",
    security(("bearer" = ["conflicts:decide"])),
    params(("id" = Uuid, Path)),
    request_body = DecisionRequest,
    responses(
        (status = 200, body = DecisionResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "Already decided", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn decide(
    auth: Require<perm::DecideConflicts>,
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<String>,
    Json(req): Json<DecisionRequest>,
) -> ApiResult<Json<DecisionResponse>> {
    let id = parse_uuid("review", &id)?;
    let Some(user) = auth.user_id() else {
        return Err(ApiError::Forbidden(
            hermes_core::Permission::DecideConflicts,
        ));
    };
    let decision = match req.decision.trim() {
        "cleared" => ReviewStatus::Cleared,
        "declined" => ReviewStatus::Declined,
        other => {
            return Err(ParseError::new(
                "decision",
                format!("{other:?} is not cleared or declined"),
            )
            .into());
        }
    };
    let note = req.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 2000) {
        return Err(ParseError::new("note", "must be at most 2000 characters").into());
    }
    let (review, bookings) = state
        .store
        .scoped(auth.tenant)
        .decide_review(
            id,
            decision,
            note,
            user,
            auth.audit(&client, "conflicts.decide"),
        )
        .await
        .map_err(ApiError::store_for("review"))?;
    live::publish(&state, auth.tenant, LiveEvent::Review { id: review.id });
    for b in &bookings {
        live::publish(&state, auth.tenant, LiveEvent::Booking { id: b.id });
    }
    Ok(Json(DecisionResponse {
        review: review.try_into()?,
        bookings: bookings.iter().map(|b| b.id).collect(),
    }))
}
