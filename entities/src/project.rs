//! `project` — Projekt.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Projekt: a Finsam/ESF project.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "project")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "Text", unique)]
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    /// Funder, e.g. `esf`, `finsam`.
    #[sea_orm(column_type = "Text")]
    pub funder: String,
    pub budget_sek: i64,
    pub period_start: Date,
    pub period_end: Date,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::sub_project::Entity")]
    SubProject,
}

impl Related<super::sub_project::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SubProject.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
