//! `allocation_model` — Fördelningsmodell.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::AllocationStatus;

/// Fördelningsmodell: the yearly allocation of placements, decided by socialnämnden.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "allocation_model")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub year: i32,
    pub status: AllocationStatus,
    pub decided_on: Option<Date>,
    #[sea_orm(column_type = "Text")]
    pub decided_by: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::allocation::Entity")]
    Allocation,
}

impl Related<super::allocation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Allocation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
