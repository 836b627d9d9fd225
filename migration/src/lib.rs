//! Schema migrations of the Samverkan gateway; they run on PostgreSQL and SQLite.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_core;
mod m20261123_000001_audit_index;
mod m20261203_000001_participant_registrar;
mod m20261207_000001_case_registration;

/// All migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_core::Migration),
            Box::new(m20261123_000001_audit_index::Migration),
            Box::new(m20261203_000001_participant_registrar::Migration),
            Box::new(m20261207_000001_case_registration::Migration),
        ]
    }
}
