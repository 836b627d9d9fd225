//! The yearly allocation model (fördelningsmodell): targets per department
//! and kind, against placements actually filled.

use std::collections::HashMap;

use entities::enums::{PlacementKind, PlacementStatus};
use entities::{allocation, allocation_model, placement, placement_slot};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};
use uuid::Uuid;

use crate::vocabulary::error::ApiResult;

pub struct AllocationView {
    pub model: allocation_model::Model,
    pub rows: Vec<(allocation::Model, Filled)>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Filled {
    /// Placements started in the year in this department and kind.
    pub filled: i64,
    pub ended_early: i64,
}

/// The model of `year` with filled counts; three statements in all.
pub async fn for_year(db: &DatabaseConnection, year: i32) -> ApiResult<Option<AllocationView>> {
    let Some(model) = allocation_model::Entity::find()
        .filter(allocation_model::Column::Year.eq(year))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let allocations = allocation::Entity::find()
        .filter(allocation::Column::ModelId.eq(model.id))
        .order_by_asc(allocation::Column::DepartmentId)
        .order_by_asc(allocation::Column::Kind)
        .all(db)
        .await?;
    let (start, end) = super::placements::year_bounds(year)?;
    let placed: Vec<(Option<Uuid>, PlacementKind, PlacementStatus, i64)> =
        placement::Entity::find()
            .select_only()
            .column(placement_slot::Column::DepartmentId)
            .column(placement_slot::Column::Kind)
            .column(placement::Column::Status)
            .column_as(placement::Column::Id.count(), "n")
            .join(JoinType::InnerJoin, placement::Relation::Slot.def())
            .filter(placement::Column::StartedOn.between(start, end))
            .group_by(placement_slot::Column::DepartmentId)
            .group_by(placement_slot::Column::Kind)
            .group_by(placement::Column::Status)
            .into_tuple()
            .all(db)
            .await?;
    let mut filled: HashMap<(Uuid, PlacementKind), Filled> = HashMap::new();
    for (dept, kind, status, n) in placed {
        if let Some(dept) = dept {
            let f = filled.entry((dept, kind)).or_default();
            f.filled += n;
            if status == PlacementStatus::EndedEarly {
                f.ended_early += n;
            }
        }
    }
    let rows = allocations
        .into_iter()
        .map(|a| {
            let f = filled
                .get(&(a.department_id, a.kind))
                .copied()
                .unwrap_or_default();
            (a, f)
        })
        .collect();
    Ok(Some(AllocationView { model, rows }))
}
