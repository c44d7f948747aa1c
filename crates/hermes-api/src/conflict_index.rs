//! Each tenant's in-memory conflict index, kept in step with the database.
//!
//! A conflict check must be fast enough to run while a caller waits, so it
//! never touches the database: it asks a [`hermes_conflicts::Index`] built
//! from the tenant's parties. The index is built on first use (and warmed
//! at start), then updated incrementally:
//!
//! - a write on this node applies its change here at once, so this node's
//!   next check sees it;
//! - every write also publishes `party:<tenant>:<id>` (or `parties:<tenant>`
//!   after an import) on the shared state, and each node re-reads that party
//!   (or drops the tenant's index, to be rebuilt) — so a change on one node
//!   reaches the others' checks within the pub/sub latency.
//!
//! Changes that arrive while an index is being built are logged and
//! replayed on top of it, so a build that read the table just before a
//! write does not lose the write.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Duration, Utc};
use hermes_conflicts::{Index, Party};
use hermes_core::TenantId;
use hermes_store::Store;
use uuid::Uuid;

use crate::error::ApiError;

pub type SharedIndex = Arc<RwLock<Index>>;

#[derive(Debug, Clone)]
pub enum Change {
    Upsert(Party),
    Remove(Uuid),
}

enum Slot {
    /// A build is reading the database. Changes meanwhile are logged and
    /// replayed on its result; `stale` means the whole tenant was
    /// invalidated meanwhile (an import elsewhere), so the result is used
    /// for the waiting check but not kept.
    Building { log: Vec<Change>, stale: bool },
    /// `synced`: every change to the database before this instant is in
    /// the index (see [`ConflictIndexes::reconcile`]).
    Ready {
        index: SharedIndex,
        synced: DateTime<Utc>,
    },
}

pub struct ConflictIndexes {
    slots: Mutex<HashMap<TenantId, Slot>>,
    /// One build at a time per tenant; others wait for it.
    builds: Mutex<HashMap<TenantId, Arc<tokio::sync::Mutex<()>>>>,
    /// This node, named in the events it publishes: it applied its own
    /// changes when it made them, and re-reading a party for its own
    /// earlier event could put back a version that a later local change
    /// had already replaced.
    node: Uuid,
}

impl Default for ConflictIndexes {
    fn default() -> Self {
        ConflictIndexes {
            slots: Default::default(),
            builds: Default::default(),
            node: Uuid::new_v4(),
        }
    }
}

fn apply(index: &mut Index, change: Change) {
    match change {
        Change::Upsert(p) => index.upsert(p),
        Change::Remove(id) => {
            index.remove(id);
        }
    }
}

impl ConflictIndexes {
    /// The tenant's index, built from the database if this node has none.
    pub async fn get(
        &self,
        store: &Arc<dyn Store>,
        tenant: TenantId,
    ) -> Result<SharedIndex, ApiError> {
        if let Some(Slot::Ready { index, .. }) = self.slots.lock().expect("poisoned").get(&tenant) {
            return Ok(index.clone());
        }
        let build = self
            .builds
            .lock()
            .expect("poisoned")
            .entry(tenant)
            .or_default()
            .clone();
        let _building = build.lock().await;
        {
            let mut slots = self.slots.lock().expect("poisoned");
            if let Some(Slot::Ready { index, .. }) = slots.get(&tenant) {
                return Ok(index.clone());
            }
            slots.insert(
                tenant,
                Slot::Building {
                    log: Vec::new(),
                    stale: false,
                },
            );
        }
        let started = std::time::Instant::now();
        let synced = Utc::now();
        let parties = match store.scoped(tenant).all_parties().await {
            Ok(p) => p,
            Err(e) => {
                self.slots.lock().expect("poisoned").remove(&tenant);
                return Err(e.into());
            }
        };
        let count = parties.len();
        let index = tokio::task::spawn_blocking(move || parties.into_iter().collect::<Index>())
            .await
            .map_err(ApiError::internal)?;
        let mut slots = self.slots.lock().expect("poisoned");
        let mut index = index;
        let keep = match slots.remove(&tenant) {
            Some(Slot::Building { log, stale }) => {
                for change in log {
                    apply(&mut index, change);
                }
                !stale
            }
            _ => false,
        };
        let ix: SharedIndex = Arc::new(RwLock::new(index));
        if keep {
            slots.insert(
                tenant,
                Slot::Ready {
                    index: ix.clone(),
                    synced,
                },
            );
        }
        tracing::info!(%tenant, parties = count, ms = started.elapsed().as_millis() as u64, "conflict index built");
        Ok(ix)
    }

    /// Applies a change to the tenant's index if this node has one (or is
    /// building one); otherwise the next build reads it from the database.
    pub fn apply(&self, tenant: TenantId, change: Change) {
        let mut slots = self.slots.lock().expect("poisoned");
        match slots.get_mut(&tenant) {
            Some(Slot::Ready { index, .. }) => apply(&mut index.write().expect("poisoned"), change),
            Some(Slot::Building { log, .. }) => log.push(change),
            None => {}
        }
    }

    /// Whether this node keeps (or is building) the tenant's index, i.e.
    /// whether a change event for it matters here.
    pub fn is_tracked(&self, tenant: TenantId) -> bool {
        self.slots.lock().expect("poisoned").contains_key(&tenant)
    }

    /// The backstop behind pub/sub: an event lost while Redis was down
    /// must not leave a party out of this node's checks for good. For each
    /// index, re-apply every party changed since it was last in sync (with
    /// a few seconds' overlap for clock skew between nodes), then compare
    /// the party count with the database: a difference means a deletion
    /// was missed, and the index is rebuilt on its next use.
    pub async fn reconcile(&self, store: &Arc<dyn Store>) {
        let ready: Vec<(TenantId, SharedIndex, DateTime<Utc>)> = self
            .slots
            .lock()
            .expect("poisoned")
            .iter()
            .filter_map(|(t, slot)| match slot {
                Slot::Ready { index, synced } => Some((*t, index.clone(), *synced)),
                Slot::Building { .. } => None,
            })
            .collect();
        for (tenant, index, synced) in ready {
            let now = Utc::now();
            let scoped = store.scoped(tenant);
            let changed = match scoped
                .parties_changed_since(synced - Duration::seconds(5))
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(%tenant, error = %e, "could not reconcile a conflict index");
                    continue;
                }
            };
            let missed = changed.len();
            {
                let mut ix = index.write().expect("poisoned");
                for p in changed {
                    ix.upsert(p);
                }
            }
            let in_db = match scoped.party_count().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(%tenant, error = %e, "could not reconcile a conflict index");
                    continue;
                }
            };
            let in_index = index.read().expect("poisoned").len() as u64;
            let mut slots = self.slots.lock().expect("poisoned");
            match slots.get_mut(&tenant) {
                Some(Slot::Ready {
                    index: current,
                    synced,
                }) if Arc::ptr_eq(current, &index) => {
                    if in_db == in_index {
                        *synced = now;
                    } else {
                        tracing::warn!(%tenant, in_db, in_index, "conflict index out of step; rebuilding");
                        metrics::counter!("hermes_conflict_index_rebuilds_total").increment(1);
                        slots.remove(&tenant);
                    }
                }
                _ => {}
            }
            tracing::debug!(%tenant, reapplied = missed, "conflict index reconciled");
        }
    }

    /// Forgets the tenant's index (rebuilt on next use); a build in
    /// progress is marked stale, so its result is not kept.
    pub fn forget(&self, tenant: TenantId) {
        let mut slots = self.slots.lock().expect("poisoned");
        match slots.get_mut(&tenant) {
            Some(Slot::Building { stale, .. }) => *stale = true,
            _ => {
                slots.remove(&tenant);
            }
        }
    }

    /// Forgets every index, e.g. after missing pub/sub events.
    pub fn clear(&self) {
        let mut slots = self.slots.lock().expect("poisoned");
        slots.retain(|_, slot| matches!(slot, Slot::Building { .. }));
        for slot in slots.values_mut() {
            if let Slot::Building { stale, .. } = slot {
                *stale = true;
            }
        }
    }
}

impl ConflictIndexes {
    /// The event announcing a change to one party, from this node.
    pub fn party_event(&self, tenant: TenantId, id: Uuid) -> String {
        format!("party:{tenant}:{id}:{}", self.node)
    }

    /// Whether an event came from this node.
    pub fn is_own(&self, node: Option<Uuid>) -> bool {
        node == Some(self.node)
    }
}

pub fn parties_event(tenant: TenantId) -> String {
    format!("parties:{tenant}")
}

/// What an event asks of this node, if it is about parties.
pub enum PartyEvent {
    /// Tenant, party, and the node that made the change (absent in events
    /// from older nodes).
    One(TenantId, Uuid, Option<Uuid>),
    All(TenantId),
}

pub fn parse_event(event: &str) -> Option<PartyEvent> {
    if let Some(rest) = event.strip_prefix("party:") {
        let mut parts = rest.split(':');
        let tenant = parts.next()?.parse().ok()?;
        let id = parts.next()?.parse().ok()?;
        let node = match parts.next() {
            Some(n) => Some(n.parse().ok()?),
            None => None,
        };
        return Some(PartyEvent::One(tenant, id, node));
    }
    let tenant = event.strip_prefix("parties:")?;
    Some(PartyEvent::All(tenant.parse().ok()?))
}
