//! `intervention` — Insats.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::InterventionKind;

/// Insats: an intervention in a case, provided by an agency.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "intervention")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub kind: InterventionKind,
    pub provider_agency_id: Uuid,
    pub started_on: Date,
    pub ended_on: Option<Date>,
    #[sea_orm(column_type = "Text")]
    pub outcome: Option<String>,
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
        from = "Column::ProviderAgencyId",
        to = "super::agency::Column::Id",
        on_delete = "Restrict"
    )]
    ProviderAgency,
}

impl Related<super::shared_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::agency::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProviderAgency.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
