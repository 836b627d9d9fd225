//! Project overview: who was in a project (or sub-project, or all of the
//! association's projects) during a period, how they left, and what it
//! cost. Counts are participations (enrolments), as SUS counts per
//! intervention.

use chrono::NaiveDate;
use entities::enums::{parse_codes, ExitReason, IncomeSource, Sex, TargetGroup};
use entities::{enrolment, participant, project, sub_project};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
};
use uuid::Uuid;

use super::categories as cat;
use super::model::{count, in_detail, median, Breakdown, Count, Tally, ANONYMOUS};
use super::period::Period;
use super::suppress::Sheet;
use crate::vocabulary::error::{ApiError, ApiResult};

/// What the overview is about: one sub-project, one project, or all.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    All,
    Project(Uuid),
    SubProject(Uuid),
}

#[derive(Debug, Clone)]
pub struct ProjectOverview {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Participations that were ongoing at any time in the period.
    pub active: Count,
    /// Participations that started in the period.
    pub started: Count,
    /// Participations that ended in the period.
    pub exited: Count,
    /// Of those who exited: SUS's outcome at exit.
    pub outcomes: Breakdown,
    /// Of the active.
    pub by_sex: Breakdown,
    /// Of the active, age at the end of the period.
    pub by_age_band: Breakdown,
    /// Of the active; a person may be in several groups.
    pub by_target_group: Breakdown,
    /// Of the active: main income when they started.
    pub income_before: Breakdown,
    /// Of those who exited: main income when they left.
    pub income_after: Breakdown,
    /// Of those who exited: how long they took part.
    pub time_in_project: Breakdown,
    /// Median days in the project of those who exited; null when their
    /// number is suppressed.
    pub median_days_in_project: Option<i64>,
    pub budget_sek: i64,
    pub spend_sek: i64,
    pub planned_participants: i64,
}

/// One enrolment as the overview needs it: no names, no ids.
type Line = (
    NaiveDate,
    Option<NaiveDate>,
    Option<ExitReason>,
    IncomeSource,
    Option<IncomeSource>,
    Sex,
    i32,
    String,
    bool,
    bool,
);

pub async fn compute(
    db: &DatabaseConnection,
    subject: Subject,
    period: Period,
    today: NaiveDate,
    threshold: i64,
) -> ApiResult<ProjectOverview> {
    let lines = fetch(db, subject, period, today).await?;
    let money = budget(db, subject).await?;

    let mut sheet = Sheet::default();
    let mut sex = Tally::new(cat::SEX);
    let mut age = Tally::new(cat::AGE_BANDS);
    let mut groups = Tally::new(cat::TARGET_GROUPS);
    let mut before = Tally::new(cat::INCOME);
    let mut outcomes = Tally::new(cat::OUTCOMES);
    let mut after = Tally::new(cat::INCOME);
    let mut time = Tally::new(cat::TIME_IN_PROJECT);
    let (mut started, mut days) = (0, Vec::new());
    for (
        enrolled,
        exited,
        reason,
        inc_before,
        inc_after,
        s,
        born,
        target_groups,
        protected,
        consented,
    ) in &lines
    {
        let detail = in_detail(*consented, *protected);
        sex.add(&cat::sex(*s));
        if period.contains(*enrolled) {
            started += 1;
        }
        if detail {
            age.add(cat::age_band(*born, period.end));
            before.add(&cat::income(Some(*inc_before)));
            for g in parse_codes::<TargetGroup>(target_groups)? {
                groups.add(&sea_orm::ActiveEnum::to_value(&g));
            }
        } else {
            age.add(ANONYMOUS.0);
            before.add(ANONYMOUS.0);
            groups.add(ANONYMOUS.0);
        }
        if let Some(exited) = exited.filter(|d| period.contains(*d)) {
            time.add(cat::time_in_project(*enrolled, exited));
            days.push((exited - *enrolled).num_days());
            if detail {
                outcomes.add(&cat::outcome(*reason));
                after.add(&cat::income(*inc_after));
            } else {
                outcomes.add(ANONYMOUS.0);
                after.add(ANONYMOUS.0);
            }
        }
    }
    let active = sheet.cell(lines.len() as i64);
    let started_n = started;
    let started = sheet.cell(started);
    let exited = sheet.cell(outcomes.sum());
    // Not published, but the differences of published totals: still in the
    // project at the period's end, and carried in from before it.
    let remaining = sheet.cell(lines.len() as i64 - outcomes.sum());
    let carried_in = sheet.cell(lines.len() as i64 - started_n);
    sheet.group(active, &[exited, remaining]);
    sheet.group(active, &[started, carried_in]);
    let drafts = [
        outcomes.draft(&mut sheet, exited, true),
        sex.draft(&mut sheet, active, true),
        age.draft(&mut sheet, active, true),
        groups.draft(&mut sheet, active, false),
        before.draft(&mut sheet, active, true),
        after.draft(&mut sheet, exited, true),
        time.draft(&mut sheet, exited, true),
    ];
    let s = sheet.suppress(threshold);
    let [outcomes, by_sex, by_age_band, by_target_group, income_before, income_after, time_in_project] =
        drafts.map(|d| d.finish(&s));
    let median_days_in_project = s.value(exited).and_then(|_| median(&mut days));
    Ok(ProjectOverview {
        period_start: period.start,
        period_end: period.end,
        active: count(&s, active),
        started: count(&s, started),
        exited: count(&s, exited),
        outcomes,
        by_sex,
        by_age_band,
        by_target_group,
        income_before,
        income_after,
        time_in_project,
        median_days_in_project,
        budget_sek: money.0,
        spend_sek: money.1,
        planned_participants: money.2,
    })
}

async fn fetch(
    db: &DatabaseConnection,
    subject: Subject,
    period: Period,
    today: NaiveDate,
) -> ApiResult<Vec<Line>> {
    let mut q = enrolment::Entity::find()
        .select_only()
        .column(enrolment::Column::EnrolledOn)
        .column(enrolment::Column::ExitedOn)
        .column(enrolment::Column::ExitReason)
        .column(enrolment::Column::IncomeSourceBefore)
        .column(enrolment::Column::IncomeSourceAfter)
        .column(participant::Column::Sex)
        .column(participant::Column::BirthYear)
        .column(participant::Column::TargetGroups)
        .column(participant::Column::ProtectedIdentity)
        .expr_as(
            crate::sources::db::consent::any_in_force_sql(today),
            "consented",
        )
        .join(JoinType::InnerJoin, enrolment::Relation::Participant.def())
        .filter(enrolment::Column::EnrolledOn.lte(period.end))
        .filter(
            enrolment::Column::ExitedOn
                .is_null()
                .or(enrolment::Column::ExitedOn.gte(period.start)),
        );
    q = match subject {
        Subject::All => q,
        Subject::SubProject(id) => q.filter(enrolment::Column::SubProjectId.eq(id)),
        Subject::Project(id) => q
            .join(JoinType::InnerJoin, enrolment::Relation::SubProject.def())
            .filter(sub_project::Column::ProjectId.eq(id)),
    };
    Ok(q.into_tuple().all(db).await?)
}

/// (budget, spend, planned participants) of the subject's sub-projects.
async fn budget(db: &DatabaseConnection, subject: Subject) -> ApiResult<(i64, i64, i64)> {
    let q = sub_project::Entity::find();
    let subs = match subject {
        Subject::All => q.all(db).await?,
        Subject::Project(id) => {
            project::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or(ApiError::NotFound("project"))?;
            q.filter(sub_project::Column::ProjectId.eq(id))
                .all(db)
                .await?
        }
        Subject::SubProject(id) => vec![q
            .filter(sub_project::Column::Id.eq(id))
            .one(db)
            .await?
            .ok_or(ApiError::NotFound("sub-project"))?],
    };
    Ok(subs.iter().fold((0, 0, 0), |(b, s, p), sp| {
        (
            b + sp.budget_sek,
            s + sp.spend_sek,
            p + sp.planned_participants as i64,
        )
    }))
}
