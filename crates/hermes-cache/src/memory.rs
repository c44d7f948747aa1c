//! Shared state for a single node, in this process.
//!
//! A std `Mutex` guards each map rather than Tokio's: every critical section
//! is a hash-map lookup with no `.await` inside, so an async mutex would
//! only add overhead (see the Tokio docs on "which kind of mutex").
//! Expired entries are swept on access and, in bulk, whenever a map grows
//! past the size it had at its last sweep, so memory is bounded by the
//! number of keys live within one window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::broadcast;

use crate::{Attempt, Count, Fanout, Result, SharedState};

struct Expiring<V> {
    map: HashMap<String, (V, Instant)>,
    sweep_at: usize,
}

impl<V> Expiring<V> {
    fn new() -> Self {
        Self {
            map: HashMap::new(),
            sweep_at: 1024,
        }
    }

    fn live(&mut self, key: &str, now: Instant) -> Option<&mut (V, Instant)> {
        if self.map.get(key).is_some_and(|(_, exp)| *exp <= now) {
            self.map.remove(key);
        }
        self.map.get_mut(key)
    }

    fn maybe_sweep(&mut self, now: Instant) {
        if self.map.len() >= self.sweep_at {
            self.map.retain(|_, (_, exp)| *exp > now);
            self.sweep_at = (self.map.len() * 2).max(1024);
        }
    }
}

pub struct MemoryState {
    counters: Mutex<Expiring<u64>>,
    marks: Mutex<Expiring<()>>,
    /// Attempt times per key, oldest first; the entry's expiry is that of
    /// its newest attempt, so whole keys are swept like the other maps.
    attempts: Mutex<Expiring<VecDeque<Instant>>>,
    events: Fanout,
}

impl Default for MemoryState {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryState {
    pub fn new() -> Self {
        Self {
            counters: Mutex::new(Expiring::new()),
            marks: Mutex::new(Expiring::new()),
            attempts: Mutex::new(Expiring::new()),
            events: Fanout::new(),
        }
    }
}

#[async_trait]
impl SharedState for MemoryState {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }

    async fn hit(&self, key: &str, window: Duration) -> Result<Count> {
        let now = Instant::now();
        let mut c = self.counters.lock().expect("lock poisoned");
        c.maybe_sweep(now);
        let (count, expires) = match c.live(key, now) {
            Some(entry) => {
                entry.0 += 1;
                *entry
            }
            None => {
                let entry = (1, now + window);
                c.map.insert(key.to_owned(), entry);
                entry
            }
        };
        Ok(Count {
            count,
            resets_in: expires.saturating_duration_since(now),
        })
    }

    async fn peek(&self, key: &str) -> Result<Count> {
        let now = Instant::now();
        let mut c = self.counters.lock().expect("lock poisoned");
        Ok(match c.live(key, now) {
            Some((count, expires)) => Count {
                count: *count,
                resets_in: expires.saturating_duration_since(now),
            },
            None => Count {
                count: 0,
                resets_in: Duration::ZERO,
            },
        })
    }

    async fn attempt(&self, key: &str, limit: u64, window: Duration) -> Result<Attempt> {
        let now = Instant::now();
        let mut a = self.attempts.lock().expect("lock poisoned");
        a.maybe_sweep(now);
        let entry = a
            .map
            .entry(key.to_owned())
            .or_insert_with(|| (VecDeque::new(), now));
        let times = &mut entry.0;
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        let count = times.len() as u64;
        if count >= limit {
            let retry_after = times.front().map_or(window, |oldest| {
                (*oldest + window).saturating_duration_since(now)
            });
            return Ok(Attempt {
                allowed: false,
                count,
                retry_after,
            });
        }
        times.push_back(now);
        entry.1 = now + window;
        Ok(Attempt {
            allowed: true,
            count: count + 1,
            retry_after: Duration::ZERO,
        })
    }

    async fn clear(&self, key: &str) -> Result<()> {
        self.counters.lock().expect("lock poisoned").map.remove(key);
        self.attempts.lock().expect("lock poisoned").map.remove(key);
        self.marks.lock().expect("lock poisoned").map.remove(key);
        Ok(())
    }

    async fn mark(&self, key: &str, ttl: Duration) -> Result<()> {
        let now = Instant::now();
        let mut m = self.marks.lock().expect("lock poisoned");
        m.maybe_sweep(now);
        m.map.insert(key.to_owned(), ((), now + ttl));
        Ok(())
    }

    async fn any_marked(&self, keys: &[&str]) -> Result<bool> {
        let now = Instant::now();
        let mut m = self.marks.lock().expect("lock poisoned");
        Ok(keys.iter().any(|k| m.live(k, now).is_some()))
    }

    async fn publish(&self, event: &str) -> Result<()> {
        self.events.send(event.to_owned());
        Ok(())
    }

    fn subscribe(&self) -> broadcast::Receiver<String> {
        self.events.subscribe()
    }

    fn subscribe_live(&self) -> broadcast::Receiver<String> {
        self.events.subscribe_live()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn window_counts_then_resets() {
        let s = MemoryState::new();
        let w = Duration::from_millis(80);
        assert_eq!(s.hit("k", w).await.unwrap().count, 1);
        assert_eq!(s.hit("k", w).await.unwrap().count, 2);
        let c = s.peek("k").await.unwrap();
        assert_eq!(c.count, 2);
        assert!(c.resets_in <= w && c.resets_in > Duration::ZERO);
        tokio::time::sleep(w + Duration::from_millis(20)).await;
        assert_eq!(s.peek("k").await.unwrap().count, 0);
        assert_eq!(s.hit("k", w).await.unwrap().count, 1);
    }

    #[tokio::test]
    async fn clear_and_independent_keys() {
        let s = MemoryState::new();
        let w = Duration::from_secs(60);
        s.hit("a", w).await.unwrap();
        s.hit("a", w).await.unwrap();
        s.hit("b", w).await.unwrap();
        s.clear("a").await.unwrap();
        assert_eq!(s.peek("a").await.unwrap().count, 0);
        assert_eq!(s.peek("b").await.unwrap().count, 1);
    }

    #[tokio::test]
    async fn marks_expire() {
        let s = MemoryState::new();
        s.mark("jti:1", Duration::from_millis(50)).await.unwrap();
        assert!(s.any_marked(&["jti:1"]).await.unwrap());
        assert!(s.any_marked(&["jti:2", "jti:1"]).await.unwrap());
        assert!(!s.any_marked(&["jti:2"]).await.unwrap());
        assert!(!s.any_marked(&[]).await.unwrap());
        tokio::time::sleep(Duration::from_millis(70)).await;
        assert!(!s.any_marked(&["jti:1"]).await.unwrap());
    }

    #[tokio::test]
    async fn attempts_slide() {
        let s = MemoryState::new();
        let w = Duration::from_millis(200);
        for i in 1..=3 {
            let a = s.attempt("k", 3, w).await.unwrap();
            assert!(a.allowed);
            assert_eq!(a.count, i);
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        let refused = s.attempt("k", 3, w).await.unwrap();
        assert!(!refused.allowed);
        assert_eq!(refused.count, 3);
        assert!(refused.retry_after <= w && refused.retry_after > Duration::ZERO);
        // Once the oldest attempt leaves the window, exactly one slot frees.
        tokio::time::sleep(refused.retry_after + Duration::from_millis(5)).await;
        assert!(s.attempt("k", 3, w).await.unwrap().allowed);
        assert!(!s.attempt("k", 3, w).await.unwrap().allowed);
        s.clear("k").await.unwrap();
        assert_eq!(s.attempt("k", 3, w).await.unwrap().count, 1);
    }

    #[tokio::test]
    async fn events_reach_subscribers() {
        let s = MemoryState::new();
        let mut rx = s.subscribe();
        s.publish("user:1").await.unwrap();
        assert_eq!(rx.recv().await.unwrap(), "user:1");
    }

    #[tokio::test]
    async fn sweeping_bounds_memory() {
        // Five batches of keys whose windows end before the next batch:
        // without sweeping the map would hold all 5000.
        let s = MemoryState::new();
        for batch in 0..5 {
            for i in 0..1000 {
                s.hit(&format!("k{batch}-{i}"), Duration::from_millis(20))
                    .await
                    .unwrap();
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        let len = s.counters.lock().unwrap().map.len();
        assert!(len <= 2048, "expired keys were not swept ({len} left)");
    }
}
