//! `consent` — Samtycke.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Samtycke: the participant's consent that a source agency may share information with a recipient agency.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "consent")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub participant_id: Uuid,
    pub case_id: Option<Uuid>,
    pub source_agency_id: Uuid,
    pub recipient_agency_id: Uuid,
    /// Comma-separated [`ConsentCategory`](crate::enums::ConsentCategory) codes, no spaces.
    #[sea_orm(column_type = "Text")]
    pub categories: String,
    #[sea_orm(column_type = "Text")]
    pub purpose: String,
    pub signed_on: Date,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub revoked_at: Option<DateTimeUtc>,
    pub recorded_by_id: Uuid,
    /// Where the consent was collected.
    #[sea_orm(column_type = "Text")]
    pub collected_at: String,
    #[sea_orm(column_type = "Text")]
    pub form_version: String,
    /// Where the paper original is kept.
    #[sea_orm(column_type = "Text")]
    pub document_ref: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::participant::Entity",
        from = "Column::ParticipantId",
        to = "super::participant::Column::Id",
        on_delete = "Restrict"
    )]
    Participant,
    #[sea_orm(
        belongs_to = "super::shared_case::Entity",
        from = "Column::CaseId",
        to = "super::shared_case::Column::Id",
        on_delete = "Restrict"
    )]
    Case,
    #[sea_orm(
        belongs_to = "super::agency::Entity",
        from = "Column::SourceAgencyId",
        to = "super::agency::Column::Id",
        on_delete = "Restrict"
    )]
    SourceAgency,
    #[sea_orm(
        belongs_to = "super::agency::Entity",
        from = "Column::RecipientAgencyId",
        to = "super::agency::Column::Id",
        on_delete = "Restrict"
    )]
    RecipientAgency,
    #[sea_orm(
        belongs_to = "super::staff::Entity",
        from = "Column::RecordedById",
        to = "super::staff::Column::Id",
        on_delete = "Restrict"
    )]
    RecordedBy,
}

impl Related<super::participant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Participant.def()
    }
}

impl Related<super::shared_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::staff::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RecordedBy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
