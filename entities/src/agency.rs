//! `agency` — Myndighet / organisation.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::AgencyKind;

/// Myndighet / organisation: kommun, Arbetsförmedlingen (AF), Försäkringskassan (FK), region, samordningsförbund.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "agency")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Short stable code, e.g. `lund`, `af`, `fk`, `region`, `finsam`, `audit`.
    #[sea_orm(column_type = "Text", unique)]
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    pub kind: AgencyKind,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter)]
pub enum Relation {
    /// `org_unit` rows pointing here.
    OrgUnit,
    /// `staff` rows pointing here.
    Staff,
    /// `shared_case` rows pointing here.
    SharedCase,
    /// `case_member` rows pointing here.
    CaseMember,
    /// `consent` rows pointing here through `source_agency_id`.
    ConsentAsSource,
    /// `consent` rows pointing here through `recipient_agency_id`.
    ConsentAsRecipient,
    /// `intervention` rows pointing here.
    Intervention,
    /// `employment_service_record` rows pointing here.
    EmploymentServiceRecord,
    /// `social_insurance_record` rows pointing here.
    SocialInsuranceRecord,
}

impl RelationTrait for Relation {
    fn def(&self) -> RelationDef {
        match self {
            Self::OrgUnit => Entity::has_many(super::org_unit::Entity).into(),
            Self::Staff => Entity::has_many(super::staff::Entity).into(),
            Self::SharedCase => Entity::has_many(super::shared_case::Entity).into(),
            Self::CaseMember => Entity::has_many(super::case_member::Entity).into(),
            Self::ConsentAsSource => super::consent::Relation::SourceAgency.def().rev(),
            Self::ConsentAsRecipient => super::consent::Relation::RecipientAgency.def().rev(),
            Self::Intervention => Entity::has_many(super::intervention::Entity).into(),
            Self::EmploymentServiceRecord => {
                Entity::has_many(super::employment_service_record::Entity).into()
            }
            Self::SocialInsuranceRecord => {
                Entity::has_many(super::social_insurance_record::Entity).into()
            }
        }
    }
}

impl Related<super::org_unit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrgUnit.def()
    }
}

impl Related<super::staff::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Staff.def()
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

impl Related<super::intervention::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Intervention.def()
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
