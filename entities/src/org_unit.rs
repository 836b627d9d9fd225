//! `org_unit` — Organisationsenhet.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::OrgUnitKind;

/// Organisationsenhet: förvaltning / enhet / AF-kontor; belongs to an agency.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "org_unit")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub agency_id: Uuid,
    /// Parent unit (e.g. the förvaltning of an enhet).
    pub parent_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    pub kind: OrgUnitKind,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Optimistic-concurrency version, starts at 1.
    #[sea_orm(default_value = 1)]
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter)]
pub enum Relation {
    /// `agency_id` → `agency`.
    Agency,
    /// `parent_id` → `org_unit`.
    Parent,
    /// `org_unit` rows pointing here through `parent_id`.
    Child,
    /// `staff` rows pointing here.
    Staff,
    /// `participant` rows pointing here.
    Participant,
    /// `placement_slot` rows pointing here.
    PlacementSlot,
    /// `allocation` rows pointing here.
    Allocation,
    /// `agreement` rows pointing here.
    Agreement,
}

impl RelationTrait for Relation {
    fn def(&self) -> RelationDef {
        match self {
            Self::Agency => Entity::belongs_to(super::agency::Entity)
                .from(Column::AgencyId)
                .to(super::agency::Column::Id)
                .on_delete(ForeignKeyAction::Restrict)
                .into(),
            Self::Parent => Entity::belongs_to(Entity)
                .from(Column::ParentId)
                .to(Column::Id)
                .on_delete(ForeignKeyAction::Restrict)
                .into(),
            Self::Child => Relation::Parent.def().rev(),
            Self::Staff => Entity::has_many(super::staff::Entity).into(),
            Self::Participant => Entity::has_many(super::participant::Entity).into(),
            Self::PlacementSlot => Entity::has_many(super::placement_slot::Entity).into(),
            Self::Allocation => Entity::has_many(super::allocation::Entity).into(),
            Self::Agreement => Entity::has_many(super::agreement::Entity).into(),
        }
    }
}

impl Related<super::agency::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Agency.def()
    }
}

impl Related<super::staff::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Staff.def()
    }
}

impl Related<super::participant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Participant.def()
    }
}

impl Related<super::placement_slot::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PlacementSlot.def()
    }
}

impl Related<super::allocation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Allocation.def()
    }
}

impl Related<super::agreement::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Agreement.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
