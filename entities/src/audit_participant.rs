//! `audit_participant` — which audit events concern which participant.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row per (participant, audit event): the data subject's access log is
/// a lookup on the primary key instead of a text search through every
/// event's `participant_ids`. Derived from `audit_event.participant_ids`;
/// `gateway audit verify` checks the two agree, since the index itself is
/// not covered by the hash chain. No foreign key to `participant`: the log
/// outlives the person's record.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_participant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub participant_id: Uuid,
    /// The audit event (`audit_event.seq`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::audit_event::Entity",
        from = "Column::Seq",
        to = "super::audit_event::Column::Seq",
        on_delete = "Restrict"
    )]
    AuditEvent,
}

impl Related<super::audit_event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AuditEvent.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
