//! `goal` — Mål / delmål.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::GoalStatus;

/// Mål / delmål: a goal of a plan, optionally a sub-goal of another goal.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "goal")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub plan_id: Uuid,
    /// Parent goal when this is a delmål.
    pub parent_goal_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub status: GoalStatus,
    pub due_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter)]
pub enum Relation {
    /// `plan_id` → `plan`.
    Plan,
    /// `parent_goal_id` → `goal`.
    ParentGoal,
    /// `goal` rows pointing here through `parent_goal_id`.
    SubGoal,
}

impl RelationTrait for Relation {
    fn def(&self) -> RelationDef {
        match self {
            Self::Plan => Entity::belongs_to(super::plan::Entity)
                .from(Column::PlanId)
                .to(super::plan::Column::Id)
                .on_delete(ForeignKeyAction::Cascade)
                .into(),
            Self::ParentGoal => Entity::belongs_to(Entity)
                .from(Column::ParentGoalId)
                .to(Column::Id)
                .on_delete(ForeignKeyAction::Cascade)
                .into(),
            Self::SubGoal => Relation::ParentGoal.def().rev(),
        }
    }
}

impl Related<super::plan::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Plan.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
