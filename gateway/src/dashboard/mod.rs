//! Aggregate dashboards for boards, managers and analysts: counts only,
//! small cells suppressed, whole answers served through the shared cache.

pub mod allocation;
pub mod cache;
pub mod categories;
pub mod flow;
pub mod model;
pub mod overview;
pub mod period;
pub mod skills;
pub mod spinning;
pub mod suppress;
