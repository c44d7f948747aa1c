//! Draining: a node asked to stop finishes its calls before it exits.
//!
//! Why this exists: a call is a WebSocket, and once a connection has been
//! upgraded the HTTP server no longer tracks it. axum's graceful shutdown
//! waits for requests in flight, not for calls, so without this a restart
//! or a scale-down would cut every caller off mid-sentence.
//!
//! The protocol (the binary's `run_until_stopped` carries it out):
//!
//! 1. Every call holds a [`CallGuard`] from the moment its WebSocket is
//!    accepted until its record's last write ([`Drain::call`]).
//! 2. On SIGTERM the node calls [`Drain::begin`]: `/readyz` answers 503
//!    (`draining`) to whoever can still reach it, and live-update streams
//!    end so their pages reconnect, through nginx, to another node. The
//!    listener closes at the same moment, so nginx's next connection is
//!    refused and it sends new requests and calls to the other nodes.
//! 3. The node waits for [`Drain::idle`] (at most `server.drain_secs`),
//!    then stops its background work and exits.
//!
//! A call therefore stays on the node that holds its WebSocket, from its
//! first word to its last: nothing about a call moves between nodes.

use std::sync::Arc;

use tokio::sync::watch;

/// The calls in progress on this node, and whether it is draining. Cheap
/// to clone (one reference count).
#[derive(Clone)]
pub struct Drain(Arc<Inner>);

struct Inner {
    /// Calls in progress. A `watch` rather than an atomic so that
    /// [`Drain::idle`] can wait for zero without polling.
    calls: watch::Sender<usize>,
    draining: watch::Sender<bool>,
}

impl Default for Drain {
    fn default() -> Self {
        Drain(Arc::new(Inner {
            calls: watch::channel(0).0,
            draining: watch::channel(false).0,
        }))
    }
}

impl std::fmt::Debug for Drain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drain")
            .field("calls", &self.calls())
            .field("draining", &self.is_draining())
            .finish()
    }
}

impl Drain {
    /// Counts a call in progress until the guard is dropped.
    pub fn call(&self) -> CallGuard {
        self.0.calls.send_modify(|n| *n += 1);
        CallGuard {
            drain: self.clone(),
        }
    }

    /// Calls in progress on this node now.
    pub fn calls(&self) -> usize {
        *self.0.calls.borrow()
    }

    /// Marks the node as stopping (idempotent).
    pub fn begin(&self) {
        self.0.draining.send_replace(true);
    }

    pub fn is_draining(&self) -> bool {
        *self.0.draining.borrow()
    }

    /// Resolves once the node has begun draining (at once if it has).
    pub async fn draining(&self) {
        let mut rx = self.0.draining.subscribe();
        // The sender lives as long as `self`: this cannot fail.
        let _ = rx.wait_for(|d| *d).await;
    }

    /// Resolves when no call is in progress (at once if none is).
    pub async fn idle(&self) {
        let mut rx = self.0.calls.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }
}

/// One call in progress; dropping it ends the count.
#[must_use = "the call counts only while the guard is held"]
pub struct CallGuard {
    drain: Drain,
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        self.drain.0.calls.send_modify(|n| *n = n.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn idle_waits_for_the_last_call() {
        let drain = Drain::default();
        // No call: idle at once.
        tokio::time::timeout(Duration::from_secs(1), drain.idle())
            .await
            .unwrap();
        let a = drain.call();
        let b = drain.call();
        assert_eq!(drain.calls(), 2);
        let waiting = tokio::spawn({
            let drain = drain.clone();
            async move { drain.idle().await }
        });
        drop(a);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "one call is still in progress");
        drop(b);
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(drain.calls(), 0);
    }

    #[tokio::test]
    async fn draining_is_seen_by_everyone_and_only_once_begun() {
        let drain = Drain::default();
        assert!(!drain.is_draining());
        let waiting = tokio::spawn({
            let drain = drain.clone();
            async move { drain.draining().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        drain.begin();
        drain.begin();
        tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .unwrap()
            .unwrap();
        assert!(drain.is_draining());
        // Already draining: resolves at once.
        tokio::time::timeout(Duration::from_secs(1), drain.draining())
            .await
            .unwrap();
    }
}
