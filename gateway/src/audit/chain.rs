//! The hash chain: how an event is encoded and hashed, and how events are
//! appended under the lock.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entities::{audit_event, audit_head, audit_participant};
use hmac::Mac;
use sea_orm::sea_query::{Alias, Expr, InsertStatement, Query, UpdateStatement, ValueTuple};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, IntoActiveModel, Iterable, QueryFilter, QuerySelect, QueryTrait,
    Statement,
};
use sha2::digest::Update;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::key::ChainKey;
use super::{AuditError, NewEvent};

/// `prev_hash` of the first event, and the head of an empty log.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The `audit_head` row's `id` (the table has this one row).
pub(super) const HEAD_ID: i32 = 1;

/// Names the encoding of keyed hashes (HMAC-SHA256 with the chain key), so
/// that no keyed hash can equal an unkeyed one or one of another encoding.
const ENCODING: &[u8] = b"samverkan audit event v2";

/// The encoding of the unkeyed hashes (plain SHA-256) that events had
/// before the chain was keyed; accepted only up to `audit.unkeyed_until`.
const UNKEYED_ENCODING: &[u8] = b"samverkan audit event v1";

/// Most index rows in one INSERT (two bind values each).
const INDEX_CHUNK: usize = 500;

/// Hex HMAC-SHA256, keyed with the chain key, over every column of `row`
/// but `hash`, in a fixed order, each text length-prefixed so no two rows
/// encode alike (`"ab","c"` is not `"a","bc"`). `at` is taken in whole
/// microseconds since the epoch: PostgreSQL keeps no more, and SQLite gives
/// back what was stored, so a row re-hashes identically on either backend.
/// List columns are hashed as stored, so any change to their text shows.
pub fn event_hash(key: &ChainKey, row: &audit_event::Model) -> String {
    let mut mac = key.mac();
    encode(&mut mac, ENCODING, row);
    hex::encode(mac.finalize().into_bytes())
}

/// The hash events had before the chain was keyed: plain SHA-256 over the
/// same encoding under its first version name. Anyone can compute it, so
/// `verify` accepts it only for the events appended before the key was
/// introduced (`audit.unkeyed_until`).
pub fn unkeyed_hash(row: &audit_event::Model) -> String {
    let mut h = Sha256::new();
    encode(&mut h, UNKEYED_ENCODING, row);
    hex::encode(h.finalize())
}

fn encode(h: &mut impl Update, version: &[u8], row: &audit_event::Model) {
    text(h, version);
    h.update(&row.seq.to_be_bytes());
    h.update(&row.at.timestamp_micros().to_be_bytes());
    for t in [
        &row.agency,
        &row.subject,
        &row.role,
        &row.operation,
        &row.participant_ids,
        &row.fields,
        &row.decision,
    ] {
        text(h, t.as_bytes());
    }
    match &row.trace_id {
        None => h.update(&[0u8]),
        Some(t) => {
            h.update(&[1u8]);
            text(h, t.as_bytes());
        }
    }
    text(h, row.prev_hash.as_bytes());
}

fn text(h: &mut impl Update, bytes: &[u8]) {
    h.update(&(bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

/// `at` truncated to whole microseconds, as both backends store it.
fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// The participant ids of a stored event (`participant_ids` column).
pub fn participant_ids(column: &str) -> Result<Vec<Uuid>, uuid::Error> {
    split_list(column).map(Uuid::parse_str).collect()
}

/// The items of a comma-joined column (empty column: no items).
pub fn split_list(column: &str) -> impl Iterator<Item = &str> {
    column.split(',').filter(|s| !s.is_empty())
}

/// Refuses events whose lists would not read back as written.
pub(super) fn validate(events: &[NewEvent]) -> Result<(), AuditError> {
    for e in events {
        for f in &e.fields {
            if f.is_empty() {
                return Err(AuditError::InvalidEvent("a field name is empty"));
            }
            if f.contains(',') {
                return Err(AuditError::InvalidEvent("a field name contains a comma"));
            }
        }
    }
    Ok(())
}

/// The newest event's `seq` and `hash`: what the next event chains onto.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Head {
    pub seq: i64,
    pub hash: String,
}

/// The rows for some events chained onto a head, and the head after them.
struct Chained {
    events: Vec<audit_event::ActiveModel>,
    index: Vec<audit_participant::ActiveModel>,
    head: Head,
}

fn chain(key: &ChainKey, head: &Head, events: &[NewEvent]) -> Chained {
    let mut seq = head.seq;
    let mut prev_hash = head.hash.clone();
    let mut rows = Vec::with_capacity(events.len());
    let mut index = Vec::new();
    for e in events {
        seq += 1;
        let (row, participants) = to_row(key, seq, prev_hash, e);
        prev_hash = row.hash.clone();
        index.extend(participants.into_iter().map(|participant_id| {
            audit_participant::Model {
                participant_id,
                seq,
            }
            .into_active_model()
            .reset_all()
        }));
        rows.push(row.into_active_model().reset_all());
    }
    Chained {
        events: rows,
        index,
        head: Head {
            seq,
            hash: prev_hash,
        },
    }
}

/// Moves the head from `from` to `to`, only if it still is `from`.
fn move_head(from: &Head, to: &Head) -> UpdateStatement {
    Query::update()
        .table(audit_head::Entity)
        .value(audit_head::Column::LastSeq, to.seq)
        .value(audit_head::Column::LastHash, to.hash.clone())
        .and_where(audit_head::Column::Id.eq(HEAD_ID))
        .and_where(audit_head::Column::LastSeq.eq(from.seq))
        .and_where(audit_head::Column::LastHash.eq(from.hash.clone()))
        .to_owned()
}

/// Takes the append lock inside `tx` (PostgreSQL: the head row, locked by
/// its read; SQLite: the write lock, by writing first), reads the head, inserts the events
/// and their index rows chained onto it, and moves the head. Does not
/// commit. Returns the head after the events.
pub(super) async fn append(
    tx: &DatabaseTransaction,
    key: &ChainKey,
    events: &[NewEvent],
) -> Result<Head, AuditError> {
    // Appends take turns on the head row: PostgreSQL locks it with the
    // read (one round trip, not a lock and then a read); SQLite has no row
    // locks, so a no-op write first takes its database write lock, as
    // BEGIN IMMEDIATE would, and the read then sees the newest head.
    let find = audit_head::Entity::find_by_id(HEAD_ID);
    let head = match tx.get_database_backend() {
        DbBackend::Postgres => find.lock_exclusive().one(tx).await?,
        DbBackend::Sqlite => {
            audit_head::Entity::update_many()
                .col_expr(
                    audit_head::Column::LastSeq,
                    Expr::col(audit_head::Column::LastSeq).into(),
                )
                .filter(audit_head::Column::Id.eq(HEAD_ID))
                .exec(tx)
                .await?;
            find.one(tx).await?
        }
        DbBackend::MySql => return Err(AuditError::UnsupportedBackend("MySQL")),
    }
    .ok_or(AuditError::HeadMissing)?;
    let head = Head {
        seq: head.last_seq,
        hash: head.last_hash,
    };

    let chained = chain(key, &head, events);
    let new_head = chained.head.clone();
    // Conditional on the head read above: a writer that bypassed the lock
    // makes the head's move fail instead of forking the chain.
    let moved = match postgres_append(&head, &chained) {
        // PostgreSQL: the inserts ride along with the head's move, one
        // round trip instead of three (the append is on every read's path).
        Some(all) if tx.get_database_backend() == DbBackend::Postgres => {
            tx.query_all(all).await?.len() == 1
        }
        _ => {
            let backend = tx.get_database_backend();
            tx.execute(audit_event::Entity::insert_many(chained.events).build(backend))
                .await?;
            for chunk in chained.index.chunks(INDEX_CHUNK) {
                tx.execute(audit_participant::Entity::insert_many(chunk.to_vec()).build(backend))
                    .await?;
            }
            let moved = tx
                .execute(backend.build(&move_head(&head, &new_head)))
                .await?;
            moved.rows_affected() == 1
        }
    };
    if !moved {
        return Err(AuditError::HeadMoved);
    }
    Ok(new_head)
}

/// PostgreSQL only: appends `events` after `head`, the head this handle's
/// last append left, in one statement that commits on its own: one round trip, where
/// [`append`] in a transaction takes four (BEGIN, the locking read, the
/// writes, COMMIT). `Ok(None)`: nothing was written, because the head had
/// moved (another replica's or a mutation's append) or the events would
/// not fit in one statement; append with [`append`] instead.
pub(super) async fn append_after(
    db: &DatabaseConnection,
    key: &ChainKey,
    head: &Head,
    events: &[NewEvent],
) -> Result<Option<Head>, AuditError> {
    let chained = chain(key, head, events);
    let Some(statement) = postgres_append(head, &chained) else {
        return Ok(None);
    };
    let rows = db.query_all(statement).await?;
    Ok((rows.len() == 1).then_some(chained.head))
}

/// The whole append as one PostgreSQL statement: the head moves from
/// `from` only if it still is `from` (the row lock its UPDATE takes orders
/// concurrent appends, and the condition is checked again on the newest
/// row after waiting), and the events and index rows are inserted only if
/// it moved. Returns the head's id once if it moved, no row otherwise.
/// None when the parameters would exceed PostgreSQL's limit.
fn postgres_append(from: &Head, chained: &Chained) -> Option<Statement> {
    let backend = DbBackend::Postgres;
    let moved = Alias::new("moved");
    let mut parts = vec![(
        "moved".to_string(),
        backend.build(move_head(from, &chained.head).returning_col(audit_head::Column::Id)),
    )];
    parts.push((
        "w_event".to_string(),
        backend.build(&insert_if_moved(&chained.events, &moved)),
    ));
    for (i, chunk) in chained.index.chunks(INDEX_CHUNK).enumerate() {
        parts.push((
            format!("w_index{i}"),
            backend.build(&insert_if_moved(chunk, &moved)),
        ));
    }
    let report = backend.build(
        Query::select()
            .column(audit_head::Column::Id)
            .from(moved.clone()),
    );
    one_statement(&parts, &report)
}

/// `INSERT INTO <table> (<columns>) SELECT column1, ... FROM (VALUES
/// <rows>) AS v WHERE EXISTS (SELECT $k FROM <moved>)`: the rows go in only
/// if the head moved in the same statement. `rows` must not be empty.
fn insert_if_moved<A: ActiveModelTrait>(rows: &[A], moved: &Alias) -> InsertStatement {
    let columns: Vec<_> = <A::Entity as EntityTrait>::Column::iter().collect();
    let values = rows.iter().map(|row| {
        ValueTuple::Many(
            columns
                .iter()
                .map(|c| {
                    row.get(*c)
                        .into_value()
                        .expect("chained rows have every column set")
                })
                .collect(),
        )
    });
    let select = Query::select()
        .exprs((1..=columns.len()).map(|i| Expr::col(Alias::new(format!("column{i}")))))
        .from_values(values, Alias::new("v"))
        .and_where(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(moved.clone())
                .to_owned(),
        ))
        .to_owned();
    Query::insert()
        .into_table(A::Entity::default())
        .columns(columns)
        .select_from(select)
        .expect("one value per column")
        .to_owned()
}

/// PostgreSQL's limit of bind parameters in one statement.
const MAX_PARAMS: usize = 65_535;

/// `WITH <name> AS (<part>), ... <last>`: PostgreSQL runs every
/// data-modifying part, and the statement reports `last`'s row count. The
/// parts were built separately, each numbering its parameters from `$1`,
/// so each part's numbers are shifted past the ones before it. None when
/// the parameters would exceed PostgreSQL's limit.
fn one_statement(parts: &[(String, Statement)], last: &Statement) -> Option<Statement> {
    let mut sql = String::from("WITH ");
    let mut values = Vec::new();
    let mut append = |part: &Statement, sql: &mut String| {
        let params = part
            .values
            .as_ref()
            .map(|v| v.0.clone())
            .unwrap_or_default();
        sql.push_str(&shift_placeholders(&part.sql, values.len()));
        values.extend(params);
    };
    for (i, (name, part)) in parts.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("{name} AS ("));
        append(part, &mut sql);
        sql.push(')');
    }
    sql.push(' ');
    append(last, &mut sql);
    (values.len() <= MAX_PARAMS)
        .then(|| Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
}

/// `$n` becomes `$(n + by)`. The statements are sea-query's: identifiers
/// and placeholders only, every value is bound, so no `$` sits in a literal.
fn shift_placeholders(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

/// The stored row for `e` at `seq` after `prev_hash`, hashed, and the
/// distinct participants it names (first mention first).
fn to_row(
    key: &ChainKey,
    seq: i64,
    prev_hash: String,
    e: &NewEvent,
) -> (audit_event::Model, Vec<Uuid>) {
    let mut seen = HashSet::with_capacity(e.participant_ids.len());
    let participants: Vec<Uuid> = e
        .participant_ids
        .iter()
        .copied()
        .filter(|p| seen.insert(*p))
        .collect();
    let mut row = audit_event::Model {
        seq,
        at: micros(e.at),
        agency: e.agency.clone(),
        subject: e.subject.clone(),
        role: e.role.clone(),
        operation: e.operation.clone(),
        participant_ids: participants
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(","),
        fields: e.fields.join(","),
        decision: e.decision.as_str().to_string(),
        trace_id: e.trace_id.clone(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = event_hash(key, &row);
    (row, participants)
}

#[cfg(test)]
mod tests {

    #[test]
    fn placeholders_are_shifted_past_the_earlier_parts() {
        assert_eq!(
            shift_placeholders(
                r#"INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, $10)"#,
                12
            ),
            r#"INSERT INTO "t" ("a", "b") VALUES ($13, $14), ($15, $22)"#
        );
        let part = |sql: &str, n: i64| {
            Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                (0..n).map(sea_orm::Value::from).collect::<Vec<_>>(),
            )
        };
        let all = one_statement(
            &[
                ("w0".into(), part("INSERT A ($1, $2)", 2)),
                ("w1".into(), part("INSERT B ($1)", 1)),
            ],
            &part("UPDATE H SET x = $1 WHERE y = $2", 2),
        )
        .expect("within the limit");
        assert_eq!(
            all.sql,
            "WITH w0 AS (INSERT A ($1, $2)), w1 AS (INSERT B ($3)) UPDATE H SET x = $4 WHERE y = $5"
        );
        assert_eq!(all.values.expect("values").0.len(), 5);
    }

    use chrono::TimeZone;

    use super::*;
    use crate::audit::Decision;

    fn event() -> NewEvent {
        NewEvent {
            at: Utc
                .with_ymd_and_hms(2026, 11, 23, 8, 15, 0)
                .single()
                .expect("valid date")
                + chrono::Duration::nanoseconds(123_456_789),
            agency: "lund".into(),
            subject: "coach-1".into(),
            role: "coach".into(),
            operation: "query CasePage".into(),
            participant_ids: vec![Uuid::nil(), Uuid::max(), Uuid::nil()],
            fields: vec!["Case.status".into(), "Participant.givenName".into()],
            decision: Decision::Allowed,
            trace_id: None,
        }
    }

    fn key() -> ChainKey {
        ChainKey::from_encoded(&"0123456789abcdef".repeat(4)).expect("a key")
    }

    #[test]
    fn hashes_are_keyed_and_never_equal_unkeyed_ones() {
        let (row, _) = to_row(&key(), 7, GENESIS.into(), &event());
        let other = ChainKey::from_encoded(&"fedcba9876543210".repeat(4)).expect("a key");
        assert_ne!(event_hash(&other, &row), row.hash);
        assert_ne!(unkeyed_hash(&row), row.hash);
        // Known answers, computed independently of this code (Python's
        // hashlib and hmac over the encoding described at `event_hash`): a
        // change to either encoding would orphan every hash stored with it.
        assert_eq!(
            row.hash,
            "71c48020fd046e7567bf0b86d3d33ad29600255e3c749c19edfca49781905a4f"
        );
        assert_eq!(
            unkeyed_hash(&row),
            "6e80d31f720fa29a5f744ea4ddb112b9d5146921f5813d12bae06874bdd6e9ec"
        );
    }

    #[test]
    fn rows_are_deduplicated_truncated_and_hashed() {
        let (row, participants) = to_row(&key(), 7, GENESIS.into(), &event());
        assert_eq!(participants, vec![Uuid::nil(), Uuid::max()]);
        assert_eq!(
            row.participant_ids,
            format!("{},{}", Uuid::nil(), Uuid::max())
        );
        assert_eq!(row.at.timestamp_subsec_nanos(), 123_456_000);
        assert_eq!(row.hash, event_hash(&key(), &row));
        assert_eq!(row.hash.len(), 64);
    }

    #[test]
    fn every_column_is_in_the_hash() {
        let (row, _) = to_row(&key(), 7, GENESIS.into(), &event());
        let h = event_hash(&key(), &row);
        let changed: Vec<audit_event::Model> = vec![
            audit_event::Model {
                seq: 8,
                ..row.clone()
            },
            audit_event::Model {
                at: row.at + chrono::Duration::microseconds(1),
                ..row.clone()
            },
            audit_event::Model {
                agency: "af".into(),
                ..row.clone()
            },
            audit_event::Model {
                subject: "coach-2".into(),
                ..row.clone()
            },
            audit_event::Model {
                role: "officer".into(),
                ..row.clone()
            },
            audit_event::Model {
                operation: "query Other".into(),
                ..row.clone()
            },
            audit_event::Model {
                participant_ids: String::new(),
                ..row.clone()
            },
            audit_event::Model {
                fields: "Case.status".into(),
                ..row.clone()
            },
            audit_event::Model {
                decision: "denied".into(),
                ..row.clone()
            },
            audit_event::Model {
                trace_id: Some(String::new()),
                ..row.clone()
            },
            audit_event::Model {
                prev_hash: "1".repeat(64),
                ..row.clone()
            },
        ];
        for c in changed {
            assert_ne!(event_hash(&key(), &c), h, "{c:?}");
        }
        // The hash column itself is not hashed.
        assert_eq!(
            event_hash(
                &key(),
                &audit_event::Model {
                    hash: "x".into(),
                    ..row
                }
            ),
            h
        );
    }

    #[test]
    fn the_encoding_is_unambiguous() {
        let (row, _) = to_row(&key(), 1, GENESIS.into(), &event());
        let a = audit_event::Model {
            agency: "lu".into(),
            subject: "ndcoach-1".into(),
            ..row.clone()
        };
        let b = audit_event::Model {
            agency: "lund".into(),
            subject: "coach-1".into(),
            ..row
        };
        assert_ne!(event_hash(&key(), &a), event_hash(&key(), &b));
    }

    #[test]
    fn commas_in_field_names_are_refused() {
        let mut e = event();
        e.fields.push("a,b".into());
        assert!(matches!(validate(&[e]), Err(AuditError::InvalidEvent(_))));
    }
}
