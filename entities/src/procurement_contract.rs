//! `procurement_contract` — Upphandling med sysselsättningskrav.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Upphandling med sysselsättningskrav: a procurement contract with an employment requirement.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "procurement_contract")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub supplier: String,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    pub employment_requirement_places: i32,
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
    #[sea_orm(has_many = "super::placement_slot::Entity")]
    PlacementSlot,
}

impl Related<super::placement_slot::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PlacementSlot.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
