//! `shared_case` — Samverkansärende.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{CaseOutcome, CaseStatus, EducationLevel, IncomeSource};

/// Samverkansärende: a case shared between agencies about one participant. (`case` is an SQL keyword, hence `shared_case`.)
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "shared_case")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub participant_id: Uuid,
    pub lead_agency_id: Uuid,
    /// Responsible coach (ansvarig coach).
    pub coach_id: Option<Uuid>,
    pub status: CaseStatus,
    pub opened_on: Date,
    /// Kartläggning done.
    pub assessed_on: Option<Date>,
    pub closed_on: Option<Date>,
    /// Outcome at close.
    pub outcome: Option<CaseOutcome>,
    /// The person as the opener registered them for this case: what the
    /// case shows of them (another agency's registration stays its own).
    #[sea_orm(column_type = "Text")]
    pub given_name: String,
    #[sea_orm(column_type = "Text")]
    pub family_name: String,
    #[sea_orm(column_type = "Text")]
    pub district: String,
    /// Comma-separated target-group codes, as `participant.target_groups`.
    #[sea_orm(column_type = "Text")]
    pub target_groups: String,
    pub education_level: EducationLevel,
    pub income_source: IncomeSource,
    /// Whose registration this is: the agency that opened the case (for
    /// cases from before, the person's first registrar). Its
    /// consent-classified fields are that agency's information.
    pub registered_by_agency_id: Option<Uuid>,
    /// The unit that entered it: it alone sees a protected identity here.
    pub registered_unit_id: Option<Uuid>,
    /// Skyddade personuppgifter, as far as this case knows: set by its
    /// opener, or raised since by anyone who registered the person as
    /// protected; never lowered.
    pub protected_identity: bool,
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
        belongs_to = "super::agency::Entity",
        from = "Column::LeadAgencyId",
        to = "super::agency::Column::Id",
        on_delete = "Restrict"
    )]
    LeadAgency,
    #[sea_orm(
        belongs_to = "super::staff::Entity",
        from = "Column::CoachId",
        to = "super::staff::Column::Id",
        on_delete = "Restrict"
    )]
    Coach,
    #[sea_orm(has_many = "super::case_member::Entity")]
    CaseMember,
    #[sea_orm(has_many = "super::consent::Entity")]
    Consent,
    #[sea_orm(has_many = "super::plan::Entity")]
    Plan,
    #[sea_orm(has_many = "super::step_history::Entity")]
    StepHistory,
    #[sea_orm(has_many = "super::intervention::Entity")]
    Intervention,
    #[sea_orm(has_many = "super::placement::Entity")]
    Placement,
    #[sea_orm(has_many = "super::enrolment::Entity")]
    Enrolment,
    #[sea_orm(has_many = "super::follow_up::Entity")]
    FollowUp,
}

impl Related<super::participant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Participant.def()
    }
}

impl Related<super::agency::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LeadAgency.def()
    }
}

impl Related<super::staff::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Coach.def()
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

impl Related<super::intervention::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Intervention.def()
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

impl Related<super::follow_up::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FollowUp.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
