//! Version counters per data domain. Every write bumps the counters of the
//! domains it touched, after its transaction commits; cached answers carry
//! the counters they were computed at in their key, so the next read after
//! a write misses and computes afresh (read-your-writes without waiting
//! for a TTL).
//!
//! Ordering matters: a reader takes the counters *before* it computes, a
//! writer bumps *after* it commits. A reader that raced a write either saw
//! the old counters (and stores under a key no later reader asks for) or
//! the new ones (and computed from committed data).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Cache, CacheError};

/// A domain's counter is the cache key `ver:<snake_case name>`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case", prefix = "ver:")]
pub enum Domain {
    Participants,
    Cases,
    Consents,
    Enrolments,
    Projects,
    Placements,
    Slots,
    Allocation,
    Interventions,
    Steps,
    /// Plans, goals and follow-ups: no dashboard reads them today.
    CaseWork,
    /// AF's and FK's records.
    Records,
}

impl Domain {
    /// Every domain, in declaration order.
    pub const ALL: &'static [Domain] = <Domain as strum::VariantArray>::VARIANTS;

    fn key(self) -> &'static str {
        self.into()
    }

    /// The domains a write touched, from the types it names in its audit
    /// event (`Consent`, `Goal.status`, ...). A type this table does not
    /// know bumps every domain: a stale dashboard is worse than a miss.
    pub fn of_written(written: &[&str]) -> BTreeSet<Domain> {
        let mut out = BTreeSet::new();
        for w in written {
            let ty = w.split('.').next().unwrap_or(w);
            match ty {
                "Participant" => out.insert(Domain::Participants),
                "Case" | "CaseMember" => out.insert(Domain::Cases),
                "Consent" => out.insert(Domain::Consents),
                "Enrolment" => out.insert(Domain::Enrolments),
                "Placement" => out.insert(Domain::Placements),
                "PlacementSlot" => out.insert(Domain::Slots),
                "StepEntry" => out.insert(Domain::Steps),
                "Intervention" => out.insert(Domain::Interventions),
                "Plan" | "Goal" | "FollowUp" => out.insert(Domain::CaseWork),
                "EmploymentServiceRecord" | "SocialInsuranceRecord" => out.insert(Domain::Records),
                _ => {
                    out.extend(Domain::ALL);
                    true
                }
            };
        }
        out
    }
}

/// Reads and bumps the counters in the shared cache.
#[derive(Clone)]
pub struct Versions {
    cache: Arc<dyn Cache>,
    /// Bounds every call: a write never waits on a slow cache.
    timeout: Duration,
    /// Bumps that failed (the cache was down). Until they succeed, nothing
    /// is served from the cache by this instance: an entry cached before
    /// the write would otherwise still match the old counters.
    pending: Arc<Mutex<BTreeSet<Domain>>>,
}

impl Versions {
    pub fn new(cache: Arc<dyn Cache>, timeout: Duration) -> Versions {
        Versions {
            cache,
            timeout,
            pending: Arc::default(),
        }
    }

    /// Bumps after a committed write. Never fails the write: a bump the
    /// cache refused is remembered and retried before the next read.
    pub async fn bump(&self, domains: &BTreeSet<Domain>) {
        for d in domains {
            if let Err(e) = self.incr(*d).await {
                tracing::warn!(domain = ?d, error = %e, "version bump failed; cache bypassed until it succeeds");
                self.pending
                    .lock()
                    .expect("versions lock poisoned")
                    .insert(*d);
            }
        }
    }

    /// The counters of `domains`, in order, after retrying any bump that
    /// failed before. An error means: do not use the cache for this read.
    pub async fn current(&self, domains: &[Domain]) -> Result<Vec<i64>, CacheError> {
        let pending: Vec<Domain> = self
            .pending
            .lock()
            .expect("versions lock poisoned")
            .iter()
            .copied()
            .collect();
        for d in pending {
            self.incr(d).await?;
            self.pending
                .lock()
                .expect("versions lock poisoned")
                .remove(&d);
        }
        let keys: Vec<String> = domains.iter().map(|d| d.key().to_string()).collect();
        tokio::time::timeout(self.timeout, self.cache.counters(&keys))
            .await
            .map_err(|_| CacheError::Unavailable("timed out".into()))?
    }

    async fn incr(&self, d: Domain) -> Result<i64, CacheError> {
        tokio::time::timeout(self.timeout, self.cache.incr(d.key()))
            .await
            .map_err(|_| CacheError::Unavailable("timed out".into()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_map_to_domains() {
        assert_eq!(
            Domain::of_written(&["Consent.revokedAt"]),
            BTreeSet::from([Domain::Consents])
        );
        assert_eq!(
            Domain::of_written(&["Participant", "Case"]),
            BTreeSet::from([Domain::Participants, Domain::Cases])
        );
        assert_eq!(Domain::of_written(&["Unheard"]).len(), Domain::ALL.len());
    }

    #[test]
    fn counter_keys_are_the_ones_other_replicas_read() {
        let keys: Vec<&str> = Domain::ALL.iter().map(|d| d.key()).collect();
        assert_eq!(
            keys,
            [
                "ver:participants",
                "ver:cases",
                "ver:consents",
                "ver:enrolments",
                "ver:projects",
                "ver:placements",
                "ver:slots",
                "ver:allocation",
                "ver:interventions",
                "ver:steps",
                "ver:case_work",
                "ver:records",
            ]
        );
    }

    #[tokio::test]
    async fn a_bump_changes_the_counter() {
        let cache: Arc<dyn Cache> = Arc::new(crate::cache::memory::MemoryCache::default());
        let v = Versions::new(cache, Duration::from_secs(1));
        let before = v
            .current(&[Domain::Consents, Domain::Cases])
            .await
            .expect("memory");
        v.bump(&BTreeSet::from([Domain::Consents])).await;
        let after = v
            .current(&[Domain::Consents, Domain::Cases])
            .await
            .expect("memory");
        assert_eq!(after[0], before[0] + 1);
        assert_eq!(after[1], before[1]);
    }
}
