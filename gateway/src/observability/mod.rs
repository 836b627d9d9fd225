//! What operators see, never personal data: logs and OpenTelemetry traces
//! (`telemetry`), Prometheus metrics (`metrics`), and how a request is named
//! and counted (`outcome`).

pub mod metrics;
pub mod outcome;
pub mod telemetry;
