//! `follow_up` — Uppföljning.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::FollowUpKind;

/// Uppföljning: a coach's meeting or note in a case. Created with a client idempotency key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "follow_up")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub author_id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub kind: FollowUpKind,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    /// Client-chosen idempotency key (unique per author).
    #[sea_orm(column_type = "Text")]
    pub idempotency_key: String,
    /// Hex SHA-256 of the canonical request.
    #[sea_orm(column_type = "Text")]
    pub request_hash: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::shared_case::Entity",
        from = "Column::CaseId",
        to = "super::shared_case::Column::Id",
        on_delete = "Restrict"
    )]
    Case,
    #[sea_orm(
        belongs_to = "super::staff::Entity",
        from = "Column::AuthorId",
        to = "super::staff::Column::Id",
        on_delete = "Restrict"
    )]
    Author,
}

impl Related<super::shared_case::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Case.def()
    }
}

impl Related<super::staff::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Author.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
