//! GraphQL enums mirroring the stored enums (`entities::enums`), so the API
//! does not expose database types directly; `remote` generates conversions
//! both ways, and an unknown value is refused by GraphQL validation.

macro_rules! api_enum {
    ($(#[$doc:meta])* $name:ident = $remote:literal { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
        #[graphql(remote = $remote)]
        pub enum $name { $($variant),+ }
    };
}

api_enum!(/// Kind of partner agency.
    AgencyKind = "entities::enums::AgencyKind" { Municipality, EmploymentService, SocialInsurance, Region, CoordinationAssociation, Oversight });
api_enum!(/// Förvaltning, enhet or AF office.
    OrgUnitKind = "entities::enums::OrgUnitKind" { Department, Unit, Office });
api_enum!(/// Legal sex as the personnummer records it.
    Sex = "entities::enums::Sex" { Female, Male });
api_enum!(/// Priority groups (DOMAIN.md): försörjningsstöd, with children, under 20 (KAA), newly arrived, disability, long-term sick leave, older.
    TargetGroup = "entities::enums::TargetGroup" { IncomeSupport, WithChildren, Under20, NewlyArrived, Disability, LongTermSick, Older });
api_enum!(/// Highest completed education (SUS).
    EducationLevel = "entities::enums::EducationLevel" { CompulsoryIncomplete, Compulsory, UpperSecondary, PostSecondary, Unknown });
api_enum!(/// Main source of income (SUS, before and after).
    IncomeSource = "entities::enums::IncomeSource" { IncomeSupport, SicknessBenefit, ActivityCompensation, UnemploymentBenefit, ActivitySupport, Salary, StudyGrant, None, Other });
api_enum!(/// Where a shared case stands.
    CaseStatus = "entities::enums::CaseStatus" { Assessment, Active, Paused, Closed });
api_enum!(/// Outcome when a case is closed.
    CaseOutcome = "entities::enums::CaseOutcome" { Work, Studies, JobSeeking, SickLeave, Other });
api_enum!(/// Categories of information a consent covers.
    ConsentCategory = "entities::enums::ConsentCategory" { EconomicSocial, Health, WorkHistory, LabourMarket });
api_enum!(/// Genomförandeplan status.
    PlanStatus = "entities::enums::PlanStatus" { Draft, Active, Completed });
api_enum!(/// Goal (mål / delmål) status.
    GoalStatus = "entities::enums::GoalStatus" { NotStarted, InProgress, Achieved, Abandoned });
api_enum!(/// Kind of insats.
    InterventionKind = "entities::enums::InterventionKind" { Assessment, Guidance, WorkTraining, Language, Education, Rehabilitation, JobMatching, Health, Other });
api_enum!(/// Praktik, kommunal arbetsmarknadsanställning, extratjänst, APP, procurement placement.
    PlacementKind = "entities::enums::PlacementKind" { Internship, MunicipalJob, ExtraJob, EmployerPlacement, ProcurementPlacement });
api_enum!(/// State subsidy used for a slot.
    StateSubsidy = "entities::enums::StateSubsidy" { None, EmploymentSubsidy, WageSubsidy, IntroductionJob });
api_enum!(/// Where a placement stands.
    PlacementStatus = "entities::enums::PlacementStatus" { Planned, Active, Completed, EndedEarly });
api_enum!(/// Proposed by social services or decided by socialnämnden.
    AllocationStatus = "entities::enums::AllocationStatus" { Proposed, Decided });
api_enum!(/// Who pays supervision or equipment under an agreement.
    Payer = "entities::enums::Payer" { SocialServices, ReceivingDepartment, Shared });
api_enum!(/// SUS end reasons at exit from a project.
    ExitReason = "entities::enums::ExitReason" { PaidWork, Studies, JobSeeking, Other });
api_enum!(/// FK benefit.
    Benefit = "entities::enums::Benefit" { SicknessBenefit, ActivityCompensation, SicknessCompensation, RehabilitationBenefit, None });
api_enum!(/// Kind of follow-up contact.
    FollowUpKind = "entities::enums::FollowUpKind" { Meeting, Phone, Video, HomeVisit, Note });

/// Converts a stored comma-separated code list into API enums, skipping
/// codes this build does not know (they are logged, not shown).
pub fn codes<E, A>(text: &str) -> Vec<A>
where
    E: sea_orm::ActiveEnum<Value = String>,
    A: From<E>,
{
    match entities::enums::parse_codes::<E>(text) {
        Ok(list) => list.into_iter().map(A::from).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "unknown code in a list column");
            Vec::new()
        }
    }
}
