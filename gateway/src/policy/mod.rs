//! Authorization decisions. Today: row scope (`sources::db::scope`) and the
//! consent rule for other agencies' records; the field-level policy file
//! joins here.

pub mod consent;
