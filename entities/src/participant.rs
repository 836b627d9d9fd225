//! `participant` — Deltagare.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{EducationLevel, IncomeSource, Sex};

/// Deltagare: the person a shared case is about. The personnummer is never stored in plain text.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "participant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Personnummer, AEAD ciphertext with the nonce prefixed.
    #[sea_orm(column_type = "Blob")]
    pub personnummer_enc: Vec<u8>,
    /// Keyed hash (HMAC-SHA256, 32 bytes) of the personnummer, for lookup.
    #[sea_orm(column_type = "Blob", unique)]
    pub personnummer_hash: Vec<u8>,
    #[sea_orm(column_type = "Text")]
    pub given_name: String,
    #[sea_orm(column_type = "Text")]
    pub family_name: String,
    pub birth_year: i32,
    pub sex: Sex,
    #[sea_orm(column_type = "Text")]
    pub district: String,
    /// Comma-separated [`TargetGroup`](crate::enums::TargetGroup) codes, no spaces.
    #[sea_orm(column_type = "Text")]
    pub target_groups: String,
    pub education_level: EducationLevel,
    /// Main income source at registration.
    pub income_source: IncomeSource,
    /// Skyddad identitet: only `owning_unit_id` may see the identity.
    #[sea_orm(default_value = false)]
    pub protected_identity: bool,
    /// The unit that may see a protected identity.
    pub owning_unit_id: Option<Uuid>,
    /// The agency that registered the person: the source of what was
    /// registered about them (income source, target groups), which other
    /// agencies see only under a consent. `None` for rows from before it
    /// was recorded that no case could date.
    pub registered_by_agency_id: Option<Uuid>,
    /// Synthetic (demo/test) person.
    #[sea_orm(default_value = false)]
    pub synthetic: bool,
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
        from = "Column::OwningUnitId",
        to = "super::org_unit::Column::Id",
        on_delete = "Restrict"
    )]
    OwningUnit,
    #[sea_orm(has_many = "super::shared_case::Entity")]
    SharedCase,
    #[sea_orm(has_many = "super::consent::Entity")]
    Consent,
    #[sea_orm(has_many = "super::step_history::Entity")]
    StepHistory,
    #[sea_orm(has_many = "super::placement::Entity")]
    Placement,
    #[sea_orm(has_many = "super::enrolment::Entity")]
    Enrolment,
    #[sea_orm(has_many = "super::employment_service_record::Entity")]
    EmploymentServiceRecord,
    #[sea_orm(has_many = "super::social_insurance_record::Entity")]
    SocialInsuranceRecord,
}

impl Related<super::org_unit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OwningUnit.def()
    }
}

impl Related<super::shared_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SharedCase.def()
    }
}

impl Related<super::consent::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Consent.def()
    }
}

impl Related<super::step_history::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StepHistory.def()
    }
}

impl Related<super::placement::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Placement.def()
    }
}

impl Related<super::enrolment::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Enrolment.def()
    }
}

impl Related<super::employment_service_record::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EmploymentServiceRecord.def()
    }
}

impl Related<super::social_insurance_record::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SocialInsuranceRecord.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
