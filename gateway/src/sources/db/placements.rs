//! Placement slots and placements (praktik, kommunala anställningar, APP...).

use chrono::NaiveDate;
use entities::enums::{PlacementKind, PlacementStatus, StateSubsidy};
use entities::{placement, placement_slot};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::reload;
use crate::vocabulary::error::{ApiError, ApiResult};

#[derive(Debug, Default, Clone)]
pub struct SlotFilter {
    pub kinds: Vec<PlacementKind>,
    pub department_id: Option<Uuid>,
    pub year: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotCursor {
    pub period_start: NaiveDate,
    pub id: Uuid,
}

pub struct SlotPage {
    pub rows: Vec<placement_slot::Model>,
    pub has_next: bool,
    pub total: u64,
}

pub async fn list_slots(
    db: &DatabaseConnection,
    f: &SlotFilter,
    after: Option<SlotCursor>,
    first: u64,
) -> ApiResult<SlotPage> {
    let mut c = Condition::all();
    if !f.kinds.is_empty() {
        c = c.add(placement_slot::Column::Kind.is_in(f.kinds.iter().copied()));
    }
    if let Some(d) = f.department_id {
        c = c.add(placement_slot::Column::DepartmentId.eq(d));
    }
    if let Some(year) = f.year {
        // Slots whose period overlaps the year.
        let (start, end) = year_bounds(year)?;
        c = c
            .add(placement_slot::Column::PeriodStart.lte(end))
            .add(placement_slot::Column::PeriodEnd.gte(start));
    }
    let base = placement_slot::Entity::find().filter(c);
    let total = base.clone().count(db).await?;
    let mut q = base
        .order_by_asc(placement_slot::Column::PeriodStart)
        .order_by_asc(placement_slot::Column::Id);
    if let Some(a) = after {
        q = q.filter(
            Condition::any()
                .add(placement_slot::Column::PeriodStart.gt(a.period_start))
                .add(
                    Condition::all()
                        .add(placement_slot::Column::PeriodStart.eq(a.period_start))
                        .add(placement_slot::Column::Id.gt(a.id)),
                ),
        );
    }
    let mut rows = q.limit(first + 1).all(db).await?;
    let has_next = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok(SlotPage {
        rows,
        has_next,
        total,
    })
}

pub fn year_bounds(year: i32) -> ApiResult<(NaiveDate, NaiveDate)> {
    match (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(ApiError::bad_input("year", "not a valid year")),
    }
}

pub struct NewSlot {
    pub department_id: Option<Uuid>,
    pub employer_name: Option<String>,
    pub procurement_contract_id: Option<Uuid>,
    pub kind: PlacementKind,
    pub title: String,
    pub track: Option<String>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub supervisor_name: Option<String>,
    pub supervisor_trained: bool,
    pub state_subsidy: StateSubsidy,
    pub capacity: i32,
}

pub async fn create_slot(
    db: &impl ConnectionTrait,
    n: NewSlot,
) -> ApiResult<placement_slot::Model> {
    let now = super::now();
    let id = super::new_id();
    placement_slot::Entity::insert(placement_slot::ActiveModel {
        id: Set(id),
        department_id: Set(n.department_id),
        employer_name: Set(n.employer_name),
        procurement_contract_id: Set(n.procurement_contract_id),
        kind: Set(n.kind),
        title: Set(n.title),
        track: Set(n.track),
        period_start: Set(n.period_start),
        period_end: Set(n.period_end),
        supervisor_name: Set(n.supervisor_name),
        supervisor_trained: Set(n.supervisor_trained),
        state_subsidy: Set(n.state_subsidy),
        capacity: Set(n.capacity),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(db)
    .await?;
    reload::<placement_slot::Entity>(db, id, "placement slot").await
}

/// Places the case's participant in a slot that still has room.
pub async fn start_placement(
    db: &impl ConnectionTrait,
    slot: &placement_slot::Model,
    case_id: Uuid,
    participant_id: Uuid,
    started_on: NaiveDate,
) -> ApiResult<placement::Model> {
    if started_on < slot.period_start || started_on > slot.period_end {
        return Err(ApiError::bad_input(
            "startedOn",
            "must fall within the slot's period",
        ));
    }
    // Two coaches filling the last seat at once: on PostgreSQL the slot row
    // is locked for the rest of the transaction, so the second waits and then
    // sees the first placement. (SQLite has one writer; the second
    // transaction fails to upgrade instead of overbooking.)
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        placement_slot::Entity::find_by_id(slot.id)
            .lock_exclusive()
            .one(db)
            .await?;
    }
    let taken = placement::Entity::find()
        .filter(placement::Column::SlotId.eq(slot.id))
        .filter(
            placement::Column::Status.is_in([PlacementStatus::Planned, PlacementStatus::Active]),
        )
        .count(db)
        .await?;
    if taken >= slot.capacity.max(0) as u64 {
        return Err(ApiError::bad_input("slotId", "the slot is full"));
    }
    let now = super::now();
    let id = super::new_id();
    placement::Entity::insert(placement::ActiveModel {
        id: Set(id),
        slot_id: Set(slot.id),
        participant_id: Set(participant_id),
        case_id: Set(case_id),
        started_on: Set(started_on),
        ended_on: Set(None),
        status: Set(PlacementStatus::Active),
        outcome: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(db)
    .await?;
    reload::<placement::Entity>(db, id, "placement").await
}

pub async fn end_placement(
    db: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
    ended_on: NaiveDate,
    status: PlacementStatus,
    outcome: Option<String>,
) -> ApiResult<()> {
    super::update_versioned::<placement::Entity, _>(db, "placement", id, version, |u| {
        u.col_expr(placement::Column::EndedOn, Expr::value(ended_on))
            .col_expr(placement::Column::Status, Expr::value(status.to_value()))
            .col_expr(placement::Column::Outcome, Expr::value(outcome))
    })
    .await
}
