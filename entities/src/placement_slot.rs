//! `placement_slot` — Plats.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{PlacementKind, StateSubsidy};

/// Plats: a placement slot at a department, an external employer or under a procurement contract.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "placement_slot")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub department_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub employer_name: Option<String>,
    pub procurement_contract_id: Option<Uuid>,
    pub kind: PlacementKind,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// Ladder track the slot trains for.
    #[sea_orm(column_type = "Text")]
    pub track: Option<String>,
    pub period_start: Date,
    pub period_end: Date,
    /// Handledare.
    #[sea_orm(column_type = "Text")]
    pub supervisor_name: Option<String>,
    /// Handledaren har gått handledarutbildning.
    #[sea_orm(default_value = false)]
    pub supervisor_trained: bool,
    pub state_subsidy: StateSubsidy,
    pub capacity: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::org_unit::Entity",
        from = "Column::DepartmentId",
        to = "super::org_unit::Column::Id",
        on_delete = "Restrict"
    )]
    Department,
    #[sea_orm(
        belongs_to = "super::procurement_contract::Entity",
        from = "Column::ProcurementContractId",
        to = "super::procurement_contract::Column::Id",
        on_delete = "Restrict"
    )]
    ProcurementContract,
    #[sea_orm(has_many = "super::placement::Entity")]
    Placement,
}

impl Related<super::org_unit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl Related<super::procurement_contract::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProcurementContract.def()
    }
}

impl Related<super::placement::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Placement.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
