//! In-process cache for the demo and for tests without Redis.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Cache, CacheError};

#[derive(Default)]
pub struct MemoryCache {
    entries: Mutex<HashMap<String, (Vec<u8>, Instant)>>,
    counters: Mutex<HashMap<String, i64>>,
}

#[async_trait::async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let mut entries = self.entries.lock().expect("cache lock poisoned");
        match entries.get(key) {
            Some((value, expires)) if *expires > Instant::now() => Ok(Some(value.clone())),
            Some(_) => {
                entries.remove(key);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        self.entries
            .lock()
            .expect("cache lock poisoned")
            .insert(key.to_string(), (value.to_vec(), Instant::now() + ttl));
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.entries
            .lock()
            .expect("cache lock poisoned")
            .remove(key);
        Ok(())
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let removed = self
            .entries
            .lock()
            .expect("cache lock poisoned")
            .remove(key);
        Ok(removed
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(value, _)| value))
    }

    async fn set_if_present(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let mut entries = self.entries.lock().expect("cache lock poisoned");
        match entries.get_mut(key) {
            Some(entry) if entry.1 > Instant::now() => {
                *entry = (value.to_vec(), Instant::now() + ttl);
                Ok(true)
            }
            Some(_) => {
                entries.remove(key);
                Ok(false)
            }
            None => Ok(false),
        }
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
