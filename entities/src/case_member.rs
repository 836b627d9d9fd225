//! `case_member` — Ärendedeltagare.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Ärendedeltagare: an agency (and optionally a staff member) taking part in a case.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "case_member")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub agency_id: Uuid,
    pub staff_id: Option<Uuid>,
    /// Role in the case, e.g. `coach`, `officer`.
    #[sea_orm(column_type = "Text")]
    pub role: String,
    pub joined_on: Date,
    pub left_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::shared_case::Entity",
        from = "Column::CaseId",
        to = "super::shared_case::Column::Id",
        on_delete = "Restrict"
    )]
    Case,
    #[sea_orm(
        belongs_to = "super::agency::Entity",
        from = "Column::AgencyId",
        to = "super::agency::Column::Id",
        on_delete = "Restrict"
    )]
    Agency,
    #[sea_orm(
        belongs_to = "super::staff::Entity",
        from = "Column::StaffId",
        to = "super::staff::Column::Id",
        on_delete = "Restrict"
    )]
    Staff,
}

impl Related<super::shared_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::agency::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Agency.def()
    }
}

impl Related<super::staff::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Staff.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
