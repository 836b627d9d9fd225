//! Per-caller budgets counted per fixed time window in the shared cache, so
//! every replica draws on one budget: a caller cannot multiply its share
//! by spreading requests over replicas.
//!
//! The key names the budget, the caller (a SHA-256 of agency and subject:
//! no identity in the cache) and the window number. When the cache cannot
//! be asked in time the charge is allowed: a Redis outage must not stop
//! the service, and the per-request limits still bound each request.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::Cache;

/// A budget spent: how much was asked, the limit, and when the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    pub spent: u64,
    pub limit: u64,
    pub retry_after: Duration,
}

/// One kind of budget: `limit` units per `window` per caller.
#[derive(Clone)]
pub struct Budget {
    cache: Arc<dyn Cache>,
    name: &'static str,
    limit: u64,
    window: Duration,
    timeout: Duration,
}

impl Budget {
    pub fn new(
        cache: Arc<dyn Cache>,
        name: &'static str,
        limit: u64,
        window: Duration,
        timeout: Duration,
    ) -> Self {
        Self {
            cache,
            name,
            limit,
            window: window.max(Duration::from_secs(1)),
            timeout,
        }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Charges `amount` to (`agency`, `subject`) in the window `now` falls
    /// in. Refused once the window's spending would pass the limit; what was
    /// refused still counts, so retrying at once does not help.
    pub async fn charge(
        &self,
        agency: &str,
        subject: &str,
        amount: u64,
        now: SystemTime,
    ) -> Result<(), Exhausted> {
        let secs = self.window.as_secs();
        let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let window = since_epoch / secs;
        let key = format!("budget:{}:{}:{window}", self.name, caller(agency, subject));
        let amount = i64::try_from(amount).unwrap_or(i64::MAX);
        let spent = tokio::time::timeout(
            self.timeout,
            self.cache.add_counted(&key, amount, self.window),
        )
        .await;
        let spent = match spent {
            Ok(Ok(spent)) => u64::try_from(spent).unwrap_or(0),
            Ok(Err(e)) => {
                tracing::warn!(budget = self.name, error = %e, "budget not counted: cache unavailable");
                return Ok(());
            }
            Err(_) => {
                tracing::warn!(budget = self.name, "budget not counted: cache too slow");
                return Ok(());
            }
        };
        if spent > self.limit {
            let ends = (window + 1) * secs;
            return Err(Exhausted {
                spent,
                limit: self.limit,
                retry_after: Duration::from_secs(ends.saturating_sub(since_epoch).max(1)),
            });
        }
        Ok(())
    }
}

/// The caller's part of a key: who, without saying who.
fn caller(agency: &str, subject: &str) -> String {
    let mut h = Sha256::new();
    h.update((agency.len() as u64).to_be_bytes());
    h.update(agency.as_bytes());
    h.update(subject.as_bytes());
    hex::encode(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::memory::MemoryCache;

    fn budget(limit: u64) -> Budget {
        Budget::new(
            Arc::new(MemoryCache::default()),
            "cost",
            limit,
            Duration::from_secs(60),
            Duration::from_secs(1),
        )
    }

    #[tokio::test]
    async fn a_caller_spends_its_own_budget_per_window() {
        let b = budget(100);
        let t = UNIX_EPOCH + Duration::from_secs(6_000_030);
        assert!(b.charge("af", "a", 60, t).await.is_ok());
        assert!(b.charge("af", "a", 40, t).await.is_ok());
        let refused = b.charge("af", "a", 1, t).await.unwrap_err();
        assert_eq!((refused.spent, refused.limit), (101, 100));
        assert_eq!(refused.retry_after, Duration::from_secs(30));
        // Another caller, and the next window, start afresh.
        assert!(b.charge("af", "b", 100, t).await.is_ok());
        assert!(b.charge("fk", "a", 100, t).await.is_ok());
        let next = t + Duration::from_secs(30);
        assert!(b.charge("af", "a", 100, next).await.is_ok());
    }

    #[test]
    fn the_key_names_no_caller() {
        let key = caller("af", "officer-kim");
        assert!(!key.contains("officer") && !key.contains("kim"), "{key}");
        assert_eq!(key.len(), 32);
        assert_ne!(caller("a", "fb"), caller("af", "b"));
    }
}
