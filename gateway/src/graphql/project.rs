//! Finsam/ESF projects (IRIS with USB, Kompetenstrappan, Insam...), their
//! sub-projects and enrolments.

use async_graphql::{Context, Object, Result, ID};
use chrono::NaiveDate;
use entities::{enrolment, project, sub_project};

use super::context::{children_of, rc};
use super::enums::{ExitReason, IncomeSource};
use super::{Row, RowTag};
use crate::sources::db::projects;

pub struct Project(pub project::Model);

#[Object]
impl Project {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// `esf`, `finsam`, ...
    async fn funder(&self) -> &str {
        &self.0.funder
    }
    async fn budget_sek(&self) -> i64 {
        self.0.budget_sek
    }
    async fn period_start(&self) -> NaiveDate {
        self.0.period_start
    }
    async fn period_end(&self) -> NaiveDate {
        self.0.period_end
    }
    #[graphql(complexity = "crate::graphql::limits::reference_list_cost(child_complexity)")]
    async fn sub_projects(&self, ctx: &Context<'_>) -> Result<Vec<SubProject>> {
        children_of(&rc(ctx).loaders.project_sub_projects, self.0.id, SubProject).await
    }
}

pub struct SubProject(pub sub_project::Model);

#[Object]
impl SubProject {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn target_group(&self) -> &str {
        &self.0.target_group
    }
    async fn budget_sek(&self) -> i64 {
        self.0.budget_sek
    }
    async fn spend_sek(&self) -> i64 {
        self.0.spend_sek
    }
    async fn planned_participants(&self) -> i32 {
        self.0.planned_participants
    }
    /// Enrolments of participants whose cases are in your scope.
    #[graphql(complexity = "crate::graphql::limits::long_list_cost(child_complexity)")]
    async fn enrolments(&self, ctx: &Context<'_>) -> Result<Vec<Row<Enrolment>>> {
        children_of(
            &rc(ctx).loaders.sub_project_enrolments,
            self.0.id,
            Enrolment::row,
        )
        .await
    }
}

pub struct Enrolment(pub enrolment::Model);

impl Enrolment {
    /// An enrolment as a row: about its participant.
    pub fn row(m: enrolment::Model) -> Row<Enrolment> {
        let tag = RowTag::participant(m.participant_id);
        Row::new(Enrolment(m), tag)
    }
}

#[Object]
impl Enrolment {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn participant_id(&self) -> ID {
        self.0.participant_id.into()
    }
    async fn enrolled_on(&self) -> NaiveDate {
        self.0.enrolled_on
    }
    async fn exited_on(&self) -> Option<NaiveDate> {
        self.0.exited_on
    }
    /// SUS end reason at exit.
    async fn exit_reason(&self) -> Option<ExitReason> {
        self.0.exit_reason.map(Into::into)
    }
    async fn income_source_before(&self) -> IncomeSource {
        self.0.income_source_before.into()
    }
    async fn income_source_after(&self) -> Option<IncomeSource> {
        self.0.income_source_after.map(Into::into)
    }
}

#[derive(Default)]
pub struct ProjectQuery;

#[Object]
impl ProjectQuery {
    /// Projects with their sub-projects.
    #[graphql(complexity = "crate::graphql::limits::reference_list_cost(child_complexity)")]
    async fn projects(&self, ctx: &Context<'_>) -> Result<Vec<Project>> {
        let r = rc(ctx);
        r.principal()?;
        Ok(projects::list(r.db())
            .await?
            .into_iter()
            .map(Project)
            .collect())
    }
}
