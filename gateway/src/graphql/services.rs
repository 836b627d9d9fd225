//! What resolvers and the enforcement extension share across requests.
//! Built by the HTTP layer (`http::build_state`), which keeps the parts
//! only the edge needs (authentication, persisted queries, the response
//! cache) for itself.

use std::sync::Arc;
use std::time::Duration;

use pii::crypto::PiiKeys;
use sea_orm::DatabaseConnection;

use crate::audit::AuditLog;
use crate::cache::budget::Budget;
use crate::cache::versions::Versions;
use crate::config::{DashboardConfig, LimitsConfig};
use crate::observability::metrics::Metrics;
use crate::policy::PolicyStore;
use crate::sources::upstream::Upstreams;
use crate::vocabulary::clock::Clock;

pub struct Services {
    pub db: DatabaseConnection,
    pub pii: PiiKeys,
    pub limits: LimitsConfig,
    /// The field policy in force (reloaded on SIGHUP or file change).
    pub policy: Arc<PolicyStore>,
    /// The hash-chained access log.
    pub audit: AuditLog,
    pub clock: Clock,
    pub dashboards: DashboardConfig,
    /// The version counters every write bumps (dashboard cache keys name them).
    pub versions: Versions,
    pub metrics: Arc<Metrics>,
    /// Resolvers at least this slow get a span (`telemetry.resolver_span_threshold_ms`).
    pub resolver_span_threshold: Duration,
    /// The agencies whose records are read live from their own API.
    pub upstreams: Upstreams,
    /// Each caller's estimated cost per minute (`limits.cost_per_minute`),
    /// shared by every replica.
    pub cost_budget: Budget,
}
