//! `audit_event` — Granskningslogg (loggpost).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Granskningslogg (loggpost): append-only, hash-chained audit event. No `version`/`updated_at`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    /// Sequence number; the order of the hash chain.
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub at: DateTimeUtc,
    /// Code of the acting agency.
    #[sea_orm(column_type = "Text")]
    pub agency: String,
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub role: String,
    #[sea_orm(column_type = "Text")]
    pub operation: String,
    /// Comma-separated participant uuids.
    #[sea_orm(column_type = "Text")]
    pub participant_ids: String,
    /// Comma-separated `Type.field`.
    #[sea_orm(column_type = "Text")]
    pub fields: String,
    #[sea_orm(column_type = "Text")]
    pub decision: String,
    #[sea_orm(column_type = "Text")]
    pub trace_id: Option<String>,
    /// Hash of the previous event.
    #[sea_orm(column_type = "Text")]
    pub prev_hash: String,
    /// Hash of this event (covers `prev_hash`).
    #[sea_orm(column_type = "Text")]
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
