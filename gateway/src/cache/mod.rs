//! The cache behind dashboards, persisted queries and sessions: Redis in
//! production, an in-process map for the demo and tests. Both implement
//! [`Cache`], so callers never know which one they have.

pub mod memory;
pub mod redis;

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
    /// Answers when the cache is reachable (for `/readyz`).
    async fn ping(&self) -> Result<(), CacheError>;
    /// Which backend, for logs and `/readyz`.
    fn backend(&self) -> &'static str;
}
