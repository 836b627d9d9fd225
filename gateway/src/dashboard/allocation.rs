//! Placement allocation for a year: the fördelningsmodell's targets per
//! department and kind against placements filled and ended early, the
//! fill rate, and which state subsidies the year's placements used.

use entities::enums::StateSubsidy;
use entities::{placement, placement_slot};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
};

use super::model::{count, Breakdown, Count, DepartmentNames, DraftBreakdown};
use super::suppress::{CellId, Sheet};
use crate::sources::db::allocation::for_year;
use crate::sources::db::placements::year_bounds;
use crate::vocabulary::error::ApiResult;

#[derive(Debug, Clone)]
pub struct AllocationRow {
    pub department: String,
    pub kind: entities::enums::PlacementKind,
    /// Placements the model planned (a decision, not people: never suppressed).
    pub target: i64,
    /// Placements started in the year.
    pub filled: Count,
    pub ended_early: Count,
    /// filled / target; null when filled is suppressed or there is no target.
    pub fill_rate: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct PlacementAllocation {
    pub year: i32,
    /// False when no allocation model has been decided for the year.
    pub has_model: bool,
    pub rows: Vec<AllocationRow>,
    pub target_total: i64,
    /// Placements started in the year within the model's rows.
    pub filled_total: Count,
    pub ended_early_total: Count,
    /// Placements started in the year outside the model's rows (another
    /// kind, or a slot with no department).
    pub outside_model: Count,
    /// Every placement started in the year, by the state subsidy its slot uses.
    pub subsidies: Breakdown,
}

const SUBSIDIES: &[(StateSubsidy, &str, &str)] = &[
    (StateSubsidy::None, "none", "Utan statligt stöd"),
    (
        StateSubsidy::EmploymentSubsidy,
        "employment_subsidy",
        "Nystartsjobb / anställningsstöd",
    ),
    (StateSubsidy::WageSubsidy, "wage_subsidy", "Lönebidrag"),
    (
        StateSubsidy::IntroductionJob,
        "introduction_job",
        "Introduktionsjobb",
    ),
];

pub async fn compute(
    db: &DatabaseConnection,
    year: i32,
    threshold: i64,
) -> ApiResult<PlacementAllocation> {
    let view = for_year(db, year).await?;
    let (start, end) = year_bounds(year)?;
    let by_subsidy: Vec<(StateSubsidy, i64)> = placement::Entity::find()
        .select_only()
        .column(placement_slot::Column::StateSubsidy)
        .column_as(placement::Column::Id.count(), "n")
        .join(JoinType::InnerJoin, placement::Relation::Slot.def())
        .filter(placement::Column::StartedOn.between(start, end))
        .group_by(placement_slot::Column::StateSubsidy)
        .into_tuple()
        .all(db)
        .await?;
    let rows = view.as_ref().map(|v| v.rows.as_slice()).unwrap_or_default();
    let names = DepartmentNames::load(db, rows.iter().map(|(a, _)| a.department_id)).await?;

    let mut sheet = Sheet::default();
    let cells: Vec<(CellId, CellId)> = rows
        .iter()
        .map(|(_, f)| {
            let (filled, early) = (sheet.cell(f.filled), sheet.cell(f.ended_early));
            // Not published, but filled - ended early gives it: protect it too.
            let rest = sheet.cell(f.filled - f.ended_early);
            sheet.group(filled, &[early, rest]);
            (filled, early)
        })
        .collect();
    let filled_sum: i64 = rows.iter().map(|(_, f)| f.filled).sum();
    let early_sum: i64 = rows.iter().map(|(_, f)| f.ended_early).sum();
    let started_all: i64 = by_subsidy.iter().map(|(_, n)| n).sum();
    let filled_total = sheet.cell(filled_sum);
    let early_total = sheet.cell(early_sum);
    let outside = sheet.cell(started_all - filled_sum);
    let all = sheet.cell(started_all);
    let filled_ids: Vec<CellId> = cells.iter().map(|c| c.0).collect();
    let early_ids: Vec<CellId> = cells.iter().map(|c| c.1).collect();
    sheet.group(filled_total, &filled_ids);
    sheet.group(early_total, &early_ids);
    sheet.group(all, &[filled_total, outside]);
    let subsidies = DraftBreakdown::new(
        &mut sheet,
        all,
        true,
        SUBSIDIES.iter().map(|(s, key, label)| {
            let n = by_subsidy
                .iter()
                .find(|(t, _)| t == s)
                .map_or(0, |(_, n)| *n);
            (key.to_string(), label.to_string(), n)
        }),
    );
    let s = sheet.suppress(threshold);

    let rows: Vec<AllocationRow> = rows
        .iter()
        .zip(&cells)
        .map(|((a, _), (filled, early))| AllocationRow {
            department: names.get(&a.department_id),
            kind: a.kind,
            target: a.target.into(),
            filled: count(&s, *filled),
            ended_early: count(&s, *early),
            fill_rate: (a.target > 0)
                .then(|| s.value(*filled).map(|n| n as f64 / f64::from(a.target)))
                .flatten(),
        })
        .collect();
    Ok(PlacementAllocation {
        year,
        has_model: view.is_some(),
        target_total: rows.iter().map(|r| r.target).sum(),
        rows,
        filled_total: count(&s, filled_total),
        ended_early_total: count(&s, early_total),
        outside_model: count(&s, outside),
        subsidies: subsidies.finish(&s),
    })
}
