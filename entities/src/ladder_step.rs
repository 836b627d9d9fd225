//! `ladder_step` — Trappsteg.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Trappsteg: one step of a track in the trappstegsmodell.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "ladder_step")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Track, e.g. `kitchen_assistant`, `care_assistant`, `cleaning`, `warehouse`.
    #[sea_orm(column_type = "Text")]
    pub track: String,
    pub ordinal: i32,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::step_history::Entity")]
    StepHistory,
}

impl Related<super::step_history::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StepHistory.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
