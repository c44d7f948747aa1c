//! `/api/v1/parties`: the parties index that conflict checks search —
//! everyone the firm represents, represented, was adverse to, or heard from
//! as a prospective client. Reading needs `conflicts:read`; changing needs
//! `cases:write`. Every change reaches the in-memory index at once on this
//! node and through pub/sub on the others (see `conflict_index`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, NaiveDate, Utc};
use hermes_conflicts::{MatterStatus, NewMatterRole, Party, PartyKind, PartyRole, Probe};
use hermes_core::{E164, Email, ParseError, TenantId};
use hermes_store::{PartyRecord, PartySource};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{Require, perm};
use crate::client::ClientInfo;
use crate::conflict_index::{Change, parties_event};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::routes::attorneys::parse_uuid;
use crate::state::AppState;

/// A party as sent by a client.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyIn {
    /// `person` (default) or `organization`.
    #[schema(example = "person")]
    pub kind: Option<String>,
    #[schema(example = "William Turner")]
    pub name: String,
    /// Former or maiden names, d/b/a names.
    #[serde(default)]
    #[schema(example = json!(["Bill Turner"]))]
    pub aliases: Vec<String>,
    /// `client`, `former_client`, `adverse_party`, `related_party`,
    /// `opposing_counsel` or `prospective_client`.
    #[schema(example = "adverse_party")]
    pub role: String,
    #[schema(example = "1980-04-12")]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default)]
    #[schema(example = json!(["+15035550100"]))]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    #[schema(example = "2024-PI-0042")]
    pub matter_ref: Option<String>,
    /// `open`, `pending` or `closed`.
    pub matter_status: Option<String>,
}

/// Changes to a party; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyPatch {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub aliases: Option<Vec<String>>,
    pub role: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub date_of_birth: Option<Option<NaiveDate>>,
    pub phones: Option<Vec<String>>,
    pub emails: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub matter_ref: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub matter_status: Option<Option<String>>,
}

fn double_option<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartyOut {
    pub id: Uuid,
    #[schema(example = "person")]
    pub kind: &'static str,
    pub name: String,
    pub aliases: Vec<String>,
    #[schema(example = "adverse_party")]
    pub role: &'static str,
    pub date_of_birth: Option<NaiveDate>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub matter_ref: Option<String>,
    pub matter_status: Option<&'static str>,
    /// `manual`, `csv_import`, `intake` or `clio`.
    pub source: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&PartyRecord> for PartyOut {
    fn from(r: &PartyRecord) -> Self {
        let p = &r.party;
        PartyOut {
            id: p.id,
            kind: p.kind.as_str(),
            name: p.name.clone(),
            aliases: p.aliases.clone(),
            role: p.role.as_str(),
            date_of_birth: p.date_of_birth,
            phones: p.phones.clone(),
            emails: p.emails.clone(),
            matter_ref: p.matter_ref.clone(),
            matter_status: p.matter_status.map(|s| s.as_str()),
            source: r.source.as_str(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn text(field: &'static str, raw: &str, max: usize) -> Result<String, ParseError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ParseError::new(field, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(ParseError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(ParseError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(s.to_owned())
}

pub(crate) fn parse_kind(raw: Option<&str>) -> Result<PartyKind, ParseError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(PartyKind::Person),
        Some(k) => k
            .parse()
            .map_err(|_| ParseError::new("kind", format!("{k:?} is not person or organization"))),
    }
}

fn parse_role(raw: &str) -> Result<PartyRole, ParseError> {
    raw.trim().parse().map_err(|_| {
        ParseError::new(
            "role",
            format!(
                "{:?} is not one of client, former_client, adverse_party, related_party, opposing_counsel, prospective_client",
                raw.trim()
            ),
        )
    })
}

fn parse_status(raw: Option<&str>) -> Result<Option<MatterStatus>, ParseError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| {
            ParseError::new(
                "matter_status",
                format!("{s:?} is not open, pending or closed"),
            )
        }),
    }
}

pub(crate) fn parse_dob(d: Option<NaiveDate>) -> Result<Option<NaiveDate>, ParseError> {
    if let Some(d) = d {
        let today = Utc::now().date_naive();
        if d > today || d < NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid") {
            return Err(ParseError::new(
                "date_of_birth",
                "must be between 1900-01-01 and today",
            ));
        }
    }
    Ok(d)
}

/// Validates a party from its raw parts.
fn build(id: Uuid, p: PartyIn) -> Result<Party, ParseError> {
    if p.aliases.len() > 20 || p.phones.len() > 10 || p.emails.len() > 10 {
        return Err(ParseError::new(
            "aliases",
            "at most 20 aliases, 10 phones and 10 emails per party",
        ));
    }
    let aliases = p
        .aliases
        .iter()
        .map(|a| text("aliases", a, 200))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Party {
        id,
        kind: parse_kind(p.kind.as_deref())?,
        name: text("name", &p.name, 200)?,
        aliases,
        role: parse_role(&p.role)?,
        date_of_birth: parse_dob(p.date_of_birth)?,
        phones: p
            .phones
            .iter()
            .map(|x| E164::parse(x).map(|e| e.as_ref().to_owned()))
            .collect::<Result<_, _>>()?,
        emails: p
            .emails
            .iter()
            .map(|x| Email::parse(x).map(|e| e.as_ref().to_owned()))
            .collect::<Result<_, _>>()?,
        matter_ref: p
            .matter_ref
            .as_deref()
            .map(|m| text("matter_ref", m, 100))
            .transpose()?,
        matter_status: parse_status(p.matter_status.as_deref())?,
    })
}

/// Applies a party change everywhere: this node's index now, the others'
/// through pub/sub.
async fn changed(state: &AppState, tenant: TenantId, change: Change) {
    let event = match &change {
        Change::Upsert(p) => state.conflicts.party_event(tenant, p.id),
        Change::Remove(id) => state.conflicts.party_event(tenant, *id),
    };
    state.conflicts.apply(tenant, change);
    if let Err(e) = state.shared.publish(&event).await {
        tracing::warn!(error = %e, "could not publish a party change; other nodes see it after their next rebuild");
    }
}

/// Brings this node's index up to date after another node's event.
pub(crate) async fn on_event(state: &AppState, event: crate::conflict_index::PartyEvent) {
    use crate::conflict_index::PartyEvent;
    match event {
        PartyEvent::All(tenant) => state.conflicts.forget(tenant),
        // A tenant whose index this node does not keep reads the change
        // from the database when it builds one.
        PartyEvent::One(tenant, _, _) if !state.conflicts.is_tracked(tenant) => {}
        // Applied when this node made it (see `ConflictIndexes::node`).
        PartyEvent::One(_, _, node) if state.conflicts.is_own(node) => {}
        PartyEvent::One(tenant, id, _) => match state.store.scoped(tenant).party(id).await {
            Ok(Some(r)) => state.conflicts.apply(tenant, Change::Upsert(r.party)),
            Ok(None) => state.conflicts.apply(tenant, Change::Remove(id)),
            Err(e) => {
                tracing::warn!(error = %e, "could not re-read a changed party; rebuilding the index");
                state.conflicts.forget(tenant);
            }
        },
    }
}

/// Add a party to the index.
#[utoipa::path(
    post, path = "/api/v1/parties", tag = "conflicts",
    security(("bearer" = ["cases:write"])),
    request_body = PartyIn,
    responses(
        (status = 201, body = PartyOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn create_party(
    auth: Require<perm::WriteCases>,
    State(state): State<AppState>,
    client: ClientInfo,
    Json(req): Json<PartyIn>,
) -> ApiResult<(StatusCode, Json<PartyOut>)> {
    let party = build(Uuid::now_v7(), req)?;
    let rec = state
        .store
        .scoped(auth.tenant)
        .create_party(
            &party,
            PartySource::Manual,
            auth.audit(&client, "party.create"),
        )
        .await?;
    changed(&state, auth.tenant, Change::Upsert(rec.party.clone())).await;
    Ok((StatusCode::CREATED, Json((&rec).into())))
}

/// The documented CSV header for imports. Multiple aliases, phones or
/// emails in one cell are separated by `;`.
pub const CSV_COLUMNS: [&str; 9] = [
    "kind",
    "name",
    "aliases",
    "role",
    "date_of_birth",
    "phones",
    "emails",
    "matter_ref",
    "matter_status",
];

/// At most this many rows per import request.
pub const MAX_IMPORT_ROWS: usize = 10_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    pub imported: u64,
}

/// Parses a CSV import; errors name their line numbers.
pub(crate) fn parse_csv(body: &[u8]) -> Result<Vec<Party>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::BadRequest(format!("line 1: the CSV header cannot be read: {e}")))?
        .clone();
    let mut columns = std::collections::HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
        if !CSV_COLUMNS.contains(&h.as_str()) {
            return Err(ParseError::new(
                "csv",
                format!(
                    "line 1: unknown column {h:?}; the columns are {}",
                    CSV_COLUMNS.join(",")
                ),
            )
            .into());
        }
        if columns.insert(h.clone(), i).is_some() {
            return Err(
                ParseError::new("csv", format!("line 1: column {h:?} appears twice")).into(),
            );
        }
    }
    for required in ["name", "role"] {
        if !columns.contains_key(required) {
            return Err(ParseError::new(
                "csv",
                format!("line 1: the header needs a {required} column"),
            )
            .into());
        }
    }
    let mut parties = Vec::new();
    let mut errors = Vec::new();
    // Line numbers from byte offsets: the reader's own line count skips
    // blank lines, and a quoted cell may span several lines.
    let line_at = |byte: u64| {
        let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(body.len());
        // A record's offset can point at the blank lines before it.
        while end < body.len() && matches!(body[end], b'\n' | b'\r') {
            end += 1;
        }
        1 + body[..end].iter().filter(|&&b| b == b'\n').count()
    };
    for row in reader.records() {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                let why = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => {
                        format!("has {len} cells where the header has {expected_len}")
                    }
                    csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8".to_owned(),
                    _ => "cannot be read as CSV".to_owned(),
                };
                errors.push(format!("line {line}: the row {why}"));
                continue;
            }
        };
        let line = row.position().map_or(0, |p| line_at(p.byte()));
        if parties.len() + errors.len() >= MAX_IMPORT_ROWS {
            return Err(ParseError::new(
                "csv",
                format!("at most {MAX_IMPORT_ROWS} rows per import; split the file"),
            )
            .into());
        }
        let cell = |c: &str| columns.get(c).and_then(|&i| row.get(i)).unwrap_or("");
        let many = |c: &str| {
            cell(c)
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let dob = match cell("date_of_birth") {
            "" => Ok(None),
            d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| ParseError::new("date_of_birth", format!("{d:?} is not YYYY-MM-DD"))),
        };
        let opt = |c: &str| Some(cell(c)).filter(|s| !s.is_empty()).map(str::to_owned);
        let parsed = dob.and_then(|dob| {
            build(
                Uuid::now_v7(),
                PartyIn {
                    kind: opt("kind"),
                    name: cell("name").to_owned(),
                    aliases: many("aliases"),
                    role: cell("role").to_owned(),
                    date_of_birth: dob,
                    phones: many("phones"),
                    emails: many("emails"),
                    matter_ref: opt("matter_ref"),
                    matter_status: opt("matter_status"),
                },
            )
        });
        match parsed {
            Ok(p) => parties.push(p),
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    }
    if !errors.is_empty() {
        let shown: Vec<_> = errors.iter().take(20).cloned().collect();
        let more = errors.len().saturating_sub(shown.len());
        let mut message = format!(
            "{} row(s) are invalid and nothing was imported: {}",
            errors.len(),
            shown.join("; ")
        );
        if more > 0 {
            message.push_str(&format!("; and {more} more"));
        }
        return Err(ParseError::new("csv", message).into());
    }
    if parties.is_empty() {
        return Err(ParseError::new("csv", "the file has a header but no rows").into());
    }
    Ok(parties)
}

/// Import parties from CSV (`Content-Type: text/csv`), all or nothing.
///
/// Header (any order; `name` and `role` required):
/// `kind,name,aliases,role,date_of_birth,phones,emails,matter_ref,matter_status`.
/// Several aliases, phones or emails in one cell are separated by `;`;
/// dates are `YYYY-MM-DD`. At most 10,000 rows per request. A bad row fails
/// the whole import with 422 naming each bad line.
#[utoipa::path(
    post, path = "/api/v1/parties/import", tag = "conflicts",
    security(("bearer" = ["cases:write"])),
    request_body(content = String, content_type = "text/csv",
        example = "kind,name,aliases,role,date_of_birth,phones,emails,matter_ref,matter_status\nperson,William Turner,Bill Turner,client,1980-04-12,503-555-0100,bill@example.com,2024-PI-7,open\n"),
    responses(
        (status = 201, body = ImportResult),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "Bad rows, each named by line number; nothing imported", body = ErrorBody),
    )
)]
pub async fn import_parties(
    auth: Require<perm::WriteCases>,
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ImportResult>)> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("text/csv") {
        return Err(ApiError::UnsupportedMediaType(
            "send the file with Content-Type: text/csv",
        ));
    }
    let parties = parse_csv(&body)?;
    let imported = state
        .store
        .scoped(auth.tenant)
        .import_parties(
            &parties,
            PartySource::CsvImport,
            auth.audit(&client, "party.import")
                .details(serde_json::json!({ "rows": parties.len() })),
        )
        .await?;
    for p in parties {
        state.conflicts.apply(auth.tenant, Change::Upsert(p));
    }
    if let Err(e) = state.shared.publish(&parties_event(auth.tenant)).await {
        tracing::warn!(error = %e, "could not publish a party import");
    }
    Ok((StatusCode::CREATED, Json(ImportResult { imported })))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// A name to search for (fuzzy: nicknames, typos, phonetic spellings);
    /// results are ordered by how well they match.
    pub query: Option<String>,
    /// Without `query`: the page after this party id.
    pub after: Option<Uuid>,
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartyMatch {
    #[serde(flatten)]
    pub party: PartyOut,
    /// How well it matched the query (0 to 1).
    pub score: f32,
    /// Why it matched, e.g. `nickname(bill→william) + surname exact`.
    pub explanation: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartyList {
    pub parties: Vec<PartyMatch>,
    /// For paging without `query`: pass as `after`.
    pub next_after: Option<Uuid>,
}

/// List or search the parties index.
#[utoipa::path(
    get, path = "/api/v1/parties", tag = "conflicts",
    security(("bearer" = ["conflicts:read"])),
    params(ListQuery),
    responses(
        (status = 200, body = PartyList),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn list_parties(
    auth: Require<perm::ReadConflicts>,
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<PartyList>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::BadRequest("limit must be 1 to 200".into()));
    }
    let store = state.store.scoped(auth.tenant);
    let Some(query) = q.query.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        let page = store.list_parties(q.after, limit).await?;
        let next_after = (page.len() == limit as usize)
            .then(|| page.last().map(|p| p.party.id))
            .flatten();
        return Ok(Json(PartyList {
            parties: page
                .iter()
                .map(|r| PartyMatch {
                    party: r.into(),
                    score: 1.0,
                    explanation: String::new(),
                })
                .collect(),
            next_after,
        }));
    };
    if query.chars().count() > 200 {
        return Err(ApiError::BadRequest(
            "query must be at most 200 characters".into(),
        ));
    }
    let index = state.conflicts.get(&state.store, auth.tenant).await?;
    let probe = Probe {
        name: query.to_owned(),
        kind: None,
        role: NewMatterRole::Related,
        date_of_birth: None,
        phone: None,
        email: None,
    };
    let options = hermes_conflicts::CheckOptions {
        max_hits_per_probe: limit as usize,
        ..Default::default()
    };
    let mut hits = index
        .read()
        .expect("poisoned")
        .check(&[probe], &options)
        .hits;
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut parties = Vec::with_capacity(hits.len());
    for h in hits.into_iter().take(limit as usize) {
        if let Some(r) = store.party(h.party_id).await? {
            parties.push(PartyMatch {
                party: (&r).into(),
                score: h.score,
                explanation: h.explanation(),
            });
        }
    }
    Ok(Json(PartyList {
        parties,
        next_after: None,
    }))
}

/// One party.
#[utoipa::path(
    get, path = "/api/v1/parties/{id}", tag = "conflicts",
    security(("bearer" = ["conflicts:read"])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PartyOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get_party(
    auth: Require<perm::ReadConflicts>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<PartyOut>> {
    let id = parse_uuid("party", &id)?;
    let rec = state
        .store
        .scoped(auth.tenant)
        .party(id)
        .await?
        .ok_or(ApiError::NotFound("party"))?;
    Ok(Json((&rec).into()))
}

/// Change a party.
#[utoipa::path(
    patch, path = "/api/v1/parties/{id}", tag = "conflicts",
    security(("bearer" = ["cases:write"])),
    params(("id" = Uuid, Path)),
    request_body = PartyPatch,
    responses(
        (status = 200, body = PartyOut),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn update_party(
    auth: Require<perm::WriteCases>,
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<String>,
    Json(patch): Json<PartyPatch>,
) -> ApiResult<Json<PartyOut>> {
    let id = parse_uuid("party", &id)?;
    let store = state.store.scoped(auth.tenant);
    let cur = store
        .party(id)
        .await?
        .ok_or(ApiError::NotFound("party"))?
        .party;
    let merged = PartyIn {
        kind: Some(patch.kind.unwrap_or_else(|| cur.kind.as_str().to_owned())),
        name: patch.name.unwrap_or(cur.name),
        aliases: patch.aliases.unwrap_or(cur.aliases),
        role: patch.role.unwrap_or_else(|| cur.role.as_str().to_owned()),
        date_of_birth: patch.date_of_birth.unwrap_or(cur.date_of_birth),
        phones: patch.phones.unwrap_or(cur.phones),
        emails: patch.emails.unwrap_or(cur.emails),
        matter_ref: patch.matter_ref.unwrap_or(cur.matter_ref),
        matter_status: patch
            .matter_status
            .unwrap_or(cur.matter_status.map(|s| s.as_str().to_owned())),
    };
    let party = build(id, merged)?;
    let rec = store
        .update_party(&party, auth.audit(&client, "party.update"))
        .await
        .map_err(ApiError::store_for("party"))?;
    changed(&state, auth.tenant, Change::Upsert(rec.party.clone())).await;
    Ok(Json((&rec).into()))
}

/// Remove a party from the index.
#[utoipa::path(
    delete, path = "/api/v1/parties/{id}", tag = "conflicts",
    security(("bearer" = ["cases:write"])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn delete_party(
    auth: Require<perm::WriteCases>,
    State(state): State<AppState>,
    client: ClientInfo,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_uuid("party", &id)?;
    state
        .store
        .scoped(auth.tenant)
        .delete_party(id, auth.audit(&client, "party.delete"))
        .await
        .map_err(ApiError::store_for("party"))?;
    changed(&state, auth.tenant, Change::Remove(id)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds the parties of a completed intake to the index (source `intake`):
/// the caller as a `prospective_client`, the other side as what they are in
/// that matter. Rule 1.18 makes a prospective client's information
/// protected, so later checks must see them. Called by the intake agent
/// (issue 4); the parties' roles are the caller's choice.
pub async fn record_intake_parties(
    state: &AppState,
    tenant: TenantId,
    parties: Vec<Party>,
    audit: hermes_store::AuditEvent,
) -> ApiResult<u64> {
    if parties.is_empty() {
        return Ok(0);
    }
    let n = state
        .store
        .scoped(tenant)
        .import_parties(&parties, PartySource::Intake, audit)
        .await?;
    for p in parties {
        changed(state, tenant, Change::Upsert(p)).await;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(csv: &str) -> String {
        match parse_csv(csv.as_bytes()) {
            Err(ApiError::Invalid(e)) => e.reason,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn bad_rows_are_named_by_their_real_line() {
        let csv = "name,role\n\
                   Ann Lee,client\n\
                   \n\
                   Bob Roe,bishop\n\
                   \"Cy\nDee\",client\n\
                   Eve Poe,client,extra\n\
                   Fay Day,adverse_party\n";
        let e = errors(csv);
        assert!(e.contains("line 4: role:"), "{e}");
        // A quoted cell spanning lines 5 and 6 (and a name may not hold a
        // line break), so the short row is on line 7.
        assert!(e.contains("line 5: name:"), "{e}");
        assert!(
            e.contains("line 7: the row has 3 cells where the header has 2"),
            "{e}"
        );
        assert!(
            e.starts_with("3 row(s) are invalid and nothing was imported"),
            "{e}"
        );
    }

    #[test]
    fn good_files_parse_with_their_multi_value_cells() {
        let parties = parse_csv(
            "role,name,aliases,phones,date_of_birth\n\
             client,William Turner,Bill Turner; Will Turner,503-555-0100;+44 20 7946 0000,1980-04-12\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(parties.len(), 1);
        assert_eq!(parties[0].aliases, ["Bill Turner", "Will Turner"]);
        assert_eq!(parties[0].phones, ["+15035550100", "+442079460000"]);
        assert_eq!(parties[0].kind, PartyKind::Person);
    }

    #[test]
    fn headers_are_checked() {
        assert!(errors("name\nAnn,\n").contains("needs a role column"));
        assert!(errors("name,role,fax\nAnn,client,1\n").contains("unknown column \"fax\""));
        assert!(errors("name,role,name\nAnn,client,Ann\n").contains("appears twice"));
        assert!(errors("name,role\n").contains("no rows"));
    }
}
