//! Database connection and migrations (PostgreSQL, or SQLite for the demo).

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::DatabaseConfig;

pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(config.url.clone());
    opts.max_connections(config.max_connections)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        // Statements are never logged: their parameters may be personal data.
        .sqlx_logging(false);
    if let Some(schema) = &config.schema {
        opts.set_schema_search_path(schema.clone());
    }
    if config.url.starts_with("sqlite:") {
        // One writer at a time on SQLite: WAL lets readers go on, and a busy
        // timeout makes writers queue instead of failing with "locked".
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    }
    Database::connect(opts).await
}

/// Applies every pending migration; running it again changes nothing.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}
