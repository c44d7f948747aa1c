//! Pushes a finished intake into the firm's Clio account, step by step:
//! contact → matter (with the adverse parties related) → calendar entry
//! for the consultation → note with the summary → a communication for the
//! call → a task when the intake is urgent.
//!
//! Why it is built this way:
//! - **Durable.** The sync is an outbox job (kind `clio`) enqueued in the
//!   same transaction as the intake's final save, so a finished intake is
//!   never lost to a crash or a Clio outage; the outbox retries it with
//!   backoff and leaves it dead for an admin to retry when retrying cannot
//!   help.
//! - **Resumable.** Each step's outcome is recorded (`clio_sync_steps`)
//!   as soon as it is known; a job run again starts after the last step
//!   recorded, and the intake shows its status step by step.
//! - **Exactly once in effect.** A request can reach Clio and its answer
//!   be lost (a timeout, a crash before the step was recorded). So no step
//!   creates anything without first looking for what it would create, by
//!   a reference HERMES puts on it: the intake's id as an external
//!   property (calendar entries, communications), as the matter's
//!   `client_reference`, in the note's subject and the task's name, and
//!   for contacts the caller's email or phone (or, with neither, the exact
//!   name among contacts created since the intake ended).
//! - **Confidential.** Notes are visible to everyone at the firm: the note
//!   carries the intake's summary, never the transcript, and an intake
//!   waiting on a conflict review is not synced at all (ABA Model Rule
//!   1.18: what a prospective client said stays out of the shared file
//!   until the firm has decided it may act).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hermes_clio::{Client, ClioError};
use hermes_core::TenantId;
use hermes_intake::record::{Intake, IntakeStatus};
use hermes_intake::urgency::Urgency;
use hermes_notify::SendError;
use hermes_store::{NewOutboxJob, OutboxJob, OutboxKind};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::ApiError;
use crate::state::AppState;

/// The external property that marks what HERMES created for an intake.
pub const EXTERNAL_PROPERTY: &str = "hermes_intake";

/// The outbox job that syncs `intake` (one per intake, whatever enqueues
/// it twice).
pub fn job_for(intake: Uuid) -> NewOutboxJob {
    NewOutboxJob {
        kind: OutboxKind::Clio,
        dedupe_key: format!("clio-sync:{intake}"),
        payload: json!({ "intake_id": intake }),
    }
}

/// Whether a finished intake belongs in Clio: completed, or needing a
/// person's look for a reason other than an undecided conflict.
pub fn wants_sync(intake: &Intake) -> bool {
    let conflict_open = intake
        .conflict
        .as_ref()
        .is_some_and(|c| c.status != "clear");
    match intake.status {
        IntakeStatus::Completed => !conflict_open,
        IntakeStatus::NeedsReview => !conflict_open,
        _ => false,
    }
}

/// The reference HERMES leaves on what it creates for `intake`.
fn reference(intake: Uuid) -> String {
    format!("HERMES {intake}")
}

/// What a `clio` job does.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Payload {
    /// Push a finished intake.
    Intake { intake_id: Uuid },
    /// Bring the parties mirror up to date: `full` or `incremental`.
    Index { index: String },
    /// Post a finished intake to the firm's Clio Grow inbox.
    Grow { grow_intake_id: Uuid },
}

/// The job that syncs the firm's Clio parties: `full` (at connect, on an
/// admin's request) or `incremental` (on a schedule). `bucket` makes it
/// one job per occasion however many nodes enqueue it.
pub fn index_job(kind: &str, bucket: &str) -> NewOutboxJob {
    NewOutboxJob {
        kind: OutboxKind::Clio,
        dedupe_key: format!("clio-index:{kind}:{bucket}"),
        payload: json!({ "index": kind }),
    }
}

/// The outbox's handler for `clio` jobs.
pub struct ClioSync {
    pub state: AppState,
}

impl hermes_notify::JobHandler for ClioSync {
    fn handle<'a>(
        &'a self,
        tenant: TenantId,
        job: &'a OutboxJob,
        lease: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), SendError>> + Send + 'a>>
    {
        Box::pin(async move {
            let p: Payload = serde_json::from_value(job.payload.clone())
                .map_err(|e| SendError::permanent(format!("bad payload: {e}")))?;
            // Stop taking steps well before another node may take the job.
            let deadline = Instant::now() + lease.mul_f32(0.6);
            let done = match p {
                Payload::Intake { intake_id } => {
                    sync_intake(&self.state, tenant, intake_id, deadline).await
                }
                Payload::Grow { grow_intake_id } => {
                    crate::clio_grow::post_lead(&self.state, tenant, grow_intake_id).await
                }
                Payload::Index { index } if index == "full" => {
                    crate::clio_parties::full_sync(&self.state, tenant)
                        .await
                        .map(|_| ())
                }
                Payload::Index { .. } => crate::clio_parties::incremental_sync(&self.state, tenant)
                    .await
                    .map(|_| ()),
            };
            done.map_err(|e| {
                if e.transient {
                    SendError::transient(e.message)
                } else {
                    SendError::permanent(e.message)
                }
            })
        })
    }
}

/// Why a sync stopped.
#[derive(Debug)]
pub struct SyncError {
    pub transient: bool,
    pub message: String,
}

impl SyncError {
    pub(crate) fn transient(m: impl Into<String>) -> Self {
        SyncError {
            transient: true,
            message: m.into(),
        }
    }
    pub(crate) fn permanent(m: impl Into<String>) -> Self {
        SyncError {
            transient: false,
            message: m.into(),
        }
    }
}

impl From<ClioError> for SyncError {
    fn from(e: ClioError) -> Self {
        SyncError {
            transient: e.is_transient(),
            message: e.to_string(),
        }
    }
}

impl From<ApiError> for SyncError {
    fn from(e: ApiError) -> Self {
        // Not connected or needing a reconnect: the admin can fix that and
        // retry from the dead letters; a store hiccup comes back by itself.
        match &e {
            ApiError::Conflict { .. } => SyncError::permanent(e.to_string()),
            _ => SyncError::transient(e.to_string()),
        }
    }
}

impl From<hermes_store::StoreError> for SyncError {
    fn from(e: hermes_store::StoreError) -> Self {
        SyncError::transient(format!("store: {e}"))
    }
}

/// A step's result: the Clio record, or why there was nothing to do.
enum Outcome {
    Done(i64),
    Skipped(String),
}

#[derive(Debug, Deserialize)]
struct Id {
    id: i64,
}

#[derive(Debug, Deserialize)]
struct FoundContact {
    id: i64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    primary_email_address: Option<String>,
    #[serde(default)]
    primary_phone_number: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FoundMatter {
    id: i64,
    #[serde(default)]
    client_reference: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Named {
    id: i64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    subject: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ClioUser {
    id: i64,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    default_calendar_id: Option<i64>,
}

/// The last ten digits: how phone numbers are compared across formats.
fn digits(s: &str) -> String {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    d[d.len().saturating_sub(10)..].to_owned()
}

fn split_name(full: &str) -> (String, String) {
    let full = full.trim();
    match full.rsplit_once(' ') {
        Some((first, last)) => (first.trim().to_owned(), last.trim().to_owned()),
        None => (String::new(), full.to_owned()),
    }
}

/// Everything the steps need, read once.
struct Context {
    intake_id: Uuid,
    intake: Intake,
    reference: String,
    /// When the intake was saved for the last time (contacts created
    /// since then may be ours).
    finished_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    channel: String,
    practice_area_name: Option<String>,
    /// The booked consultation and its attorney's email.
    booking: Option<(hermes_store::Booking, Option<String>)>,
    /// The Clio user the connection acts as (a task's fallback assignee).
    connection_user: Option<i64>,
}

/// Runs (or resumes) the sync of one intake. Steps already recorded are
/// not taken again; steps are not started after `deadline`.
pub async fn sync_intake(
    state: &AppState,
    tenant: TenantId,
    intake_id: Uuid,
    deadline: Instant,
) -> Result<(), SyncError> {
    let store = state.store.scoped(tenant);
    let row = store
        .intake(intake_id)
        .await?
        .ok_or_else(|| SyncError::permanent("the intake no longer exists"))?;
    let intake: Intake = serde_json::from_value(row.document.clone())
        .map_err(|e| SyncError::permanent(format!("the intake cannot be read: {e}")))?;
    let client = crate::clio::client_for(state, tenant).await?;
    let connection_user = store
        .clio_connection()
        .await?
        .and_then(|c| c.clio_user["user"]["id"].as_i64());
    let practice_area_name = match &intake.practice_area {
        Some(key) => {
            let settings = store.firm_settings().await?;
            settings
                .practice_areas
                .unwrap_or_default()
                .areas
                .iter()
                .find(|a| a.key.as_ref() == key.as_str())
                .map(|a| a.display_name().to_owned())
                .or_else(|| Some(key.replace('_', " ")))
        }
        None => None,
    };
    let booking = match intake
        .booking
        .as_ref()
        .and_then(|b| b.id.parse::<Uuid>().ok())
    {
        Some(id) => match store.booking(id).await? {
            Some(b) => {
                let email = store
                    .attorney(b.attorney_id)
                    .await?
                    .and_then(|a| a.attorney.email);
                Some((b, email))
            }
            None => None,
        },
        None => None,
    };
    let cx = Context {
        intake_id,
        reference: reference(intake_id),
        finished_at: row.updated_at,
        created_at: row.created_at,
        channel: row.channel.clone(),
        intake,
        practice_area_name,
        booking,
        connection_user,
    };

    let done: std::collections::HashMap<String, hermes_store::ClioSyncStepRow> = store
        .clio_sync_steps(intake_id)
        .await?
        .into_iter()
        .map(|r| (r.step.clone(), r))
        .collect();
    let recorded = |step: &str| {
        done.get(step)
            .filter(|r| r.status != "failed")
            .map(|r| r.clio_id)
    };
    let mut users: Option<Vec<ClioUser>> = None;
    let mut contact: Option<i64> = None;
    let mut matter: Option<i64> = None;
    for step in hermes_store::CLIO_SYNC_STEPS {
        if let Some(id) = recorded(step) {
            match step {
                "contact" => contact = id,
                "matter" => matter = id,
                _ => {}
            }
            continue;
        }
        if Instant::now() >= deadline {
            return Err(SyncError::transient(format!(
                "paused before the {step} step (the job's lease is running out)"
            )));
        }
        let result = match step {
            "contact" => find_or_create_contact(&client, &cx).await,
            "matter" => {
                let users = attorney_users(&client, &mut users).await?;
                create_matter(&client, &cx, need(contact, "contact")?, users).await
            }
            "calendar_entry" => {
                let users = attorney_users(&client, &mut users).await?;
                calendar_entry(&client, &cx, need(matter, "matter")?, users).await
            }
            "note" => {
                note(
                    &client,
                    &cx,
                    need(contact, "contact")?,
                    need(matter, "matter")?,
                )
                .await
            }
            "communication" => {
                communication(
                    &client,
                    &cx,
                    need(contact, "contact")?,
                    need(matter, "matter")?,
                )
                .await
            }
            _ => {
                let users = attorney_users(&client, &mut users).await?;
                task(&client, &cx, need(matter, "matter")?, users).await
            }
        };
        match result {
            Ok(Outcome::Done(id)) => {
                store
                    .put_clio_sync_step(intake_id, step, "done", Some(id), None)
                    .await?;
                match step {
                    "contact" => contact = Some(id),
                    "matter" => matter = Some(id),
                    _ => {}
                }
            }
            Ok(Outcome::Skipped(why)) => {
                store
                    .put_clio_sync_step(intake_id, step, "skipped", None, Some(&why))
                    .await?;
            }
            Err(e) => {
                let e = SyncError::from(e);
                // Best effort: the job's own failure is what retries.
                let _ = store
                    .put_clio_sync_step(intake_id, step, "failed", None, Some(&e.message))
                    .await;
                return Err(SyncError {
                    transient: e.transient,
                    message: format!("{step}: {}", e.message),
                });
            }
        }
    }
    tracing::info!(%tenant, intake = %intake_id, "intake synced to Clio");
    Ok(())
}

fn need(id: Option<i64>, what: &str) -> Result<i64, SyncError> {
    id.ok_or_else(|| SyncError::permanent(format!("the {what} step left no Clio record")))
}

/// The firm's Clio users (for attorneys and their calendars), listed once
/// per run.
async fn attorney_users<'a>(
    client: &Client,
    cache: &'a mut Option<Vec<ClioUser>>,
) -> Result<&'a [ClioUser], SyncError> {
    if cache.is_none() {
        let users: Vec<ClioUser> = client
            .all("/users.json", "id,email,default_calendar_id", &[])
            .await?;
        *cache = Some(users);
    }
    Ok(cache.as_deref().unwrap_or_default())
}

/// The Clio user of the booked attorney, by email.
fn attorney_user<'a>(cx: &Context, users: &'a [ClioUser]) -> Option<&'a ClioUser> {
    let email = cx.booking.as_ref()?.1.as_deref()?;
    users.iter().find(|u| {
        u.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(email))
    })
}

async fn find_or_create_contact(client: &Client, cx: &Context) -> Result<Outcome, ClioError> {
    const FIELDS: &str = "id,name,primary_email_address,primary_phone_number";
    let i = &cx.intake;
    let name = i.field("name").unwrap_or("Unknown caller").to_owned();
    let email = i.field("email").map(str::to_owned);
    let phone = i.field("phone").map(str::to_owned);
    if let Some(email) = &email {
        let found: Vec<FoundContact> = client
            .get("/contacts.json", FIELDS, &[("query", email.clone())])
            .await?;
        if let Some(c) = found.iter().find(|c| {
            c.primary_email_address
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        }) {
            return Ok(Outcome::Done(c.id));
        }
    }
    if let Some(phone) = &phone {
        let want = digits(phone);
        let found: Vec<FoundContact> = client
            .get("/contacts.json", FIELDS, &[("query", want.clone())])
            .await?;
        if let Some(c) = found.iter().find(|c| {
            c.primary_phone_number
                .as_deref()
                .is_some_and(|p| digits(p) == want)
        }) {
            return Ok(Outcome::Done(c.id));
        }
    }
    if email.is_none() && phone.is_none() {
        // Nothing to match a person by but their name: only a contact
        // created since the intake ended can be one this sync made.
        let found: Vec<FoundContact> = client
            .get(
                "/contacts.json",
                FIELDS,
                &[
                    ("query", name.clone()),
                    ("created_since", cx.finished_at.to_rfc3339()),
                ],
            )
            .await?;
        if let Some(c) = found.iter().find(|c| {
            c.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&name))
        }) {
            return Ok(Outcome::Done(c.id));
        }
    }
    let (first, last) = split_name(&name);
    let mut data = json!({
        "type": "Person",
        "name": name,
        "first_name": first,
        "last_name": last,
    });
    if let Some(email) = email {
        data["email_addresses"] =
            json!([{ "name": "Other", "address": email, "default_email": true }]);
    }
    if let Some(phone) = phone {
        data["phone_numbers"] =
            json!([{ "name": "Mobile", "number": phone, "default_number": true }]);
    }
    let created: Id = client.post("/contacts.json", "id", data).await?;
    Ok(Outcome::Done(created.id))
}

/// A contact for an adverse party: the one with exactly this name, else a
/// new person.
async fn party_contact(client: &Client, name: &str) -> Result<i64, ClioError> {
    let found: Vec<FoundContact> = client
        .get("/contacts.json", "id,name", &[("query", name.to_owned())])
        .await?;
    if let Some(c) = found.iter().find(|c| {
        c.name
            .as_deref()
            .is_some_and(|n| n.trim().eq_ignore_ascii_case(name.trim()))
    }) {
        return Ok(c.id);
    }
    let (first, last) = split_name(name);
    let created: Id = client
        .post(
            "/contacts.json",
            "id",
            json!({ "type": "Person", "name": name, "first_name": first, "last_name": last }),
        )
        .await?;
    Ok(created.id)
}

async fn create_matter(
    client: &Client,
    cx: &Context,
    contact: i64,
    users: &[ClioUser],
) -> Result<Outcome, ClioError> {
    let existing: Vec<FoundMatter> = client
        .all(
            "/matters.json",
            "id,client_reference",
            &[("client_id", contact.to_string())],
        )
        .await?;
    if let Some(m) = existing
        .iter()
        .find(|m| m.client_reference.as_deref() == Some(cx.reference.as_str()))
    {
        return Ok(Outcome::Done(m.id));
    }
    let i = &cx.intake;
    let area = cx.practice_area_name.clone();
    let mut description = match &area {
        Some(a) => format!("{a} — new inquiry by phone intake"),
        None => "New inquiry by phone intake".to_owned(),
    };
    if cx.channel == "text" {
        description = description.replace("by phone intake", "by web intake");
    }
    let mut data = json!({
        "client": { "id": contact },
        "description": description,
        "status": "pending",
        "client_reference": cx.reference,
        "pending_date": cx.finished_at.date_naive().to_string(),
    });
    if let Some(area) = &area {
        let found: Vec<Named> = client
            .get("/practice_areas.json", "id,name", &[("name", area.clone())])
            .await?;
        if let Some(p) = found.iter().find(|p| {
            p.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(area))
        }) {
            data["practice_area"] = json!({ "id": p.id });
        }
    }
    if let Some(u) = attorney_user(cx, users) {
        data["responsible_attorney"] = json!({ "id": u.id });
    }
    let mut relationships = Vec::new();
    for p in i.parties.iter().filter(|p| p.role == "adverse") {
        let id = party_contact(client, &p.name).await?;
        relationships.push(json!({ "description": "Opposing party", "contact": { "id": id } }));
    }
    if !relationships.is_empty() {
        data["relationships"] = Value::Array(relationships);
    }
    let created: Id = client.post("/matters.json", "id", data).await?;
    Ok(Outcome::Done(created.id))
}

/// The record of `path` carrying this intake's external property. The
/// answer is checked, not trusted: a record counts only if it carries the
/// property with this intake's id.
async fn by_external_property(
    client: &Client,
    path: &str,
    cx: &Context,
) -> Result<Option<i64>, ClioError> {
    #[derive(Debug, Deserialize)]
    struct Marked {
        id: i64,
        #[serde(default)]
        external_properties: Vec<Property>,
    }
    #[derive(Debug, Deserialize)]
    struct Property {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        value: Option<String>,
    }
    let want = cx.intake_id.to_string();
    let found: Vec<Marked> = client
        .get(
            path,
            "id,external_properties{name,value}",
            &[
                ("external_property_name", EXTERNAL_PROPERTY.to_owned()),
                ("external_property_value", want.clone()),
            ],
        )
        .await?;
    Ok(found
        .iter()
        .find(|r| {
            r.external_properties.iter().any(|p| {
                p.name.as_deref() == Some(EXTERNAL_PROPERTY) && p.value.as_deref() == Some(&want)
            })
        })
        .map(|r| r.id))
}

async fn calendar_entry(
    client: &Client,
    cx: &Context,
    matter: i64,
    users: &[ClioUser],
) -> Result<Outcome, ClioError> {
    let Some((booking, email)) = &cx.booking else {
        return Ok(Outcome::Skipped("no consultation was booked".into()));
    };
    let Some(calendar) = attorney_user(cx, users).and_then(|u| u.default_calendar_id) else {
        return Ok(Outcome::Skipped(match email {
            Some(e) => format!("no Clio user with a calendar has the attorney's email {e}"),
            None => "the attorney has no email to find their Clio user by".into(),
        }));
    };
    if let Some(id) = by_external_property(client, "/calendar_entries.json", cx).await? {
        return Ok(Outcome::Done(id));
    }
    let name = cx.intake.field("name").unwrap_or("caller");
    let tentative = if cx.intake.booking.as_ref().is_some_and(|b| b.tentative) {
        " (tentative)"
    } else {
        ""
    };
    let created: Id = client
        .post(
            "/calendar_entries.json",
            "id",
            calendar_entry_body(
                &format!("Consultation: {name}{tentative}"),
                &cx.reference,
                (booking.starts_at, booking.ends_at),
                calendar,
                matter,
                cx.intake_id,
            ),
        )
        .await?;
    Ok(Outcome::Done(created.id))
}

/// The calendar entry for a consultation, as HERMES posts it (public so
/// that its shape is checked against Clio's published document).
pub fn calendar_entry_body(
    summary: &str,
    reference: &str,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    calendar: i64,
    matter: i64,
    intake: Uuid,
) -> Value {
    json!({
        "summary": summary,
        "description": format!("Booked by the HERMES receptionist. {reference}"),
        "start_at": start.to_rfc3339(),
        "end_at": end.to_rfc3339(),
        "calendar_owner": { "id": calendar },
        "matter": { "id": matter },
        "external_properties": [
            { "name": EXTERNAL_PROPERTY, "value": intake.to_string() }
        ],
    })
}

async fn note(
    client: &Client,
    cx: &Context,
    contact: i64,
    matter: i64,
) -> Result<Outcome, ClioError> {
    let found: Vec<Named> = client
        .get(
            "/notes.json",
            "id,subject",
            &[("matter_id", matter.to_string()), ("type", "Matter".into())],
        )
        .await?;
    if let Some(n) = found.iter().find(|n| {
        n.subject
            .as_deref()
            .is_some_and(|s| s.contains(&cx.reference))
    }) {
        return Ok(Outcome::Done(n.id));
    }
    let summary = cx
        .intake
        .summary
        .clone()
        .unwrap_or_else(|| cx.intake.local_summary());
    let created: Id = client
        .post(
            "/notes.json",
            "id",
            json!({
                "type": "Matter",
                "matter": { "id": matter },
                "contact": { "id": contact },
                "subject": format!("Intake summary ({})", cx.reference),
                "detail": format!(
                    "{summary}\n\nThe full intake, transcript and recording (if consented) are in HERMES."
                ),
                "date": cx.finished_at.date_naive().to_string(),
            }),
        )
        .await?;
    Ok(Outcome::Done(created.id))
}

async fn communication(
    client: &Client,
    cx: &Context,
    contact: i64,
    matter: i64,
) -> Result<Outcome, ClioError> {
    if let Some(id) = by_external_property(client, "/communications.json", cx).await? {
        return Ok(Outcome::Done(id));
    }
    let name = cx.intake.field("name").unwrap_or("a caller");
    let (subject, body) = if cx.channel == "voice" {
        (
            format!("Call from {name}"),
            "Answered by the HERMES receptionist; intake taken.",
        )
    } else {
        (
            format!("Web intake from {name}"),
            "Intake taken by the HERMES receptionist's web chat.",
        )
    };
    let created: Id = client
        .post(
            "/communications.json",
            "id",
            json!({
                "type": "PhoneCommunication",
                "subject": subject,
                "body": format!("{body} {}", cx.reference),
                "received_at": cx.created_at.to_rfc3339(),
                "matter": { "id": matter },
                "senders": [{ "id": contact, "type": "Contact" }],
                "external_properties": [
                    { "name": EXTERNAL_PROPERTY, "value": cx.intake_id.to_string() }
                ],
            }),
        )
        .await?;
    Ok(Outcome::Done(created.id))
}

async fn task(
    client: &Client,
    cx: &Context,
    matter: i64,
    users: &[ClioUser],
) -> Result<Outcome, ClioError> {
    if !matches!(cx.intake.urgency, Urgency::Urgent | Urgency::Emergency) {
        return Ok(Outcome::Skipped("the intake is not urgent".into()));
    }
    let Some(assignee) = attorney_user(cx, users)
        .map(|u| u.id)
        .or(cx.connection_user)
    else {
        return Ok(Outcome::Skipped(
            "no Clio user to assign the callback to".into(),
        ));
    };
    let found: Vec<Named> = client
        .get(
            "/tasks.json",
            "id,name",
            &[("matter_id", matter.to_string())],
        )
        .await?;
    if let Some(t) = found
        .iter()
        .find(|t| t.name.as_deref().is_some_and(|n| n.contains(&cx.reference)))
    {
        return Ok(Outcome::Done(t.id));
    }
    let i = &cx.intake;
    let who = i.field("name").unwrap_or("the caller");
    let phone = i.field("phone").unwrap_or("no number given");
    let reasons = i
        .triage
        .as_ref()
        .map(|t| {
            t.reasons
                .iter()
                .map(|r| format!("{r:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let created: Id = client
        .post(
            "/tasks.json",
            "id",
            task_body(
                &format!("Urgent callback: {who} ({})", cx.reference),
                &format!("Call back {who} at {phone}. Flagged urgent: {reasons}."),
                assignee,
                matter,
                Utc::now(),
            ),
        )
        .await?;
    Ok(Outcome::Done(created.id))
}

/// The urgent-callback task, as HERMES posts it (public so that its shape
/// is checked against Clio's published document).
pub fn task_body(
    name: &str,
    description: &str,
    assignee: i64,
    matter: i64,
    due: DateTime<Utc>,
) -> Value {
    json!({
        "name": name,
        "description": description,
        "assignee": { "id": assignee, "type": "User" },
        "matter": { "id": matter },
        "priority": "High",
        "due_at": due.to_rfc3339(),
    })
}

// --- what staff see, and an admin's retry -----------------------------------

/// An intake's Clio sync.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ClioSyncOut {
    /// `pending` (queued), `retrying` (an attempt failed; another is
    /// scheduled), `syncing`, `synced`, or `dead` (an admin must fix the
    /// cause — often a Clio reconnect — and retry).
    pub status: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub steps: Vec<ClioSyncStepOut>,
}

/// One step of it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ClioSyncStepOut {
    /// `contact`, `matter`, `calendar_entry`, `note`, `communication` or
    /// `task`.
    pub step: String,
    /// `done`, `skipped` or `failed`.
    pub status: String,
    /// The Clio record's id.
    pub clio_id: Option<i64>,
    /// Why it was skipped, or how it failed.
    pub detail: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// The intake's sync, `None` when it was never queued.
pub async fn status_of(
    state: &AppState,
    tenant: TenantId,
    intake: Uuid,
) -> Result<Option<ClioSyncOut>, hermes_store::StoreError> {
    let store = state.store.scoped(tenant);
    let Some(job) = store.outbox_job_by_key(&job_for(intake).dedupe_key).await? else {
        return Ok(None);
    };
    let steps = store
        .clio_sync_steps(intake)
        .await?
        .into_iter()
        .map(|r| ClioSyncStepOut {
            step: r.step,
            status: r.status,
            clio_id: r.clio_id,
            detail: r.detail,
            updated_at: r.updated_at,
        })
        .collect();
    let status = match job.status {
        hermes_store::OutboxStatus::Pending if job.attempts > 0 => "retrying",
        hermes_store::OutboxStatus::Pending => "pending",
        hermes_store::OutboxStatus::Leased => "syncing",
        hermes_store::OutboxStatus::Sent => "synced",
        hermes_store::OutboxStatus::Dead => "dead",
    };
    Ok(Some(ClioSyncOut {
        status: status.to_owned(),
        attempts: job.attempts,
        last_error: job.last_error,
        next_attempt_at: (job.status == hermes_store::OutboxStatus::Pending)
            .then_some(job.next_attempt_at),
        steps,
    }))
}

/// The Clio jobs a finished intake queues with its final save: the Manage
/// sync when the firm has connected Clio, the Grow lead when it has a
/// Grow inbox; none for an intake that does not belong in Clio.
pub async fn jobs_for_finished(
    state: &AppState,
    tenant: TenantId,
    intake_id: Uuid,
    intake: &Intake,
) -> Vec<NewOutboxJob> {
    let mut jobs = Vec::new();
    if !wants_sync(intake) {
        return jobs;
    }
    if connected(state, tenant).await {
        jobs.push(job_for(intake_id));
    }
    if crate::clio_grow::configured(state, tenant).await {
        jobs.push(crate::clio_grow::job_for(intake_id));
    }
    jobs
}

/// Whether the firm has a Clio connection (in any state: a sync queued
/// while it needs a reconnect waits in the dead letters for the admin).
pub async fn connected(state: &AppState, tenant: TenantId) -> bool {
    match state.store.scoped(tenant).clio_connection().await {
        Ok(c) => c.is_some(),
        Err(e) => {
            // Queue it anyway: a sync that finds no connection says so.
            tracing::warn!(%tenant, error = %e, "could not read the Clio connection");
            true
        }
    }
}

/// Sync (again) an intake's Clio records now: a dead sync is retried, one
/// never queued (the firm connected Clio after the intake) is queued.
/// Admins only; audited.
#[utoipa::path(
    post, path = "/api/v1/intakes/{id}/clio-sync/retry", tag = "intake",
    security(("bearer" = ["integrations:manage"])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 202, body = ClioSyncOut),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
    )
)]
pub async fn retry_sync(
    auth: crate::auth::Require<crate::auth::perm::ManageIntegrations>,
    axum::extract::State(state): axum::extract::State<AppState>,
    client: crate::client::ClientInfo,
    crate::extract::Path(id): crate::extract::Path<String>,
) -> crate::error::ApiResult<(axum::http::StatusCode, crate::extract::Json<ClioSyncOut>)> {
    let id = crate::routes::attorneys::parse_uuid("intake", &id)?;
    let tenant = auth.tenant;
    let store = state.store.scoped(tenant);
    let row = store
        .intake(id)
        .await?
        .ok_or(ApiError::NotFound("intake"))?;
    if store.clio_connection().await?.is_none() {
        return Err(ApiError::Conflict {
            code: "clio_not_connected",
            message: "the firm has not connected Clio".into(),
        });
    }
    let intake: Intake = serde_json::from_value(row.document).map_err(ApiError::internal)?;
    if !wants_sync(&intake) {
        return Err(ApiError::Conflict {
            code: "not_for_clio",
            message: "only a finished intake without an open conflict review goes to Clio".into(),
        });
    }
    let key = job_for(id).dedupe_key;
    match store.outbox_job_by_key(&key).await? {
        Some(job) if job.status == hermes_store::OutboxStatus::Dead => {
            store
                .retry_outbox_job(job.id, auth.audit(&client, "clio.sync_retry"))
                .await?;
        }
        Some(_) => {
            return Err(ApiError::Conflict {
                code: "clio_sync_not_dead",
                message: "the sync is queued, running or done; only a dead one is retried".into(),
            });
        }
        None => {
            store
                .enqueue_outbox(&[job_for(id)], auth.audit(&client, "clio.sync_retry"))
                .await?;
        }
    }
    state.notify.wake.notify_one();
    let out = status_of(&state, tenant, id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the sync job vanished")))?;
    Ok((axum::http::StatusCode::ACCEPTED, crate::extract::Json(out)))
}

/// Tells the firm's admins by email that Clio must be reconnected (once
/// per broken connection); without email, the dashboard's connection
/// status is what tells them.
pub async fn tell_admins_to_reconnect(state: &AppState, tenant: TenantId) {
    let store = state.store.scoped(tenant);
    if !state.notify.email {
        tracing::warn!(%tenant, "Clio needs a reconnect; email is not configured to tell the admins");
        return;
    }
    let since = match store.clio_connection().await {
        Ok(Some(c)) => c.connected_at,
        _ => return,
    };
    let users = match store.list_users().await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(%tenant, error = %e, "could not list the admins to tell about Clio");
            return;
        }
    };
    let jobs: Vec<NewOutboxJob> = users
        .iter()
        .filter(|u| u.active && u.role == hermes_core::Role::Admin)
        .filter_map(|u| {
            serde_json::to_value(hermes_notify::EmailPayload {
                to: u.email.as_ref().to_owned(),
                subject: "HERMES: reconnect Clio".into(),
                body: "Clio refused to renew HERMES's access to your firm's Clio account, so new \
                       intakes are waiting to be synced. Please sign in to HERMES as an admin and \
                       connect Clio again (Settings → Clio); then retry the waiting syncs."
                    .into(),
            })
            .ok()
            .map(|payload| NewOutboxJob {
                kind: OutboxKind::Email,
                dedupe_key: format!("clio-reconnect:{}:{}", since.timestamp(), u.id),
                payload,
            })
        })
        .collect();
    if jobs.is_empty() {
        return;
    }
    match store
        .enqueue_outbox(
            &jobs,
            hermes_store::AuditEvent::new(hermes_store::Actor::System, "clio.reconnect_notice"),
        )
        .await
    {
        Ok(_) => state.notify.wake.notify_one(),
        Err(e) => {
            tracing::error!(%tenant, error = %e, "could not queue the Clio reconnect notice")
        }
    }
}
