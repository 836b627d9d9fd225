//! Skills needs: what the municipality's departments need to recruit,
//! against the participants now on the ladder tracks that lead there.

use std::collections::{BTreeMap, BTreeSet};

use entities::{allocation, allocation_model, ladder_step, placement_slot, step_history};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
};
use uuid::Uuid;

use super::model::{count, Count, DepartmentNames};
use super::suppress::{CellId, Sheet};
use crate::sources::db::placements::year_bounds;
use crate::vocabulary::error::ApiResult;

/// First ladder step counted as "near a job" (supported employment and up).
const NEAR_JOB_ORDINAL: i32 = 4;

#[derive(Debug, Clone)]
pub struct TrackNeed {
    /// Ladder track code, e.g. `care_assistant`.
    pub track: String,
    /// Places the departments offer on this track in the year (slot capacity).
    pub openings: i64,
    /// Departments offering them.
    pub departments: Vec<String>,
    /// People whose current step is on this track.
    pub participants: Count,
    /// Of them, people on a step of supported or regular employment.
    pub near_job: Count,
}

#[derive(Debug, Clone)]
pub struct DepartmentNeed {
    pub department: String,
    /// The department's own words from the allocation model.
    pub skills_needs: String,
    /// Placements planned for the department in the year.
    pub target: i64,
}

#[derive(Debug, Clone)]
pub struct SkillsNeeds {
    pub year: i32,
    pub tracks: Vec<TrackNeed>,
    pub departments: Vec<DepartmentNeed>,
}

pub async fn compute(db: &DatabaseConnection, year: i32, threshold: i64) -> ApiResult<SkillsNeeds> {
    let (start, end) = year_bounds(year)?;
    let slots: Vec<(String, Option<Uuid>, i32)> = placement_slot::Entity::find()
        .select_only()
        .column(placement_slot::Column::Track)
        .column(placement_slot::Column::DepartmentId)
        .column(placement_slot::Column::Capacity)
        .filter(placement_slot::Column::Track.is_not_null())
        .filter(placement_slot::Column::PeriodStart.lte(end))
        .filter(placement_slot::Column::PeriodEnd.gte(start))
        .into_tuple()
        .all(db)
        .await?;
    // Current steps: open entries of the step history.
    let on_steps: Vec<(String, i32, i64)> = step_history::Entity::find()
        .select_only()
        .column(ladder_step::Column::Track)
        .column(ladder_step::Column::Ordinal)
        .column_as(step_history::Column::Id.count(), "n")
        .join(JoinType::InnerJoin, step_history::Relation::Step.def())
        .filter(step_history::Column::LeftOn.is_null())
        .group_by(ladder_step::Column::Track)
        .group_by(ladder_step::Column::Ordinal)
        .into_tuple()
        .all(db)
        .await?;
    let needs: Vec<(Uuid, String, i32)> = allocation::Entity::find()
        .select_only()
        .column(allocation::Column::DepartmentId)
        .column(allocation::Column::SkillsNeeds)
        .column(allocation::Column::Target)
        .join(JoinType::InnerJoin, allocation::Relation::Model.def())
        .filter(allocation_model::Column::Year.eq(year))
        .into_tuple()
        .all(db)
        .await?;
    let unit_ids: BTreeSet<Uuid> = slots
        .iter()
        .filter_map(|s| s.1)
        .chain(needs.iter().map(|n| n.0))
        .collect();
    let names = DepartmentNames::load(db, unit_ids).await?;
    let name = |id: &Uuid| names.get(id);

    #[derive(Default)]
    struct Acc {
        openings: i64,
        departments: BTreeSet<String>,
        participants: i64,
        near_job: i64,
    }
    let mut tracks: BTreeMap<String, Acc> = BTreeMap::new();
    for (track, dept, capacity) in &slots {
        let acc = tracks.entry(track.clone()).or_default();
        acc.openings += i64::from(*capacity);
        if let Some(d) = dept {
            acc.departments.insert(name(d));
        }
    }
    for (track, ordinal, n) in &on_steps {
        let acc = tracks.entry(track.clone()).or_default();
        acc.participants += n;
        if *ordinal >= NEAR_JOB_ORDINAL {
            acc.near_job += n;
        }
    }
    let mut sheet = Sheet::default();
    let cells: Vec<(CellId, CellId)> = tracks
        .values()
        .map(|a| {
            let (all, near) = (sheet.cell(a.participants), sheet.cell(a.near_job));
            // Not published, but participants - near job gives it.
            let rest = sheet.cell(a.participants - a.near_job);
            sheet.group(all, &[near, rest]);
            (all, near)
        })
        .collect();
    let s = sheet.suppress(threshold);
    let mut departments: Vec<DepartmentNeed> = needs
        .iter()
        .map(|(dept, text, target)| DepartmentNeed {
            department: name(dept),
            skills_needs: text.clone(),
            target: i64::from(*target),
        })
        .collect();
    departments.sort_by(|a, b| a.department.cmp(&b.department));
    departments.dedup_by(|a, b| {
        // One department has a row per placement kind: one need, summed target.
        if a.department == b.department {
            b.target += a.target;
            true
        } else {
            false
        }
    });
    Ok(SkillsNeeds {
        year,
        tracks: tracks
            .into_iter()
            .zip(cells)
            .map(|((track, a), (all, near))| TrackNeed {
                track,
                openings: a.openings,
                departments: a.departments.into_iter().collect(),
                participants: count(&s, all),
                near_job: count(&s, near),
            })
            .collect(),
        departments,
    })
}
