//! Finsam/ESF projects and their sub-projects.

use entities::project;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use crate::vocabulary::error::ApiResult;

pub async fn list(db: &DatabaseConnection) -> ApiResult<Vec<project::Model>> {
    Ok(project::Entity::find()
        .order_by_asc(project::Column::Code)
        .all(db)
        .await?)
}
