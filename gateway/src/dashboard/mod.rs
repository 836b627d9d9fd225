//! Aggregate dashboards for boards, managers and analysts: counts only,
//! small cells suppressed, whole answers served through the shared cache.

pub mod allocation;
pub mod cache;
pub mod categories;
pub mod flow;
pub mod model;
pub mod overview;
pub mod period;
pub mod registered;
pub mod skills;
pub mod spinning;
pub mod suppress;

/// What dashboards are computed with (`[dashboard]` in the config).
#[derive(Debug, Clone, Copy)]
pub struct DashboardSettings {
    /// Counts from 1 to this are suppressed.
    pub suppression_threshold: i64,
}
