//! Aggregate dashboards for boards, managers and analysts: counts only,
//! small cells suppressed. The whole answers are cached by the HTTP layer
//! (`http::dashboard_cache`).

pub mod allocation;
pub mod categories;
pub mod flow;
pub mod model;
pub mod overview;
pub mod period;
pub mod skills;
pub mod spinning;
pub mod suppress;
