//! `employment_service_record` — Arbetsförmedlingens uppgifter.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Arbetsförmedlingens uppgifter: AF's record about a participant. Owned by AF.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "employment_service_record")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_agency_id: Uuid,
    /// The record's id in the owner's system.
    #[sea_orm(column_type = "Text")]
    pub external_id: String,
    pub participant_id: Uuid,
    /// Inskriven hos AF.
    pub registered_on: Option<Date>,
    #[sea_orm(column_type = "Text")]
    pub programme: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub support_decision: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub officer_ref: Option<String>,
    pub last_contact_on: Option<Date>,
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
