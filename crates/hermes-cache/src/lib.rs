//! State that several HERMES nodes must agree on, kept out of the database.
//!
//! Four things need to be shared, fast, and may expire on their own:
//! - counters for rate limits (`hit`: fixed windows),
//! - attempt slots for login lockouts (`attempt`: a sliding window),
//! - marks: revoked access-token ids and ended sessions, until the tokens
//!   they concern would have expired anyway (`mark`, `any_marked`),
//! - events that tell every node to drop a cached entry (a user was
//!   deactivated, an API key revoked) and, in later issues, live updates.
//!
//! Keys are chosen by the caller (`rl:…`, `jti:…`, `lock:…`); a key is used
//! for one kind of state only.
//!
//! [`memory::MemoryState`] keeps them in the process: right for one node,
//! and the embedded default. [`redis::RedisState`] keeps them in Redis, so
//! every node behind a load balancer sees the same counts, revocations and
//! events. Callers hold an `Arc<dyn SharedState>` and cannot tell which.
//!
//! Counters are fixed windows anchored at the first hit: the first hit on a
//! key starts a window of the given length, later hits count in it, and the
//! key disappears when it ends. "Five failures within 15 minutes" is then
//! exactly a counter that reaches 5 before its window closes.

pub mod memory;
pub mod redis;

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::broadcast;

#[derive(Debug, thiserror::Error)]
#[error("shared state unavailable: {0}")]
pub struct SharedError(pub String);

pub type Result<T> = std::result::Result<T, SharedError>;

/// The outcome of asking for an attempt slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// The attempt was recorded and may proceed.
    pub allowed: bool,
    /// Attempts in the window, this one included when allowed.
    pub count: u64,
    /// When refused: time until the oldest attempt leaves the window.
    pub retry_after: Duration,
}

/// A counter after a hit (or a look).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// Hits so far in the current window.
    pub count: u64,
    /// Time until the window ends and the count starts over.
    pub resets_in: Duration,
}

#[async_trait]
pub trait SharedState: Send + Sync + 'static {
    /// `"memory"` or `"redis"`, for logs and `/readyz`.
    fn kind(&self) -> &'static str;

    /// Whether the backing service answers (always true in memory).
    async fn ping(&self) -> Result<()>;

    /// Counts one hit on `key`; a new window of `window` starts if none is
    /// open.
    async fn hit(&self, key: &str, window: Duration) -> Result<Count>;

    /// The current count without adding to it (zero if no window is open).
    async fn peek(&self, key: &str) -> Result<Count>;

    /// Atomically: forgets attempts older than `window`, and records a new
    /// one unless `limit` are already in the window. Exact sliding-window
    /// semantics ("at most `limit` within any `window`"), and race-free: two
    /// concurrent callers cannot both take the last slot.
    async fn attempt(&self, key: &str, limit: u64, window: Duration) -> Result<Attempt>;

    /// Forgets `key` entirely (a successful login clears its attempts).
    async fn clear(&self, key: &str) -> Result<()>;

    /// Marks `key` for `ttl` (a revoked token id, an ended session).
    async fn mark(&self, key: &str, ttl: Duration) -> Result<()>;

    /// Whether any of `keys` is marked (one round trip for all of them).
    async fn any_marked(&self, keys: &[&str]) -> Result<bool>;

    /// Sends `event` to every node's subscribers, this node's included.
    async fn publish(&self, event: &str) -> Result<()>;

    /// Receives events published from any node from now on, except live
    /// dashboard events ([`LIVE_PREFIX`]). A receiver that falls behind by
    /// more than the channel's capacity is told it lagged and must assume
    /// it missed something (drop its whole cache).
    fn subscribe(&self) -> broadcast::Receiver<String>;

    /// Receives the live dashboard events ([`LIVE_PREFIX`]) published from
    /// any node, and [`RESYNC`]. A channel of their own: a burst of them
    /// (a busy firm's calls, line by line) cannot make the cache
    /// invalidation listener lag and drop its caches.
    fn subscribe_live(&self) -> broadcast::Receiver<String>;
}

/// Events starting with this go to [`SharedState::subscribe_live`].
pub const LIVE_PREFIX: &str = "live:";

/// The two local fan-outs of the one event bus.
#[derive(Clone)]
pub(crate) struct Fanout {
    events: broadcast::Sender<String>,
    live: broadcast::Sender<String>,
}

impl Fanout {
    pub(crate) fn new() -> Self {
        Self {
            events: broadcast::channel(EVENT_CAPACITY).0,
            live: broadcast::channel(LIVE_CAPACITY).0,
        }
    }

    /// Hands `event` to the subscribers of its kind; [`RESYNC`] to all.
    /// No subscribers is not an error: nobody needed telling.
    pub(crate) fn send(&self, event: String) {
        if event == RESYNC {
            let _ = self.live.send(event.clone());
            let _ = self.events.send(event);
        } else if event.starts_with(LIVE_PREFIX) {
            let _ = self.live.send(event);
        } else {
            let _ = self.events.send(event);
        }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<String> {
        self.events.subscribe()
    }

    pub(crate) fn subscribe_live(&self) -> broadcast::Receiver<String> {
        self.live.subscribe()
    }
}

/// Sent to subscribers whenever the event subscription (re)starts: anything
/// cached from events may be stale.
pub const RESYNC: &str = "resync";

/// Events are buffered per subscriber up to this many; a slower subscriber
/// sees `Lagged` and resynchronises. Invalidations are rare (an admin
/// action), so this is generous.
pub(crate) const EVENT_CAPACITY: usize = 1024;

/// The live events' buffer per dashboard stream; one that lags is sent a
/// `resync` and redraws from the API.
pub(crate) const LIVE_CAPACITY: usize = 4096;
