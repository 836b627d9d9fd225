//! The access log: append-only and hash-chained (DESIGN.md, "Authorization",
//! Audit). Every request that reads or writes personal data appends events
//! here before its answer leaves; `gateway audit verify` recomputes the chain
//! and names the first event that was changed, removed or moved.
//!
//! Each `audit_event` row carries `prev_hash` (the `hash` of the event
//! before it, [`GENESIS`] for the first) and `hash`, an HMAC-SHA256 over all
//! its columns including `seq` and `prev_hash` ([`chain::event_hash`]),
//! keyed with a key the database never holds ([`ChainKey`]). Changing a row
//! breaks its own hash, and without the key it cannot be rehashed;
//! deleting a row leaves a gap in `seq`; deleting the newest rows leaves the
//! chain shorter than `audit_head`, which every append updates in the same
//! transaction, and shorter than the last [`checkpoint`] written outside the
//! database, should the head be moved back too. The chain makes tampering
//! evident, not impossible: keep UPDATE and DELETE on these tables away from
//! the gateway's database role. README, "Audit threat model", says what
//! stays undetected (events after the last checkpoint can be cut off).
//!
//! Appends are serialized, since each event needs the hash of the one
//! before it: see [`AuditLog`].

mod chain;
pub mod checkpoint;
mod key;
pub mod query;
mod verify;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, TransactionTrait,
};
use tracing::Instrument;

use crate::config::{AuditConfig, ConfigError};
use crate::observability::metrics::Metrics;

use checkpoint::{Checkpointer, Schedule};

pub use chain::{event_hash, participant_ids, split_list, unkeyed_hash, GENESIS};
pub use checkpoint::Checkpoint;
pub use key::{ChainKey, KeyError};
pub use verify::{verify, Anchors, Problem, VerifyReport};

/// What the policy decided about the access an event records; the
/// snake_case name is what `audit_event.decision` stores.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub enum Decision {
    /// Everything asked for was given.
    Allowed,
    /// Answered, with some fields withheld.
    Redacted,
    /// Refused.
    Denied,
    /// Allowed, but it did not succeed (bad input, not found, a conflict):
    /// still an attempt on personal data, so it leaves a trace.
    Failed,
}

impl Decision {
    /// The value stored in `audit_event.decision`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Decision> {
        s.parse().ok()
    }
}

/// One access to record. `seq`, `prev_hash` and `hash` are the log's to assign.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Stored (and hashed) at microsecond precision, the finest both
    /// PostgreSQL and SQLite keep.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Agency code of the caller.
    pub agency: String,
    /// IdP subject (a staff id, never a personnummer).
    pub subject: String,
    /// Roles joined with ",".
    pub role: String,
    /// E.g. "query CasePage" or "mutation addFollowUp".
    pub operation: String,
    /// Whose data was read or written; duplicates are recorded once.
    pub participant_ids: Vec<uuid::Uuid>,
    /// "Type.field" or classifications; none may contain a comma (the column
    /// joins them with commas).
    pub fields: Vec<String>,
    pub decision: Decision,
    pub trace_id: Option<String>,
}

/// Why an append or a verification could not be done. The messages name
/// no event contents (no subjects, no participants), only what failed.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit database: {0}")]
    Db(#[from] DbErr),
    /// An event that the log cannot store unambiguously.
    #[error("invalid audit event: {0}")]
    InvalidEvent(&'static str),
    /// The single `audit_head` row is gone (deleted, or the database is not migrated).
    #[error("the audit head row is missing")]
    HeadMissing,
    /// The head changed between reading and updating it: something appended
    /// without taking the append lock. Nothing was written.
    #[error("the audit head moved during an append")]
    HeadMoved,
    #[error("the audit log does not support the {0} backend")]
    UnsupportedBackend(&'static str),
}

/// The process's handle on the audit log (held in `Services`).
///
/// Serialization of appends, in two layers:
/// - within the process, [`record`](AuditLog::record) waits for a
///   process-wide mutex before it takes a connection. Waiting there, rather
///   than on the database, keeps a burst of reads from parking every pooled
///   connection on the database's lock.
/// - in the database, every append first takes a lock that spans replicas
///   and lasts until commit: the head row, read `FOR UPDATE`, on PostgreSQL; on
///   SQLite, the database's write lock, taken by making the append's first
///   statement a write (a deferred transaction that read first could race
///   another writer and fail instead of waiting).
///
/// The mutex is process-wide (a `static`), not per `AuditLog`: two handles in
/// one process still queue behind each other.
///
/// On PostgreSQL a handle remembers the head its last append left. While
/// no one else has appended since, the next append is one statement that
/// commits on its own ([`chain::append_after`]), not a transaction of four
/// round trips: the append sits on every read's path, before the answer.
///
/// After each append the head is handed to the [`checkpoint`]er, when the
/// log has one (the gateway's does: [`AuditLog::from_config`]).
#[derive(Clone)]
pub struct AuditLog {
    /// What every event's hash is keyed with.
    key: Arc<ChainKey>,
    /// Where append latencies are counted (none in tools that only verify).
    metrics: Option<Arc<Metrics>>,
    /// The head this handle's last append left.
    known_head: Arc<std::sync::Mutex<Option<chain::Head>>>,
    /// Writes checkpoints of the head (none in tools and some tests).
    checkpoints: Option<Arc<Checkpointer>>,
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog").finish_non_exhaustive()
    }
}

/// The process-wide append queue (see [`AuditLog`]).
static APPEND_TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl AuditLog {
    /// A log whose events are hashed with `key`, without checkpoints.
    pub fn new(key: ChainKey) -> Self {
        Self {
            key: Arc::new(key),
            metrics: None,
            known_head: Arc::default(),
            checkpoints: None,
        }
    }

    /// The gateway's log: keyed with `audit.chain_key`, checkpointed as
    /// `audit` says (with a timer, on the current runtime), its appends
    /// timed in `metrics` (`gateway_audit_append_duration_seconds`).
    pub fn from_config(
        config: &AuditConfig,
        metrics: Option<Arc<Metrics>>,
    ) -> Result<Self, ConfigError> {
        let log = Self::new(ChainKey::from_config(config)?);
        Ok(Self {
            metrics,
            checkpoints: Some(Checkpointer::start(Schedule {
                file: config.checkpoint_file.clone(),
                every: config.checkpoint_every,
                interval: config.checkpoint_interval_secs,
            })),
            ..log
        })
    }

    /// Writes a checkpoint of the newest head this log appended now, unless
    /// it has one already (the timer and shutdown do this too).
    pub fn checkpoint_now(&self) {
        if let Some(c) = &self.checkpoints {
            c.flush();
        }
    }

    /// Hands the head an append left to the checkpointer.
    fn appended(&self, count: usize, head: &chain::Head) {
        if let Some(c) = &self.checkpoints {
            c.appended(count, head);
        }
    }

    /// Times one append (waiting for the append turn included) in a span
    /// `audit.append` and the metrics.
    async fn timed<T>(
        &self,
        append: impl std::future::Future<Output = Result<T, AuditError>>,
    ) -> Result<T, AuditError> {
        let started = Instant::now();
        let result = append
            .instrument(tracing::info_span!(target: "gateway::audit", "audit.append"))
            .await;
        if let Some(metrics) = &self.metrics {
            metrics.audit_append(result.is_ok(), started.elapsed().as_secs_f64());
        }
        result
    }

    /// Appends `events` inside `tx` and commits `tx`: used by mutations so
    /// the audit event lands in the same transaction as the write. If
    /// appending fails, the tx is rolled back and the error returned.
    ///
    /// This does not wait for the process-wide mutex: `tx` may already hold
    /// the SQLite write lock (its writes came first), and a `record` holding
    /// the mutex would wait for that lock while this waited for the mutex.
    /// The database lock taken inside `tx` serializes it with every other
    /// append. `tx` must be READ COMMITTED (the default) on PostgreSQL, so
    /// the head read after the lock is the newest.
    pub async fn commit(
        &self,
        tx: DatabaseTransaction,
        events: &[NewEvent],
    ) -> Result<(), AuditError> {
        let appended = match chain::validate(events) {
            Ok(()) if events.is_empty() => Ok(None),
            Ok(()) => self
                .timed(chain::append(&tx, &self.key, events))
                .await
                .map(Some),
            Err(e) => Err(e),
        };
        match appended {
            Ok(head) => {
                let postgres = tx.get_database_backend() == DbBackend::Postgres;
                tx.commit().await?;
                if let Some(head) = head {
                    self.appended(events.len(), &head);
                    // So the next read's append is not first sent after a
                    // head this write has already moved.
                    if postgres {
                        self.remember(head);
                    }
                }
                Ok(())
            }
            Err(e) => {
                rollback(tx).await;
                Err(e)
            }
        }
    }

    /// Appends `events` in a transaction of its own (reads: called before
    /// the response is sent).
    pub async fn record(
        &self,
        db: &DatabaseConnection,
        events: &[NewEvent],
    ) -> Result<(), AuditError> {
        if events.is_empty() {
            return Ok(());
        }
        chain::validate(events)?;
        let head = self
            .timed(async {
                let _turn = APPEND_TURN.lock().await;
                // Forgotten until this append is known to have committed: after
                // an error, the next append reads the head again.
                let known = self.known_head().take();
                let postgres = db.get_database_backend() == DbBackend::Postgres;
                if let (true, Some(head)) = (postgres, known) {
                    // An error here is not retried on the locked path: the
                    // statement may have committed, and a retry would append
                    // the same events twice.
                    if let Some(moved_to) =
                        chain::append_after(db, &self.key, &head, events).await?
                    {
                        self.remember(moved_to.clone());
                        return Ok(moved_to);
                    }
                }
                let tx = db.begin().await?;
                match chain::append(&tx, &self.key, events).await {
                    Ok(head) => {
                        tx.commit().await?;
                        if postgres {
                            self.remember(head.clone());
                        }
                        Ok(head)
                    }
                    Err(e) => {
                        rollback(tx).await;
                        Err(e)
                    }
                }
            })
            .await?;
        self.appended(events.len(), &head);
        Ok(())
    }

    /// Keeps `head` as the one to append after, unless a newer one is
    /// known: a mutation's commit (outside the append turn) and a read's
    /// append may finish in either order, and the log's `seq` only grows.
    fn remember(&self, head: chain::Head) {
        let mut known = self.known_head();
        if known.as_ref().is_none_or(|k| k.seq < head.seq) {
            *known = Some(head);
        }
    }

    fn known_head(&self) -> std::sync::MutexGuard<'_, Option<chain::Head>> {
        // A panic while holding it leaves nothing half-written: the value
        // is replaced whole.
        self.known_head
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Rolls back after a failed append; dropping would too, but this way a
/// failure to roll back is logged (without event contents).
async fn rollback(tx: DatabaseTransaction) {
    if let Err(e) = tx.rollback().await {
        tracing::warn!(error = %e, "audit: rollback after a failed append failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn decisions_are_stored_as_before() {
        let names: Vec<&str> = Decision::iter().map(Decision::as_str).collect();
        assert_eq!(names, ["allowed", "redacted", "denied", "failed"]);
        for d in Decision::iter() {
            assert_eq!(Decision::parse(d.as_str()), Some(d));
            assert_eq!(d.to_string(), d.as_str());
        }
        assert_eq!(Decision::parse("Allowed"), None);
    }
}
