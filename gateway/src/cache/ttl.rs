//! Per-entry time to live for the in-process [`moka`] caches: each value
//! carries how long it may be kept, and [`PerEntryTtl`] tells moka so.
//! Expired entries are never returned and are dropped by moka's own
//! housekeeping, whether or not anyone reads them again.

use std::time::{Duration, Instant};

/// A cached value and how long it may be kept from when it was written.
#[derive(Debug, Clone)]
pub struct Expiring<V> {
    pub value: V,
    pub ttl: Duration,
}

impl<V> Expiring<V> {
    pub fn new(value: V, ttl: Duration) -> Self {
        Self { value, ttl }
    }
}

/// Expires an [`Expiring`] value `ttl` after it was written (created or
/// overwritten); reading it does not extend its life.
pub struct PerEntryTtl;

impl<K, V> moka::Expiry<K, Expiring<V>> for PerEntryTtl {
    fn expire_after_create(&self, _: &K, value: &Expiring<V>, _: Instant) -> Option<Duration> {
        Some(value.ttl)
    }

    fn expire_after_update(
        &self,
        _: &K,
        value: &Expiring<V>,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}
