//! Staff rows, created or updated from token claims on first sight.

use entities::{org_unit, staff};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

pub use crate::auth::StaffClaims;

/// The `staff` table as authentication's directory of staff members.
pub struct StaffTable(pub DatabaseConnection);

#[async_trait::async_trait]
impl crate::auth::StaffDirectory for StaffTable {
    async fn upsert(&self, claims: StaffClaims<'_>) -> Result<(Uuid, Option<Uuid>), String> {
        upsert_staff(&self.0, claims)
            .await
            .map_err(|e| e.to_string())
    }
}

/// The staff row's id and the id of the unit the claims name (if the
/// agency has a unit with that code).
pub async fn upsert_staff(
    db: &DatabaseConnection,
    c: StaffClaims<'_>,
) -> Result<(Uuid, Option<Uuid>), DbErr> {
    let unit_id = match c.unit {
        Some(code) => {
            org_unit::Entity::find()
                .select_only()
                .column(org_unit::Column::Id)
                .filter(org_unit::Column::AgencyId.eq(c.agency_id))
                .filter(org_unit::Column::Code.eq(code))
                .into_tuple::<Uuid>()
                .one(db)
                .await?
        }
        None => None,
    };
    let now = super::now();
    let row = staff::ActiveModel {
        id: Set(super::new_id()),
        agency_id: Set(c.agency_id),
        subject: Set(c.subject.to_string()),
        display_name: Set(c.display_name.unwrap_or(c.subject).to_string()),
        unit_id: Set(unit_id),
        roles: Set(c.roles.join(",")),
        last_seen_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    staff::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([staff::Column::AgencyId, staff::Column::Subject])
                .update_columns([
                    staff::Column::Roles,
                    staff::Column::UnitId,
                    staff::Column::LastSeenAt,
                    staff::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let id = staff::Entity::find()
        .select_only()
        .column(staff::Column::Id)
        .filter(staff::Column::AgencyId.eq(c.agency_id))
        .filter(staff::Column::Subject.eq(c.subject))
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("staff after upsert".into()))?;
    Ok((id, unit_id))
}
