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
//! Every key is namespaced (`<prefix>rl:…`, `<prefix>revoked:…`) so one
//! Redis can serve several deployments.

use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use tokio::sync::broadcast;

use crate::{Count, EVENT_CAPACITY, RESYNC, Result, SharedError, SharedState};

fn err(e: redis::RedisError) -> SharedError {
    SharedError(e.to_string())
}

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

pub struct RedisState {
    conn: ConnectionManager,
    prefix: String,
    channel: String,
    hit: redis::Script,
    events: broadcast::Sender<String>,
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
        let conn = client.get_connection_manager().await.map_err(err)?;
        let channel = format!("{prefix}events");
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
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
            prefix: prefix.to_owned(),
            channel,
            hit: redis::Script::new(HIT),
            events,
            subscriber,
        })
    }

    fn key(&self, kind: &str, key: &str) -> String {
        format!("{}{}:{}", self.prefix, kind, key)
    }
}

async fn subscribe_loop(
    client: redis::Client,
    channel: String,
    out: broadcast::Sender<String>,
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
                    let _ = out.send(RESYNC.to_owned());
                    let mut stream = pubsub.on_message();
                    while let Some(msg) = stream.next().await {
                        if let Ok(text) = msg.get_payload::<String>() {
                            let _ = out.send(text);
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
        let _: String = redis::cmd("PING").query_async(&mut c).await.map_err(err)?;
        Ok(())
    }

    async fn hit(&self, key: &str, window: Duration) -> Result<Count> {
        let mut c = self.conn.clone();
        let (count, ttl): (u64, i64) = self
            .hit
            .key(self.key("rl", key))
            .arg(window.as_millis().max(1) as u64)
            .invoke_async(&mut c)
            .await
            .map_err(err)?;
        Ok(Count {
            count,
            resets_in: Duration::from_millis(ttl.max(0) as u64),
        })
    }

    async fn peek(&self, key: &str) -> Result<Count> {
        let mut c = self.conn.clone();
        let k = self.key("rl", key);
        let (count, ttl): (Option<u64>, i64) = redis::pipe()
            .get(&k)
            .pttl(&k)
            .query_async(&mut c)
            .await
            .map_err(err)?;
        Ok(Count {
            count: count.unwrap_or(0),
            resets_in: Duration::from_millis(ttl.max(0) as u64),
        })
    }

    async fn clear(&self, key: &str) -> Result<()> {
        let mut c = self.conn.clone();
        let _: () = c.del(self.key("rl", key)).await.map_err(err)?;
        Ok(())
    }

    async fn revoke(&self, id: &str, ttl: Duration) -> Result<()> {
        let mut c = self.conn.clone();
        let _: () = c
            .pset_ex(self.key("revoked", id), 1, ttl.as_millis().max(1) as u64)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn is_revoked(&self, id: &str) -> Result<bool> {
        let mut c = self.conn.clone();
        c.exists(self.key("revoked", id)).await.map_err(err)
    }

    async fn publish(&self, event: &str) -> Result<()> {
        let mut c = self.conn.clone();
        let _: i64 = c.publish(&self.channel, event).await.map_err(err)?;
        Ok(())
    }

    fn subscribe(&self) -> broadcast::Receiver<String> {
        self.events.subscribe()
    }
}
