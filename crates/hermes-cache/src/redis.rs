//! Shared state in Redis, for several nodes.
//!
//! Commands go through one `ConnectionManager` (a multiplexed connection
//! that reconnects by itself), cloned per call as the redis crate intends.
//! A counter hit is one Lua script, so "increment, and start the window if
//! this is the first hit" is atomic across nodes. Events use Redis pub/sub:
//! a background task holds a subscription, re-subscribing after any
//! disconnect, and fans messages out to this node's subscribers. A message
//! published while the subscription is down is lost; consumers therefore
//! keep entries short-lived (see the API's principal cache).
//!
//! Redis being down must not stall requests: every command has a short
//! timeout, and after a failure the state answers "unavailable" at once for
//! a second (a small circuit breaker) instead of making every request wait
//! for its own timeout. Callers fail open or fall back to the database.
//! `ping` (readiness) always really asks.
//!
//! Every key is prefixed with the deployment's `redis.key_prefix`, so one
//! Redis can serve several deployments. The keys expire by themselves; run
//! Redis with `maxmemory-policy noeviction` so it never drops a revocation
//! early to make room.

use std::time::Duration;

use async_trait::async_trait;
use std::sync::atomic::{AtomicU64, Ordering};

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::broadcast;

use crate::{Attempt, Count, RESYNC, Result, SharedError, SharedState};

fn err(e: redis::RedisError) -> SharedError {
    SharedError(e.to_string())
}

/// `KEYS[1]` sorted set of attempt times; `ARGV[1]` window in ms, `ARGV[2]`
/// limit, `ARGV[3]` a unique member. Uses the Redis server's clock, so
/// nodes with skewed clocks still agree. Returns `{allowed, count, retry_ms}`.
const ATTEMPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local retry = window
  if oldest[2] then retry = tonumber(oldest[2]) + window - now end
  return {0, count, retry}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return {1, count + 1, 0}
";

/// `KEYS[1]` counter; `ARGV[1]` window in ms. Returns `{count, pttl}`.
const HIT: &str = r"
local c = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if c == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {c, ttl}
";

/// How long one command may take before it counts as a failure.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);
/// How long to skip Redis after a failure.
const BREAKER_OPEN: Duration = Duration::from_secs(1);

pub struct RedisState {
    conn: ConnectionManager,
    /// Milliseconds since `started` until which Redis is not asked (0 when
    /// closed).
    open_until: AtomicU64,
    started: std::time::Instant,
    prefix: String,
    channel: String,
    hit: redis::Script,
    attempt: redis::Script,
    events: crate::Fanout,
    subscriber: tokio::task::JoinHandle<()>,
}

impl Drop for RedisState {
    fn drop(&mut self) {
        self.subscriber.abort();
    }
}

impl RedisState {
    /// Connects to `url` (`redis://host:port/db`) and starts the event
    /// subscription. `prefix` namespaces every key and the event channel.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self> {
        let client = redis::Client::open(url).map_err(err)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(BREAKER_OPEN);
        let conn = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(err)?;
        let channel = format!("{prefix}events");
        let events = crate::Fanout::new();
        // Return only once the subscription is live, so no event published
        // after `connect` can be missed by this node.
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let subscriber = tokio::spawn(subscribe_loop(
            client,
            channel.clone(),
            events.clone(),
            ready_tx,
        ));
        match tokio::time::timeout(Duration::from_secs(5), ready_rx).await {
            Ok(Ok(())) => {}
            _ => {
                subscriber.abort();
                return Err(SharedError("could not subscribe to redis events".into()));
            }
        }
        Ok(Self {
            conn,
            open_until: AtomicU64::new(0),
            started: std::time::Instant::now(),
            prefix: prefix.to_owned(),
            channel,
            hit: redis::Script::new(HIT),
            attempt: redis::Script::new(ATTEMPT),
            events,
            subscriber,
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Runs one Redis operation under the timeout and the breaker.
    async fn guarded<T>(
        &self,
        op: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T> {
        if self.now_ms() < self.open_until.load(Ordering::Relaxed) {
            return Err(SharedError("redis unavailable (recent failure)".into()));
        }
        let outcome = match tokio::time::timeout(COMMAND_TIMEOUT, op).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) => err(e),
            Err(_) => SharedError("redis command timed out".into()),
        };
        self.open_until.store(
            self.now_ms() + BREAKER_OPEN.as_millis() as u64,
            Ordering::Relaxed,
        );
        Err(outcome)
    }
}

async fn subscribe_loop(
    client: redis::Client,
    channel: String,
    out: crate::Fanout,
    ready: tokio::sync::oneshot::Sender<()>,
) {
    use futures_util::StreamExt;
    let mut ready = Some(ready);
    let mut backoff = Duration::from_millis(100);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                if let Err(e) = pubsub.subscribe(&channel).await {
                    tracing::warn!(error = %e, "redis subscribe failed");
                } else {
                    backoff = Duration::from_millis(100);
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(());
                    }
                    // Tell consumers they may have missed events while the
                    // subscription was down.
                    out.send(RESYNC.to_owned());
                    let mut stream = pubsub.on_message();
                    while let Some(msg) = stream.next().await {
                        if let Ok(text) = msg.get_payload::<String>() {
                            out.send(text);
                        }
                    }
                    tracing::warn!("redis event subscription ended; reconnecting");
                }
            }
            Err(e) => tracing::warn!(error = %e, "redis event subscription unavailable"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

#[async_trait]
impl SharedState for RedisState {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn ping(&self) -> Result<()> {
        let mut c = self.conn.clone();
        let pong = tokio::time::timeout(
            COMMAND_TIMEOUT,
            redis::cmd("PING").query_async::<String>(&mut c),
        )
        .await
        .map_err(|_| SharedError("redis ping timed out".into()))?
        .map_err(err)?;
        if pong == "PONG" {
            // Answering again: close the breaker.
            self.open_until.store(0, Ordering::Relaxed);
        }
        Ok(())
    }

    async fn hit(&self, key: &str, window: Duration) -> Result<Count> {
        let mut c = self.conn.clone();
        let (count, ttl): (u64, i64) = self
            .guarded(
                self.hit
                    .key(self.key(key))
                    .arg(window.as_millis().max(1) as u64)
                    .invoke_async(&mut c),
            )
            .await?;
        Ok(Count {
            count,
            resets_in: Duration::from_millis(ttl.max(0) as u64),
        })
    }

    async fn peek(&self, key: &str) -> Result<Count> {
        let mut c = self.conn.clone();
        let k = self.key(key);
        let (count, ttl): (Option<u64>, i64) = self
            .guarded(redis::pipe().get(&k).pttl(&k).query_async(&mut c))
            .await?;
        Ok(Count {
            count: count.unwrap_or(0),
            resets_in: Duration::from_millis(ttl.max(0) as u64),
        })
    }

    async fn attempt(&self, key: &str, limit: u64, window: Duration) -> Result<Attempt> {
        let mut c = self.conn.clone();
        // Unique, so two attempts in one millisecond stay two entries.
        let member = uuid::Uuid::new_v4().simple().to_string();
        let (allowed, count, retry_ms): (u8, u64, i64) = self
            .guarded(
                self.attempt
                    .key(self.key(key))
                    .arg(window.as_millis().max(1) as u64)
                    .arg(limit)
                    .arg(member)
                    .invoke_async(&mut c),
            )
            .await?;
        Ok(Attempt {
            allowed: allowed == 1,
            count,
            retry_after: Duration::from_millis(retry_ms.max(0) as u64),
        })
    }

    async fn clear(&self, key: &str) -> Result<()> {
        let mut c = self.conn.clone();
        let k = self.key(key);
        let _: () = self.guarded(c.del(k)).await?;
        Ok(())
    }

    async fn mark(&self, key: &str, ttl: Duration) -> Result<()> {
        let mut c = self.conn.clone();
        let k = self.key(key);
        let _: () = self
            .guarded(c.pset_ex(k, 1, ttl.as_millis().max(1) as u64))
            .await?;
        Ok(())
    }

    async fn any_marked(&self, keys: &[&str]) -> Result<bool> {
        if keys.is_empty() {
            return Ok(false);
        }
        let mut c = self.conn.clone();
        let full: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        let n: u64 = self.guarded(c.exists(full)).await?;
        Ok(n > 0)
    }

    async fn publish(&self, event: &str) -> Result<()> {
        let mut c = self.conn.clone();
        let channel = self.channel.clone();
        let _: i64 = self.guarded(c.publish(channel, event)).await?;
        Ok(())
    }

    fn subscribe(&self) -> broadcast::Receiver<String> {
        self.events.subscribe()
    }

    fn subscribe_live(&self) -> broadcast::Receiver<String> {
        self.events.subscribe_live()
    }
}
