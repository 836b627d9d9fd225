//! Shared cases: the scoped, paginated list, and the case's own writes.

use chrono::NaiveDate;
use entities::enums::{CaseOutcome, CaseStatus, ConsentCategory, TargetGroup};
use entities::{case_member, shared_case};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveEnum, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::scope::CaseScope;
use crate::vocabulary::error::{ApiError, ApiResult};

#[derive(Debug, Default, Clone)]
pub struct CaseFilter {
    pub statuses: Vec<CaseStatus>,
    pub coach_id: Option<Uuid>,
    pub agency_id: Option<Uuid>,
    pub target_group: Option<TargetGroupFilter>,
    pub opened_from: Option<NaiveDate>,
    pub opened_to: Option<NaiveDate>,
}

/// Cases whose participant is in a target group, as `viewer` may know it:
/// target groups are the information of the agency that opened the case,
/// so only cases it opened, or whose opener released them by consent
/// (`today`), can match. Otherwise the filter would tell what the field
/// withholds.
#[derive(Debug, Clone)]
pub struct TargetGroupFilter {
    pub group: TargetGroup,
    pub viewer: Uuid,
    /// The consent category target groups are classified as, if any.
    pub category: Option<ConsentCategory>,
    pub today: NaiveDate,
}

/// Keyset position: cases are listed newest first by (opened_on, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseCursor {
    pub opened_on: NaiveDate,
    pub id: Uuid,
}

pub struct CasePage {
    pub rows: Vec<shared_case::Model>,
    pub has_next: bool,
    /// Only counted when asked for: counting a large scope costs more than the page.
    pub total: Option<u64>,
}

fn filter_condition(scope: &CaseScope, f: &CaseFilter) -> Condition {
    let mut c = Condition::all().add(scope.case_condition());
    if !f.statuses.is_empty() {
        c = c.add(shared_case::Column::Status.is_in(f.statuses.iter().copied()));
    }
    if let Some(coach) = f.coach_id {
        c = c.add(shared_case::Column::CoachId.eq(coach));
    }
    if let Some(agency) = f.agency_id {
        c = c.add(
            Condition::any()
                .add(shared_case::Column::LeadAgencyId.eq(agency))
                .add(
                    shared_case::Column::Id.in_subquery(
                        Query::select()
                            .column(case_member::Column::CaseId)
                            .from(case_member::Entity)
                            .and_where(case_member::Column::AgencyId.eq(agency))
                            .to_owned(),
                    ),
                ),
        );
    }
    if let Some(t) = &f.target_group {
        c = c.add(super::list_holds(
            (shared_case::Entity, shared_case::Column::TargetGroups),
            &t.group.to_value(),
        ));
        if let Some(category) = t.category {
            c = c.add(super::consent::opener_released_sql(
                t.viewer, category, t.today,
            ));
        }
    }
    if let Some(from) = f.opened_from {
        c = c.add(shared_case::Column::OpenedOn.gte(from));
    }
    if let Some(to) = f.opened_to {
        c = c.add(shared_case::Column::OpenedOn.lte(to));
    }
    c
}

/// One page of the cases in scope: one statement, and one more for the
/// total when `count` is set.
pub async fn list(
    db: &DatabaseConnection,
    scope: &CaseScope,
    filter: &CaseFilter,
    after: Option<CaseCursor>,
    first: u64,
    count: bool,
) -> ApiResult<CasePage> {
    let base = shared_case::Entity::find().filter(filter_condition(scope, filter));
    let total = match count {
        true => Some(base.clone().count(db).await?),
        false => None,
    };
    let mut q = base
        .order_by_desc(shared_case::Column::OpenedOn)
        .order_by_desc(shared_case::Column::Id);
    if let Some(c) = after {
        q = q.filter(
            Condition::any()
                .add(shared_case::Column::OpenedOn.lt(c.opened_on))
                .add(
                    Condition::all()
                        .add(shared_case::Column::OpenedOn.eq(c.opened_on))
                        .add(shared_case::Column::Id.lt(c.id)),
                ),
        );
    }
    let mut rows = q.limit(first + 1).all(db).await?;
    let has_next = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok(CasePage {
        rows,
        has_next,
        total,
    })
}

/// A case, if it is in the caller's scope (a case outside it is NOT_FOUND:
/// its existence is not revealed).
pub async fn get_visible(
    db: &impl ConnectionTrait,
    scope: &CaseScope,
    id: Uuid,
) -> ApiResult<shared_case::Model> {
    shared_case::Entity::find_by_id(id)
        .filter(scope.case_condition())
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("case"))
}

/// The participant's newest case in the caller's scope, if any.
pub async fn newest_visible_of(
    db: &impl ConnectionTrait,
    scope: &CaseScope,
    participant_id: Uuid,
) -> ApiResult<Option<shared_case::Model>> {
    Ok(shared_case::Entity::find()
        .filter(shared_case::Column::ParticipantId.eq(participant_id))
        .filter(scope.case_condition())
        .order_by_desc(shared_case::Column::OpenedOn)
        .order_by_desc(shared_case::Column::Id)
        .one(db)
        .await?)
}

pub struct NewCase {
    pub participant_id: Uuid,
    pub lead_agency_id: Uuid,
    pub coach_id: Option<Uuid>,
    pub opened_on: NaiveDate,
    /// The person as the opener registers them for this case.
    pub registration: super::participants::Registration,
    /// The opener's unit: it alone sees the person here if protected.
    pub registered_unit_id: Option<Uuid>,
    /// Whether the opener registers the person as protected.
    pub protected_identity: bool,
}

/// Opens a case with the lead agency (and the coach, if any) as members.
pub async fn open(db: &impl ConnectionTrait, n: NewCase) -> ApiResult<shared_case::Model> {
    let now = super::now();
    let id = super::new_id();
    let row = shared_case::ActiveModel {
        id: Set(id),
        participant_id: Set(n.participant_id),
        lead_agency_id: Set(n.lead_agency_id),
        coach_id: Set(n.coach_id),
        status: Set(CaseStatus::Assessment),
        opened_on: Set(n.opened_on),
        assessed_on: Set(None),
        closed_on: Set(None),
        outcome: Set(None),
        given_name: Set(n.registration.given_name),
        family_name: Set(n.registration.family_name),
        district: Set(n.registration.district),
        target_groups: Set(entities::enums::join_codes(&n.registration.target_groups)),
        education_level: Set(n.registration.education_level),
        income_source: Set(n.registration.income_source),
        registered_by_agency_id: Set(Some(n.lead_agency_id)),
        registered_unit_id: Set(n.registered_unit_id),
        protected_identity: Set(n.protected_identity),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    shared_case::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    add_member(db, id, n.lead_agency_id, n.coach_id, "lead", n.opened_on).await?;
    shared_case::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("case"))
}

pub async fn add_member(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    agency_id: Uuid,
    staff_id: Option<Uuid>,
    role: &str,
    joined_on: NaiveDate,
) -> ApiResult<case_member::Model> {
    let now = super::now();
    let row = case_member::ActiveModel {
        id: Set(super::new_id()),
        case_id: Set(case_id),
        agency_id: Set(agency_id),
        staff_id: Set(staff_id),
        role: Set(role.to_string()),
        joined_on: Set(joined_on),
        left_on: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    let id = *row.id.as_ref();
    case_member::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(|e| {
            if super::is_unique_violation(&e) {
                ApiError::bad_input("staffId", "already a member of this case")
            } else {
                e.into()
            }
        })?;
    case_member::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("case member"))
}

pub async fn close(
    db: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
    outcome: CaseOutcome,
    closed_on: NaiveDate,
) -> ApiResult<()> {
    super::update_versioned::<shared_case::Entity, _>(db, "case", id, version, |u| {
        u.col_expr(
            shared_case::Column::Status,
            Expr::value(CaseStatus::Closed.to_value()),
        )
        .col_expr(
            shared_case::Column::Outcome,
            Expr::value(outcome.to_value()),
        )
        .col_expr(shared_case::Column::ClosedOn, Expr::value(closed_on))
    })
    .await
}

/// Ids of participants' cases visible in scope (used to check a participant is visible).
pub async fn participant_visible(
    db: &impl ConnectionTrait,
    scope: &CaseScope,
    participant_id: Uuid,
) -> ApiResult<bool> {
    Ok(shared_case::Entity::find()
        .select_only()
        .column(shared_case::Column::Id)
        .filter(shared_case::Column::ParticipantId.eq(participant_id))
        .filter(scope.case_condition())
        .limit(1)
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .is_some())
}
