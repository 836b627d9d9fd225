//! The in-process cache behind a switch, for runs without Redis: the same
//! outage test then checks the gateway's bypass on the embedded backend.
//! (With TEST_REDIS_URL the test cuts real Redis through [`crate::proxy`].)

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use gateway::cache::memory::MemoryCache;
use gateway::cache::{Cache, CacheError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlakyMode {
    #[default]
    Up,
    /// Calls never answer (a hung server).
    Silent,
    /// Calls fail at once (connection refused).
    Down,
}

#[derive(Default)]
pub struct FlakyCache {
    inner: MemoryCache,
    mode: Mutex<FlakyMode>,
}

impl FlakyCache {
    pub fn set_mode(&self, mode: FlakyMode) {
        *self.mode.lock().expect("mode lock") = mode;
    }

    async fn gate(&self) -> Result<(), CacheError> {
        let mode = *self.mode.lock().expect("mode lock");
        match mode {
            FlakyMode::Up => Ok(()),
            FlakyMode::Silent => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(())
            }
            FlakyMode::Down => Err(CacheError::Unavailable("connection refused".into())),
        }
    }
}

#[async_trait]
impl Cache for FlakyCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.gate().await?;
        self.inner.get(key).await
    }
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        self.gate().await?;
        self.inner.set(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.gate().await?;
        self.inner.delete(key).await
    }
    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.gate().await?;
        self.inner.take(key).await
    }
    async fn set_if_present(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        self.gate().await?;
        self.inner.set_if_present(key, value, ttl).await
    }
    async fn add_counted(&self, key: &str, amount: i64, ttl: Duration) -> Result<i64, CacheError> {
        self.gate().await?;
        self.inner.add_counted(key, amount, ttl).await
    }
    async fn incr(&self, key: &str) -> Result<i64, CacheError> {
        self.gate().await?;
        self.inner.incr(key).await
    }
    async fn counters(&self, keys: &[String]) -> Result<Vec<i64>, CacheError> {
        self.gate().await?;
        self.inner.counters(keys).await
    }
    async fn ping(&self) -> Result<(), CacheError> {
        self.gate().await
    }
    fn backend(&self) -> &'static str {
        "memory"
    }
}
