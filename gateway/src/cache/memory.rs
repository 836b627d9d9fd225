//! In-process cache for the demo and for tests without Redis.
//!
//! Entries live in a [`moka`] cache bounded in bytes: each expires at its
//! own TTL whether or not it is read again, and when the bound is reached
//! the least recently used entries go first, the way Redis with a
//! `maxmemory` policy would. Least recently used rather than moka's default
//! admission policy, because a value just written (a session, a pending
//! sign-in) must be there for the next read, even when the cache is full.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use moka::ops::compute::{CompResult, Op};
use moka::policy::EvictionPolicy;

use super::ttl::{Expiring, PerEntryTtl};
use super::{Cache, CacheError};

/// The default bound of [`MemoryCache`]: enough for the demo's dashboards,
/// sessions and persisted queries many times over.
pub const DEFAULT_CAPACITY_BYTES: u64 = 64 * 1024 * 1024;

/// What an entry is counted as beyond its key and value: a rough allowance
/// for the bookkeeping moka keeps per entry.
const ENTRY_OVERHEAD_BYTES: usize = 128;

type Value = Expiring<Arc<[u8]>>;

pub struct MemoryCache {
    entries: moka::sync::Cache<String, Value>,
    /// The version counters (see [`super::versions`]) are kept apart, in a
    /// plain map that nothing evicts: a counter evicted under memory pressure
    /// would come back as 0, and an answer cached at an earlier 0 would match
    /// it again and be served stale. There are a dozen of them; they cannot
    /// grow the process.
    counters: Mutex<HashMap<String, i64>>,
}

impl MemoryCache {
    /// A cache that keeps at most about `capacity_bytes` of keys and values.
    pub fn with_capacity(capacity_bytes: u64) -> Self {
        let entries = moka::sync::Cache::builder()
            .max_capacity(capacity_bytes)
            .weigher(|key: &String, entry: &Value| {
                u32::try_from(key.len() + entry.value.len() + ENTRY_OVERHEAD_BYTES)
                    .unwrap_or(u32::MAX)
            })
            .expire_after(PerEntryTtl)
            .eviction_policy(EvictionPolicy::lru())
            .build();
        Self {
            entries,
            counters: Mutex::default(),
        }
    }
}

impl Default for MemoryCache {
    /// Bounded at [`DEFAULT_CAPACITY_BYTES`].
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY_BYTES)
    }
}

// Every write goes through `entry().and_compute_with`, which moka runs one
// at a time per key; a plain `insert` or `remove` would not wait for a
// compute in progress, so `take` and `set_if_present` would no longer be
// single steps.
#[async_trait::async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self.entries.get(key).map(|entry| entry.value.to_vec()))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        let value = Expiring::new(Arc::from(value), ttl);
        self.entries
            .entry(key.to_string())
            .and_compute_with(|_| Op::Put(value));
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.entries
            .entry(key.to_string())
            .and_compute_with(|_| Op::Remove);
        Ok(())
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        // An expired entry is handed to the closure as `None`, so it is never taken.
        let result = self
            .entries
            .entry(key.to_string())
            .and_compute_with(|live| match live {
                Some(_) => Op::Remove,
                None => Op::Nop,
            });
        Ok(match result {
            CompResult::Removed(entry) => Some(entry.into_value().value.to_vec()),
            _ => None,
        })
    }

    async fn set_if_present(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let result = self
            .entries
            .entry(key.to_string())
            .and_compute_with(|live| match live {
                Some(_) => Op::Put(Expiring::new(Arc::from(value), ttl)),
                None => Op::Nop,
            });
        Ok(matches!(result, CompResult::ReplacedWith(_)))
    }

    async fn add_counted(&self, key: &str, amount: i64, ttl: Duration) -> Result<i64, CacheError> {
        let read = |v: &Value| {
            <[u8; 8]>::try_from(&v.value[..])
                .map(i64::from_be_bytes)
                .unwrap_or(0)
        };
        let result = self
            .entries
            .entry(key.to_string())
            .and_compute_with(|live| {
                let now = live.map(|e| read(e.value())).unwrap_or(0) + amount;
                Op::Put(Expiring::new(Arc::from(&now.to_be_bytes()[..]), ttl))
            });
        Ok(match result {
            CompResult::Inserted(e) | CompResult::ReplacedWith(e) => read(e.value()),
            _ => amount,
        })
    }

    async fn incr(&self, key: &str) -> Result<i64, CacheError> {
        let mut counters = self.counters.lock().expect("cache lock poisoned");
        let n = counters.entry(key.to_string()).or_insert(0);
        *n += 1;
        Ok(*n)
    }

    async fn counters(&self, keys: &[String]) -> Result<Vec<i64>, CacheError> {
        let counters = self.counters.lock().expect("cache lock poisoned");
        Ok(keys
            .iter()
            .map(|k| counters.get(k).copied().unwrap_or(0))
            .collect())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn a_flood_of_distinct_keys_stays_within_the_bound() {
        const BOUND: u64 = 1024 * 1024;
        let cache = MemoryCache::with_capacity(BOUND);
        cache.incr("ver:cases").await.expect("incr");
        let value = vec![7u8; 1024];
        for n in 0..100_000 {
            cache
                .set(&format!("flood:{n}"), &value, MINUTE)
                .await
                .expect("set");
        }
        cache.entries.run_pending_tasks();
        let size = cache.entries.weighted_size();
        assert!(size <= BOUND, "{size} bytes kept, bound {BOUND}");
        assert!(cache.entries.entry_count() < 1024, "most entries evicted");
        assert_eq!(
            cache.get("flood:99999").await.expect("get"),
            Some(value),
            "the newest entry is kept"
        );
        assert_eq!(
            cache
                .counters(&["ver:cases".to_string()])
                .await
                .expect("counters"),
            vec![1],
            "counters are never evicted"
        );
    }

    #[tokio::test]
    async fn a_value_just_written_is_kept_even_when_the_cache_is_full_of_hot_entries() {
        let cache = MemoryCache::with_capacity(256 * 1024);
        let value = vec![7u8; 1024];
        for n in 0..150 {
            cache
                .set(&format!("hot:{n}"), &value, MINUTE)
                .await
                .expect("set");
        }
        for _ in 0..5 {
            for n in 0..150 {
                cache.get(&format!("hot:{n}")).await.expect("get");
            }
        }
        cache.entries.run_pending_tasks();
        for n in 0..100 {
            cache
                .set(&format!("session:{n}"), &value, MINUTE)
                .await
                .expect("set");
        }
        cache.entries.run_pending_tasks();
        assert_eq!(
            cache.get("session:99").await.expect("get"),
            Some(value),
            "a new session must not be turned away by often-read dashboards"
        );
    }

    #[tokio::test]
    async fn entries_expire_at_their_own_ttl() {
        let cache = MemoryCache::default();
        cache
            .set("short", b"s", Duration::from_millis(50))
            .await
            .expect("set");
        cache.set("long", b"l", MINUTE).await.expect("set");
        assert_eq!(cache.get("short").await.expect("get"), Some(b"s".to_vec()));
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(cache.get("short").await.expect("get"), None);
        assert_eq!(cache.get("long").await.expect("get"), Some(b"l".to_vec()));
    }

    #[tokio::test]
    async fn an_expired_entry_is_dropped_without_being_read_again() {
        let cache = MemoryCache::default();
        for n in 0..100 {
            cache
                .set(&format!("short:{n}"), b"s", Duration::from_millis(20))
                .await
                .expect("set");
        }
        cache.set("long", b"l", MINUTE).await.expect("set");
        // moka's timer wheel sweeps in steps of about a second.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            cache.entries.run_pending_tasks();
            if cache.entries.entry_count() == 1 || std::time::Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            cache.entries.entry_count(),
            1,
            "only the live entry is kept"
        );
    }

    #[tokio::test]
    async fn take_hands_out_a_live_value_once_and_never_an_expired_one() {
        let cache = MemoryCache::default();
        cache.set("once", b"v", MINUTE).await.expect("set");
        assert_eq!(cache.take("once").await.expect("take"), Some(b"v".to_vec()));
        assert_eq!(cache.take("once").await.expect("take"), None);
        assert_eq!(cache.get("once").await.expect("get"), None);

        cache
            .set("stale", b"v", Duration::from_millis(30))
            .await
            .expect("set");
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(cache.take("stale").await.expect("take"), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn racing_takes_hand_a_value_to_one_of_them() {
        let cache = Arc::new(MemoryCache::default());
        for round in 0..200 {
            let key = format!("state:{round}");
            cache.set(&key, b"v", MINUTE).await.expect("set");
            let takers: Vec<_> = (0..4)
                .map(|_| {
                    let (cache, key) = (cache.clone(), key.clone());
                    tokio::spawn(async move { cache.take(&key).await.expect("take") })
                })
                .collect();
            let mut got = 0;
            for t in takers {
                got += usize::from(t.await.expect("taker").is_some());
            }
            assert_eq!(got, 1, "round {round}");
        }
    }

    #[tokio::test]
    async fn set_if_present_overwrites_only_a_live_entry() {
        let cache = MemoryCache::default();
        assert!(!cache
            .set_if_present("absent", b"new", MINUTE)
            .await
            .expect("set"));
        assert_eq!(cache.get("absent").await.expect("get"), None, "not created");

        cache.set("live", b"old", MINUTE).await.expect("set");
        assert!(cache
            .set_if_present("live", b"new", MINUTE)
            .await
            .expect("set"));
        assert_eq!(cache.get("live").await.expect("get"), Some(b"new".to_vec()));

        cache.set("deleted", b"old", MINUTE).await.expect("set");
        cache.delete("deleted").await.expect("delete");
        assert!(!cache
            .set_if_present("deleted", b"new", MINUTE)
            .await
            .expect("set"));
        assert_eq!(
            cache.get("deleted").await.expect("get"),
            None,
            "not revived"
        );

        cache
            .set("stale", b"old", Duration::from_millis(30))
            .await
            .expect("set");
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(!cache
            .set_if_present("stale", b"new", MINUTE)
            .await
            .expect("set"));
        assert_eq!(cache.get("stale").await.expect("get"), None, "not revived");
    }

    #[tokio::test]
    async fn set_if_present_gives_the_entry_its_new_ttl() {
        let cache = MemoryCache::default();
        cache
            .set("session", b"v1", Duration::from_millis(50))
            .await
            .expect("set");
        assert!(cache
            .set_if_present("session", b"v2", MINUTE)
            .await
            .expect("set"));
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(
            cache.get("session").await.expect("get"),
            Some(b"v2".to_vec())
        );
    }
}
