//! The coach's and officer's daily writes on a case: consents, plans and
//! goals, ladder steps, interventions and follow-ups.

use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::{ConsentCategory, FollowUpKind, GoalStatus, PlanStatus};
use entities::{consent, follow_up, goal, plan, shared_case, step_history};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveEnum, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use crate::vocabulary::error::{ApiError, ApiResult};

pub struct NewConsent {
    pub participant_id: Uuid,
    pub case_id: Option<Uuid>,
    pub source_agency_id: Uuid,
    pub recipient_agency_id: Uuid,
    pub categories: Vec<ConsentCategory>,
    pub purpose: String,
    pub signed_on: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub recorded_by_id: Uuid,
    pub collected_at: String,
    pub form_version: String,
    pub document_ref: String,
}

pub async fn record_consent(db: &impl ConnectionTrait, n: NewConsent) -> ApiResult<consent::Model> {
    let now = super::now();
    let id = super::new_id();
    consent::Entity::insert(consent::ActiveModel {
        id: Set(id),
        participant_id: Set(n.participant_id),
        case_id: Set(n.case_id),
        source_agency_id: Set(n.source_agency_id),
        recipient_agency_id: Set(n.recipient_agency_id),
        categories: Set(entities::enums::join_codes(&n.categories)),
        purpose: Set(n.purpose),
        signed_on: Set(n.signed_on),
        valid_from: Set(n.valid_from),
        valid_to: Set(n.valid_to),
        revoked_at: Set(None),
        recorded_by_id: Set(n.recorded_by_id),
        collected_at: Set(n.collected_at),
        form_version: Set(n.form_version),
        document_ref: Set(n.document_ref),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(db)
    .await?;
    reload::<consent::Entity>(db, id, "consent").await
}

pub async fn revoke_consent(db: &impl ConnectionTrait, id: Uuid, version: i32) -> ApiResult<()> {
    super::update_versioned::<consent::Entity, _>(db, "consent", id, version, |u| {
        u.col_expr(consent::Column::RevokedAt, Expr::value(super::now()))
    })
    .await
}

pub async fn create_plan(
    db: &impl ConnectionTrait,
    case_id: Uuid,
    title: String,
    created_by_id: Uuid,
) -> ApiResult<plan::Model> {
    let now = super::now();
    let id = super::new_id();
    plan::Entity::insert(plan::ActiveModel {
        id: Set(id),
        case_id: Set(case_id),
        title: Set(title),
        status: Set(PlanStatus::Active),
        created_by_id: Set(Some(created_by_id)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(db)
    .await?;
    reload::<plan::Entity>(db, id, "plan").await
}

pub async fn add_goal(
    db: &impl ConnectionTrait,
    plan_id: Uuid,
    parent_goal_id: Option<Uuid>,
    description: String,
    due_on: Option<NaiveDate>,
) -> ApiResult<goal::Model> {
    let now = super::now();
    let id = super::new_id();
    goal::Entity::insert(goal::ActiveModel {
        id: Set(id),
        plan_id: Set(plan_id),
        parent_goal_id: Set(parent_goal_id),
        description: Set(description),
        status: Set(GoalStatus::NotStarted),
        due_on: Set(due_on),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(db)
    .await?;
    reload::<goal::Entity>(db, id, "goal").await
}

pub async fn set_goal_status(
    db: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
    status: GoalStatus,
) -> ApiResult<()> {
    super::update_versioned::<goal::Entity, _>(db, "goal", id, version, |u| {
        u.col_expr(goal::Column::Status, Expr::value(status.to_value()))
    })
    .await
}

/// Moves the participant to `step_id`: the open step entry of the case is
/// closed and a new one opened. The case's version guards against two
/// offline edits moving the same person at once.
pub async fn move_to_step(
    db: &impl ConnectionTrait,
    case: &shared_case::Model,
    case_version: i32,
    step_id: Uuid,
    on: NaiveDate,
    moved_by_id: Uuid,
) -> ApiResult<step_history::Model> {
    super::update_versioned::<shared_case::Entity, _>(db, "case", case.id, case_version, |u| u)
        .await?;
    step_history::Entity::update_many()
        .col_expr(step_history::Column::LeftOn, Expr::value(on))
        .col_expr(step_history::Column::UpdatedAt, Expr::value(super::now()))
        .col_expr(
            step_history::Column::Version,
            Expr::col(step_history::Column::Version).add(1),
        )
        .filter(step_history::Column::CaseId.eq(case.id))
        .filter(step_history::Column::LeftOn.is_null())
        .exec(db)
        .await?;
    let now = super::now();
    let id = super::new_id();
    step_history::Entity::insert(step_history::ActiveModel {
        id: Set(id),
        participant_id: Set(case.participant_id),
        case_id: Set(case.id),
        step_id: Set(step_id),
        entered_on: Set(on),
        left_on: Set(None),
        moved_by_id: Set(Some(moved_by_id)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_without_returning(db)
    .await?;
    reload::<step_history::Entity>(db, id, "step entry").await
}

pub struct NewFollowUp {
    pub case_id: Uuid,
    pub author_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub kind: FollowUpKind,
    pub note: String,
    pub idempotency_key: String,
    /// Hash of the canonical request; a replay must carry the same.
    pub request_hash: String,
}

/// Adds a follow-up once per (author, idempotency key): a replay of the same
/// request returns the first result and writes nothing; the same key with a
/// different request is refused.
pub async fn add_follow_up(
    db: &impl ConnectionTrait,
    n: NewFollowUp,
) -> ApiResult<follow_up::Model> {
    let existing = || async {
        follow_up::Entity::find()
            .filter(follow_up::Column::AuthorId.eq(n.author_id))
            .filter(follow_up::Column::IdempotencyKey.eq(n.idempotency_key.as_str()))
            .one(db)
            .await
    };
    let replay = |found: follow_up::Model| {
        if found.request_hash == n.request_hash {
            Ok(found)
        } else {
            Err(ApiError::bad_input(
                "idempotencyKey",
                "this key was already used for a different follow-up; use a new key",
            ))
        }
    };
    if let Some(found) = existing().await? {
        return replay(found);
    }
    let now = super::now();
    let id = super::new_id();
    let inserted = follow_up::Entity::insert(follow_up::ActiveModel {
        id: Set(id),
        case_id: Set(n.case_id),
        author_id: Set(n.author_id),
        occurred_at: Set(n.occurred_at),
        kind: Set(n.kind),
        note: Set(n.note.clone()),
        idempotency_key: Set(n.idempotency_key.clone()),
        request_hash: Set(n.request_hash.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    // DO NOTHING rather than catching the violation: a failed statement
    // would abort the surrounding transaction on PostgreSQL.
    .on_conflict(
        OnConflict::columns([
            follow_up::Column::AuthorId,
            follow_up::Column::IdempotencyKey,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted == 1 {
        return reload::<follow_up::Entity>(db, id, "follow-up").await;
    }
    // A concurrent replay won the race: answer as a replay.
    match existing().await? {
        Some(found) => replay(found),
        None => Err(ApiError::internal("follow-up neither inserted nor found")),
    }
}

/// Reads back a row just written (inserts do not return rows on every backend).
pub async fn reload<E>(
    db: &impl ConnectionTrait,
    id: Uuid,
    what: &'static str,
) -> ApiResult<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    E::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound(what))
}

/// The ladder's steps, by track and order.
pub async fn ladder_steps(
    db: &impl ConnectionTrait,
    track: Option<&str>,
) -> ApiResult<Vec<entities::ladder_step::Model>> {
    use entities::ladder_step;
    use sea_orm::QueryOrder;
    let mut q = ladder_step::Entity::find()
        .order_by_asc(ladder_step::Column::Track)
        .order_by_asc(ladder_step::Column::Ordinal);
    if let Some(t) = track {
        q = q.filter(ladder_step::Column::Track.eq(t));
    }
    Ok(q.all(db).await?)
}
