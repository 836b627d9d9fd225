//! Case flow for a year: shared cases opened and closed per month, how they
//! ended, how long from assessment to outcome, and how many of the year's
//! new cases reached work or studies within 6 and 12 months.

use chrono::{Datelike, Months, NaiveDate};
use entities::enums::CaseOutcome;
use entities::shared_case;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::model::{count, median, share, Breakdown, Count, DraftBreakdown, Tally};
use super::period::Period;
use super::suppress::{CellId, Sheet};
use crate::vocabulary::error::ApiResult;

#[derive(Debug, Clone)]
pub struct MonthCount {
    pub month: u32,
    pub count: Count,
}

/// Of a cohort of cases, how many reached work or studies in time.
#[derive(Debug, Clone)]
pub struct Reach {
    /// Cases opened in the year that have been open long enough to tell.
    pub cohort: Count,
    pub reached: Count,
    pub not_reached: Count,
    /// reached / cohort; null when either is suppressed.
    pub share: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct CaseFlow {
    pub year: i32,
    pub opened: Vec<MonthCount>,
    pub opened_total: Count,
    pub closed: Vec<MonthCount>,
    pub closed_total: Count,
    /// Of the cases closed in the year.
    pub outcomes: Breakdown,
    /// Median days from assessment to outcome of the cases closed in the
    /// year; null when too few to publish.
    pub median_days_assessment_to_outcome: Option<i64>,
    pub work_or_studies_within_6_months: Reach,
    pub work_or_studies_within_12_months: Reach,
}

const OUTCOMES: &[(&str, &str)] = &[
    ("work", "Arbete"),
    ("studies", "Studier"),
    ("job_seeking", "Aktivt arbetssökande"),
    ("sick_leave", "Sjukskrivning"),
    ("other", "Övrigt"),
    ("not_recorded", "Ej registrerad"),
];

type Line = (
    NaiveDate,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<CaseOutcome>,
);

struct DraftReach {
    cohort: CellId,
    reached: CellId,
    not_reached: CellId,
}

impl DraftReach {
    fn new(sheet: &mut Sheet, lines: &[Line], year: Period, today: NaiveDate, months: u32) -> Self {
        let (mut cohort, mut reached) = (0, 0);
        for (opened, _, closed, out) in lines {
            let deadline = *opened + Months::new(months);
            if !year.contains(*opened) || deadline > today {
                continue;
            }
            cohort += 1;
            let in_time = closed.is_some_and(|c| c <= deadline);
            if in_time && matches!(out, Some(CaseOutcome::Work | CaseOutcome::Studies)) {
                reached += 1;
            }
        }
        let d = DraftReach {
            cohort: sheet.cell(cohort),
            reached: sheet.cell(reached),
            not_reached: sheet.cell(cohort - reached),
        };
        sheet.group(d.cohort, &[d.reached, d.not_reached]);
        d
    }

    fn finish(&self, s: &super::suppress::Suppression) -> Reach {
        Reach {
            cohort: count(s, self.cohort),
            reached: count(s, self.reached),
            not_reached: count(s, self.not_reached),
            share: share(s, self.reached, self.cohort),
        }
    }
}

pub async fn compute(
    db: &DatabaseConnection,
    year: i32,
    today: NaiveDate,
    threshold: i64,
) -> ApiResult<CaseFlow> {
    let period = Period::year(year, "year")?;
    let lines: Vec<Line> = shared_case::Entity::find()
        .select_only()
        .column(shared_case::Column::OpenedOn)
        .column(shared_case::Column::AssessedOn)
        .column(shared_case::Column::ClosedOn)
        .column(shared_case::Column::Outcome)
        .filter(
            Condition::any()
                .add(shared_case::Column::OpenedOn.between(period.start, period.end))
                .add(shared_case::Column::ClosedOn.between(period.start, period.end)),
        )
        .into_tuple()
        .all(db)
        .await?;

    let (mut opened, mut closed) = ([0i64; 12], [0i64; 12]);
    let mut outcomes = Tally::new(OUTCOMES);
    let mut days = Vec::new();
    for (open, assessed, close, out) in &lines {
        if period.contains(*open) {
            opened[open.month0() as usize] += 1;
        }
        if let Some(close) = close.filter(|c| period.contains(*c)) {
            closed[close.month0() as usize] += 1;
            outcomes.add(&super::categories::recorded(*out));
            if let (Some(assessed), Some(_)) = (assessed, out) {
                days.push((close - *assessed).num_days());
            }
        }
    }
    let mut sheet = Sheet::default();
    let months = |sheet: &mut Sheet, counts: &[i64; 12]| {
        let total = sheet.cell(counts.iter().sum());
        let cells: Vec<CellId> = counts.iter().map(|n| sheet.cell(*n)).collect();
        sheet.group(total, &cells);
        (total, cells)
    };
    let (opened_total, opened_cells) = months(&mut sheet, &opened);
    let (closed_total, closed_cells) = months(&mut sheet, &closed);
    let outcome_draft: DraftBreakdown = outcomes.draft(&mut sheet, closed_total, true);
    let reach6 = DraftReach::new(&mut sheet, &lines, period, today, 6);
    let reach12 = DraftReach::new(&mut sheet, &lines, period, today, 12);
    let s = sheet.suppress(threshold);
    let per_month = |cells: &[CellId]| {
        cells
            .iter()
            .enumerate()
            .map(|(i, id)| MonthCount {
                month: i as u32 + 1,
                count: count(&s, *id),
            })
            .collect()
    };
    // A median of a handful of cases is one person's duration.
    let median_days = if days.len() as i64 > threshold {
        median(&mut days)
    } else {
        None
    };
    Ok(CaseFlow {
        year,
        opened: per_month(&opened_cells),
        opened_total: count(&s, opened_total),
        closed: per_month(&closed_cells),
        closed_total: count(&s, closed_total),
        outcomes: outcome_draft.finish(&s),
        median_days_assessment_to_outcome: median_days,
        work_or_studies_within_6_months: reach6.finish(&s),
        work_or_studies_within_12_months: reach12.finish(&s),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_outcome_has_a_category() {
        use sea_orm::Iterable;
        let keys: Vec<String> = CaseOutcome::iter()
            .map(Some)
            .chain([None])
            .map(super::super::categories::recorded)
            .collect();
        assert_eq!(
            keys,
            [
                "work",
                "studies",
                "job_seeking",
                "sick_leave",
                "other",
                "not_recorded"
            ]
        );
        assert!(keys.iter().all(|k| OUTCOMES.iter().any(|(o, _)| o == k)));
    }
}
