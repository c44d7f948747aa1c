//! The audit log's hash chain.
//!
//! Each tenant's entries form a chain: entry `n` stores the SHA-256 of its
//! own canonical form together with the hash of entry `n - 1`, and the
//! tenant row stores the sequence number and hash of the newest entry (the
//! head). Editing a row breaks its hash; deleting one breaks the next
//! entry's link; deleting the newest rows disagrees with the head. The chain
//! proves tampering by someone with database access but without this code's
//! cooperation; it is not a signature (anyone rewriting every hash *and* the
//! head could forge it), which is why operators should also ship the log
//! off-box (see DEPLOYMENT notes).
//!
//! Hashing is pure and lives here so that writing (in `sql`) and verifying
//! agree by construction.

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

use crate::model::{Actor, AuditEntry, Outcome};

/// A thing that happened, as the code that did it describes it. The store
/// gives it a sequence number, a time and a hash.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor: Actor,
    pub action: &'static str,
    pub target_type: Option<&'static str>,
    pub target_id: Option<String>,
    pub outcome: Outcome,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
}

impl AuditEvent {
    pub fn new(actor: Actor, action: &'static str) -> Self {
        Self {
            actor,
            action,
            target_type: None,
            target_id: None,
            outcome: Outcome::Success,
            ip: None,
            user_agent: None,
            details: serde_json::Value::Null,
        }
    }

    pub fn target(mut self, kind: &'static str, id: impl ToString) -> Self {
        self.target_type = Some(kind);
        self.target_id = Some(id.to_string());
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn client(mut self, ip: Option<String>, user_agent: Option<String>) -> Self {
        self.ip = ip;
        self.user_agent = user_agent;
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// The hash of the (empty) chain before the first entry.
pub const GENESIS: &str = "";

/// SHA-256, hex, over the tenant, the previous hash and every stored field
/// of the entry in a fixed order (the tenant binds a row to its firm's
/// chain, so it cannot be moved into another's). JSON is used only as an unambiguous encoding of the
/// field list (an array, so no key-order question arises).
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    tenant: &hermes_core::TenantId,
    prev_hash: &str,
    seq: i64,
    at: DateTime<Utc>,
    actor: &Actor,
    action: &str,
    target_type: Option<&str>,
    target_id: Option<&str>,
    outcome: Outcome,
    ip: Option<&str>,
    user_agent: Option<&str>,
    details: &str,
) -> String {
    let canonical = serde_json::json!([
        "hermes-audit-v1",
        tenant.to_string(),
        prev_hash,
        seq,
        at.to_rfc3339_opts(SecondsFormat::Micros, true),
        actor.kind(),
        actor.id(),
        action,
        target_type,
        target_id,
        outcome.as_str(),
        ip,
        user_agent,
        details,
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// The hash an entry should have, given the details text as stored.
fn expected_hash(tenant: &hermes_core::TenantId, entry: &AuditEntry, details: &str) -> String {
    entry_hash(
        tenant,
        &entry.prev_hash,
        entry.seq,
        entry.at,
        &entry.actor,
        &entry.action,
        entry.target_type.as_deref(),
        entry.target_id.as_deref(),
        entry.outcome,
        entry.ip.as_deref(),
        entry.user_agent.as_deref(),
        details,
    )
}

/// Recomputes an entry's hash from its parsed fields.
pub fn rehash(tenant: &hermes_core::TenantId, entry: &AuditEntry) -> String {
    expected_hash(tenant, entry, &entry.details.to_string())
}

/// The result of checking a tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: u64,
    /// Human-readable findings, one per break; empty means intact.
    pub problems: Vec<String>,
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks entries (in ascending `seq`) against each other and against the
/// head recorded on the tenant row. `details_raw` holds each entry's stored
/// details text, which is what was hashed.
pub fn verify(
    tenant: &hermes_core::TenantId,
    entries: &[(AuditEntry, String)],
    head_seq: i64,
    head_hash: &str,
) -> ChainReport {
    let mut problems = Vec::new();
    let mut expected_prev = GENESIS.to_owned();
    let mut expected_seq = 1;
    for (entry, details_raw) in entries {
        if entry.seq != expected_seq {
            problems.push(format!(
                "entry {} missing (found {} next): rows were deleted",
                expected_seq, entry.seq
            ));
        }
        if entry.prev_hash != expected_prev {
            problems.push(format!(
                "entry {} does not link to the entry before it",
                entry.seq
            ));
        }
        // Hash over the stored text, not a re-serialisation of the parsed
        // value, so formatting differences between backends cannot matter.
        let hash = expected_hash(tenant, entry, details_raw);
        if hash != entry.hash {
            problems.push(format!(
                "entry {} ({}) was modified: its content no longer matches its hash",
                entry.seq, entry.action
            ));
        }
        expected_prev = entry.hash.clone();
        expected_seq = entry.seq + 1;
    }
    let last_seq = entries.last().map(|(e, _)| e.seq).unwrap_or(0);
    if last_seq != head_seq || expected_prev != head_hash {
        problems.push(format!(
            "the newest entry is {last_seq} but the tenant's recorded head is {head_seq}: \
             entries were deleted from the end, or the head was edited"
        ));
    }
    ChainReport {
        entries: entries.len() as u64,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::now;

    const T: hermes_core::TenantId = hermes_core::TenantId::from_uuid(uuid::Uuid::nil());

    fn chain(n: i64) -> Vec<(AuditEntry, String)> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at: now(),
                    actor: Actor::System,
                    action: format!("test.{seq}"),
                    target_type: Some("user".into()),
                    target_id: Some(seq.to_string()),
                    outcome: Outcome::Success,
                    ip: Some("127.0.0.1".into()),
                    user_agent: None,
                    details: serde_json::json!({"n": seq}),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = rehash(&T, &e);
                prev = e.hash.clone();
                let raw = e.details.to_string();
                (e, raw)
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        let head = c.last().unwrap().0.hash.clone();
        let report = verify(&T, &c, 5, &head);
        assert!(report.is_intact(), "{:?}", report.problems);
        assert_eq!(report.entries, 5);
    }

    #[test]
    fn empty_chain_verifies_against_empty_head() {
        assert!(verify(&T, &[], 0, GENESIS).is_intact());
    }

    #[test]
    fn edited_field_is_caught() {
        let mut c = chain(4);
        let head = c.last().unwrap().0.hash.clone();
        c[1].0.outcome = Outcome::Failure;
        let report = verify(&T, &c, 4, &head);
        assert!(report.problems.iter().any(|p| p.contains("entry 2")));
    }

    #[test]
    fn edited_details_text_is_caught() {
        let mut c = chain(3);
        let head = c.last().unwrap().0.hash.clone();
        c[0].1 = r#"{"n":99}"#.into();
        assert!(!verify(&T, &c, 3, &head).is_intact());
    }

    #[test]
    fn deleted_middle_row_is_caught() {
        let mut c = chain(4);
        let head = c.last().unwrap().0.hash.clone();
        c.remove(2);
        let report = verify(&T, &c, 4, &head);
        assert!(report.problems.iter().any(|p| p.contains("missing")));
    }

    #[test]
    fn deleted_tail_is_caught_by_the_head() {
        let mut c = chain(4);
        let head = c.last().unwrap().0.hash.clone();
        c.pop();
        let report = verify(&T, &c, 4, &head);
        assert!(report.problems.iter().any(|p| p.contains("head")));
    }

    #[test]
    fn any_field_change_changes_the_hash() {
        let (base, _) = chain(1).remove(0);
        let h = rehash(&T, &base);
        let other_tenant = hermes_core::TenantId::new();
        assert_ne!(rehash(&other_tenant, &base), h, "bound to its tenant");
        type Change = Box<dyn Fn(&mut AuditEntry)>;
        let variants: Vec<Change> = vec![
            Box::new(|e| e.seq += 1),
            Box::new(|e| e.at += chrono::Duration::microseconds(1)),
            Box::new(|e| e.actor = Actor::Anonymous),
            Box::new(|e| e.action.push('x')),
            Box::new(|e| e.target_type = None),
            Box::new(|e| e.target_id = Some("2".into())),
            Box::new(|e| e.outcome = Outcome::Denied),
            Box::new(|e| e.ip = None),
            Box::new(|e| e.user_agent = Some("curl".into())),
            Box::new(|e| e.details = serde_json::json!({"n": 2})),
            Box::new(|e| e.prev_hash = "00".into()),
        ];
        for (i, change) in variants.iter().enumerate() {
            let mut e = base.clone();
            change(&mut e);
            assert_ne!(rehash(&T, &e), h, "variant {i} did not change the hash");
        }
    }
}
