//! `step_history` — Steghistorik.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Steghistorik: a participant's stay on a ladder step.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "step_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub participant_id: Uuid,
    pub case_id: Uuid,
    pub step_id: Uuid,
    pub entered_on: Date,
    pub left_on: Option<Date>,
    pub moved_by_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
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
    #[sea_orm(
        belongs_to = "super::ladder_step::Entity",
        from = "Column::StepId",
        to = "super::ladder_step::Column::Id",
        on_delete = "Restrict"
    )]
    Step,
    #[sea_orm(
        belongs_to = "super::staff::Entity",
        from = "Column::MovedById",
        to = "super::staff::Column::Id",
        on_delete = "Restrict"
    )]
    MovedBy,
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

impl Related<super::ladder_step::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Step.def()
    }
}

impl Related<super::staff::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::MovedBy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
