//! `social_insurance_record` — Försäkringskassans uppgifter.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::Benefit;

/// Försäkringskassans uppgifter: FK's record about a participant. Owned by FK.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "social_insurance_record")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_agency_id: Uuid,
    /// The record's id in the owner's system.
    #[sea_orm(column_type = "Text")]
    pub external_id: String,
    pub participant_id: Uuid,
    pub benefit: Benefit,
    /// Sjukskrivningsgrad: 25, 50, 75 or 100.
    pub sick_leave_degree: Option<i32>,
    pub period_start: Date,
    pub period_end: Option<Date>,
    /// Rehabiliteringssamordning.
    #[sea_orm(default_value = false)]
    pub rehabilitation_coordination: bool,
    /// Diagnosgrupp (sensitive health data).
    #[sea_orm(column_type = "Text")]
    pub diagnosis_group: Option<String>,
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
        from = "Column::OwnerAgencyId",
        to = "super::agency::Column::Id",
        on_delete = "Restrict"
    )]
    OwnerAgency,
    #[sea_orm(
        belongs_to = "super::participant::Entity",
        from = "Column::ParticipantId",
        to = "super::participant::Column::Id",
        on_delete = "Restrict"
    )]
    Participant,
}

impl Related<super::agency::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OwnerAgency.def()
    }
}

impl Related<super::participant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Participant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
