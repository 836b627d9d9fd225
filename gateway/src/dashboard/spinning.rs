//! "Spinning around" (rundgång): people who had many interventions in a
//! window but neither moved up a step on the ladder nor reached an outcome.
//! The boards ask for it because it is where the collaboration fails.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use entities::enums::{parse_codes, Sex, TargetGroup};
use entities::{intervention, ladder_step, participant, shared_case, step_history};
use sea_orm::sea_query::{Expr, Func, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
};
use uuid::Uuid;

use super::categories as cat;
use super::model::{count, in_detail, Breakdown, Count, Tally, ANONYMOUS};
use super::suppress::Sheet;
use crate::vocabulary::error::{ApiError, ApiResult};

/// The longest window one question may cover.
pub const MAX_WINDOW_DAYS: i64 = 5 * 366;
pub const MAX_INTERVENTIONS: i32 = 50;

#[derive(Debug, Clone)]
pub struct SpinningAround {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub min_interventions: i32,
    /// People with at least `minInterventions` interventions started in the
    /// window.
    pub with_many_interventions: Count,
    /// Of those, people with no step up and no case outcome in the window.
    pub spinning: Count,
    pub by_sex: Breakdown,
    /// A person may be in several target groups.
    pub by_target_group: Breakdown,
}

pub async fn compute(
    db: &DatabaseConnection,
    from: NaiveDate,
    to: NaiveDate,
    min_interventions: i32,
    today: NaiveDate,
    threshold: i64,
) -> ApiResult<SpinningAround> {
    if to < from {
        return Err(ApiError::bad_input("to", "must not be before from"));
    }
    if (to - from).num_days() > MAX_WINDOW_DAYS {
        return Err(ApiError::bad_input(
            "from",
            "the window may be at most 5 years",
        ));
    }
    if !(1..=MAX_INTERVENTIONS).contains(&min_interventions) {
        return Err(ApiError::bad_input(
            "minInterventions",
            format!("must be 1-{MAX_INTERVENTIONS}"),
        ));
    }
    let busy = || busy_participants(from, to, min_interventions);
    let people: Vec<(Uuid, Sex, String, bool, bool)> = participant::Entity::find()
        .select_only()
        .column(participant::Column::Id)
        .column(participant::Column::Sex)
        .column(participant::Column::TargetGroups)
        .column(participant::Column::ProtectedIdentity)
        .expr_as(
            crate::sources::db::consent::any_in_force_sql(today),
            "consented",
        )
        .filter(participant::Column::Id.in_subquery(busy()))
        .into_tuple()
        .all(db)
        .await?;
    let steps: Vec<(Uuid, NaiveDate, i32)> = step_history::Entity::find()
        .select_only()
        .column(step_history::Column::ParticipantId)
        .column(step_history::Column::EnteredOn)
        .column(ladder_step::Column::Ordinal)
        .join(JoinType::InnerJoin, step_history::Relation::Step.def())
        .filter(step_history::Column::ParticipantId.in_subquery(busy()))
        .filter(step_history::Column::EnteredOn.lte(to))
        .into_tuple()
        .all(db)
        .await?;
    let with_outcome: HashSet<Uuid> = shared_case::Entity::find()
        .select_only()
        .column(shared_case::Column::ParticipantId)
        .filter(shared_case::Column::ParticipantId.in_subquery(busy()))
        .filter(shared_case::Column::ClosedOn.between(from, to))
        .filter(shared_case::Column::Outcome.is_not_null())
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let stepped_up = stepped_up(steps, from);

    let mut sex = Tally::new(cat::SEX);
    let mut groups = Tally::new(cat::TARGET_GROUPS);
    let mut spinning = 0;
    for (id, s, target_groups, protected, consented) in &people {
        if stepped_up.contains(id) || with_outcome.contains(id) {
            continue;
        }
        spinning += 1;
        sex.add(&cat::sex(*s));
        if in_detail(*consented, *protected) {
            for g in parse_codes::<TargetGroup>(target_groups)? {
                groups.add(&sea_orm::ActiveEnum::to_value(&g));
            }
        } else {
            groups.add(ANONYMOUS.0);
        }
    }
    let mut sheet = Sheet::default();
    let many = sheet.cell(people.len() as i64);
    let spin = sheet.cell(spinning);
    // Not published, but the difference of the two totals.
    let moving = sheet.cell(people.len() as i64 - spinning);
    sheet.group(many, &[spin, moving]);
    let by_sex = sex.draft(&mut sheet, spin, true);
    let by_group = groups.draft(&mut sheet, spin, false);
    let s = sheet.suppress(threshold);
    Ok(SpinningAround {
        from,
        to,
        min_interventions,
        with_many_interventions: count(&s, many),
        spinning: count(&s, spin),
        by_sex: by_sex.finish(&s),
        by_target_group: by_group.finish(&s),
    })
}

/// Participants with at least `n` interventions started in the window, as
/// a subquery (the set can be thousands of ids: too many to bind).
fn busy_participants(from: NaiveDate, to: NaiveDate, n: i32) -> SelectStatement {
    Query::select()
        .column((shared_case::Entity, shared_case::Column::ParticipantId))
        .from(intervention::Entity)
        .inner_join(
            shared_case::Entity,
            Expr::col((intervention::Entity, intervention::Column::CaseId))
                .equals((shared_case::Entity, shared_case::Column::Id)),
        )
        .and_where(
            Expr::col((intervention::Entity, intervention::Column::StartedOn)).between(from, to),
        )
        .group_by_col((shared_case::Entity, shared_case::Column::ParticipantId))
        .and_having(
            Expr::expr(Func::count(Expr::col((
                intervention::Entity,
                intervention::Column::Id,
            ))))
            .gte(n),
        )
        .to_owned()
}

/// Who entered a higher step than the one before, on a day in the window.
/// Entering the ladder for the first time is not a step up.
fn stepped_up(mut steps: Vec<(Uuid, NaiveDate, i32)>, from: NaiveDate) -> HashSet<Uuid> {
    steps.sort_unstable();
    let mut last: HashMap<Uuid, i32> = HashMap::new();
    let mut up = HashSet::new();
    for (who, entered, ordinal) in steps {
        if let Some(prev) = last.insert(who, ordinal) {
            if entered >= from && ordinal > prev {
                up.insert(who);
            }
        }
    }
    up
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, 1).expect("valid date")
    }

    #[test]
    fn a_step_up_counts_only_inside_the_window() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let steps = vec![
            (a, d(1), 1),
            (a, d(5), 2), // up, in the window
            (b, d(1), 1),
            (b, d(2), 2), // up, before the window
            (b, d(6), 1), // down, in the window
            (c, d(7), 3), // first entry: not a step up
        ];
        let up = stepped_up(steps, d(4));
        assert_eq!(up, HashSet::from([a]));
    }
}
