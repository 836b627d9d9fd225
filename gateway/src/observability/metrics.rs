//! Prometheus metrics, served at `/metrics`. One registry per running
//! gateway (not a process global), so tests each read their own numbers.
//! Labels name outcomes and operations, never a person or a token: an
//! operation label is a sanitized operation name ([`crate::observability::outcome`]), at
//! most [`MAX_OPERATION_NAMES`] distinct ones, then `other`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Distinct operation names counted by name; later ones count as `other`.
pub const MAX_OPERATION_NAMES: usize = 100;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    /// `hit`, `miss` or `bypass`.
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    agency: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationTypeLabels {
    operation_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AgencyLabels {
    agency: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AgencyOutcomeLabels {
    agency: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatementLabels {
    operation: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// 5 ms .. 10 s: a GraphQL request.
fn request_histogram() -> Histogram {
    Histogram::new([
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

/// 0.5 ms .. 1 s: a SQL statement or an audit append.
fn database_histogram() -> Histogram {
    Histogram::new([
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    ])
}

/// 10 ms .. 5 s: a call to an agency's API (its timeout is 1.5 s by default).
fn upstream_histogram() -> Histogram {
    Histogram::new([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.5, 5.0])
}

pub struct Metrics {
    registry: Mutex<Registry>,
    cache: Family<CacheLabels, Counter>,
    dashboard_computations: Counter,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Histograms<OperationTypeLabels>,
    /// The operation names that have a label of their own.
    operation_names: Mutex<HashSet<String>>,
    upstream_calls: Family<AgencyOutcomeLabels, Counter>,
    upstream_seconds: Histograms<AgencyLabels>,
    breaker: Family<AgencyLabels, Gauge>,
    audit_seconds: Histograms<OutcomeLabels>,
    statements: Family<StatementLabels, Counter>,
    statement_seconds: Histograms<OutcomeLabels>,
    /// All statements, for tests (cheaper than summing the family).
    statements_total: AtomicU64,
    pool: Family<PoolLabels, Gauge>,
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
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "graphql_requests",
            "GraphQL requests by operation name (sanitized), caller's agency and outcome",
            requests.clone(),
        );
        let request_seconds = Histograms::new_with_constructor(request_histogram as fn() -> _);
        registry.register(
            "graphql_request_duration_seconds",
            "GraphQL request latency by operation type",
            request_seconds.clone(),
        );
        let upstream_calls = Family::<AgencyOutcomeLabels, Counter>::default();
        registry.register(
            "upstream_calls",
            "Calls to an agency's API by agency and outcome",
            upstream_calls.clone(),
        );
        let upstream_seconds = Histograms::new_with_constructor(upstream_histogram as fn() -> _);
        registry.register(
            "upstream_call_duration_seconds",
            "Latency of calls to an agency's API",
            upstream_seconds.clone(),
        );
        let breaker = Family::<AgencyLabels, Gauge>::default();
        registry.register(
            "upstream_breaker_state",
            "Circuit breaker per agency: 0 closed, 1 half-open, 2 open",
            breaker.clone(),
        );
        let audit_seconds = Histograms::new_with_constructor(database_histogram as fn() -> _);
        registry.register(
            "audit_append_duration_seconds",
            "Time to append audit events (waiting for the append turn included)",
            audit_seconds.clone(),
        );
        let statements = Family::<StatementLabels, Counter>::default();
        registry.register(
            "db_statements",
            "SQL statements by first keyword and outcome",
            statements.clone(),
        );
        let statement_seconds = Histograms::new_with_constructor(database_histogram as fn() -> _);
        registry.register(
            "db_statement_duration_seconds",
            "SQL statement latency",
            statement_seconds.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database pool connections (in_use, idle), read at scrape time",
            pool.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            cache,
            dashboard_computations,
            requests,
            request_seconds,
            operation_names: Mutex::new(HashSet::new()),
            upstream_calls,
            upstream_seconds,
            breaker,
            audit_seconds,
            statements,
            statement_seconds,
            statements_total: AtomicU64::new(0),
            pool,
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

    /// One GraphQL request. `operation` is already sanitized
    /// ([`crate::observability::outcome::operation_name`]); `named` says whether it may take
    /// one of the [`MAX_OPERATION_NAMES`] slots (callers without a token
    /// may not fill them). `agency` is the caller's agency code or
    /// `anonymous`; `outcome` one of [`crate::observability::outcome::outcome_of_codes`].
    pub fn graphql_request(
        &self,
        operation: &str,
        named: bool,
        operation_type: &'static str,
        agency: &str,
        outcome: &'static str,
        seconds: f64,
    ) {
        let operation = self.operation_label(operation, named);
        self.requests
            .get_or_create(&RequestLabels {
                operation,
                agency: agency.to_string(),
                outcome,
            })
            .inc();
        self.request_seconds
            .get_or_create(&OperationTypeLabels { operation_type })
            .observe(seconds);
    }

    fn operation_label(&self, operation: &str, named: bool) -> String {
        if crate::observability::outcome::RESERVED_NAMES.contains(&operation) {
            return operation.to_string();
        }
        if !named {
            return "other".into();
        }
        let mut names = self.operation_names.lock().expect("metrics lock poisoned");
        if names.contains(operation) {
            return operation.to_string();
        }
        if names.len() < MAX_OPERATION_NAMES {
            names.insert(operation.to_string());
            return operation.to_string();
        }
        "other".into()
    }

    /// How many requests had these labels (tests).
    pub fn graphql_requests(&self, operation: &str, agency: &str, outcome: &'static str) -> u64 {
        self.requests
            .get_or_create(&RequestLabels {
                operation: operation.to_string(),
                agency: agency.to_string(),
                outcome,
            })
            .get()
    }

    /// One call to an agency's API: `outcome` is `ok`, `timeout`,
    /// `unavailable` (connect or 5xx), `refused` (4xx), `invalid` (a body
    /// that failed validation), `rejected` (breaker open or bulkhead full).
    pub fn upstream_call(&self, agency: &str, outcome: &str, seconds: f64) {
        self.upstream_calls
            .get_or_create(&AgencyOutcomeLabels {
                agency: agency.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
        self.upstream_seconds
            .get_or_create(&AgencyLabels {
                agency: agency.to_string(),
            })
            .observe(seconds);
    }

    /// An agency's circuit breaker changed state: 0 closed, 1 half-open, 2 open.
    pub fn breaker_state(&self, agency: &str, state: i64) {
        self.breaker
            .get_or_create(&AgencyLabels {
                agency: agency.to_string(),
            })
            .set(state);
    }

    /// One audit append (its own transaction, or inside a mutation's).
    pub fn audit_append(&self, ok: bool, seconds: f64) {
        self.audit_seconds
            .get_or_create(&OutcomeLabels {
                outcome: if ok { "ok" } else { "error" },
            })
            .observe(seconds);
    }

    /// One SQL statement; `operation` is its first keyword ([`crate::db`]).
    pub fn db_statement(&self, operation: &'static str, failed: bool, seconds: f64) {
        let outcome = if failed { "error" } else { "ok" };
        self.statements
            .get_or_create(&StatementLabels { operation, outcome })
            .inc();
        self.statement_seconds
            .get_or_create(&OutcomeLabels { outcome })
            .observe(seconds);
        self.statements_total.fetch_add(1, Ordering::Relaxed);
    }

    /// SQL statements run through the gateway's connection so far.
    pub fn db_statements_total(&self) -> u64 {
        self.statements_total.load(Ordering::Relaxed)
    }

    /// The pool's connections now (called when `/metrics` is scraped).
    pub fn db_pool(&self, size: u32, idle: usize) {
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        let in_use = (i64::from(size) - idle).max(0);
        self.pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(in_use);
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(idle);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().expect("metrics lock poisoned");
        encode(&mut out, &registry).expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_capped() {
        let m = Metrics::new();
        for i in 0..MAX_OPERATION_NAMES + 5 {
            m.graphql_request(&format!("Op{i}"), true, "query", "lund", "ok", 0.01);
        }
        m.graphql_request("Stranger", false, "query", "anonymous", "ok", 0.01);
        let text = m.render();
        assert!(text.contains("operation=\"Op0\""), "{text}");
        assert!(!text.contains(&format!("operation=\"Op{MAX_OPERATION_NAMES}\"")));
        assert!(!text.contains("Stranger"));
        assert_eq!(m.graphql_requests("other", "lund", "ok"), 5);
        assert!(text.contains("gateway_graphql_request_duration_seconds_bucket"));
    }

    #[test]
    fn upstream_and_pool_metrics_render() {
        let m = Metrics::new();
        m.upstream_call("af", "timeout", 1.5);
        m.breaker_state("af", 2);
        m.db_pool(5, 3);
        m.db_statement("SELECT", false, 0.002);
        let text = m.render();
        for want in [
            "gateway_upstream_calls_total{agency=\"af\",outcome=\"timeout\"} 1",
            "gateway_upstream_breaker_state{agency=\"af\"} 2",
            "gateway_db_pool_connections{state=\"in_use\"} 2",
            "gateway_db_pool_connections{state=\"idle\"} 3",
            "gateway_db_statements_total{operation=\"SELECT\",outcome=\"ok\"} 1",
        ] {
            assert!(text.contains(want), "{want} missing in\n{text}");
        }
    }
}
