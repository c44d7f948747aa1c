//! The outbox worker: one per node. It leases the jobs that are due, sends
//! them, and records each outcome; a failure comes back after the retry
//! policy's backoff, and the last failure leaves the job `dead` for an
//! admin to retry.
//!
//! It wakes at once when this node enqueues (the [`tokio::sync::Notify`]
//! the API holds) and otherwise polls every `poll` — jobs enqueued on other
//! nodes, retries coming due and expired leases are found that way. Workers
//! on several nodes never send the same job at the same time (leases), but
//! a node that dies after sending and before recording it leaves a job
//! another node sends again when the lease expires: delivery is at least
//! once.
//!
//! The outbox is a tenant table (row-level security on PostgreSQL), so
//! the worker goes through each tenant's scoped store in turn, as every
//! other cross-tenant chore does (revocations, conflict indexes).
//!
//! Shutdown: [`WorkerHandle::stop`] ends the loop after the job in hand;
//! a job leased but not yet sent is taken again after its lease expires.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hermes_store::{OutboxJob, OutboxKind, OutboxStatus, RetryPolicy, Store, TenantStore};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::{EmailPayload, SendError, SmsPayload, SmtpMailer, TwilioSms};

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// This node's name in leases.
    pub node: String,
    /// How often the outbox is checked when nothing wakes the worker.
    pub poll: Duration,
    /// How long a job is a worker's before another may take it: longer
    /// than any send can take (the senders time out after 15 s).
    pub lease: Duration,
    /// Jobs leased at once per tenant.
    pub batch: u32,
    pub retry: RetryPolicy,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            node: format!("node-{}", uuid::Uuid::now_v7().simple()),
            poll: Duration::from_secs(5),
            lease: Duration::from_secs(60),
            batch: 20,
            retry: RetryPolicy::default(),
        }
    }
}

/// Work of a kind the outbox carries but this crate does not know how to
/// do (the Clio sync lives with the API, which knows intakes and Clio).
pub trait JobHandler: Send + Sync {
    /// Does `job` for `tenant`; `lease` is how long the job is this
    /// worker's (stop taking steps well before it runs out).
    fn handle<'a>(
        &'a self,
        tenant: hermes_core::TenantId,
        job: &'a OutboxJob,
        lease: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), SendError>> + Send + 'a>>;
}

/// The configured channels; `None` is a channel that is not configured.
#[derive(Clone, Default)]
pub struct Senders {
    pub sms: Option<TwilioSms>,
    pub email: Option<SmtpMailer>,
    /// Syncs finished intakes to Clio.
    pub clio: Option<Arc<dyn JobHandler>>,
}

pub struct Worker {
    store: Arc<dyn Store>,
    senders: Senders,
    config: WorkerConfig,
    wake: Arc<Notify>,
}

/// A running worker.
pub struct WorkerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops the worker after the job it is sending, waiting at most
    /// `grace` for it.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(grace, &mut task).await.is_err() {
            task.abort();
        }
    }
}

fn tenant_of(store: &dyn TenantStore) -> hermes_core::TenantId {
    store.tenant_id()
}

impl Worker {
    pub fn new(
        store: Arc<dyn Store>,
        senders: Senders,
        config: WorkerConfig,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            senders,
            config,
            wake,
        }
    }

    pub fn spawn(self) -> WorkerHandle {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                self.run_once().await;
                if *stopped.borrow() {
                    break;
                }
                tokio::select! {
                    biased;
                    _ = stopped.changed() => break,
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.config.poll) => {}
                }
            }
            tracing::debug!("outbox worker stopped");
        });
        WorkerHandle { stop, task }
    }

    /// One pass over every tenant's due jobs; returns how many were sent.
    pub async fn run_once(&self) -> usize {
        let tenants = match self.store.list_tenants().await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "outbox: could not list tenants");
                return 0;
            }
        };
        let mut sent = 0;
        for t in tenants {
            let scoped = self.store.scoped(t.id);
            // Drain the tenant's due jobs batch by batch.
            loop {
                let jobs = match scoped
                    .lease_outbox(
                        &self.config.node,
                        Utc::now(),
                        self.config.lease,
                        self.config.batch,
                    )
                    .await
                {
                    Ok(j) => j,
                    Err(e) => {
                        tracing::warn!(tenant = %t.id, error = %e, "outbox: could not lease jobs");
                        break;
                    }
                };
                let full = jobs.len() as u32 == self.config.batch;
                for job in jobs {
                    if self.deliver(scoped.as_ref(), job).await {
                        sent += 1;
                    }
                }
                if !full {
                    break;
                }
            }
        }
        sent
    }

    async fn deliver(&self, store: &dyn TenantStore, job: OutboxJob) -> bool {
        let kind = job.kind.as_str();
        let result = self.send(tenant_of(store), &job).await;
        let tenant = store.tenant_id();
        match result {
            Ok(()) => {
                match store
                    .mark_outbox_sent(job.id, &self.config.node, Utc::now())
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(%tenant, job = %job.id, kind, "outbox: sent after the lease ran out")
                    }
                    Err(e) => {
                        // It went out; the lease will expire and it may go
                        // out again (at least once).
                        tracing::error!(%tenant, job = %job.id, kind, error = %e, "outbox: sent but not recorded")
                    }
                }
                metrics::counter!("hermes_notifications_sent_total", "kind" => kind).increment(1);
                tracing::info!(%tenant, job = %job.id, kind, attempts = job.attempts, "notification sent");
                true
            }
            Err(e) => {
                let status = store
                    .mark_outbox_failed(
                        job.id,
                        &self.config.node,
                        &e.message,
                        e.permanent,
                        &self.config.retry,
                        Utc::now(),
                    )
                    .await;
                metrics::counter!("hermes_notifications_failed_total", "kind" => kind).increment(1);
                match status {
                    Ok(Some(OutboxStatus::Dead)) => {
                        metrics::counter!("hermes_notifications_dead_total", "kind" => kind)
                            .increment(1);
                        tracing::error!(%tenant, job = %job.id, kind, attempts = job.attempts, error = %e, "notification failed for good");
                    }
                    Ok(_) => {
                        tracing::warn!(%tenant, job = %job.id, kind, attempts = job.attempts, error = %e, "notification failed; will retry")
                    }
                    Err(se) => {
                        tracing::error!(%tenant, job = %job.id, kind, error = %se, "outbox: could not record a failure")
                    }
                }
                false
            }
        }
    }

    async fn send(&self, tenant: hermes_core::TenantId, job: &OutboxJob) -> Result<(), SendError> {
        let corrupt = |e: serde_json::Error| SendError::permanent(format!("bad payload: {e}"));
        match job.kind {
            OutboxKind::Sms => {
                let sms =
                    self.senders.sms.as_ref().ok_or_else(|| {
                        SendError::permanent("SMS is not configured (notify.twilio)")
                    })?;
                let p: SmsPayload = serde_json::from_value(job.payload.clone()).map_err(corrupt)?;
                sms.send(&p.to, &p.body).await.map(|_| ())
            }
            OutboxKind::Email => {
                let mail =
                    self.senders.email.as_ref().ok_or_else(|| {
                        SendError::permanent("email is not configured (notify.smtp)")
                    })?;
                let p: EmailPayload =
                    serde_json::from_value(job.payload.clone()).map_err(corrupt)?;
                mail.send(&p.to, &p.subject, &p.body).await
            }
            OutboxKind::Clio => {
                let clio = self.senders.clio.as_ref().ok_or_else(|| {
                    SendError::transient("the Clio sync is not running on this node")
                })?;
                clio.handle(tenant, job, self.config.lease).await
            }
        }
    }
}
