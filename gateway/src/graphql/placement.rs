//! Placement slots, placements and the yearly allocation model.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::NaiveDate;
use entities::{allocation, allocation_model, placement, placement_slot};

use super::context::{children_of, load_err, rc};
use super::enums::{AllocationStatus, PlacementKind, PlacementStatus, StateSubsidy};
use super::input;
use super::org::{unit_by_id, OrgUnit};
use super::participant::Participant;
use super::write;
use super::{Row, RowTag};
use crate::sources::db::placements::{self, SlotCursor, SlotFilter};
use crate::sources::db::{allocation as alloc, cases, work};
use crate::vocabulary::error::ApiError;

pub struct PlacementSlot(pub placement_slot::Model);

#[Object]
impl PlacementSlot {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn kind(&self) -> PlacementKind {
        self.0.kind.into()
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The ladder track the slot trains for.
    async fn track(&self) -> Option<&str> {
        self.0.track.as_deref()
    }
    /// Receiving department (förvaltning), for municipal slots.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        unit_by_id(ctx, self.0.department_id).await
    }
    /// External employer, for APP and procurement placements.
    async fn employer_name(&self) -> Option<&str> {
        self.0.employer_name.as_deref()
    }
    async fn period_start(&self) -> NaiveDate {
        self.0.period_start
    }
    async fn period_end(&self) -> NaiveDate {
        self.0.period_end
    }
    /// Handledare.
    async fn supervisor_name(&self) -> Option<&str> {
        self.0.supervisor_name.as_deref()
    }
    async fn supervisor_trained(&self) -> bool {
        self.0.supervisor_trained
    }
    async fn state_subsidy(&self) -> StateSubsidy {
        self.0.state_subsidy.into()
    }
    async fn capacity(&self) -> i32 {
        self.0.capacity
    }
    /// Placements in this slot whose case is in your scope.
    #[graphql(complexity = "crate::graphql::limits::long_list_cost(child_complexity)")]
    async fn placements(&self, ctx: &Context<'_>) -> Result<Vec<Row<Placement>>> {
        children_of(&rc(ctx).loaders.slot_placements, self.0.id, Placement::row).await
    }
}

pub struct Placement(pub placement::Model);

impl Placement {
    /// A placement as a row: about its participant, in its case.
    pub fn row(m: placement::Model) -> Row<Placement> {
        let tag = RowTag {
            participant: Some(m.participant_id),
            case: Some(m.case_id),
            ..RowTag::default()
        };
        Row::new(Placement(m), tag)
    }
}

#[Object]
impl Placement {
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn case_id(&self) -> ID {
        self.0.case_id.into()
    }
    async fn started_on(&self) -> NaiveDate {
        self.0.started_on
    }
    async fn ended_on(&self) -> Option<NaiveDate> {
        self.0.ended_on
    }
    async fn status(&self) -> PlacementStatus {
        self.0.status.into()
    }
    async fn outcome(&self) -> Option<&str> {
        self.0.outcome.as_deref()
    }
    async fn slot(&self, ctx: &Context<'_>) -> Result<PlacementSlot> {
        Ok(rc(ctx)
            .loaders
            .slot
            .load_one(self.0.slot_id)
            .await
            .map_err(load_err)?
            .map(PlacementSlot)
            .ok_or(ApiError::NotFound("placement slot"))?)
    }
    async fn participant(&self, ctx: &Context<'_>) -> Result<Row<Participant>> {
        let loaders = &rc(ctx).loaders;
        // The placement was reached in scope, so its case is too: shown as
        // that case registered them.
        let (participant, case) = futures::try_join!(
            loaders.participant.load_one(self.0.participant_id),
            loaders.case.load_one(self.0.case_id),
        )
        .map_err(load_err)?;
        match (participant, case) {
            (Some(p), Some(c)) => Ok(Participant::row_in(p, c)),
            _ => Err(ApiError::NotFound("participant").into()),
        }
    }
}

/// Target vs. filled for one department and kind of placement.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct DepartmentAllocation {
    #[graphql(skip)]
    pub department_id: uuid::Uuid,
    pub kind: PlacementKind,
    pub target: i32,
    pub filled: i64,
    pub ended_early: i64,
    pub skills_needs: String,
    pub capacity_notes: String,
}

#[async_graphql::ComplexObject]
impl DepartmentAllocation {
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        unit_by_id(ctx, Some(self.department_id)).await
    }
    /// filled / target, or null when there is no target.
    async fn fill_rate(&self) -> Option<f64> {
        (self.target > 0).then(|| self.filled as f64 / f64::from(self.target))
    }
}

/// Fördelningsmodell for a year, as socialnämnden decided it.
pub struct AllocationModel {
    model: allocation_model::Model,
    rows: Vec<(allocation::Model, alloc::Filled)>,
}

#[Object]
impl AllocationModel {
    async fn year(&self) -> i32 {
        self.model.year
    }
    async fn status(&self) -> AllocationStatus {
        self.model.status.into()
    }
    async fn decided_on(&self) -> Option<NaiveDate> {
        self.model.decided_on
    }
    async fn decided_by(&self) -> Option<&str> {
        self.model.decided_by.as_deref()
    }
    async fn departments(&self) -> Vec<DepartmentAllocation> {
        self.rows
            .iter()
            .map(|(a, f)| DepartmentAllocation {
                department_id: a.department_id,
                kind: a.kind.into(),
                target: a.target,
                filled: f.filled,
                ended_early: f.ended_early,
                skills_needs: a.skills_needs.clone(),
                capacity_notes: a.capacity_notes.clone(),
            })
            .collect()
    }
}

#[derive(InputObject, Default)]
pub struct SlotFilterInput {
    pub kind: Option<Vec<PlacementKind>>,
    pub department_id: Option<ID>,
    /// Slots whose period overlaps this year.
    pub year: Option<i32>,
}

#[derive(SimpleObject)]
pub struct SlotTotal {
    pub total_count: u64,
}

fn slot_cursor(s: &placement_slot::Model) -> String {
    input::encode_cursor(s.period_start, s.id)
}

#[derive(Default)]
pub struct PlacementQuery;

#[Object]
impl PlacementQuery {
    /// Placement slots (not personal data), by period start.
    #[graphql(complexity = "crate::graphql::limits::page_cost(first, child_complexity)")]
    async fn placement_slots(
        &self,
        ctx: &Context<'_>,
        filter: Option<SlotFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, PlacementSlot, SlotTotal>> {
        let r = rc(ctx);
        r.principal()?;
        let first = input::page_size(&r.services.limits, first)?;
        let after = after
            .as_deref()
            .map(input::decode_cursor)
            .transpose()?
            .map(|(period_start, id)| SlotCursor { period_start, id });
        let f = filter.unwrap_or_default();
        if let Some(y) = f.year {
            if !(2000..=2100).contains(&y) {
                return Err(ApiError::bad_input("filter.year", "between 2000 and 2100").into());
            }
        }
        let filter = SlotFilter {
            kinds: f
                .kind
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            department_id: f
                .department_id
                .as_ref()
                .map(|d| input::id("filter.departmentId", d))
                .transpose()?,
            year: f.year,
        };
        let page = placements::list_slots(r.db(), &filter, after, first).await?;
        let mut conn = Connection::with_additional_fields(
            after.is_some(),
            page.has_next,
            SlotTotal {
                total_count: page.total,
            },
        );
        conn.edges.extend(
            page.rows
                .into_iter()
                .map(|s| Edge::new(slot_cursor(&s), PlacementSlot(s))),
        );
        Ok(conn)
    }

    /// The allocation model of a year with target vs. filled per department.
    async fn allocation_model(
        &self,
        ctx: &Context<'_>,
        year: i32,
    ) -> Result<Option<AllocationModel>> {
        let r = rc(ctx);
        r.principal()?;
        if !(2000..=2100).contains(&year) {
            return Err(ApiError::bad_input("year", "between 2000 and 2100").into());
        }
        Ok(alloc::for_year(r.db(), year)
            .await?
            .map(|v| AllocationModel {
                model: v.model,
                rows: v.rows,
            }))
    }
}

#[derive(InputObject)]
pub struct CreateSlotInput {
    pub kind: PlacementKind,
    pub title: String,
    pub department_id: Option<ID>,
    pub employer_name: Option<String>,
    pub track: Option<String>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub supervisor_name: Option<String>,
    #[graphql(default)]
    pub supervisor_trained: bool,
    #[graphql(default_with = "StateSubsidy::None")]
    pub state_subsidy: StateSubsidy,
    pub capacity: i32,
}

#[derive(InputObject)]
pub struct StartPlacementInput {
    pub slot_id: ID,
    pub case_id: ID,
    pub started_on: NaiveDate,
}

#[derive(InputObject)]
pub struct EndPlacementInput {
    pub id: ID,
    pub version: i32,
    pub ended_on: NaiveDate,
    /// `COMPLETED` or `ENDED_EARLY`.
    pub status: PlacementStatus,
    pub outcome: Option<String>,
}

#[derive(Default)]
pub struct PlacementMutation;

#[Object]
impl PlacementMutation {
    /// Creates a slot (placement coordinators and officers of the municipality).
    async fn create_placement_slot(
        &self,
        ctx: &Context<'_>,
        input: CreateSlotInput,
    ) -> Result<PlacementSlot> {
        let r = rc(ctx);
        r.principal()?;
        if input.period_end < input.period_start {
            return Err(ApiError::bad_input("input.periodEnd", "is before periodStart").into());
        }
        if !(1..=1000).contains(&input.capacity) {
            return Err(ApiError::bad_input("input.capacity", "between 1 and 1000").into());
        }
        let department_id = input
            .department_id
            .as_ref()
            .map(|d| input::id("input.departmentId", d))
            .transpose()?;
        if department_id.is_none() && input.employer_name.is_none() {
            return Err(ApiError::bad_input(
                "input.departmentId",
                "give a department or an employerName",
            )
            .into());
        }
        let tx = write::begin(ctx).await?;
        let slot = placements::create_slot(
            &tx,
            placements::NewSlot {
                department_id,
                employer_name: input
                    .employer_name
                    .map(|e| input::required_text("input.employerName", &e, 200))
                    .transpose()?,
                procurement_contract_id: None,
                kind: input.kind.into(),
                title: input::required_text("input.title", &input.title, 200)?,
                track: input
                    .track
                    .map(|t| input::required_text("input.track", &t, 100))
                    .transpose()?,
                period_start: input.period_start,
                period_end: input.period_end,
                supervisor_name: input
                    .supervisor_name
                    .map(|s| input::text("input.supervisorName", &s, 200))
                    .transpose()?,
                supervisor_trained: input.supervisor_trained,
                state_subsidy: input.state_subsidy.into(),
                capacity: input.capacity,
            },
        )
        .await
        .map_err(|e| match e {
            // An unknown department id fails the foreign key.
            ApiError::Internal(_) if department_id.is_some() => {
                ApiError::bad_input("input.departmentId", "no such department")
            }
            other => other,
        })?;
        // Audited like every write (no participant: a slot is a workplace).
        write::commit(ctx, tx, &[], &["PlacementSlot"]).await?;
        Ok(PlacementSlot(slot))
    }

    /// Places a case's participant in a slot with room.
    async fn start_placement(
        &self,
        ctx: &Context<'_>,
        input: StartPlacementInput,
    ) -> Result<Row<Placement>> {
        let r = rc(ctx);
        r.principal()?;
        let slot_id = input::id("input.slotId", &input.slot_id)?;
        let case_id = input::id("input.caseId", &input.case_id)?;
        let case = cases::get_visible(r.db(), &r.scope, case_id).await?;
        let slot = work::reload::<placement_slot::Entity>(r.db(), slot_id, "placement slot")
            .await
            .map_err(|_| ApiError::bad_input("input.slotId", "no such slot"))?;
        // The capacity check and the insert see the same state.
        let tx = write::begin(ctx).await?;
        let placement =
            placements::start_placement(&tx, &slot, case.id, case.participant_id, input.started_on)
                .await?;
        write::commit(ctx, tx, &[case.participant_id], &["Placement"]).await?;
        Ok(Placement::row(placement))
    }

    /// Ends a placement, completed or early.
    async fn end_placement(
        &self,
        ctx: &Context<'_>,
        input: EndPlacementInput,
    ) -> Result<Row<Placement>> {
        let r = rc(ctx);
        r.principal()?;
        let id = input::id("input.id", &input.id)?;
        let version = input::version("input.version", input.version)?;
        if !matches!(
            input.status,
            PlacementStatus::Completed | PlacementStatus::EndedEarly
        ) {
            return Err(ApiError::bad_input("input.status", "COMPLETED or ENDED_EARLY").into());
        }
        let current = work::reload::<placement::Entity>(r.db(), id, "placement").await?;
        cases::get_visible(r.db(), &r.scope, current.case_id)
            .await
            .map_err(|_| ApiError::NotFound("placement"))?;
        if input.ended_on < current.started_on {
            return Err(
                ApiError::bad_input("input.endedOn", "is before the placement started").into(),
            );
        }
        let outcome = input
            .outcome
            .map(|o| input::text("input.outcome", &o, 500))
            .transpose()?;
        let tx = write::begin(ctx).await?;
        placements::end_placement(
            &tx,
            id,
            version,
            input.ended_on,
            input.status.into(),
            outcome,
        )
        .await?;
        write::commit(
            ctx,
            tx,
            &[current.participant_id],
            &["Placement.status", "Placement.endedOn", "Placement.outcome"],
        )
        .await?;
        Ok(Placement::row(
            work::reload::<placement::Entity>(r.db(), id, "placement").await?,
        ))
    }
}
