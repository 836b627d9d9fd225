//! `Query.dashboard`: aggregates for boards, managers and analysts. Every
//! argument is optional (the current year, the last twelve months); every
//! count passes small-cell suppression before it leaves. Whole answers are
//! cached per visibility scope by the HTTP layer (`crate::dashboard::cache`).

use async_graphql::{Context, Enum, InputObject, Object, Result, ID};
use chrono::{Datelike, Months, NaiveDate};

use super::context::rc;
use super::input;
use crate::dashboard::allocation::{self, PlacementAllocation};
use crate::dashboard::flow::{self, CaseFlow};
use crate::dashboard::overview::{self, ProjectOverview, Subject};
use crate::dashboard::period::{check_year, Period, PeriodKind as Kind};
use crate::dashboard::skills::{self, SkillsNeeds};
use crate::dashboard::spinning::{self, SpinningAround};
use crate::error::ApiError;

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
/// data, so a handful per operation is fine and hundreds (by aliases) are not.
pub const DASHBOARD_COST: usize = 1000;

fn threshold(ctx: &Context<'_>) -> i64 {
    rc(ctx).services.dashboards.suppression_threshold
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
        let p = period.unwrap_or_default();
        let kind = match p.kind.unwrap_or(PeriodKind::Year) {
            PeriodKind::Month => Kind::Month,
            PeriodKind::Tertial => Kind::Tertial,
            PeriodKind::Year => Kind::Year,
        };
        let year = p.year.unwrap_or_else(|| r.today().year());
        let period = Period::new(kind, year, p.number, "period")?;
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

    /// People with `minInterventions` or more interventions in the window
    /// (default: the last 12 months) and neither a step up nor an outcome.
    #[graphql(complexity = "DASHBOARD_COST + child_complexity")]
    async fn spinning_around(
        &self,
        ctx: &Context<'_>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        #[graphql(default = 3)] min_interventions: i32,
    ) -> Result<SpinningAround> {
        let r = rc(ctx);
        let to = to.unwrap_or_else(|| r.today());
        let from = match from {
            Some(f) => f,
            None => to
                .checked_sub_months(Months::new(12))
                .ok_or_else(|| ApiError::bad_input("to", "out of range"))?,
        };
        Ok(spinning::compute(
            r.db(),
            from,
            to,
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
