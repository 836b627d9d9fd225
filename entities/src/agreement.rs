//! `agreement` — Överenskommelse.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::Payer;

/// Överenskommelse: a yearly agreement between socialnämnden and a receiving department (nämnd).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "agreement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub year: i32,
    pub department_id: Uuid,
    pub places: i32,
    pub supervision_paid_by: Payer,
    pub equipment_paid_by: Payer,
    pub signed_on: Option<Date>,
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
}

impl Related<super::org_unit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
