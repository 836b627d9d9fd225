//! What the load scripts in `benches/` share: settings from the
//! environment and percentiles.

use std::time::Duration;

/// `name` from the environment as a number, else `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `p` percentile (0.0–1.0) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

/// A benchmark is one caller doing the work of many: the per-caller cost
/// budget (`limits.cost_per_minute`) would throttle it, so benchmarks run
/// without one.
pub fn unmetered(config: &mut gateway::config::Config) {
    config.limits.cost_per_minute = u64::MAX;
}
