//! `placement` — Placering.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::PlacementStatus;

/// Placering: a participant in a placement slot.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "placement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub slot_id: Uuid,
    pub participant_id: Uuid,
    pub case_id: Uuid,
    pub started_on: Date,
    pub ended_on: Option<Date>,
    pub status: PlacementStatus,
    #[sea_orm(column_type = "Text")]
    pub outcome: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::placement_slot::Entity",
        from = "Column::SlotId",
        to = "super::placement_slot::Column::Id",
        on_delete = "Restrict"
    )]
    Slot,
    #[sea_orm(
        belongs_to = "super::participant::Entity",
        from = "Column::ParticipantId",
        to = "super::participant::Column::Id",
        on_delete = "Restrict"
    )]
    Participant,
    #[sea_orm(
        belongs_to = "super::shared_case::Entity",
        from = "Column::CaseId",
        to = "super::shared_case::Column::Id",
        on_delete = "Restrict"
    )]
    Case,
}

impl Related<super::placement_slot::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Slot.def()
    }
}

impl Related<super::participant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Participant.def()
    }
}

impl Related<super::shared_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
