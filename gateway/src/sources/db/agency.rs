//! Agencies: the configured partners, kept in the `agency` table so rows can
//! refer to them.

use std::collections::{BTreeMap, HashMap};

use entities::agency;
use entities::enums::AgencyKind;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, QueryOrder};
use uuid::Uuid;

use crate::config::{AgencyConfig, AgencyKindConfig};

pub fn kind_of(kind: AgencyKindConfig) -> AgencyKind {
    match kind {
        AgencyKindConfig::Municipality => AgencyKind::Municipality,
        AgencyKindConfig::EmploymentService => AgencyKind::EmploymentService,
        AgencyKindConfig::SocialInsurance => AgencyKind::SocialInsurance,
        AgencyKindConfig::Region => AgencyKind::Region,
        AgencyKindConfig::CoordinationAssociation => AgencyKind::CoordinationAssociation,
        AgencyKindConfig::Oversight => AgencyKind::Oversight,
    }
}

/// Makes sure every configured agency has a row (by code) and returns
/// code -> (id, kind) for every agency in the table.
pub async fn sync_agencies(
    db: &DatabaseConnection,
    configured: &BTreeMap<String, AgencyConfig>,
) -> Result<HashMap<String, (Uuid, AgencyKind)>, DbErr> {
    let now = super::now();
    for (code, a) in configured {
        let row = agency::ActiveModel {
            id: Set(super::new_id()),
            code: Set(code.clone()),
            name: Set(a.name.clone()),
            kind: Set(kind_of(a.kind)),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        };
        agency::Entity::insert(row)
            .on_conflict(
                OnConflict::column(agency::Column::Code)
                    .update_columns([agency::Column::Name, agency::Column::Kind])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(agency::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.code, (a.id, a.kind)))
        .collect())
}

pub async fn list(db: &DatabaseConnection) -> Result<Vec<agency::Model>, DbErr> {
    agency::Entity::find()
        .order_by_asc(agency::Column::Code)
        .all(db)
        .await
}

pub async fn by_code(db: &DatabaseConnection, code: &str) -> Result<Option<agency::Model>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    agency::Entity::find()
        .filter(agency::Column::Code.eq(code))
        .one(db)
        .await
}
