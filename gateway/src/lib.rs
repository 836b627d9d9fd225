//! Samverkan gateway: one GraphQL schema over the shared cases of a
//! municipality, Arbetsförmedlingen and Försäkringskassan.
//!
//! Each top-level module is one layer; a layer uses only the layers above
//! it in this list (`python3 ../shared/tools/layers.py gateway/src` fails
//! on a cycle, and `tests/layers.rs` on an arrow that points up).

pub mod vocabulary;

pub mod config;

pub mod observability;

pub mod cache;
pub mod db;

pub mod auth;

pub mod policy;

pub mod sources;

pub mod audit;

pub mod dashboard;

pub mod graphql;

pub mod http;

pub mod demo;
