//! The firm's Clio records in the conflict check.
//!
//! A conflict check that does not see the firm's Clio contacts is not a
//! conflict check. So the contacts, matters and relationships of the
//! firm's Clio are mirrored (`clio_mirror`): a full sync downloads them
//! page by page, an incremental one asks for what changed since the last
//! (`updated_since`), and webhooks bring single changes as they happen.
//! From the mirror the Clio-sourced parties are derived — the client of
//! an open or pending matter is a current client, of a closed one a former
//! client; a contact related to a matter as the opposing party (or
//! counsel) is one — and they replace the previous Clio parties in one
//! transaction, after which every node's conflict index is rebuilt.
//!
//! Why derive from a mirror instead of from the API answers directly: a
//! change to one matter (closed, say) changes its client's role, and an
//! incremental sync only sees the matter; with the mirror the roles are
//! always computed from the whole picture, without a full download.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hermes_conflicts::{MatterStatus, Party, PartyKind, PartyRole};
use hermes_core::TenantId;
use hermes_store::{Actor, AuditEvent, ClioMirrorRow, PartySource};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::clio_sync::SyncError;
use crate::conflict_index::parties_event;
use crate::state::AppState;

pub(crate) const CONTACT_FIELDS: &str =
    "id,name,type,primary_email_address,primary_phone_number,updated_at";
pub(crate) const MATTER_FIELDS: &str = "id,display_number,description,status,client{id},updated_at";
const RELATIONSHIP_FIELDS: &str = "id,description,contact{id},matter{id},updated_at";

/// The three lists, each with its API path.
const KINDS: [(&str, &str, &str); 3] = [
    ("contact", "/contacts.json", CONTACT_FIELDS),
    ("matter", "/matters.json", MATTER_FIELDS),
    ("relationship", "/relationships.json", RELATIONSHIP_FIELDS),
];

fn rows_of(kind: &str, records: Vec<Value>) -> Vec<ClioMirrorRow> {
    records
        .into_iter()
        .filter_map(|r| {
            Some(ClioMirrorRow {
                kind: kind.to_owned(),
                clio_id: r["id"].as_i64()?,
                data: r,
            })
        })
        .collect()
}

/// Downloads everything, replaces the mirror and the Clio parties.
/// Returns how many parties the firm's Clio gives the conflict check.
pub async fn full_sync(state: &AppState, tenant: TenantId) -> Result<u64, SyncError> {
    let client = crate::clio::client_for(state, tenant).await?;
    let began = Utc::now();
    let mut rows = Vec::new();
    for (kind, path, fields) in KINDS {
        let records: Vec<Value> = client.all(path, fields, &[("limit", "200".into())]).await?;
        rows.extend(rows_of(kind, records));
    }
    let store = state.store.scoped(tenant);
    store.replace_clio_mirror(&rows, began).await?;
    watch(state, tenant, &client).await;
    rederive(state, tenant, "clio.full_sync").await
}

/// What changed since the last sync (a full one when there was none).
pub async fn incremental_sync(state: &AppState, tenant: TenantId) -> Result<u64, SyncError> {
    let store = state.store.scoped(tenant);
    let Some(since) = store.clio_index_state().await?.and_then(|s| s.synced_since) else {
        return full_sync(state, tenant).await;
    };
    let client = crate::clio::client_for(state, tenant).await?;
    let began = Utc::now();
    let mut rows = Vec::new();
    for (kind, path, fields) in KINDS {
        let records: Vec<Value> = client
            .all(
                path,
                fields,
                &[
                    ("limit", "200".into()),
                    ("updated_since", since.to_rfc3339()),
                ],
            )
            .await?;
        rows.extend(rows_of(kind, records));
    }
    store.update_clio_mirror(&rows, &[], Some(began)).await?;
    watch(state, tenant, &client).await;
    if rows.is_empty() {
        return Ok(0);
    }
    rederive(state, tenant, "clio.incremental_sync").await
}

/// Webhooks set up or renewed, and the attorneys' Clio calendars read; a
/// failure only delays changes until the next sync, so it does not fail
/// this one.
async fn watch(state: &AppState, tenant: TenantId, client: &hermes_clio::Client) {
    if let Err(e) = crate::clio_webhooks::ensure(state, tenant, client).await {
        tracing::warn!(%tenant, error = %e.message, "could not set up the Clio webhooks");
    }
    if let Err(e) = sync_busy(state, tenant, client).await {
        tracing::warn!(%tenant, error = %e.message, "could not read the attorneys' Clio calendars");
    }
}

/// How far ahead the attorneys' Clio calendars are read.
const BUSY_HORIZON_DAYS: i64 = 60;

/// Each attorney's Clio calendar (their Clio user's, found by email) as
/// busy time for scheduling: the entries of the next 60 days, recurring
/// ones expanded by Clio, except the consultations HERMES itself put
/// there (their bookings already hold the time).
pub async fn sync_busy(
    state: &AppState,
    tenant: TenantId,
    client: &hermes_clio::Client,
) -> Result<(), SyncError> {
    #[derive(serde::Deserialize)]
    struct User {
        #[serde(default)]
        email: Option<String>,
        #[serde(default)]
        default_calendar_id: Option<i64>,
    }
    let store = state.store.scoped(tenant);
    let attorneys = store.list_attorneys().await?;
    let users: Vec<User> = client
        .all("/users.json", "id,email,default_calendar_id", &[])
        .await?;
    let from = Utc::now();
    let to = from + chrono::Duration::days(BUSY_HORIZON_DAYS);
    for a in attorneys.iter().filter(|a| a.attorney.active) {
        let Some(email) = a.attorney.email.as_deref() else {
            continue;
        };
        let Some(calendar) = users
            .iter()
            .find(|u| {
                u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .and_then(|u| u.default_calendar_id)
        else {
            continue;
        };
        let entries: Vec<Value> = client
            .all(
                "/calendar_entries.json",
                "id,start_at,end_at,all_day,external_properties{name,value}",
                &[
                    ("calendar_id", calendar.to_string()),
                    ("from", from.to_rfc3339()),
                    ("to", to.to_rfc3339()),
                    ("expanded", "true".into()),
                    ("limit", "200".into()),
                ],
            )
            .await?;
        let at = |v: &Value| {
            v.as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        let intervals: Vec<(DateTime<Utc>, DateTime<Utc>)> = entries
            .iter()
            .filter(|e| {
                !e["external_properties"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["name"] == crate::clio_sync::EXTERNAL_PROPERTY)
                })
            })
            .filter_map(|e| Some((at(&e["start_at"])?, at(&e["end_at"])?)))
            .filter(|(s, e)| s < e)
            .collect();
        store
            .replace_external_busy(a.id, "clio", &intervals)
            .await?;
    }
    Ok(())
}

/// One record changed or went (a webhook): the mirror, then the parties.
pub async fn apply_change(
    state: &AppState,
    tenant: TenantId,
    kind: &str,
    record: Option<Value>,
    deleted: Option<i64>,
) -> Result<u64, SyncError> {
    let store = state.store.scoped(tenant);
    let rows = record.map(|r| rows_of(kind, vec![r])).unwrap_or_default();
    let removed: Vec<(String, i64)> = deleted
        .map(|id| (kind.to_owned(), id))
        .into_iter()
        .collect();
    store.update_clio_mirror(&rows, &removed, None).await?;
    rederive(state, tenant, "clio.webhook").await
}

/// Re-derives the Clio parties from the mirror and swaps them in.
async fn rederive(
    state: &AppState,
    tenant: TenantId,
    action: &'static str,
) -> Result<u64, SyncError> {
    let store = state.store.scoped(tenant);
    let mirror = store.clio_mirror().await?;
    let parties = derive(&mirror);
    let n = store
        .replace_parties_from(
            PartySource::Clio,
            &parties,
            AuditEvent::new(Actor::System, action),
        )
        .await?;
    // Every node's index is rebuilt from the table (as after an import).
    state.conflicts.forget(tenant);
    if let Err(e) = state.shared.publish(&parties_event(tenant)).await {
        tracing::warn!(%tenant, error = %e, "could not publish the Clio parties change");
    }
    tracing::info!(%tenant, parties = n, "Clio parties derived");
    Ok(n)
}

/// A party's stable id: the same Clio contact in the same matter and role
/// keeps its id across syncs.
fn party_id(contact: i64, matter: i64, role: PartyRole) -> Uuid {
    let digest = Sha256::digest(format!("clio:{contact}:{matter}:{}", role.as_str()));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

fn matter_status(m: &Value) -> Option<MatterStatus> {
    match m["status"].as_str()? {
        "open" | "Open" => Some(MatterStatus::Open),
        "pending" | "Pending" => Some(MatterStatus::Pending),
        "closed" | "Closed" => Some(MatterStatus::Closed),
        _ => None,
    }
}

/// How a relationship's description reads as a role on the other side.
fn relationship_role(description: &str) -> PartyRole {
    let d = description.to_lowercase();
    if d.contains("counsel") || d.contains("attorney for") || d.contains("lawyer for") {
        PartyRole::OpposingCounsel
    } else if [
        "opposing",
        "adverse",
        "defendant",
        "plaintiff",
        "respondent",
        "petitioner",
        "other side",
        "other party",
        "spouse",
        "insurer",
    ]
    .iter()
    .any(|w| d.contains(w))
    {
        PartyRole::AdverseParty
    } else {
        PartyRole::RelatedParty
    }
}

/// The conflict check's parties from the mirror: one per contact, matter
/// and role. Contacts on no matter are not parties to anything.
pub fn derive(mirror: &[ClioMirrorRow]) -> Vec<Party> {
    let by = |kind: &str| -> HashMap<i64, &Value> {
        mirror
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| (r.clio_id, &r.data))
            .collect()
    };
    let contacts = by("contact");
    let matters = by("matter");
    let mut out = Vec::new();
    let mut push = |contact_id: i64, matter_id: i64, matter: &Value, role: PartyRole| {
        let Some(c) = contacts.get(&contact_id) else {
            return;
        };
        let Some(name) = c["name"].as_str().filter(|n| !n.trim().is_empty()) else {
            return;
        };
        let status = matter_status(matter);
        // A client whose matter is closed is a former client.
        let role = match (role, status) {
            (PartyRole::Client, Some(MatterStatus::Closed)) => PartyRole::FormerClient,
            (r, _) => r,
        };
        out.push(Party {
            id: party_id(contact_id, matter_id, role),
            kind: if c["type"].as_str() == Some("Company") {
                PartyKind::Organization
            } else {
                PartyKind::Person
            },
            name: name.trim().to_owned(),
            aliases: Vec::new(),
            role,
            date_of_birth: None,
            phones: c["primary_phone_number"]
                .as_str()
                .map(|p| vec![p.to_owned()])
                .unwrap_or_default(),
            emails: c["primary_email_address"]
                .as_str()
                .map(|e| vec![e.to_owned()])
                .unwrap_or_default(),
            matter_ref: matter["display_number"]
                .as_str()
                .or(matter["description"].as_str())
                .map(str::to_owned),
            matter_status: status,
        });
    };
    let mut matter_ids: Vec<&i64> = matters.keys().collect();
    matter_ids.sort();
    for id in matter_ids {
        let m = matters[id];
        if let Some(client) = m["client"]["id"].as_i64() {
            push(client, *id, m, PartyRole::Client);
        }
    }
    let mut rels: Vec<&ClioMirrorRow> =
        mirror.iter().filter(|r| r.kind == "relationship").collect();
    rels.sort_by_key(|r| r.clio_id);
    for r in rels {
        let (Some(contact), Some(matter_id)) = (
            r.data["contact"]["id"].as_i64(),
            r.data["matter"]["id"].as_i64(),
        ) else {
            continue;
        };
        let Some(m) = matters.get(&matter_id) else {
            continue;
        };
        let role = relationship_role(r.data["description"].as_str().unwrap_or_default());
        push(contact, matter_id, m, role);
    }
    // The same contact twice in one matter and role (two relationships)
    // is one party.
    out.sort_by_key(|p| p.id);
    out.dedup_by_key(|p| p.id);
    out
}

/// When the mirror was last brought up to date, for the connection's
/// status.
pub async fn last_synced(state: &AppState, tenant: TenantId) -> Option<DateTime<Utc>> {
    state
        .store
        .scoped(tenant)
        .clio_index_state()
        .await
        .ok()
        .flatten()
        .map(|s| s.updated_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(kind: &str, data: Value) -> ClioMirrorRow {
        ClioMirrorRow {
            kind: kind.into(),
            clio_id: data["id"].as_i64().unwrap(),
            data,
        }
    }

    #[test]
    fn roles_come_from_matters_and_relationships() {
        let mirror = vec![
            row(
                "contact",
                json!({"id": 1, "name": "Carlos Lopez", "type": "Person", "primary_phone_number": "+15035550100"}),
            ),
            row(
                "contact",
                json!({"id": 2, "name": "Acme Corp", "type": "Company"}),
            ),
            row("contact", json!({"id": 3, "name": "Dana Old"})),
            row("contact", json!({"id": 4, "name": "Nobody Related"})),
            row("contact", json!({"id": 5, "name": "Lee Counsel"})),
            row(
                "matter",
                json!({"id": 10, "display_number": "00010-Lopez", "status": "open", "client": {"id": 1}}),
            ),
            row(
                "matter",
                json!({"id": 11, "display_number": "00011-Old", "status": "closed", "client": {"id": 3}}),
            ),
            row(
                "relationship",
                json!({"id": 20, "description": "Opposing Party", "contact": {"id": 2}, "matter": {"id": 10}}),
            ),
            row(
                "relationship",
                json!({"id": 21, "description": "Opposing counsel", "contact": {"id": 5}, "matter": {"id": 10}}),
            ),
            row(
                "relationship",
                json!({"id": 22, "description": "Witness", "contact": {"id": 3}, "matter": {"id": 10}}),
            ),
            // A relationship to a matter the mirror does not have: skipped.
            row(
                "relationship",
                json!({"id": 23, "description": "Opposing", "contact": {"id": 4}, "matter": {"id": 99}}),
            ),
        ];
        let parties = derive(&mirror);
        let find = |name: &str, role: PartyRole| {
            parties
                .iter()
                .find(|p| p.name == name && p.role == role)
                .unwrap_or_else(|| panic!("{name} {role:?} in {parties:#?}"))
        };
        let carlos = find("Carlos Lopez", PartyRole::Client);
        assert_eq!(carlos.matter_status, Some(MatterStatus::Open));
        assert_eq!(carlos.matter_ref.as_deref(), Some("00010-Lopez"));
        assert_eq!(carlos.phones, ["+15035550100"]);
        assert_eq!(
            find("Acme Corp", PartyRole::AdverseParty).kind,
            PartyKind::Organization
        );
        find("Dana Old", PartyRole::FormerClient);
        find("Dana Old", PartyRole::RelatedParty);
        find("Lee Counsel", PartyRole::OpposingCounsel);
        assert!(!parties.iter().any(|p| p.name == "Nobody Related"));
        assert_eq!(parties.len(), 5);
        // Stable ids: the same mirror derives the same parties.
        assert_eq!(derive(&mirror), parties);
    }
}
