//! Authorization rules, pure: who may read and write which field (the
//! policy file, checked against the schema's shape and compiled, swapped
//! atomically on reload) and when a consent releases another agency's
//! information. No SQL and no GraphQL library here: the same rules in SQL
//! are in `sources::db` (`scope`, `consent`), and the one mechanism that
//! applies them to a request is `graphql::enforce`.

pub mod compile;
pub mod consent;
pub mod file;
pub mod identity;
pub mod store;

pub use compile::{Access, Classification, Policy, PolicyError, SchemaShape};
pub use store::PolicyStore;
