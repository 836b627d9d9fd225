//! Bulk writes of generated rows, inside one transaction.
//!
//! PostgreSQL gets `COPY ... FROM STDIN` (text format): at 100,000
//! participants the run writes a few million rows, and multi-row `INSERT`s
//! spend most of their time building and binding parameters. Every other
//! backend (SQLite for the demo) gets `insert_many` in chunks that stay under
//! the bind-parameter limit. Both paths take the same sea-orm models, so the
//! generator does not know which one runs.
//!
//! On PostgreSQL, what costs most is not the COPY but checking every row's
//! foreign keys (one lookup and row lock per reference) and inserting into
//! each secondary index row by row. As the PostgreSQL manual advises for
//! populating a database ("Populating a Database": remove foreign key
//! constraints and indexes, load, recreate), the seeded tables' foreign keys
//! and non-constraint indexes are dropped inside the seed's transaction and
//! recreated from their exact catalog definitions before it commits: a
//! foreign key is then validated by one join and an index built by one sort.
//! Nothing is visible to anyone else until the commit, and a failure rolls
//! the definitions back with the data. Primary keys and unique constraints
//! stay, so duplicates still fail at once.

use std::collections::BTreeMap;
use std::io::Write as _;

use sea_orm::sea_query::Value;
use sea_orm::sqlx::{self, Postgres};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, IdenStatic,
    IntoActiveModel, Iterable, ModelTrait, RuntimeErr, TransactionTrait,
};

use super::SeedError;

/// Bind parameters per statement: under SQLite's 32,766 (and PostgreSQL's
/// 65,535) with room to spare.
const MAX_PARAMS: usize = 30_000;
/// Bytes of COPY data buffered before they are sent.
const COPY_CHUNK: usize = 1 << 20;

/// Where rows go; created once per run and committed at the end.
pub(crate) enum Sink {
    /// PostgreSQL: COPY on one pooled connection, one transaction, with the
    /// constraints and indexes set aside until [`Sink::commit`].
    Copy {
        tx: sqlx::Transaction<'static, Postgres>,
        deferred: Deferred,
    },
    /// Anything else: sea-orm `insert_many` in one transaction.
    Orm(DatabaseTransaction),
}

/// Foreign keys and indexes dropped for the load, to recreate before commit.
#[derive(Debug, Default)]
pub(crate) struct Deferred {
    /// `CREATE INDEX ...` statements from `pg_get_indexdef`.
    indexes: Vec<String>,
    /// `ALTER TABLE ... ADD CONSTRAINT ...` statements.
    foreign_keys: Vec<String>,
}

/// Rows written per table, for the report.
pub(crate) type Counts = BTreeMap<&'static str, u64>;

fn sqlx_err(e: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(e))
}

impl Sink {
    /// Opens the transaction: COPY for PostgreSQL, `insert_many` otherwise.
    /// `tables` are the tables the run writes.
    pub async fn begin(db: &DatabaseConnection, tables: &[&str]) -> Result<Self, SeedError> {
        if matches!(db, DatabaseConnection::SqlxPostgresPoolConnection(_)) {
            let mut tx = db
                .get_postgres_connection_pool()
                .begin()
                .await
                .map_err(sqlx_err)?;
            let deferred = defer_constraints(&mut tx, tables).await?;
            Ok(Sink::Copy { tx, deferred })
        } else {
            Ok(Sink::Orm(db.begin().await?))
        }
    }

    /// Writes `rows` of `E` and records the count under `E`'s table name.
    pub async fn write<E>(
        &mut self,
        counts: &mut Counts,
        table: &'static str,
        rows: Vec<E::Model>,
    ) -> Result<(), SeedError>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel>,
        E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    {
        debug_assert_eq!(E::default().table_name(), table);
        let n = rows.len() as u64;
        *counts.entry(table).or_insert(0) += n;
        if rows.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        match self {
            Sink::Copy { tx, .. } => copy::<E>(tx, rows).await?,
            Sink::Orm(tx) => insert_many::<E>(tx, rows).await?,
        }
        tracing::debug!(
            table,
            rows = n,
            ms = started.elapsed().as_millis() as u64,
            "seed wrote table"
        );
        Ok(())
    }

    /// Recreates what was set aside (PostgreSQL) and commits.
    pub async fn commit(self) -> Result<(), SeedError> {
        match self {
            Sink::Copy { mut tx, deferred } => {
                let started = std::time::Instant::now();
                // Indexes first: the foreign-key checks may use them.
                for sql in deferred.indexes.iter().chain(&deferred.foreign_keys) {
                    sqlx::query(sql).execute(&mut *tx).await.map_err(sqlx_err)?;
                }
                tracing::debug!(
                    indexes = deferred.indexes.len(),
                    foreign_keys = deferred.foreign_keys.len(),
                    ms = started.elapsed().as_millis() as u64,
                    "seed recreated indexes and foreign keys"
                );
                tx.commit().await.map_err(sqlx_err)?;
            }
            Sink::Orm(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// Drops the foreign keys and the indexes that back no constraint on
/// `tables`, returning the statements that recreate them exactly.
///
/// Skipped (nothing dropped, rows are checked one by one) when the current
/// user does not own every table, since only an owner may alter them.
///
/// The `ALTER TABLE`s lock the seeded tables (and `agency`, which they
/// reference) until the commit, so other sessions' queries on them wait for
/// the seed: fine for the demo, test and load databases this data is for.
async fn defer_constraints(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    tables: &[&str],
) -> Result<Deferred, SeedError> {
    let tables: Vec<String> = tables.iter().map(|t| (*t).to_owned()).collect();
    let not_owned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c \
         WHERE c.oid = ANY($1::text[]::regclass[]) \
         AND NOT pg_has_role(c.relowner, 'USAGE')",
    )
    .bind(&tables)
    .fetch_one(&mut **tx)
    .await
    .map_err(sqlx_err)?;
    if not_owned > 0 {
        tracing::debug!("seed keeps constraints: not the owner of every table");
        return Ok(Deferred::default());
    }
    // Index builds sort in memory for this transaction only.
    sqlx::query("SET LOCAL maintenance_work_mem = '256MB'")
        .execute(&mut **tx)
        .await
        .map_err(sqlx_err)?;
    let fks: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid) \
         FROM pg_constraint c \
         WHERE c.contype = 'f' AND c.conrelid = ANY($1::text[]::regclass[]) \
         ORDER BY 1, 2",
    )
    .bind(&tables)
    .fetch_all(&mut **tx)
    .await
    .map_err(sqlx_err)?;
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) \
         FROM pg_index i \
         WHERE i.indrelid = ANY($1::text[]::regclass[]) \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                         WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid \
                         AND c.contype IN ('p', 'u', 'x')) \
         ORDER BY 1",
    )
    .bind(&tables)
    .fetch_all(&mut **tx)
    .await
    .map_err(sqlx_err)?;
    let mut deferred = Deferred::default();
    for (table, name, definition) in fks {
        sqlx::query(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
            .execute(&mut **tx)
            .await
            .map_err(sqlx_err)?;
        deferred.foreign_keys.push(format!(
            "ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
        ));
    }
    for (name, definition) in indexes {
        sqlx::query(&format!("DROP INDEX {name}"))
            .execute(&mut **tx)
            .await
            .map_err(sqlx_err)?;
        deferred.indexes.push(definition);
    }
    Ok(deferred)
}

async fn insert_many<E>(tx: &DatabaseTransaction, rows: Vec<E::Model>) -> Result<(), SeedError>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let columns = E::Column::iter().count().max(1);
    let per_chunk = (MAX_PARAMS / columns).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<E::ActiveModel> = rows
            .by_ref()
            .take(per_chunk)
            .map(IntoActiveModel::into_active_model)
            .collect();
        E::insert_many(chunk).exec_without_returning(tx).await?;
    }
    Ok(())
}

async fn copy<E>(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    rows: Vec<E::Model>,
) -> Result<(), SeedError>
where
    E: EntityTrait,
{
    let columns: Vec<E::Column> = E::Column::iter().collect();
    let names: Vec<String> = columns
        .iter()
        .map(|c| format!("\"{}\"", c.as_str()))
        .collect();
    let statement = format!(
        "COPY \"{}\" ({}) FROM STDIN",
        E::default().table_name(),
        names.join(", ")
    );
    let mut copy = tx.copy_in_raw(&statement).await.map_err(sqlx_err)?;
    let mut buf: Vec<u8> = Vec::with_capacity(COPY_CHUNK + 4096);
    let mut result = Ok(());
    'rows: for row in &rows {
        for (i, col) in columns.iter().enumerate() {
            if i > 0 {
                buf.push(b'\t');
            }
            if let Err(e) = write_value(&mut buf, row.get(*col)) {
                result = Err(e);
                break 'rows;
            }
        }
        buf.push(b'\n');
        if buf.len() >= COPY_CHUNK {
            if let Err(e) = copy.send(buf.as_slice()).await {
                result = Err(sqlx_err(e).into());
                break;
            }
            buf.clear();
        }
    }
    if let Err(e) = result {
        // Leave the connection usable for the rollback.
        let _ = copy.abort("seed failed").await;
        return Err(e);
    }
    if !buf.is_empty() {
        copy.send(buf.as_slice()).await.map_err(sqlx_err)?;
    }
    copy.finish().await.map_err(sqlx_err)?;
    Ok(())
}

/// Appends one value in COPY text format (`\N` for NULL).
fn write_value(buf: &mut Vec<u8>, v: Value) -> Result<(), SeedError> {
    const NULL: &[u8] = b"\\N";
    match v {
        Value::Bool(b) => buf.extend_from_slice(match b {
            Some(true) => b"t",
            Some(false) => b"f",
            None => NULL,
        }),
        Value::Int(i) => match i {
            Some(i) => write_display(buf, i),
            None => buf.extend_from_slice(NULL),
        },
        Value::BigInt(i) => match i {
            Some(i) => write_display(buf, i),
            None => buf.extend_from_slice(NULL),
        },
        Value::String(s) => match s {
            Some(s) => escape(buf, s.as_bytes()),
            None => buf.extend_from_slice(NULL),
        },
        Value::Bytes(b) => match b {
            // bytea hex input `\x...`, with the backslash escaped for COPY.
            Some(b) => {
                buf.extend_from_slice(b"\\\\x");
                let start = buf.len();
                buf.resize(start + b.len() * 2, 0);
                hex::encode_to_slice(b.as_slice(), &mut buf[start..])
                    .expect("the buffer was sized for the hex digits");
            }
            None => buf.extend_from_slice(NULL),
        },
        Value::Uuid(u) => match u {
            Some(u) => {
                let mut tmp = uuid::Uuid::encode_buffer();
                buf.extend_from_slice(u.hyphenated().encode_lower(&mut tmp).as_bytes());
            }
            None => buf.extend_from_slice(NULL),
        },
        Value::ChronoDate(d) => match d {
            Some(d) => {
                let _ = write!(buf, "{}", d.format("%Y-%m-%d"));
            }
            None => buf.extend_from_slice(NULL),
        },
        Value::ChronoDateTimeUtc(t) => match t {
            Some(t) => {
                let _ = write!(buf, "{}", t.format("%Y-%m-%d %H:%M:%S%.f+00"));
            }
            None => buf.extend_from_slice(NULL),
        },
        other => {
            return Err(SeedError::Internal(format!(
                "the seed's COPY writer has no text form for {other:?}"
            )))
        }
    }
    Ok(())
}

fn write_display(buf: &mut Vec<u8>, v: impl std::fmt::Display) {
    // Writing into a Vec cannot fail.
    let _ = write!(buf, "{v}");
}

/// COPY text escaping: backslash, tab, newline and carriage return.
fn escape(buf: &mut Vec<u8>, s: &[u8]) {
    for &b in s {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: Value) -> String {
        let mut buf = Vec::new();
        write_value(&mut buf, v).expect("supported");
        String::from_utf8(buf).expect("utf-8")
    }

    #[test]
    fn copy_text_format() {
        assert_eq!(text(Value::String(None)), "\\N");
        assert_eq!(text("a\tb\\c\nd".into()), "a\\tb\\\\c\\nd");
        assert_eq!(text(vec![0xde_u8, 0xad].into()), "\\\\xdead");
        assert_eq!(text(true.into()), "t");
        assert_eq!(text(7_i32.into()), "7");
        let d = chrono::NaiveDate::from_ymd_opt(2025, 3, 4).expect("date");
        assert_eq!(text(d.into()), "2025-03-04");
        let t = d.and_hms_opt(8, 5, 9).expect("time").and_utc();
        assert_eq!(text(t.into()), "2025-03-04 08:05:09+00");
        assert!(text(uuid::Uuid::nil().into()).starts_with("00000000-0000"));
    }
}
