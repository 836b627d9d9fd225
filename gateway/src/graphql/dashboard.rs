//! `Query.dashboard`: aggregates for boards, managers and analysts. Every
//! argument is optional (the current year, the last twelve months); every
//! count passes small-cell suppression before it leaves. Whole answers are
//! cached per visibility scope by the HTTP layer (`crate::http::dashboard_cache`).

use async_graphql::{Context, Enum, InputObject, Object, Result, ID};
use chrono::{Datelike, NaiveDate};

use super::context::rc;
use super::enums::PlacementKind;
use super::input;
use crate::dashboard::allocation::{self, PlacementAllocation};
use crate::dashboard::flow::{self, CaseFlow};
use crate::dashboard::model::{self, Breakdown, Count};
use crate::dashboard::overview::{self, ProjectOverview, Subject};
use crate::dashboard::period::{check_year, Period, PeriodKind as Kind};
use crate::dashboard::skills::{self, SkillsNeeds};
use crate::dashboard::spinning::{self, SpinningAround};
use crate::vocabulary::error::ApiError;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum PeriodKind {
    Month,
    Tertial,
    Year,
}

/// A reporting period; defaults to the current year.
#[derive(InputObject, Debug, Clone, Default)]
pub struct PeriodInput {
    /// Default `YEAR`.
    pub kind: Option<PeriodKind>,
    /// Default: the current year.
    pub year: Option<i32>,
    /// The month (1-12) or tertial (1-3); required for those kinds.
    pub number: Option<u32>,
}

#[derive(Default)]
pub struct DashboardQuery;

#[Object]
impl DashboardQuery {
    /// Aggregates only: counts of people, never a person.
    async fn dashboard(&self) -> Dashboard {
        Dashboard
    }
}

pub struct Dashboard;

/// What one dashboard counts as in the cost limit: it scans a period of
/// data, so the five a board's page shows fit in one operation (5 x 17,500
/// and their fields under the default 100,000) and a sixth, or nineteen by
/// aliases, do not. The caller's budget per minute bounds the rest.
pub const DASHBOARD_COST: usize = 17_500;

fn threshold(ctx: &Context<'_>) -> i64 {
    rc(ctx).services.dashboards.suppression_threshold
}

/// The calendar period asked for (default: the current year).
fn calendar_period(ctx: &Context<'_>, period: Option<PeriodInput>) -> Result<Period, ApiError> {
    let p = period.unwrap_or_default();
    let kind = match p.kind.unwrap_or(PeriodKind::Year) {
        PeriodKind::Month => Kind::Month,
        PeriodKind::Tertial => Kind::Tertial,
        PeriodKind::Year => Kind::Year,
    };
    let year = p.year.unwrap_or_else(|| rc(ctx).today().year());
    Period::new(kind, year, p.number, "period")
}

fn year_or_current(ctx: &Context<'_>, year: Option<i32>) -> Result<i32, ApiError> {
    check_year(year.unwrap_or_else(|| rc(ctx).today().year()), "year")
}

#[Object]
impl Dashboard {
    /// A project, a sub-project or (neither given) all projects over a
    /// period: active, started and exited participations, SUS outcomes,
    /// breakdowns, time in project, budget and spend.
    #[graphql(complexity = "DASHBOARD_COST + child_complexity")]
    async fn project_overview(
        &self,
        ctx: &Context<'_>,
        project: Option<ID>,
        sub_project: Option<ID>,
        period: Option<PeriodInput>,
    ) -> Result<ProjectOverview> {
        let r = rc(ctx);
        let subject = match (project, sub_project) {
            (_, Some(s)) => Subject::SubProject(input::id("subProject", &s)?),
            (Some(p), None) => Subject::Project(input::id("project", &p)?),
            (None, None) => Subject::All,
        };
        let period = calendar_period(ctx, period)?;
        Ok(overview::compute(r.db(), subject, period, r.today(), threshold(ctx)).await?)
    }

    /// Targets vs. filled per department and kind for a year.
    #[graphql(complexity = "DASHBOARD_COST + child_complexity")]
    async fn placement_allocation(
        &self,
        ctx: &Context<'_>,
        year: Option<i32>,
    ) -> Result<PlacementAllocation> {
        let year = year_or_current(ctx, year)?;
        Ok(allocation::compute(rc(ctx).db(), year, threshold(ctx)).await?)
    }

    /// Cases opened and closed per month, time to outcome, and the share
    /// reaching work or studies within 6 and 12 months.
    #[graphql(complexity = "DASHBOARD_COST + child_complexity")]
    async fn case_flow(&self, ctx: &Context<'_>, year: Option<i32>) -> Result<CaseFlow> {
        let r = rc(ctx);
        let year = year_or_current(ctx, year)?;
        Ok(flow::compute(r.db(), year, r.today(), threshold(ctx)).await?)
    }

    /// People with `minInterventions` or more interventions in a calendar
    /// period (default: the current year) and neither a step up nor an
    /// outcome in it. Periods are the calendar's (a month, a tertial, a
    /// year), never arbitrary dates: two windows a day apart could be
    /// differenced into one person's count.
    #[graphql(complexity = "DASHBOARD_COST + child_complexity")]
    async fn spinning_around(
        &self,
        ctx: &Context<'_>,
        period: Option<PeriodInput>,
        #[graphql(default = 3)] min_interventions: i32,
    ) -> Result<SpinningAround> {
        let r = rc(ctx);
        let period = calendar_period(ctx, period)?;
        Ok(spinning::compute(
            r.db(),
            period.start,
            period.end,
            min_interventions,
            r.today(),
            threshold(ctx),
        )
        .await?)
    }

    /// The departments' recruitment needs against participants on the
    /// ladder tracks that lead there.
    #[graphql(complexity = "DASHBOARD_COST + child_complexity")]
    async fn skills_needs(&self, ctx: &Context<'_>, year: Option<i32>) -> Result<SkillsNeeds> {
        let year = year_or_current(ctx, year)?;
        Ok(skills::compute(rc(ctx).db(), year, threshold(ctx)).await?)
    }
}

// The dashboards' answers as GraphQL objects. The dashboard layer computes
// plain data; how it reads in the API (names, descriptions, field order) is
// decided here.

#[Object]
impl allocation::AllocationRow {
    async fn department(&self) -> &str {
        &self.department
    }
    async fn kind(&self) -> PlacementKind {
        self.kind.into()
    }
    /// Placements the model planned (a decision, not people: never suppressed).
    async fn target(&self) -> i64 {
        self.target
    }
    /// Placements started in the year.
    async fn filled(&self) -> Count {
        self.filled
    }
    async fn ended_early(&self) -> Count {
        self.ended_early
    }
    /// filled / target; null when filled is suppressed or there is no target.
    async fn fill_rate(&self) -> Option<f64> {
        self.fill_rate
    }
}

#[Object]
impl PlacementAllocation {
    async fn year(&self) -> i32 {
        self.year
    }
    /// False when no allocation model has been decided for the year.
    async fn has_model(&self) -> bool {
        self.has_model
    }
    async fn rows(&self) -> &[allocation::AllocationRow] {
        &self.rows
    }
    async fn target_total(&self) -> i64 {
        self.target_total
    }
    /// Placements started in the year within the model's rows.
    async fn filled_total(&self) -> Count {
        self.filled_total
    }
    async fn ended_early_total(&self) -> Count {
        self.ended_early_total
    }
    /// Placements started in the year outside the model's rows (another
    /// kind, or a slot with no department).
    async fn outside_model(&self) -> Count {
        self.outside_model
    }
    /// Every placement started in the year, by the state subsidy its slot uses.
    async fn subsidies(&self) -> &Breakdown {
        &self.subsidies
    }
}

#[Object]
impl flow::MonthCount {
    async fn month(&self) -> u32 {
        self.month
    }
    async fn count(&self) -> Count {
        self.count
    }
}

/// Of a cohort of cases, how many reached work or studies in time.
#[Object]
impl flow::Reach {
    /// Cases opened in the year that have been open long enough to tell.
    async fn cohort(&self) -> Count {
        self.cohort
    }
    async fn reached(&self) -> Count {
        self.reached
    }
    async fn not_reached(&self) -> Count {
        self.not_reached
    }
    /// reached / cohort; null when either is suppressed.
    async fn share(&self) -> Option<f64> {
        self.share
    }
}

#[Object]
impl CaseFlow {
    async fn year(&self) -> i32 {
        self.year
    }
    async fn opened(&self) -> &[flow::MonthCount] {
        &self.opened
    }
    async fn opened_total(&self) -> Count {
        self.opened_total
    }
    async fn closed(&self) -> &[flow::MonthCount] {
        &self.closed
    }
    async fn closed_total(&self) -> Count {
        self.closed_total
    }
    /// Of the cases closed in the year.
    async fn outcomes(&self) -> &Breakdown {
        &self.outcomes
    }
    /// Median days from assessment to outcome of the cases closed in the
    /// year; null when too few to publish.
    async fn median_days_assessment_to_outcome(&self) -> Option<i64> {
        self.median_days_assessment_to_outcome
    }
    async fn work_or_studies_within_6_months(&self) -> &flow::Reach {
        &self.work_or_studies_within_6_months
    }
    async fn work_or_studies_within_12_months(&self) -> &flow::Reach {
        &self.work_or_studies_within_12_months
    }
}

/// A count of people. `value` is null and `suppressed` true when the count
/// is small enough to identify someone (1 to the configured threshold), or
/// when it would let such a count be computed back from other numbers.
#[Object]
impl Count {
    async fn value(&self) -> Option<i64> {
        self.value
    }
    async fn suppressed(&self) -> bool {
        self.suppressed
    }
}

/// One category of a breakdown.
#[Object]
impl model::Category {
    /// Stable machine key, e.g. `paid_work`, `female`, `20_24`.
    async fn key(&self) -> &str {
        &self.key
    }
    /// Swedish label as the boards read it.
    async fn label(&self) -> &str {
        &self.label
    }
    async fn count(&self) -> Count {
        self.count
    }
}

/// A total split into categories.
#[Object]
impl Breakdown {
    async fn total(&self) -> Count {
        self.total
    }
    /// True when the categories add up to the total (each person in one
    /// category); false when a person may be in several (target groups).
    async fn additive(&self) -> bool {
        self.additive
    }
    async fn categories(&self) -> &[model::Category] {
        &self.categories
    }
}

#[Object]
impl ProjectOverview {
    async fn period_start(&self) -> NaiveDate {
        self.period_start
    }
    async fn period_end(&self) -> NaiveDate {
        self.period_end
    }
    /// Participations that were ongoing at any time in the period.
    async fn active(&self) -> Count {
        self.active
    }
    /// Participations that started in the period.
    async fn started(&self) -> Count {
        self.started
    }
    /// Participations that ended in the period.
    async fn exited(&self) -> Count {
        self.exited
    }
    /// Of those who exited: SUS's outcome at exit.
    async fn outcomes(&self) -> &Breakdown {
        &self.outcomes
    }
    /// Of the active.
    async fn by_sex(&self) -> &Breakdown {
        &self.by_sex
    }
    /// Of the active, age at the end of the period.
    async fn by_age_band(&self) -> &Breakdown {
        &self.by_age_band
    }
    /// Of the active; a person may be in several groups.
    async fn by_target_group(&self) -> &Breakdown {
        &self.by_target_group
    }
    /// Of the active: main income when they started.
    async fn income_before(&self) -> &Breakdown {
        &self.income_before
    }
    /// Of those who exited: main income when they left.
    async fn income_after(&self) -> &Breakdown {
        &self.income_after
    }
    /// Of those who exited: how long they took part.
    async fn time_in_project(&self) -> &Breakdown {
        &self.time_in_project
    }
    /// Median days in the project of those who exited; null when their
    /// number is suppressed.
    async fn median_days_in_project(&self) -> Option<i64> {
        self.median_days_in_project
    }
    async fn budget_sek(&self) -> i64 {
        self.budget_sek
    }
    async fn spend_sek(&self) -> i64 {
        self.spend_sek
    }
    async fn planned_participants(&self) -> i64 {
        self.planned_participants
    }
}

#[Object]
impl skills::TrackNeed {
    /// Ladder track code, e.g. `care_assistant`.
    async fn track(&self) -> &str {
        &self.track
    }
    /// Places the departments offer on this track in the year (slot capacity).
    async fn openings(&self) -> i64 {
        self.openings
    }
    /// Departments offering them.
    async fn departments(&self) -> &[String] {
        &self.departments
    }
    /// People whose current step is on this track.
    async fn participants(&self) -> Count {
        self.participants
    }
    /// Of them, people on a step of supported or regular employment.
    async fn near_job(&self) -> Count {
        self.near_job
    }
}

#[Object]
impl skills::DepartmentNeed {
    async fn department(&self) -> &str {
        &self.department
    }
    /// The department's own words from the allocation model.
    async fn skills_needs(&self) -> &str {
        &self.skills_needs
    }
    /// Placements planned for the department in the year.
    async fn target(&self) -> i64 {
        self.target
    }
}

#[Object]
impl SkillsNeeds {
    async fn year(&self) -> i32 {
        self.year
    }
    async fn tracks(&self) -> &[skills::TrackNeed] {
        &self.tracks
    }
    async fn departments(&self) -> &[skills::DepartmentNeed] {
        &self.departments
    }
}

#[Object]
impl SpinningAround {
    async fn from(&self) -> NaiveDate {
        self.from
    }
    async fn to(&self) -> NaiveDate {
        self.to
    }
    async fn min_interventions(&self) -> i32 {
        self.min_interventions
    }
    /// People with at least `minInterventions` interventions started in the
    /// window.
    async fn with_many_interventions(&self) -> Count {
        self.with_many_interventions
    }
    /// Of those, people with no step up and no case outcome in the window.
    async fn spinning(&self) -> Count {
        self.spinning
    }
    async fn by_sex(&self) -> &Breakdown {
        &self.by_sex
    }
    /// A person may be in several target groups.
    async fn by_target_group(&self) -> &Breakdown {
        &self.by_target_group
    }
}
