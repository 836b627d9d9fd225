//! Checkpoints: the chain's head (`seq` and hash, nothing else), written
//! outside the database, so that cutting events off the end of the log and
//! moving the head back shows. The appender logs each one (target
//! `audit_checkpoint`, for the SIEM) and appends it to `audit.checkpoint_file`
//! when one is configured; `gateway audit verify --checkpoints FILE` then
//! requires every checkpointed event to be there with that hash.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::chain::Head;

/// The `target` of the log lines that carry checkpoints.
pub const LOG_TARGET: &str = "audit_checkpoint";

/// One checkpoint: the event `seq` had hash `hash` when it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
}

/// A checkpoint file's line: `{"seq":12,"hash":"<64 hex>","at":"<RFC 3339>"}`.
#[derive(Serialize, Deserialize)]
struct Line {
    seq: i64,
    hash: String,
    /// When it was written (for people; not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<DateTime<Utc>>,
}

/// A checkpoint file that cannot be read as one; names the line, never
/// quotes it.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct CheckpointError {
    path: PathBuf,
    message: String,
}

/// The checkpoints in a file of checkpoint lines, or of the gateway's JSON
/// log lines (those with target `audit_checkpoint`; other log lines are
/// skipped). Any other line is an error: a damaged file is not read as
/// fewer checkpoints.
pub fn read_file(path: &Path) -> Result<Vec<Checkpoint>, CheckpointError> {
    let error = |message: String| CheckpointError {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read: {e}")))?;
    parse(&text).map_err(|(line, message)| error(format!("line {line}: {message}")))
}

/// [`read_file`]'s reading; errors are (line number, what is wrong).
fn parse(text: &str) -> Result<Vec<Checkpoint>, (usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = |message: &str| (n + 1, message.to_string());
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|_| at("not a JSON checkpoint or log line"))?;
        let fields = match value.get("target") {
            // A log line: its fields carry the checkpoint.
            Some(target) if target == LOG_TARGET => value.get("fields").cloned(),
            Some(_) => continue,
            None => Some(value),
        };
        let line: Line = fields
            .and_then(|f| serde_json::from_value(f).ok())
            .ok_or_else(|| at("a checkpoint needs a seq and a hash"))?;
        if line.seq < 1 {
            return Err(at("a checkpoint's seq is at least 1"));
        }
        if line.hash.len() != 64 || !line.hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(at("a checkpoint's hash is 64 hex characters"));
        }
        out.push(Checkpoint {
            seq: line.seq,
            hash: line.hash.to_ascii_lowercase(),
        });
    }
    Ok(out)
}

/// How often checkpoints are written, and where besides the log.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub file: Option<PathBuf>,
    /// After this many events appended by this process since its last checkpoint...
    pub every: u64,
    /// ...or this long after an append that is not checkpointed yet.
    pub interval: Duration,
}

/// Writes this process's checkpoints (one per [`AuditLog`](super::AuditLog)
/// and its clones). What is appended but not yet checkpointed is
/// checkpointed by a timer and when the log is dropped (shutdown).
pub(super) struct Checkpointer {
    schedule: Schedule,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Events appended since the last checkpoint.
    since: u64,
    /// The newest head this process's appends left.
    newest: Option<Head>,
    /// The `seq` of the last checkpoint written.
    written: i64,
}

impl Checkpointer {
    /// A checkpointer, and its timer when there is a runtime to run it on.
    pub(super) fn start(schedule: Schedule) -> Arc<Checkpointer> {
        let interval = schedule.interval;
        let checkpointer = Arc::new(Checkpointer {
            schedule,
            state: Mutex::new(State::default()),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(timer(Arc::downgrade(&checkpointer), interval));
        }
        checkpointer
    }

    /// After a commit: `count` events were appended, leaving `head`.
    pub(super) fn appended(&self, count: usize, head: &Head) {
        let mut state = self.state();
        state.since += count as u64;
        // Appends outside the append turn (mutations) may finish in either order.
        if state.newest.as_ref().is_none_or(|n| n.seq < head.seq) {
            state.newest = Some(head.clone());
        }
        if state.since >= self.schedule.every {
            self.write(&mut state);
        }
    }

    /// Checkpoints the newest head unless it is checkpointed already.
    pub(super) fn flush(&self) {
        let mut state = self.state();
        if state.newest.as_ref().is_some_and(|n| n.seq > state.written) {
            self.write(&mut state);
        }
    }

    /// Writes the newest head. Held under the state's lock, so lines go out
    /// in order. A file that cannot be written is logged and the append
    /// stands: the events are stored; only this anchor is missing.
    fn write(&self, state: &mut State) {
        let Some(head) = state.newest.clone() else {
            return;
        };
        state.since = 0;
        state.written = head.seq;
        tracing::info!(target: LOG_TARGET, seq = head.seq, hash = %head.hash, "audit checkpoint");
        let Some(path) = &self.schedule.file else {
            return;
        };
        let line = Line {
            seq: head.seq,
            hash: head.hash,
            at: Some(Utc::now()),
        };
        let mut text = serde_json::to_string(&line).expect("a checkpoint serializes");
        text.push('\n');
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = written {
            tracing::warn!(
                target: LOG_TARGET,
                error = %e,
                file = %path.display(),
                "audit checkpoint: the checkpoint file cannot be written"
            );
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding it leaves counters, never a half-written line.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Flushes every `interval` while the checkpointer lives.
async fn timer(checkpointer: Weak<Checkpointer>, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(checkpointer) = checkpointer.upgrade() else {
            return;
        };
        checkpointer.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12";

    #[test]
    fn checkpoint_lines_and_log_lines_are_read_and_others_refused() {
        let text = format!(
            "{{\"seq\":3,\"hash\":\"{H}\",\"at\":\"2026-12-05T10:00:00Z\"}}\n\
             \n\
             {{\"timestamp\":\"2026-12-05T10:00:01Z\",\"level\":\"INFO\",\"target\":\"gateway::http\",\"fields\":{{\"message\":\"request\"}}}}\n\
             {{\"timestamp\":\"2026-12-05T10:00:02Z\",\"level\":\"INFO\",\"fields\":{{\"message\":\"audit checkpoint\",\"seq\":7,\"hash\":\"{}\"}},\"target\":\"audit_checkpoint\"}}\n",
            H.to_uppercase()
        );
        assert_eq!(
            parse(&text).expect("valid"),
            vec![
                Checkpoint {
                    seq: 3,
                    hash: H.into()
                },
                Checkpoint {
                    seq: 7,
                    hash: H.into()
                },
            ]
        );
        for (bad, line, why) in [
            ("seq 3".to_string(), 1, "not a JSON"),
            (format!("{{\"hash\":\"{H}\"}}"), 1, "needs a seq"),
            (format!("\n{{\"seq\":0,\"hash\":\"{H}\"}}"), 2, "at least 1"),
            ("{\"seq\":1,\"hash\":\"abc\"}".to_string(), 1, "64 hex"),
            (
                "{\"target\":\"audit_checkpoint\",\"fields\":{\"seq\":1}}".to_string(),
                1,
                "needs a seq",
            ),
        ] {
            let (n, message) = parse(&bad).expect_err(&bad);
            assert_eq!(n, line, "{bad}");
            assert!(message.contains(why), "{bad}: {message}");
        }
    }

    fn head(seq: i64) -> Head {
        Head {
            seq,
            hash: format!("{seq:064x}"),
        }
    }

    #[test]
    fn every_nth_event_and_what_is_left_at_the_end_are_checkpointed() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("checkpoints.jsonl");
        let checkpointer = Checkpointer::start(Schedule {
            file: Some(file.clone()),
            every: 3,
            interval: Duration::from_secs(3600),
        });
        checkpointer.appended(1, &head(1));
        checkpointer.appended(1, &head(2));
        assert!(!file.exists(), "two events, no checkpoint yet");
        checkpointer.appended(2, &head(4));
        // A mutation's append that finished after a newer one.
        checkpointer.appended(1, &head(3));
        checkpointer.flush();
        checkpointer.appended(1, &head(5));
        drop(checkpointer);
        let seqs: Vec<i64> = read_file(&file)
            .expect("checkpoints")
            .iter()
            .map(|c| c.seq)
            .collect();
        assert_eq!(seqs, [4, 5], "at the fourth event and when dropped");
    }

    #[tokio::test]
    async fn the_timer_checkpoints_what_is_left_once() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("checkpoints.jsonl");
        let checkpointer = Checkpointer::start(Schedule {
            file: Some(file.clone()),
            every: 100,
            interval: Duration::from_millis(20),
        });
        checkpointer.appended(2, &head(2));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let seqs = |file: &Path| -> Vec<i64> {
            read_file(file)
                .expect("checkpoints")
                .iter()
                .map(|c| c.seq)
                .collect()
        };
        assert_eq!(seqs(&file), [2], "written once, not at every tick");
        drop(checkpointer);
        assert_eq!(seqs(&file), [2]);
    }
}
