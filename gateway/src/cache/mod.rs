//! The cache behind dashboards, persisted queries and sessions: Redis in
//! production, an in-process map for the demo and tests. Both implement
//! [`Cache`], so callers never know which one they have.

pub mod budget;
pub mod memory;
pub mod redis;
pub mod ttl;
pub mod versions;

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache unavailable: {0}")]
    Unavailable(String),
}

#[async_trait::async_trait]
pub trait Cache: Send + Sync {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError>;
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError>;
    /// Removes `key` (absent is fine). Sign-out must really end a session.
    async fn delete(&self, key: &str) -> Result<(), CacheError>;
    /// Reads and removes `key` in one step, so a one-use value (a pending
    /// sign-in's `state`) cannot be used twice by two racing requests.
    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError>;
    /// Overwrites `key` only if it still exists; `false` if it did not. A
    /// session's "last seen" update must not bring back a session that a
    /// concurrent sign-out just deleted.
    async fn set_if_present(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, CacheError>;
    /// Adds one to the counter `key` (absent counts as 0) and returns the
    /// new value. Counters do not expire.
    async fn incr(&self, key: &str) -> Result<i64, CacheError>;
    /// Adds `amount` to the expiring counter `key` (absent counts as 0) and
    /// returns the new value; the counter lives `ttl` after its last
    /// change. For budgets counted per time window (the key names the
    /// window), shared by every replica with Redis. Unlike [`Self::incr`]'s
    /// counters it may be evicted under memory pressure in-process, which
    /// only ever forgets spending.
    async fn add_counted(&self, key: &str, amount: i64, ttl: Duration) -> Result<i64, CacheError>;
    /// Reads several counters in one round trip (absent counts as 0).
    async fn counters(&self, keys: &[String]) -> Result<Vec<i64>, CacheError>;
    /// Answers when the cache is reachable (for `/readyz`).
    async fn ping(&self) -> Result<(), CacheError>;
    /// Which backend, for logs and `/readyz`.
    fn backend(&self) -> &'static str;
}
