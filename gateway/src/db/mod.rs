//! Database connection and migrations (PostgreSQL, or SQLite for the demo),
//! and what operators see of the statements: a span and metrics per
//! statement ([`observe`]), naming its kind and table, never its text or
//! values (those are personal data).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr,
};
use tracing::field::Empty;

use crate::config::DatabaseConfig;
use crate::observability::metrics::Metrics;

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

/// Makes every statement on `db` (and its clones made after this) count in
/// `metrics` and end as a span `db` (`SELECT case`, with `db.system`,
/// `db.operation`, `db.sql.table`). sea-orm keeps one callback per
/// connection; this is it. Called by [`crate::http::build_state`].
pub fn observe(db: &mut DatabaseConnection, metrics: Arc<Metrics>) {
    let system = match db.get_database_backend() {
        DatabaseBackend::Postgres => "postgresql",
        DatabaseBackend::Sqlite => "sqlite",
        DatabaseBackend::MySql => "mysql",
    };
    db.set_metric_callback(move |info| {
        let (operation, table) = describe(&info.statement.sql);
        metrics.db_statement(operation, info.failed, info.elapsed.as_secs_f64());
        // Runs in the task that ran the statement: the span's parent is
        // the resolver's (or loader's) current span.
        let span = tracing::info_span!(
            target: "gateway::db",
            "db",
            otel.name = %SpanName(operation, table),
            otel.kind = "client",
            db.system = system,
            db.operation = operation,
            db.sql.table = table,
            otel.status_code = Empty,
        );
        if !span.is_disabled() {
            if info.failed {
                span.record("otel.status_code", "ERROR");
            }
            let end = SystemTime::now();
            crate::observability::telemetry::backdate(&span, end - info.elapsed, end);
        }
        if let Some(print) = STATEMENT_PRINTER.get() {
            print(&info.statement.sql);
        }
    });
}

static STATEMENT_PRINTER: OnceLock<fn(&str)> = OnceLock::new();

/// Shows each statement's text (placeholders, not values) to `print`: a
/// debugging aid for tests (`TEST_PRINT_SQL`), for the whole process.
#[doc(hidden)]
pub fn print_statements(print: fn(&str)) {
    let _ = STATEMENT_PRINTER.set(print);
}

struct SpanName<'a>(&'static str, &'a str);

impl std::fmt::Display for SpanName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.1.is_empty() {
            f.write_str(self.0)
        } else {
            write!(f, "{} {}", self.0, self.1)
        }
    }
}

/// A statement's first keyword (from a fixed list, else `OTHER`) and the
/// first table after FROM, INTO or UPDATE (identifier characters only; empty
/// when there is none). Reads the text only up to that table, allocates nothing.
pub fn describe(sql: &str) -> (&'static str, &str) {
    const KEYWORDS: [&str; 19] = [
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "WITH",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "CREATE",
        "ALTER",
        "DROP",
        "SET",
        "SHOW",
        "PRAGMA",
        "LOCK",
        "TRUNCATE",
        "VALUES",
    ];
    let mut words = sql.split(|c: char| c.is_ascii_whitespace());
    let first = words.find(|w| !w.is_empty()).unwrap_or_default();
    let operation = KEYWORDS
        .iter()
        .find(|k| k.eq_ignore_ascii_case(first))
        .copied()
        .unwrap_or("OTHER");
    let mut rest = words.filter(|w| !w.is_empty());
    if operation == "UPDATE" {
        return (operation, rest.next().map(identifier).unwrap_or_default());
    }
    let mut after_keyword = false;
    for word in rest {
        if after_keyword {
            let table = identifier(word);
            if !table.is_empty() {
                return (operation, table);
            }
        }
        after_keyword = ["FROM", "INTO"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(word));
    }
    (operation, "")
}

/// `"schema"."table"` -> `table`; empty unless it is a plain identifier
/// (letters, digits, `_`; at most 63; no run of six digits).
fn identifier(word: &str) -> &str {
    let last = word.rsplit('.').next().unwrap_or(word);
    let name = last.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']');
    let end = name
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(name.len());
    let name = &name[..end];
    let digit_run = name
        .as_bytes()
        .split(|b| !b.is_ascii_digit())
        .any(|run| run.len() >= 6);
    if name.len() > 63 || digit_run || name.starts_with(|c: char| c.is_ascii_digit()) {
        ""
    } else {
        name
    }
}

/// The pool's (open, idle) connections, read when `/metrics` is scraped.
pub fn pool_usage(db: &DatabaseConnection) -> Option<(u32, usize)> {
    match db {
        DatabaseConnection::SqlxPostgresPoolConnection(_) => {
            let pool = db.get_postgres_connection_pool();
            Some((pool.size(), pool.num_idle()))
        }
        DatabaseConnection::SqlxSqlitePoolConnection(_) => {
            let pool = db.get_sqlite_connection_pool();
            Some((pool.size(), pool.num_idle()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn statements_are_described_by_keyword_and_table_only() {
        let cases = [
            (
                r#"SELECT "case"."id", "case"."x" FROM "t_1"."case" WHERE "id" IN ($1, $2)"#,
                ("SELECT", "case"),
            ),
            (
                r#"INSERT INTO "audit_event" ("seq") VALUES ($1)"#,
                ("INSERT", "audit_event"),
            ),
            (
                r#"UPDATE "audit_head" SET "seq" = $1"#,
                ("UPDATE", "audit_head"),
            ),
            (
                r#"DELETE FROM "consent" WHERE "id" = $1"#,
                ("DELETE", "consent"),
            ),
            (
                "select count(*) as n from participant",
                ("SELECT", "participant"),
            ),
            ("SELECT pg_advisory_xact_lock($1)", ("SELECT", "")),
            ("SELECT * FROM (SELECT 1) AS x", ("SELECT", "")),
            ("SELECT * FROM p198501011234", ("SELECT", "")),
            ("EXPLAIN SELECT 1", ("OTHER", "")),
            ("", ("OTHER", "")),
        ];
        for (sql, want) in cases {
            assert_eq!(describe(sql), want, "{sql}");
        }
    }
}
