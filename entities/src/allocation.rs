//! `allocation` — Fördelning.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::PlacementKind;

/// Fördelning: a target of an allocation model per department and placement kind.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "allocation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub model_id: Uuid,
    pub department_id: Uuid,
    pub kind: PlacementKind,
    pub target: i32,
    /// Kompetensbehov.
    #[sea_orm(column_type = "Text")]
    pub skills_needs: String,
    #[sea_orm(column_type = "Text")]
    pub capacity_notes: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::allocation_model::Entity",
        from = "Column::ModelId",
        to = "super::allocation_model::Column::Id",
        on_delete = "Cascade"
    )]
    Model,
    #[sea_orm(
        belongs_to = "super::org_unit::Entity",
        from = "Column::DepartmentId",
        to = "super::org_unit::Column::Id",
        on_delete = "Restrict"
    )]
    Department,
}

impl Related<super::allocation_model::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Model.def()
    }
}

impl Related<super::org_unit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
