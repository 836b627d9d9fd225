//! Samverkan gateway: one GraphQL schema over the shared cases of a
//! municipality, Arbetsförmedlingen and Försäkringskassan.

// Every binary that links the gateway (the server, the simulator, tests and
// benchmarks) allocates through mimalloc: a GraphQL answer allocates per
// field, and glibc's allocator spent a fifth of a page's CPU time there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
