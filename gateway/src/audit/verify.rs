//! Recomputes the chain from the first event to the head, with the chain
//! key, against the checkpoints written outside the database, and reports
//! the first broken link (`gateway audit verify`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use entities::{audit_event, audit_head, audit_participant};
use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityTrait, IsolationLevel, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::chain::{event_hash, participant_ids, unkeyed_hash, GENESIS, HEAD_ID};
use super::checkpoint::Checkpoint;
use super::key::ChainKey;
use super::AuditError;
use crate::config::{AuditConfig, ConfigError};

/// Events read per query: the log is streamed, never loaded whole.
const PAGE: u64 = 1000;

/// What the log is checked against from outside its database.
#[derive(Debug, Clone)]
pub struct Anchors {
    /// The key the gateway hashes events with.
    pub key: ChainKey,
    /// Events up to this `seq` may carry unkeyed hashes (appended before
    /// the chain was keyed: `audit.unkeyed_until`).
    pub unkeyed_until: i64,
    /// Every one must name an event of the log, with that event's hash.
    pub checkpoints: Vec<Checkpoint>,
}

impl Anchors {
    /// Only the key: every event keyed, no checkpoints.
    pub fn new(key: ChainKey) -> Anchors {
        Anchors {
            key,
            unkeyed_until: 0,
            checkpoints: Vec::new(),
        }
    }

    /// The key and `unkeyed_until` from config; checkpoints are added with
    /// [`Anchors::with_checkpoints`].
    pub fn from_config(config: &AuditConfig) -> Result<Anchors, ConfigError> {
        Ok(Anchors {
            unkeyed_until: config.unkeyed_until,
            ..Anchors::new(ChainKey::from_config(config)?)
        })
    }

    pub fn with_checkpoints(mut self, checkpoints: Vec<Checkpoint>) -> Anchors {
        self.checkpoints.extend(checkpoints);
        self
    }
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyReport {
    /// Every event re-hashes with the key to its stored hash (or, up to
    /// `unkeyed_until`, without it), links to the one before it, the
    /// numbering has no gaps, the index agrees, the chain ends at the head,
    /// and every checkpoint names one of its events with that event's hash.
    Intact {
        events: u64,
        /// Hash of the newest event ([`GENESIS`] for an empty log).
        head: String,
        /// How many of the events (the first ones) carry unkeyed hashes.
        unkeyed: u64,
        /// How many checkpoints were checked.
        checkpoints: u64,
    },
    /// The first place where the log is not what was appended.
    Broken { seq: i64, problem: Problem },
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        matches!(self, VerifyReport::Intact { .. })
    }

    /// The `seq` named as the first broken link, if any.
    pub fn broken_at(&self) -> Option<i64> {
        match self {
            VerifyReport::Intact { .. } => None,
            VerifyReport::Broken { seq, .. } => Some(*seq),
        }
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyReport::Intact {
                events,
                head,
                unkeyed,
                checkpoints,
            } => {
                write!(f, "audit log intact: {events} events, head {head}")?;
                if *unkeyed > 0 {
                    write!(f, "; the first {unkeyed} unkeyed (audit.unkeyed_until)")?;
                }
                match checkpoints {
                    0 => f.write_str("; no checkpoints checked"),
                    1 => f.write_str("; 1 checkpoint agrees"),
                    n => write!(f, "; {n} checkpoints agree"),
                }
            }
            VerifyReport::Broken { seq, problem } => {
                write!(f, "audit log broken at event {seq}: {problem}")
            }
        }
    }
}

/// What is wrong at the event a [`VerifyReport::Broken`] names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The row's columns do not hash to its `hash` with the key: it was
    /// changed, or its contents were moved here from another position (`seq`
    /// is hashed), or rehashed by someone without the key (or the key given
    /// is not the gateway's).
    ContentChanged,
    /// The row carries an unkeyed hash past `audit.unkeyed_until`: anyone
    /// can compute those, so it was rewritten without the key.
    Unkeyed { unkeyed_until: i64 },
    /// An unkeyed hash after keyed ones: the gateway never goes back to
    /// unkeyed hashing, so the rows from here were rewritten without the key.
    UnkeyedAfterKeyed,
    /// The row is not the event a checkpoint recorded at this `seq`: it was
    /// replaced, or the log was cut back and appended to again.
    CheckpointMismatch,
    /// The chain ends before a checkpoint's `seq`: the events from this
    /// `seq` on were deleted (and the head moved back to hide it).
    CheckpointPastEnd {
        last_present: i64,
        checkpoint_seq: i64,
    },
    /// The row is intact but its `prev_hash` is not the previous event's
    /// `hash`: the previous event was changed and rehashed, or replaced.
    PrevHashMismatch,
    /// No event with this `seq`, though later ones exist: it was deleted.
    Missing,
    /// A row numbered before the chain's start (`seq` < 1).
    OutOfSequence,
    /// The chain ends before the head says it does: the events from this
    /// `seq` to `head_seq` were deleted.
    TailDeleted { last_present: i64, head_seq: i64 },
    /// Events after the head's `seq`: written without updating the head,
    /// i.e. not by the gateway.
    NotInHead { head_seq: i64 },
    /// The newest event's hash differs from the head's: it was replaced.
    HeadHashMismatch,
    /// The `audit_head` row is gone.
    HeadMissing,
    /// The participant index does not list exactly the event's participants,
    /// so the data subject's access log would be wrong.
    IndexMismatch,
    /// Index rows for an event that does not exist.
    IndexOrphan,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::ContentChanged => f.write_str(
                "content changed (the event does not match its hash: altered, moved from another position, or rehashed without the chain key; or the key given is not the gateway's)",
            ),
            Problem::Unkeyed { unkeyed_until } => write!(
                f,
                "hashed without the chain key past audit.unkeyed_until ({unkeyed_until}): rewritten by someone without the key"
            ),
            Problem::UnkeyedAfterKeyed => f.write_str(
                "hashed without the chain key after keyed events: rewritten by someone without the key",
            ),
            Problem::CheckpointMismatch => f.write_str(
                "not the event a checkpoint recorded (replaced, or the log was cut back and appended to again)",
            ),
            Problem::CheckpointPastEnd {
                last_present,
                checkpoint_seq,
            } => write!(
                f,
                "events after seq {last_present} deleted (a checkpoint records seq {checkpoint_seq})"
            ),
            Problem::PrevHashMismatch => f.write_str(
                "previous hash mismatch (the event before it was altered and rehashed, or replaced)",
            ),
            Problem::Missing => f.write_str("event missing (deleted; later events remain)"),
            Problem::OutOfSequence => f.write_str("event numbered before the start of the chain"),
            Problem::TailDeleted {
                last_present,
                head_seq,
            } => write!(
                f,
                "events after seq {last_present} deleted (the head records {head_seq})"
            ),
            Problem::NotInHead { head_seq } => write!(
                f,
                "event after the head (seq {head_seq}): not appended by the gateway"
            ),
            Problem::HeadHashMismatch => {
                f.write_str("the newest event's hash differs from the head's (replaced)")
            }
            Problem::HeadMissing => f.write_str("the audit head row is missing"),
            Problem::IndexMismatch => {
                f.write_str("the participant index does not match the event's participants")
            }
            Problem::IndexOrphan => f.write_str("participant index rows name a missing event"),
        }
    }
}

/// Walks the whole log in `seq` order, a page at a time, inside one
/// read-only snapshot (REPEATABLE READ on PostgreSQL, a read transaction on
/// SQLite), so appends made meanwhile neither show up half nor count as
/// tampering. Returns the first broken link; errors only when the database
/// cannot be read.
pub async fn verify(
    db: &DatabaseConnection,
    anchors: &Anchors,
) -> Result<VerifyReport, AuditError> {
    let tx = match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
        // SQLite's read transaction is a snapshot already (WAL); it takes no options.
        _ => db.begin().await?,
    };
    let report = walk(&tx, anchors).await;
    // Read-only: nothing to keep.
    if let Err(e) = tx.rollback().await {
        tracing::warn!(error = %e, "audit verify: ending the read transaction failed");
    }
    report
}

async fn walk(tx: &DatabaseTransaction, anchors: &Anchors) -> Result<VerifyReport, AuditError> {
    let broken = |seq, problem| Ok(VerifyReport::Broken { seq, problem });
    let head = audit_head::Entity::find_by_id(HEAD_ID).one(tx).await?;
    // Rows past the head were not appended by the gateway (it moves the head
    // with every append); without a head, that is reported at the end.
    let head_seq = head.as_ref().map(|h| h.last_seq);

    let no_one = BTreeSet::new();
    let mut expected = 1i64;
    let mut prev_hash = GENESIS.to_string();
    let mut events = 0u64;
    let mut unkeyed = 0u64;
    let mut keyed = false;
    let mut checkpoints: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for c in &anchors.checkpoints {
        checkpoints.entry(c.seq).or_default().push(&c.hash);
    }
    // Everything up to and including `cursor` has been checked (events and index rows).
    let mut cursor = i64::MIN;
    loop {
        let page = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gt(cursor))
            .order_by_asc(audit_event::Column::Seq)
            .limit(PAGE)
            .all(tx)
            .await?;
        let Some(last) = page.last().map(|r| r.seq) else {
            break;
        };
        let index = index_between(tx, cursor, last).await?;
        // An index row between events that is not an event's is at a gap
        // (reported as missing below) or before the chain's start.
        if let Some(&orphan) = index.keys().next().filter(|s| **s < expected) {
            return broken(orphan, Problem::IndexOrphan);
        }
        for row in &page {
            if row.seq < expected {
                return broken(row.seq, Problem::OutOfSequence);
            }
            if row.seq > expected {
                return broken(expected, Problem::Missing);
            }
            if let Some(head_seq) = head_seq.filter(|h| row.seq > *h) {
                return broken(row.seq, Problem::NotInHead { head_seq });
            }
            if event_hash(&anchors.key, row) == row.hash {
                keyed = true;
            } else if unkeyed_hash(row) == row.hash {
                if keyed {
                    return broken(row.seq, Problem::UnkeyedAfterKeyed);
                }
                if row.seq > anchors.unkeyed_until {
                    let unkeyed_until = anchors.unkeyed_until;
                    return broken(row.seq, Problem::Unkeyed { unkeyed_until });
                }
                unkeyed += 1;
            } else {
                return broken(row.seq, Problem::ContentChanged);
            }
            if row.prev_hash != prev_hash {
                return broken(row.seq, Problem::PrevHashMismatch);
            }
            let named: Option<BTreeSet<Uuid>> = participant_ids(&row.participant_ids)
                .ok()
                .map(|ids| ids.into_iter().collect());
            let indexed = index.get(&row.seq).unwrap_or(&no_one);
            if named.as_ref() != Some(indexed) {
                return broken(row.seq, Problem::IndexMismatch);
            }
            if let Some(recorded) = checkpoints.get(&row.seq) {
                if recorded.iter().any(|h| *h != row.hash) {
                    return broken(row.seq, Problem::CheckpointMismatch);
                }
            }
            prev_hash.clone_from(&row.hash);
            expected += 1;
            events += 1;
        }
        cursor = last;
    }
    let last_present = expected - 1;
    // Index rows beyond the newest event.
    if let Some(stray) = audit_participant::Entity::find()
        .filter(audit_participant::Column::Seq.gt(cursor))
        .order_by_asc(audit_participant::Column::Seq)
        .one(tx)
        .await?
    {
        return broken(stray.seq, Problem::IndexOrphan);
    }
    let Some(head) = head else {
        return broken(last_present + 1, Problem::HeadMissing);
    };
    if head.last_seq > last_present {
        return broken(
            last_present + 1,
            Problem::TailDeleted {
                last_present,
                head_seq: head.last_seq,
            },
        );
    }
    if head.last_hash != prev_hash {
        return broken(last_present, Problem::HeadHashMismatch);
    }
    if let Some((&checkpoint_seq, _)) = checkpoints.range(last_present + 1..).next() {
        return broken(
            last_present + 1,
            Problem::CheckpointPastEnd {
                last_present,
                checkpoint_seq,
            },
        );
    }
    Ok(VerifyReport::Intact {
        events,
        head: prev_hash,
        unkeyed,
        checkpoints: anchors.checkpoints.len() as u64,
    })
}

/// Index rows with `lo < seq <= hi`, as participant sets per `seq`.
async fn index_between(
    tx: &DatabaseTransaction,
    lo: i64,
    hi: i64,
) -> Result<BTreeMap<i64, BTreeSet<Uuid>>, AuditError> {
    let rows = audit_participant::Entity::find()
        .filter(audit_participant::Column::Seq.gt(lo))
        .filter(audit_participant::Column::Seq.lte(hi))
        .all(tx)
        .await?;
    let mut by_seq: BTreeMap<i64, BTreeSet<Uuid>> = BTreeMap::new();
    for r in rows {
        by_seq.entry(r.seq).or_default().insert(r.participant_id);
    }
    Ok(by_seq)
}
