//! Samverkan gateway: one GraphQL schema over the shared cases of a
//! municipality, Arbetsförmedlingen and Försäkringskassan.

pub mod app;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod observe;
pub mod persisted;
pub mod personnummer;
pub mod policy;
pub mod run;
pub mod schema;
pub mod seed;
pub mod sources;
pub mod telemetry;
