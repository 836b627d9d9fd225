//! Enumerations stored as text (snake_case string values) in the database.
//!
//! Every enum is a [`DeriveActiveEnum`] with `rs_type = "String"` and
//! `db_type = "String(StringLen::None)"`; serde uses the same snake_case
//! spelling as the database.

use sea_orm::entity::prelude::*;
use sea_orm::Iterable;
use serde::{Deserialize, Serialize};

/// All variants of an enum, in declaration order.
pub fn variants<E: Iterable>() -> Vec<E> {
    E::iter().collect()
}

/// Joins enum values into the comma-separated text used by list columns
/// (e.g. `participant.target_groups`): no spaces, empty list = empty string.
pub fn join_codes<E>(items: &[E]) -> String
where
    E: ActiveEnum<Value = String>,
{
    items
        .iter()
        .map(ActiveEnum::to_value)
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses a comma-separated list column back into enum values
/// (empty string = empty list). Fails on an unknown code.
pub fn parse_codes<E>(text: &str) -> Result<Vec<E>, DbErr>
where
    E: ActiveEnum<Value = String>,
{
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|code| E::try_from_value(&code.to_owned()))
        .collect()
}

/// Kind of agency (kommun, Arbetsförmedlingen, Försäkringskassan, region, samordningsförbund, tillsyn).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    #[sea_orm(string_value = "municipality")]
    Municipality,
    #[sea_orm(string_value = "employment_service")]
    EmploymentService,
    #[sea_orm(string_value = "social_insurance")]
    SocialInsurance,
    #[sea_orm(string_value = "region")]
    Region,
    #[sea_orm(string_value = "coordination_association")]
    CoordinationAssociation,
    #[sea_orm(string_value = "oversight")]
    Oversight,
}

/// Kind of organisational unit (förvaltning, enhet, AF-kontor).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum OrgUnitKind {
    #[sea_orm(string_value = "department")]
    Department,
    #[sea_orm(string_value = "unit")]
    Unit,
    #[sea_orm(string_value = "office")]
    Office,
}

/// Legal sex (kön) of a participant.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    #[sea_orm(string_value = "female")]
    Female,
    #[sea_orm(string_value = "male")]
    Male,
}

/// Target group (målgrupp) of a participant; stored as a comma-separated list in `participant.target_groups`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum TargetGroup {
    #[sea_orm(string_value = "income_support")]
    IncomeSupport,
    #[sea_orm(string_value = "with_children")]
    WithChildren,
    #[sea_orm(string_value = "under_20")]
    #[serde(rename = "under_20")]
    Under20,
    #[sea_orm(string_value = "newly_arrived")]
    NewlyArrived,
    #[sea_orm(string_value = "disability")]
    Disability,
    #[sea_orm(string_value = "long_term_sick")]
    LongTermSick,
    #[sea_orm(string_value = "older")]
    Older,
}

/// Highest completed education (utbildningsnivå).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum EducationLevel {
    #[sea_orm(string_value = "compulsory_incomplete")]
    CompulsoryIncomplete,
    #[sea_orm(string_value = "compulsory")]
    Compulsory,
    #[sea_orm(string_value = "upper_secondary")]
    UpperSecondary,
    #[sea_orm(string_value = "post_secondary")]
    PostSecondary,
    #[sea_orm(string_value = "unknown")]
    Unknown,
}

/// Main source of income (försörjning).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum IncomeSource {
    #[sea_orm(string_value = "income_support")]
    IncomeSupport,
    #[sea_orm(string_value = "sickness_benefit")]
    SicknessBenefit,
    #[sea_orm(string_value = "activity_compensation")]
    ActivityCompensation,
    #[sea_orm(string_value = "unemployment_benefit")]
    UnemploymentBenefit,
    #[sea_orm(string_value = "activity_support")]
    ActivitySupport,
    #[sea_orm(string_value = "salary")]
    Salary,
    #[sea_orm(string_value = "study_grant")]
    StudyGrant,
    #[sea_orm(string_value = "none")]
    None,
    #[sea_orm(string_value = "other")]
    Other,
}

/// Status of a shared case (samverkansärende).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    #[sea_orm(string_value = "assessment")]
    Assessment,
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "paused")]
    Paused,
    #[sea_orm(string_value = "closed")]
    Closed,
}

/// Outcome (utfall) when a case is closed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum CaseOutcome {
    #[sea_orm(string_value = "work")]
    Work,
    #[sea_orm(string_value = "studies")]
    Studies,
    #[sea_orm(string_value = "job_seeking")]
    JobSeeking,
    #[sea_orm(string_value = "sick_leave")]
    SickLeave,
    #[sea_orm(string_value = "other")]
    Other,
}

/// Category of information a consent (samtycke) covers; stored as a comma-separated list in `consent.categories`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ConsentCategory {
    #[sea_orm(string_value = "economic_social")]
    EconomicSocial,
    #[sea_orm(string_value = "health")]
    Health,
    #[sea_orm(string_value = "work_history")]
    WorkHistory,
    #[sea_orm(string_value = "labour_market")]
    LabourMarket,
}

/// Status of a plan (genomförandeplan).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "completed")]
    Completed,
}

/// Status of a goal (mål / delmål).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum GoalStatus {
    #[sea_orm(string_value = "not_started")]
    NotStarted,
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    #[sea_orm(string_value = "achieved")]
    Achieved,
    #[sea_orm(string_value = "abandoned")]
    Abandoned,
}

/// Kind of intervention (insats).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum InterventionKind {
    #[sea_orm(string_value = "assessment")]
    Assessment,
    #[sea_orm(string_value = "guidance")]
    Guidance,
    #[sea_orm(string_value = "work_training")]
    WorkTraining,
    #[sea_orm(string_value = "language")]
    Language,
    #[sea_orm(string_value = "education")]
    Education,
    #[sea_orm(string_value = "rehabilitation")]
    Rehabilitation,
    #[sea_orm(string_value = "job_matching")]
    JobMatching,
    #[sea_orm(string_value = "health")]
    Health,
    #[sea_orm(string_value = "other")]
    Other,
}

/// Kind of placement (praktik, kommunal arbetsmarknadsanställning, extratjänst, APP, upphandlad plats).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum PlacementKind {
    #[sea_orm(string_value = "internship")]
    Internship,
    #[sea_orm(string_value = "municipal_job")]
    MunicipalJob,
    #[sea_orm(string_value = "extra_job")]
    ExtraJob,
    #[sea_orm(string_value = "employer_placement")]
    EmployerPlacement,
    #[sea_orm(string_value = "procurement_placement")]
    ProcurementPlacement,
}

/// State subsidy (statligt stöd) attached to a placement slot.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum StateSubsidy {
    #[sea_orm(string_value = "none")]
    None,
    #[sea_orm(string_value = "employment_subsidy")]
    EmploymentSubsidy,
    #[sea_orm(string_value = "wage_subsidy")]
    WageSubsidy,
    #[sea_orm(string_value = "introduction_job")]
    IntroductionJob,
}

/// Status of a placement.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum PlacementStatus {
    #[sea_orm(string_value = "planned")]
    Planned,
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "completed")]
    Completed,
    #[sea_orm(string_value = "ended_early")]
    EndedEarly,
}

/// Status of an allocation model (fördelningsmodell).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum AllocationStatus {
    #[sea_orm(string_value = "proposed")]
    Proposed,
    #[sea_orm(string_value = "decided")]
    Decided,
}

/// Who pays (betalare) for supervision or equipment under an agreement (överenskommelse).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    #[sea_orm(string_value = "social_services")]
    SocialServices,
    #[sea_orm(string_value = "receiving_department")]
    ReceivingDepartment,
    #[sea_orm(string_value = "shared")]
    Shared,
}

/// Reason for leaving a project (avslutsorsak).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    #[sea_orm(string_value = "paid_work")]
    PaidWork,
    #[sea_orm(string_value = "studies")]
    Studies,
    #[sea_orm(string_value = "job_seeking")]
    JobSeeking,
    #[sea_orm(string_value = "other")]
    Other,
}

/// Social insurance benefit (ersättning från Försäkringskassan).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Benefit {
    #[sea_orm(string_value = "sickness_benefit")]
    SicknessBenefit,
    #[sea_orm(string_value = "activity_compensation")]
    ActivityCompensation,
    #[sea_orm(string_value = "sickness_compensation")]
    SicknessCompensation,
    #[sea_orm(string_value = "rehabilitation_benefit")]
    RehabilitationBenefit,
    #[sea_orm(string_value = "none")]
    None,
}

/// Kind of follow-up (uppföljning) by a coach.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    #[sea_orm(string_value = "meeting")]
    Meeting,
    #[sea_orm(string_value = "phone")]
    Phone,
    #[sea_orm(string_value = "video")]
    Video,
    #[sea_orm(string_value = "home_visit")]
    HomeVisit,
    #[sea_orm(string_value = "note")]
    Note,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde, the database and the list helpers all spell every variant the same.
    fn check<E>()
    where
        E: ActiveEnum<Value = String> + Iterable + Serialize + Copy + PartialEq + std::fmt::Debug,
    {
        let all = variants::<E>();
        assert!(!all.is_empty());
        for v in &all {
            let code = v.to_value();
            assert!(!code.is_empty() && !code.contains(',') && !code.contains(' '));
            assert_eq!(
                serde_json::to_value(v).expect("serialize"),
                serde_json::Value::String(code.clone())
            );
            assert_eq!(E::try_from_value(&code).expect("parse"), *v);
        }
        let joined = join_codes(&all);
        assert_eq!(parse_codes::<E>(&joined).expect("parse list"), all);
        assert_eq!(join_codes::<E>(&[]), "");
        assert!(parse_codes::<E>("").expect("empty list").is_empty());
        assert!(parse_codes::<E>("no_such_code").is_err());
    }

    #[test]
    fn every_enum_is_spelled_consistently() {
        check::<AgencyKind>();
        check::<OrgUnitKind>();
        check::<Sex>();
        check::<TargetGroup>();
        check::<EducationLevel>();
        check::<IncomeSource>();
        check::<CaseStatus>();
        check::<CaseOutcome>();
        check::<ConsentCategory>();
        check::<PlanStatus>();
        check::<GoalStatus>();
        check::<InterventionKind>();
        check::<PlacementKind>();
        check::<StateSubsidy>();
        check::<PlacementStatus>();
        check::<AllocationStatus>();
        check::<Payer>();
        check::<ExitReason>();
        check::<Benefit>();
        check::<FollowUpKind>();
    }

    #[test]
    fn list_codes_use_the_spec_spelling() {
        let groups = [TargetGroup::IncomeSupport, TargetGroup::WithChildren];
        assert_eq!(join_codes(&groups), "income_support,with_children");
        assert_eq!(
            parse_codes::<TargetGroup>("under_20,older").expect("parse"),
            [TargetGroup::Under20, TargetGroup::Older]
        );
    }
}
