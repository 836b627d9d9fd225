//! Authorization: who may read and write which field (the policy file,
//! compiled and swapped atomically on reload), which rows they see (row
//! scope, in `sources::db::scope`, applied in SQL), consent between
//! agencies, and the checks that enforce all of it in one place (run by
//! the schema's extension, `schema::checks`).

pub mod compile;
pub mod consent;
pub mod enforce;
pub mod file;
pub mod introspection;
pub mod ledger;
pub mod row;
pub mod store;

pub use compile::{Access, Classification, Policy, PolicyError};
pub use enforce::PolicyCheck;
pub use ledger::{Ledger, RowTag};
pub use row::Row;
pub use store::PolicyStore;
