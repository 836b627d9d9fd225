//! Prometheus metrics, served at `/metrics`. One registry per running
//! gateway (not a process global), so tests each read their own numbers.
//! Labels name outcomes and operations, never a person or a token.

use std::sync::Mutex;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    /// `hit`, `miss` or `bypass`.
    pub result: String,
}

pub struct Metrics {
    registry: Mutex<Registry>,
    cache: Family<CacheLabels, Counter>,
    dashboard_computations: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("gateway");
        let cache = Family::<CacheLabels, Counter>::default();
        registry.register(
            "dashboard_cache_requests",
            "Dashboard answers by cache result (hit, miss, bypass)",
            cache.clone(),
        );
        let dashboard_computations = Counter::default();
        registry.register(
            "dashboard_computations",
            "Dashboard answers computed from the database",
            dashboard_computations.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            cache,
            dashboard_computations,
        }
    }

    pub fn cache_result(&self, result: &str) {
        self.cache
            .get_or_create(&CacheLabels {
                result: result.to_string(),
            })
            .inc();
    }

    pub fn dashboard_computed(&self) {
        self.dashboard_computations.inc();
    }

    /// How many dashboard answers were computed (tests count stampedes).
    pub fn dashboard_computations(&self) -> u64 {
        self.dashboard_computations.get()
    }

    pub fn cache_results(&self, result: &str) -> u64 {
        self.cache
            .get_or_create(&CacheLabels {
                result: result.to_string(),
            })
            .get()
    }

    /// One call to an agency's API: `outcome` is `ok`, `timeout`,
    /// `unavailable` (connect or 5xx), `refused` (4xx), `invalid` (a body
    /// that failed validation), `rejected` (breaker open or bulkhead full).
    pub fn upstream_call(&self, agency: &str, outcome: &str, seconds: f64) {
        let _ = (agency, outcome, seconds);
    }

    /// An agency's circuit breaker changed state: 0 closed, 1 half-open, 2 open.
    pub fn breaker_state(&self, agency: &str, state: i64) {
        let _ = (agency, state);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().expect("metrics lock poisoned");
        encode(&mut out, &registry).expect("writing to a String cannot fail");
        out
    }
}
