//! `audit_head` — the audit log's newest link.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The newest link of the audit hash chain, in a single row (`id` 1) that
/// every append updates in the same transaction as the events it adds.
/// Without it, deleting the newest events would leave a shorter chain that
/// still verifies; with it, `gateway audit verify` sees the tail is gone.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_head")]
pub struct Model {
    /// Always 1: the table holds one row.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// `seq` of the newest audit event; 0 before the first.
    pub last_seq: i64,
    /// `hash` of the newest audit event; 64 zeros (the genesis value) before the first.
    #[sea_orm(column_type = "Text")]
    pub last_hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
