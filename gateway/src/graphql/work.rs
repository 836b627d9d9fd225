//! The coach's daily work on a case: plans and goals, the step ladder,
//! interventions and follow-up notes.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, NaiveDate, Utc};
use entities::{follow_up, goal, intervention, ladder_step, plan, step_history};
use sha2::Digest;

use super::case::case_tag;
use super::context::{children_of, load_err, rc};
use super::enums::{FollowUpKind, GoalStatus, InterventionKind, PlanStatus};
use super::input;
use super::org::{agency_by_id, staff_by_id, Agency, Staff};
use super::write;
use crate::graphql::Row;
use crate::sources::db::{cases, work};
use crate::vocabulary::error::ApiError;

pub struct Plan(pub plan::Model);

#[Object]
impl Plan {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn status(&self) -> PlanStatus {
        self.0.status.into()
    }
    /// Goals and sub-goals (a sub-goal names its parent).
    #[graphql(complexity = "crate::graphql::limits::case_list_cost(child_complexity)")]
    async fn goals(&self, ctx: &Context<'_>) -> Result<Vec<Goal>> {
        children_of(&rc(ctx).loaders.plan_goals, self.0.id, Goal).await
    }
}

pub struct Goal(pub goal::Model);

#[Object]
impl Goal {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn parent_goal_id(&self) -> Option<ID> {
        self.0.parent_goal_id.map(Into::into)
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn status(&self) -> GoalStatus {
        self.0.status.into()
    }
    async fn due_on(&self) -> Option<NaiveDate> {
        self.0.due_on
    }
}

pub struct LadderStep(pub ladder_step::Model);

#[Object]
impl LadderStep {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// e.g. `kitchen_assistant`, `care_assistant`.
    async fn track(&self) -> &str {
        &self.0.track
    }
    /// Position on the track, 1 = first step.
    async fn ordinal(&self) -> i32 {
        self.0.ordinal
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
}

/// One stay on a ladder step.
pub struct StepEntry(pub step_history::Model);

#[Object]
impl StepEntry {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn entered_on(&self) -> NaiveDate {
        self.0.entered_on
    }
    async fn left_on(&self) -> Option<NaiveDate> {
        self.0.left_on
    }
    async fn step(&self, ctx: &Context<'_>) -> Result<LadderStep> {
        Ok(rc(ctx)
            .loaders
            .ladder_step
            .load_one(self.0.step_id)
            .await
            .map_err(load_err)?
            .map(LadderStep)
            .ok_or(ApiError::NotFound("ladder step"))?)
    }
}

pub struct Intervention(pub intervention::Model);

#[Object]
impl Intervention {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn kind(&self) -> InterventionKind {
        self.0.kind.into()
    }
    async fn started_on(&self) -> NaiveDate {
        self.0.started_on
    }
    async fn ended_on(&self) -> Option<NaiveDate> {
        self.0.ended_on
    }
    async fn outcome(&self) -> Option<&str> {
        self.0.outcome.as_deref()
    }
    async fn provider(&self, ctx: &Context<'_>) -> Result<Agency> {
        agency_by_id(ctx, self.0.provider_agency_id).await
    }
}

pub struct FollowUp(pub follow_up::Model);

#[Object]
impl FollowUp {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn kind(&self) -> FollowUpKind {
        self.0.kind.into()
    }
    async fn note(&self) -> &str {
        &self.0.note
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_by_id(ctx, Some(self.0.author_id)).await
    }
}

#[derive(Default)]
pub struct WorkQuery;

#[Object]
impl WorkQuery {
    /// The step ladder (trappstegsmodell), optionally one track.
    async fn ladder_steps(
        &self,
        ctx: &Context<'_>,
        track: Option<String>,
    ) -> Result<Vec<LadderStep>> {
        let r = rc(ctx);
        r.principal()?;
        Ok(work::ladder_steps(r.db(), track.as_deref())
            .await?
            .into_iter()
            .map(LadderStep)
            .collect())
    }
}

#[derive(InputObject)]
pub struct CreatePlanInput {
    pub case_id: ID,
    pub title: String,
}

#[derive(InputObject)]
pub struct AddGoalInput {
    pub plan_id: ID,
    /// Makes this a sub-goal (delmål).
    pub parent_goal_id: Option<ID>,
    pub description: String,
    pub due_on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct SetGoalStatusInput {
    pub id: ID,
    pub version: i32,
    pub status: GoalStatus,
}

#[derive(InputObject)]
pub struct MoveToLadderStepInput {
    pub case_id: ID,
    /// The case's version as you read it.
    pub case_version: i32,
    pub step_id: ID,
    /// Defaults to today.
    pub on: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct AddFollowUpInput {
    pub case_id: ID,
    /// Chosen by the client (e.g. a UUID made on the phone); a retry with
    /// the same key and body returns the first result and writes nothing.
    pub idempotency_key: String,
    pub occurred_at: DateTime<Utc>,
    pub kind: FollowUpKind,
    pub note: String,
}

/// Longest follow-up note accepted.
const MAX_NOTE_CHARS: usize = 10_000;

#[derive(Default)]
pub struct WorkMutation;

#[Object]
impl WorkMutation {
    /// Starts a genomförandeplan on a case.
    async fn create_plan(&self, ctx: &Context<'_>, input: CreatePlanInput) -> Result<Row<Plan>> {
        let r = rc(ctx);
        let p = r.principal()?;
        let case_id = input::id("input.caseId", &input.case_id)?;
        let title = input::required_text("input.title", &input.title, 200)?;
        let case = cases::get_visible(r.db(), &r.scope, case_id).await?;
        let tx = write::begin(ctx).await?;
        let plan = work::create_plan(&tx, case.id, title, p.staff_id).await?;
        write::commit(ctx, tx, &[case.participant_id], &["Plan"]).await?;
        Ok(Row::new(Plan(plan), case_tag(&case)))
    }

    /// Adds a goal or sub-goal to a plan.
    async fn add_goal(&self, ctx: &Context<'_>, input: AddGoalInput) -> Result<Row<Goal>> {
        let r = rc(ctx);
        r.principal()?;
        let plan_id = input::id("input.planId", &input.plan_id)?;
        let parent = input
            .parent_goal_id
            .as_ref()
            .map(|g| input::id("input.parentGoalId", g))
            .transpose()?;
        let description = input::required_text("input.description", &input.description, 1000)?;
        let plan = work::reload::<plan::Entity>(r.db(), plan_id, "plan").await?;
        let case = cases::get_visible(r.db(), &r.scope, plan.case_id)
            .await
            .map_err(|_| ApiError::NotFound("plan"))?;
        if let Some(parent) = parent {
            let pg = work::reload::<goal::Entity>(r.db(), parent, "goal").await?;
            if pg.plan_id != plan.id {
                return Err(
                    ApiError::bad_input("input.parentGoalId", "belongs to another plan").into(),
                );
            }
        }
        let tx = write::begin(ctx).await?;
        let goal = work::add_goal(&tx, plan.id, parent, description, input.due_on).await?;
        write::commit(ctx, tx, &[case.participant_id], &["Goal"]).await?;
        Ok(Row::new(Goal(goal), case_tag(&case)))
    }

    /// Sets a goal's status (e.g. achieved).
    async fn set_goal_status(
        &self,
        ctx: &Context<'_>,
        input: SetGoalStatusInput,
    ) -> Result<Row<Goal>> {
        let r = rc(ctx);
        r.principal()?;
        let id = input::id("input.id", &input.id)?;
        let version = input::version("input.version", input.version)?;
        let goal = work::reload::<goal::Entity>(r.db(), id, "goal").await?;
        let plan = work::reload::<plan::Entity>(r.db(), goal.plan_id, "plan").await?;
        let case = cases::get_visible(r.db(), &r.scope, plan.case_id)
            .await
            .map_err(|_| ApiError::NotFound("goal"))?;
        let tx = write::begin(ctx).await?;
        work::set_goal_status(&tx, id, version, input.status.into()).await?;
        write::commit(ctx, tx, &[case.participant_id], &["Goal.status"]).await?;
        Ok(Row::new(
            Goal(work::reload::<goal::Entity>(r.db(), id, "goal").await?),
            case_tag(&case),
        ))
    }

    /// Moves the participant to a step on the ladder.
    async fn move_to_ladder_step(
        &self,
        ctx: &Context<'_>,
        input: MoveToLadderStepInput,
    ) -> Result<Row<StepEntry>> {
        let r = rc(ctx);
        let p = r.principal()?;
        let case_id = input::id("input.caseId", &input.case_id)?;
        let step_id = input::id("input.stepId", &input.step_id)?;
        let version = input::version("input.caseVersion", input.case_version)?;
        let on = input.on.unwrap_or(r.today());
        let case = cases::get_visible(r.db(), &r.scope, case_id).await?;
        work::reload::<ladder_step::Entity>(r.db(), step_id, "ladder step")
            .await
            .map_err(|_| ApiError::bad_input("input.stepId", "no such ladder step"))?;
        let tx = write::begin(ctx).await?;
        let entry = work::move_to_step(&tx, &case, version, step_id, on, p.staff_id).await?;
        write::commit(
            ctx,
            tx,
            &[case.participant_id],
            &["StepEntry", "Case.version"],
        )
        .await?;
        Ok(Row::new(StepEntry(entry), case_tag(&case)))
    }

    /// Adds a follow-up note; safe to retry with the same idempotency key.
    async fn add_follow_up(
        &self,
        ctx: &Context<'_>,
        input: AddFollowUpInput,
    ) -> Result<Row<FollowUp>> {
        let r = rc(ctx);
        let p = r.principal()?;
        let case_id = input::id("input.caseId", &input.case_id)?;
        let key = input::required_text("input.idempotencyKey", &input.idempotency_key, 100)?;
        let note = input::required_text("input.note", &input.note, MAX_NOTE_CHARS)?;
        if input.occurred_at > r.services.clock.now() + chrono::Duration::minutes(5) {
            return Err(ApiError::bad_input("input.occurredAt", "cannot be in the future").into());
        }
        let case = cases::get_visible(r.db(), &r.scope, case_id).await?;
        let kind: entities::enums::FollowUpKind = input.kind.into();
        // What makes two requests "the same": everything but the key.
        let canonical = serde_json::json!({
            "caseId": case.id,
            "occurredAt": input.occurred_at.to_rfc3339(),
            "kind": sea_orm::ActiveEnum::to_value(&kind),
            "note": note,
        });
        let request_hash = hex::encode(sha2::Sha256::digest(canonical.to_string().as_bytes()));
        let tx = write::begin(ctx).await?;
        let saved = work::add_follow_up(
            &tx,
            work::NewFollowUp {
                case_id: case.id,
                author_id: p.staff_id,
                occurred_at: input.occurred_at,
                kind,
                note,
                idempotency_key: key,
                request_hash,
            },
        )
        .await?;
        write::commit(ctx, tx, &[case.participant_id], &["FollowUp"]).await?;
        Ok(Row::new(FollowUp(saved), case_tag(&case)))
    }
}
