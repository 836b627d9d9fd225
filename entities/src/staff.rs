//! `staff` — Personal / handläggare.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Personal / handläggare: a person at an agency, keyed by (agency, IdP subject).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "staff")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub agency_id: Uuid,
    /// Subject (`sub`) at the agency's identity provider.
    #[sea_orm(column_type = "Text")]
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub display_name: String,
    pub unit_id: Option<Uuid>,
    /// Comma-separated role codes, no spaces (empty = none).
    #[sea_orm(column_type = "Text")]
    pub roles: String,
    pub last_seen_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::agency::Entity",
        from = "Column::AgencyId",
        to = "super::agency::Column::Id",
        on_delete = "Restrict"
    )]
    Agency,
    #[sea_orm(
        belongs_to = "super::org_unit::Entity",
        from = "Column::UnitId",
        to = "super::org_unit::Column::Id",
        on_delete = "Restrict"
    )]
    Unit,
    #[sea_orm(has_many = "super::shared_case::Entity")]
    SharedCase,
    #[sea_orm(has_many = "super::case_member::Entity")]
    CaseMember,
    #[sea_orm(has_many = "super::consent::Entity")]
    Consent,
    #[sea_orm(has_many = "super::plan::Entity")]
    Plan,
    #[sea_orm(has_many = "super::step_history::Entity")]
    StepHistory,
    #[sea_orm(has_many = "super::follow_up::Entity")]
    FollowUp,
}

impl Related<super::agency::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Agency.def()
    }
}

impl Related<super::org_unit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Unit.def()
    }
}

impl Related<super::shared_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SharedCase.def()
    }
}

impl Related<super::case_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CaseMember.def()
    }
}

impl Related<super::consent::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Consent.def()
    }
}

impl Related<super::plan::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Plan.def()
    }
}

impl Related<super::step_history::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StepHistory.def()
    }
}

impl Related<super::follow_up::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FollowUp.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
