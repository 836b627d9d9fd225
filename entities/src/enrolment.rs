//! `enrolment` — Inskrivning.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ExitReason, IncomeSource};

/// Inskrivning: a participant's enrolment in a sub-project.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "enrolment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_project_id: Uuid,
    pub participant_id: Uuid,
    pub case_id: Option<Uuid>,
    pub enrolled_on: Date,
    pub exited_on: Option<Date>,
    pub exit_reason: Option<ExitReason>,
    pub income_source_before: IncomeSource,
    pub income_source_after: Option<IncomeSource>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::sub_project::Entity",
        from = "Column::SubProjectId",
        to = "super::sub_project::Column::Id",
        on_delete = "Restrict"
    )]
    SubProject,
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

impl Related<super::sub_project::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SubProject.def()
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
