//! The tamper-evident access log: appends stay chained (also when many
//! requests append at once), `verify` names the first event that was
//! changed, deleted or moved, the data subject's access log comes from the
//! participant index, and auditors read the log over GraphQL.

use chrono::{Duration, DurationRound, TimeDelta, Utc};
use entities::{audit_event, audit_head, audit_participant};
use gateway::audit::{
    self, Anchors, AuditLog, ChainKey, Decision, NewEvent, Problem, VerifyReport, GENESIS,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use tests::TestApp;
use uuid::Uuid;

/// A read by one of three coaches, of one or two of `people`.
fn event(n: usize, people: &[Uuid]) -> NewEvent {
    NewEvent {
        // Nanoseconds on purpose: stored and hashed at microseconds.
        at: Utc::now() + Duration::nanoseconds(n as i64 * 1001),
        agency: "lund".into(),
        subject: format!("coach-{}", n % 3),
        role: "coach".into(),
        operation: "query CasePage".into(),
        participant_ids: people
            .iter()
            .copied()
            .cycle()
            .skip(n)
            .take(1 + n % 2)
            .collect(),
        fields: vec!["Case.status".into(), "Participant.givenName".into()],
        decision: match n % 3 {
            0 => Decision::Allowed,
            1 => Decision::Redacted,
            _ => Decision::Denied,
        },
        trace_id: match n % 2 {
            0 => Some(format!("trace-{n}")),
            _ => None,
        },
    }
}

fn people(n: usize) -> Vec<Uuid> {
    (0..n).map(|_| Uuid::new_v4()).collect()
}

/// `count` events appended one request at a time.
async fn append(app: &TestApp, count: usize, people: &[Uuid]) {
    let log = AuditLog::new(app.chain_key());
    for n in 0..count {
        log.record(&app.db, &[event(n, people)])
            .await
            .expect("record");
    }
}

/// Verified with the gateway's key, every event keyed, no checkpoints.
async fn verify(app: &TestApp) -> VerifyReport {
    verify_with(app, Anchors::new(app.chain_key())).await
}

async fn verify_with(app: &TestApp, anchors: Anchors) -> VerifyReport {
    audit::verify(&app.db, &anchors)
        .await
        .expect("verify reads the log")
}

fn intact(events: u64, head: &str) -> VerifyReport {
    VerifyReport::Intact {
        events,
        head: head.into(),
        unkeyed: 0,
        checkpoints: 0,
    }
}

async fn row(db: &DatabaseConnection, seq: i64) -> audit_event::Model {
    audit_event::Entity::find_by_id(seq)
        .one(db)
        .await
        .expect("read event")
        .expect("event exists")
}

async fn rows(db: &DatabaseConnection) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .order_by_asc(audit_event::Column::Seq)
        .all(db)
        .await
        .expect("read events")
}

/// Deletes an event as a thorough tamperer would: its index rows first
/// (the foreign key refuses otherwise).
async fn delete_event(db: &DatabaseConnection, seq: i64) {
    audit_participant::Entity::delete_many()
        .filter(audit_participant::Column::Seq.eq(seq))
        .exec(db)
        .await
        .expect("delete index rows");
    audit_event::Entity::delete_by_id(seq)
        .exec(db)
        .await
        .expect("delete event");
}

/// Writes `model` over the row with `model.seq`.
async fn overwrite(db: &DatabaseConnection, model: audit_event::Model) {
    model
        .into_active_model()
        .reset_all()
        .update(db)
        .await
        .expect("overwrite event");
}

/// Recomputes `hash` and `prev_hash` of the events in `seqs` with `hash`,
/// then points the head at the newest event: what someone who can write
/// the tables does to hide a change.
async fn rehash(
    db: &DatabaseConnection,
    seqs: std::ops::RangeInclusive<i64>,
    hash: impl Fn(&audit_event::Model) -> String,
) {
    let mut prev_hash = match *seqs.start() {
        1 => GENESIS.to_string(),
        seq => row(db, seq - 1).await.hash,
    };
    for seq in seqs {
        let mut r = row(db, seq).await;
        r.prev_hash = prev_hash;
        r.hash = hash(&r);
        prev_hash = r.hash.clone();
        overwrite(db, r).await;
    }
    let newest = rows(db).await.pop().expect("an event");
    move_head(db, newest.seq).await;
}

/// Points the head at the event `seq`, as the gateway would have left it.
async fn move_head(db: &DatabaseConnection, seq: i64) {
    audit_head::ActiveModel {
        id: Set(1),
        last_seq: Set(seq),
        last_hash: Set(row(db, seq).await.hash),
    }
    .update(db)
    .await
    .expect("move the head");
}

fn broken(seq: i64, problem: Problem) -> VerifyReport {
    VerifyReport::Broken { seq, problem }
}

#[tokio::test]
async fn appends_are_chained_and_verify_as_intact() {
    let app = TestApp::start().await;
    let db = &app.db;
    let log = AuditLog::new(app.chain_key());
    assert_eq!(verify(&app).await, intact(0, GENESIS));

    let who = people(3);
    log.record(db, &[event(0, &who)]).await.expect("one event");
    // Several events of one request, in one append.
    log.record(db, &[event(1, &who), event(2, &who), event(3, &who)])
        .await
        .expect("a batch");
    // A write and its event commit together...
    let tx = db.begin().await.expect("begin");
    log.commit(tx, &[event(4, &who)]).await.expect("commit");
    // ...and nothing is left of a write whose event cannot be stored.
    let tx = db.begin().await.expect("begin");
    let mut bad = event(5, &who);
    bad.fields.push("Case.status,Case.id".into());
    let err = log
        .commit(tx, &[bad])
        .await
        .expect_err("a comma in a field");
    assert!(matches!(err, audit::AuditError::InvalidEvent(_)), "{err}");
    // Nothing to record is not an error, and appends nothing.
    log.record(db, &[]).await.expect("no events");

    let all = rows(db).await;
    assert_eq!(
        all.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert_eq!(all[0].prev_hash, GENESIS);
    for pair in all.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    for (n, r) in all.iter().enumerate() {
        // Every column round-trips, at microseconds, so the row re-hashes.
        let e = event(n, &who);
        assert_eq!(r.at.timestamp_subsec_nanos() % 1000, 0, "microseconds");
        assert_eq!(r.hash, audit::event_hash(&app.chain_key(), r));
        assert_eq!(r.decision, e.decision.as_str());
        assert_eq!(r.trace_id, e.trace_id);
        assert_eq!(
            audit::participant_ids(&r.participant_ids).expect("uuids"),
            e.participant_ids
        );
    }
    let head = audit_head::Entity::find_by_id(1)
        .one(db)
        .await
        .expect("head")
        .expect("head row");
    assert_eq!((head.last_seq, &head.last_hash), (5, &all[4].hash));
    assert_eq!(verify(&app).await, intact(5, &all[4].hash));
    assert_eq!(
        verify(&app).await.to_string(),
        format!(
            "audit log intact: 5 events, head {}; no checkpoints checked",
            all[4].hash
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_stay_one_chain() {
    let app = TestApp::start().await;
    let who = people(10);
    let mut tasks = Vec::new();
    // 50 reads recording at once, as concurrent requests do.
    for n in 0..50 {
        let (db, who, key) = (app.db.clone(), who.clone(), app.chain_key());
        tasks.push(tokio::spawn(async move {
            AuditLog::new(key).record(&db, &[event(n, &who)]).await
        }));
    }
    // Writes commit their own transactions; they do not queue on the
    // process's mutex, so only the database lock keeps them in line (as it
    // does for appends from other replicas).
    for n in 0..50 {
        let (db, who, key) = (app.db.clone(), who.clone(), app.chain_key());
        tasks.push(tokio::spawn(async move {
            let tx = db.begin().await.expect("begin");
            AuditLog::new(key)
                .commit(tx, &[event(n, &who), event(n + 1, &who)])
                .await
        }));
    }
    for t in tasks {
        t.await.expect("task").expect("append");
    }
    let report = verify(&app).await;
    assert!(report.is_intact(), "{report}");
    assert!(
        matches!(report, VerifyReport::Intact { events: 150, .. }),
        "{report}"
    );
}

/// Two replicas, each remembering the head its last append left, and
/// mutations committing their own events in between: every append whose
/// remembered head is stale writes nothing on its fast path and chains
/// onto the newest head instead, so the log stays one chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_that_remember_their_heads_stay_one_chain() {
    let app = TestApp::start().await;
    // The gateway's own connection, whose statements are counted.
    let db = app.services.db.clone();
    let who = people(4);
    let (a, b) = (
        AuditLog::new(app.chain_key()),
        AuditLog::new(app.chain_key()),
    );
    a.record(&db, &[event(0, &who)])
        .await
        .expect("a reads the head");
    if tests::postgres_url().is_some() {
        // On PostgreSQL, an append after a head this handle left is one
        // statement (a stale head would cost a second one, the fallback).
        app.reset_statements();
        a.record(&db, &[event(1, &who), event(2, &who)])
            .await
            .expect("a again");
        assert_eq!(app.statements(), 1, "one statement per append");
    } else {
        a.record(&db, &[event(1, &who), event(2, &who)])
            .await
            .expect("a again");
    }
    b.record(&db, &[event(3, &who)]).await.expect("b");
    // a's remembered head is stale now.
    a.record(&db, &[event(4, &who)]).await.expect("a after b");
    let tx = db.begin().await.expect("begin");
    a.commit(tx, &[event(5, &who)]).await.expect("a mutation");
    // The mutation's commit left a head a's next read appends after at once.
    app.reset_statements();
    a.record(&db, &[event(6, &who)])
        .await
        .expect("a after its mutation");
    if tests::postgres_url().is_some() {
        assert_eq!(app.statements(), 1, "a knows the head its mutation left");
    }
    b.record(&db, &[event(7, &who)])
        .await
        .expect("b after the mutation");

    // And all at once, many times: reads take turns in this process, but
    // the mutations' appends race the reads' one-statement appends in the
    // database, as another replica's would.
    let mut tasks = Vec::new();
    for n in 0..40 {
        let (db, who) = (db.clone(), who.clone());
        let log = if n % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            if n % 3 == 2 {
                let tx = db.begin().await.expect("begin");
                log.commit(tx, &[event(n, &who)]).await
            } else {
                log.record(&db, &[event(n, &who)]).await
            }
        }));
    }
    for t in tasks {
        t.await.expect("task").expect("append");
    }
    let report = verify(&app).await;
    assert!(
        matches!(report, VerifyReport::Intact { events: 48, .. }),
        "{report}"
    );
}

/// Another replica is mid-append (its event written, the head moved, not
/// yet committed) when this one's append arrives: it waits for the head.
/// If the other commits, this one writes nothing after the head it knew and
/// chains onto the other's event instead; if the other rolls back, it goes
/// through after the head it knew.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_append_queued_behind_another_replica_chains_onto_the_newest_head() {
    let app = TestApp::start().await;
    let db = app.services.db.clone();
    let who = people(2);
    let log = AuditLog::new(app.chain_key());
    log.record(&db, &[event(0, &who)])
        .await
        .expect("the head is known");
    let mut theirs_committed = Vec::new();
    for other_commits in [true, false] {
        let other = db.begin().await.expect("begin");
        let head = audit_head::Entity::find_by_id(1)
            .one(&other)
            .await
            .expect("head")
            .expect("head row");
        let mut theirs = audit_event::Model {
            seq: head.last_seq + 1,
            at: Utc::now()
                .duration_trunc(TimeDelta::microseconds(1))
                .expect("truncate"),
            agency: "af".into(),
            subject: "officer-on-another-replica".into(),
            role: "officer".into(),
            operation: "query CasePage (cases)".into(),
            participant_ids: String::new(),
            fields: "Case.status".into(),
            decision: "allowed".into(),
            trace_id: None,
            prev_hash: head.last_hash.clone(),
            hash: String::new(),
        };
        // The other replica holds the key too.
        theirs.hash = audit::event_hash(&app.chain_key(), &theirs);
        theirs
            .clone()
            .into_active_model()
            .reset_all()
            .insert(&other)
            .await
            .expect("their event");
        audit_head::ActiveModel {
            id: Set(1),
            last_seq: Set(theirs.seq),
            last_hash: Set(theirs.hash.clone()),
        }
        .update(&other)
        .await
        .expect("their head");

        let waiting = tokio::spawn({
            let (db, log, who) = (db.clone(), log.clone(), who.clone());
            async move { log.record(&db, &[event(1, &who)]).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!waiting.is_finished(), "the append waits for the head");
        if other_commits {
            other.commit().await.expect("commit");
            theirs_committed.push(theirs.hash);
        } else {
            other.rollback().await.expect("rollback");
        }
        waiting.await.expect("task").expect("append");
    }
    let all = rows(&db).await;
    assert_eq!(all.len(), 4, "ours, theirs, ours after theirs, ours");
    assert_eq!(all[1].hash, theirs_committed[0]);
    assert_eq!(all[2].prev_hash, all[1].hash, "chained onto theirs");
    assert_eq!(all[3].prev_hash, all[2].hash);
    let report = verify(&app).await;
    assert!(
        matches!(report, VerifyReport::Intact { events: 4, .. }),
        "{report}"
    );
}

/// A write that already holds the database's write lock (SQLite) appends
/// its event while reads are queued to append theirs: neither waits on the
/// other for long, and no one times out.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_in_progress_does_not_stall_reads() {
    let app = TestApp::start().await;
    let who = people(3);
    let tx = app.db.begin().await.expect("begin");
    entities::agency::Entity::update_many()
        .col_expr(
            entities::agency::Column::Name,
            Expr::col(entities::agency::Column::Name).into(),
        )
        .exec(&tx)
        .await
        .expect("the write");
    let started = std::time::Instant::now();
    let reads: Vec<_> = (0..10)
        .map(|n| {
            let (db, who, key) = (app.db.clone(), who.clone(), app.chain_key());
            tokio::spawn(async move { AuditLog::new(key).record(&db, &[event(n, &who)]).await })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    AuditLog::new(app.chain_key())
        .commit(tx, &[event(10, &who)])
        .await
        .expect("the write's event");
    for r in reads {
        r.await.expect("task").expect("a read's event");
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "appends waited {:?}",
        started.elapsed()
    );
    let report = verify(&app).await;
    assert!(
        matches!(report, VerifyReport::Intact { events: 11, .. }),
        "{report}"
    );
}

/// Ten events over three people, then the change `tamper` makes (given
/// the database and, for tamperers who hold it, the chain key).
async fn after<F>(tamper: F) -> (TestApp, VerifyReport)
where
    F: AsyncFnOnce(&DatabaseConnection, &ChainKey),
{
    let app = TestApp::start().await;
    append(&app, 10, &people(3)).await;
    assert!(verify(&app).await.is_intact());
    tamper(&app.db, &app.chain_key()).await;
    let report = verify(&app).await;
    (app, report)
}

#[tokio::test]
async fn an_updated_column_is_named() {
    let (_app, report) = after(async |db, _| {
        audit_event::Entity::update_many()
            .col_expr(audit_event::Column::Subject, Expr::value("someone-else"))
            .filter(audit_event::Column::Seq.eq(5))
            .exec(db)
            .await
            .expect("update");
    })
    .await;
    assert_eq!(report, broken(5, Problem::ContentChanged));
    assert!(
        report
            .to_string()
            .starts_with("audit log broken at event 5: content changed"),
        "{report}"
    );
}

#[tokio::test]
async fn a_changed_timestamp_is_named() {
    let (_app, report) = after(async |db, _| {
        let r = row(db, 3).await;
        let at = r.at - TimeDelta::microseconds(1);
        overwrite(db, audit_event::Model { at, ..r }).await;
    })
    .await;
    assert_eq!(report, broken(3, Problem::ContentChanged));
}

/// Rehashed with the key (the gateway's own process could): the next
/// event's link still breaks.
#[tokio::test]
async fn a_rehashed_change_breaks_the_next_link() {
    let (_app, report) = after(async |db, key| {
        let mut r = row(db, 5).await;
        r.decision = "allowed".into();
        r.fields = String::new();
        r.hash = audit::event_hash(key, &r);
        overwrite(db, r).await;
    })
    .await;
    assert_eq!(report, broken(6, Problem::PrevHashMismatch));
}

/// Someone who can write the tables, but has not the chain key, changes an
/// event and rehashes the chain from it to the head, head included: with
/// plain SHA-256 as the gateway hashed before the chain was keyed, or with
/// a key of their own. Either way the changed event is named.
#[tokio::test]
async fn a_change_rehashed_without_the_key_is_named() {
    async fn change(db: &DatabaseConnection) {
        let r = row(db, 5).await;
        let subject = "someone-else".into();
        overwrite(db, audit_event::Model { subject, ..r }).await;
    }
    let (app, report) = after(async |db, _| {
        change(db).await;
        rehash(db, 5..=10, audit::unkeyed_hash).await;
    })
    .await;
    assert_eq!(report, broken(5, Problem::UnkeyedAfterKeyed));
    assert!(
        report.to_string().starts_with(
            "audit log broken at event 5: hashed without the chain key after keyed events"
        ),
        "{report}"
    );
    // Also where unkeyed events are allowed (a log begun before the key):
    // an unkeyed event after keyed ones is not one of them.
    let lenient = Anchors {
        unkeyed_until: 10,
        ..Anchors::new(app.chain_key())
    };
    assert_eq!(
        verify_with(&app, lenient).await,
        broken(5, Problem::UnkeyedAfterKeyed)
    );
    // The whole log rehashed: no event may be unkeyed in a log begun keyed.
    let (_app, report) = after(async |db, _| {
        change(db).await;
        rehash(db, 1..=10, audit::unkeyed_hash).await;
    })
    .await;
    assert_eq!(report, broken(1, Problem::Unkeyed { unkeyed_until: 0 }));

    let their_key = ChainKey::generate();
    let (app, report) = after(async |db, _| {
        change(db).await;
        rehash(db, 5..=10, |r| audit::event_hash(&their_key, r)).await;
    })
    .await;
    assert_eq!(report, broken(5, Problem::ContentChanged));
    // And verify given another key than the gateway's finds nothing intact.
    assert_eq!(
        verify_with(&app, Anchors::new(ChainKey::generate())).await,
        broken(1, Problem::ContentChanged)
    );
}

/// A log begun before the chain was keyed: its first events carry unkeyed
/// hashes (as the gateway wrote them then) and keyed ones follow. verify
/// accepts the unkeyed ones up to `audit.unkeyed_until` and no further, and
/// rewriting them still shows: the first keyed event's MAC covers the hash
/// of the last unkeyed one.
#[tokio::test]
async fn unkeyed_events_from_before_the_key_verify_up_to_the_switch() {
    let app = TestApp::start().await;
    let who = people(3);
    append(&app, 4, &who).await;
    rehash(&app.db, 1..=4, audit::unkeyed_hash).await;
    let log = AuditLog::new(app.chain_key());
    for n in 4..7 {
        log.record(&app.db, &[event(n, &who)])
            .await
            .expect("record");
    }
    let until = |unkeyed_until| Anchors {
        unkeyed_until,
        ..Anchors::new(app.chain_key())
    };
    let report = verify_with(&app, until(4)).await;
    assert!(
        matches!(
            report,
            VerifyReport::Intact {
                events: 7,
                unkeyed: 4,
                ..
            }
        ),
        "{report}"
    );
    assert!(
        report.to_string().contains("; the first 4 unkeyed"),
        "{report}"
    );
    assert_eq!(
        verify_with(&app, until(3)).await,
        broken(4, Problem::Unkeyed { unkeyed_until: 3 })
    );
    assert_eq!(
        verify(&app).await,
        broken(1, Problem::Unkeyed { unkeyed_until: 0 })
    );

    let r = row(&app.db, 2).await;
    let decision = "allowed".into();
    overwrite(&app.db, audit_event::Model { decision, ..r }).await;
    rehash(&app.db, 2..=4, audit::unkeyed_hash).await;
    assert_eq!(
        verify_with(&app, until(4)).await,
        broken(5, Problem::PrevHashMismatch)
    );
}

/// Deleting the newest events and moving the head back to the last one
/// left leaves a chain intact in itself; the checkpoints, written outside
/// the database as the events were appended, show the cut, and appending
/// again after it does not hide it.
#[tokio::test]
async fn a_cut_off_tail_with_the_head_moved_back_is_named_by_the_checkpoints() {
    let app = TestApp::start().await;
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("checkpoints.jsonl");
    let config = gateway::config::AuditConfig {
        checkpoint_file: Some(file.clone()),
        checkpoint_every: 4,
        ..app.config.audit.clone()
    };
    let log = AuditLog::from_config(&config, None).expect("the audit config");
    let who = people(3);
    for n in 0..10 {
        log.record(&app.db, &[event(n, &who)])
            .await
            .expect("record");
    }
    // As the timer or shutdown would.
    log.checkpoint_now();
    let checkpoints = audit::checkpoint::read_file(&file).expect("checkpoints");
    let seqs: Vec<i64> = checkpoints.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, [4, 8, 10]);
    let text = std::fs::read_to_string(&file).expect("the file");
    assert!(!text.contains("coach") && !text.contains(&who[0].to_string()));
    let anchored = |checkpoints: &[audit::Checkpoint]| {
        Anchors::new(app.chain_key()).with_checkpoints(checkpoints.to_vec())
    };
    let report = verify_with(&app, anchored(&checkpoints)).await;
    assert!(
        matches!(
            report,
            VerifyReport::Intact {
                events: 10,
                checkpoints: 3,
                ..
            }
        ),
        "{report}"
    );

    delete_event(&app.db, 10).await;
    delete_event(&app.db, 9).await;
    move_head(&app.db, 8).await;
    assert!(verify(&app).await.is_intact(), "no checkpoints, no trace");
    // What checkpoints cannot show: events after the newest one.
    assert!(verify_with(&app, anchored(&checkpoints[..2]))
        .await
        .is_intact());
    let report = verify_with(&app, anchored(&checkpoints)).await;
    assert_eq!(
        report,
        broken(
            9,
            Problem::CheckpointPastEnd {
                last_present: 8,
                checkpoint_seq: 10
            }
        )
    );
    assert!(
        report
            .to_string()
            .contains("events after seq 8 deleted (a checkpoint records seq 10)"),
        "{report}"
    );

    // The gateway appends on after the cut: 9 to 11 anew.
    for n in 0..3 {
        log.record(&app.db, &[event(n, &who)])
            .await
            .expect("record");
    }
    log.checkpoint_now();
    assert_eq!(
        verify_with(&app, anchored(&checkpoints)).await,
        broken(10, Problem::CheckpointMismatch)
    );
    let all = audit::checkpoint::read_file(&file).expect("checkpoints");
    let seqs: Vec<i64> = all.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, [4, 8, 10, 11]);
    assert_eq!(
        verify_with(&app, anchored(&all)).await,
        broken(10, Problem::CheckpointMismatch)
    );
}

#[tokio::test]
async fn a_deleted_middle_event_is_named() {
    let (_app, report) = after(async |db, _| delete_event(db, 5).await).await;
    assert_eq!(report, broken(5, Problem::Missing));
    assert_eq!(
        report.to_string(),
        "audit log broken at event 5: event missing (deleted; later events remain)"
    );
}

#[tokio::test]
async fn deleted_newest_events_are_named() {
    let (_app, report) = after(async |db, _| {
        delete_event(db, 10).await;
        delete_event(db, 9).await;
    })
    .await;
    assert_eq!(
        report,
        broken(
            9,
            Problem::TailDeleted {
                last_present: 8,
                head_seq: 10
            }
        )
    );
    assert!(
        report.to_string().contains("events after seq 8 deleted"),
        "{report}"
    );
}

#[tokio::test]
async fn swapped_events_are_named() {
    let (_app, report) = after(async |db, _| {
        let (four, seven) = (row(db, 4).await, row(db, 7).await);
        overwrite(db, audit_event::Model { seq: 4, ..seven }).await;
        overwrite(db, audit_event::Model { seq: 7, ..four }).await;
    })
    .await;
    assert_eq!(report, broken(4, Problem::ContentChanged));
}

#[tokio::test]
async fn a_replaced_newest_event_is_named() {
    // Rewritten and rehashed: its own hash and link are fine; only the head disagrees.
    let (_app, report) = after(async |db, key| {
        let mut r = row(db, 10).await;
        r.subject = "someone-else".into();
        r.hash = audit::event_hash(key, &r);
        overwrite(db, r).await;
    })
    .await;
    assert_eq!(report, broken(10, Problem::HeadHashMismatch));
}

#[tokio::test]
async fn an_event_appended_behind_the_heads_back_is_named() {
    let (_app, report) = after(async |db, key| {
        let last = row(db, 10).await;
        let mut forged = audit_event::Model {
            seq: 11,
            prev_hash: last.hash.clone(),
            subject: "nobody".into(),
            ..last
        };
        forged.hash = audit::event_hash(key, &forged);
        forged
            .into_active_model()
            .reset_all()
            .insert(db)
            .await
            .expect("insert");
    })
    .await;
    assert_eq!(report, broken(11, Problem::NotInHead { head_seq: 10 }));
}

#[tokio::test]
async fn a_hidden_access_in_the_index_is_named() {
    // Removing a person from the index would hide the access from their
    // access log while the chain itself stays intact.
    let (_app, report) = after(async |db, _| {
        audit_participant::Entity::delete_many()
            .filter(audit_participant::Column::Seq.eq(3))
            .exec(db)
            .await
            .expect("delete index rows");
    })
    .await;
    assert_eq!(report, broken(3, Problem::IndexMismatch));
}

#[tokio::test]
async fn a_deleted_head_is_named() {
    let (app, report) = after(async |db, _| {
        audit_head::Entity::delete_by_id(1)
            .exec(db)
            .await
            .expect("delete head");
    })
    .await;
    assert_eq!(report, broken(11, Problem::HeadMissing));
    // And appending refuses instead of starting a new chain.
    let err = AuditLog::new(app.chain_key())
        .record(&app.db, &[event(0, &people(1))])
        .await
        .expect_err("no head");
    assert!(matches!(err, audit::AuditError::HeadMissing), "{err}");
}

#[tokio::test]
async fn verify_streams_more_than_a_page() {
    let app = TestApp::start().await;
    let who = people(4);
    // 2500 events in batches (verify reads 1000 at a time).
    let log = AuditLog::new(app.chain_key());
    for chunk in 0..25 {
        let batch: Vec<_> = (0..100).map(|n| event(chunk * 100 + n, &who)).collect();
        log.record(&app.db, &batch).await.expect("batch");
    }
    let report = verify(&app).await;
    assert!(
        matches!(report, VerifyReport::Intact { events: 2500, .. }),
        "{report}"
    );
    delete_event(&app.db, 1500).await;
    assert_eq!(verify(&app).await, broken(1500, Problem::Missing));
}

#[tokio::test]
async fn the_access_log_comes_from_the_index() {
    let app = TestApp::start().await;
    let (anna, bo) = (Uuid::new_v4(), Uuid::new_v4());
    let now = Utc::now()
        .duration_trunc(TimeDelta::seconds(1))
        .expect("whole seconds");
    let log = AuditLog::new(app.chain_key());
    let at = |days: i64, who: Vec<Uuid>| NewEvent {
        at: now - Duration::days(days),
        participant_ids: who,
        ..event(0, &[])
    };
    log.record(
        &app.db,
        &[
            at(10, vec![anna]),
            at(8, vec![bo]),
            at(5, vec![anna, bo, anna]),
            at(1, vec![bo]),
        ],
    )
    .await
    .expect("record");
    let trail = audit::query::trail(&app.db, anna, now - Duration::days(30), now, 10)
        .await
        .expect("trail");
    assert_eq!(
        trail.rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![1, 3]
    );
    assert!(!trail.truncated);
    let trail = audit::query::trail(&app.db, bo, now - Duration::days(6), now, 10)
        .await
        .expect("trail");
    assert_eq!(
        trail.rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![3, 4]
    );
    let trail = audit::query::trail(&app.db, bo, now - Duration::days(30), now, 2)
        .await
        .expect("trail");
    assert_eq!(trail.rows.len(), 2);
    assert!(trail.truncated, "three events, limit two");
    assert!(verify(&app).await.is_intact());
}

/// Over GraphQL, as the data protection officer.
#[tokio::test]
async fn auditors_read_the_log_over_graphql() {
    let app = TestApp::start().await;
    let (anna, bo) = (Uuid::new_v4(), Uuid::new_v4());
    let log = AuditLog::new(app.chain_key());
    let batch: Vec<_> = (0..25)
        .map(|n| NewEvent {
            participant_ids: match n % 5 {
                0 => vec![anna],
                _ => vec![bo],
            },
            ..event(n, &[])
        })
        .collect();
    log.record(&app.db, &batch).await.expect("record");
    let dpo = app.token("audit", "auditor", "dpo-1");

    let trail = r#"query($p: ID!, $from: DateTime, $to: DateTime) {
        auditTrail(participantId: $p, from: $from, to: $to) {
            seq at agency subject role operation participantIds fields decision traceId
        } }"#;
    let answer = app.graphql(Some(&dpo), trail, json!({ "p": anna })).await;
    let events = answer.ok()["auditTrail"].as_array().expect("list").clone();
    // Oldest first; events the gateway adds for this very read come later.
    let seqs: Vec<&str> = events
        .iter()
        .map(|e| e["seq"].as_str().expect("seq"))
        .collect();
    assert_eq!(seqs[..5], ["1", "6", "11", "16", "21"]);
    // Reading the trail is itself an access to Anna's data: the next read
    // shows the first, by the data protection officer.
    let again = app.graphql(Some(&dpo), trail, json!({ "p": anna })).await;
    let last = again.ok()["auditTrail"]
        .as_array()
        .and_then(|e| e.last().cloned())
        .expect("an event");
    assert_eq!(last["subject"], "dpo-1", "{last:#}");
    assert_eq!(last["participantIds"], json!([anna.to_string()]));
    assert!(last["operation"]
        .as_str()
        .is_some_and(|o| o.contains("auditTrail")));
    assert_eq!(
        events[0],
        json!({
            "seq": "1",
            "at": events[0]["at"],
            "agency": "lund",
            "subject": "coach-0",
            "role": "coach",
            "operation": "query CasePage",
            "participantIds": [anna.to_string()],
            "fields": ["Case.status", "Participant.givenName"],
            "decision": "ALLOWED",
            "traceId": "trace-0",
        })
    );

    // Bounds and validation name the argument.
    let now = Utc::now();
    let cases = [
        (json!({ "p": "not-an-id" }), "participantId"),
        (
            json!({ "p": anna, "from": now.to_rfc3339(), "to": (now - Duration::days(1)).to_rfc3339() }),
            "to",
        ),
        (
            json!({ "p": anna, "from": (now - Duration::days(400)).to_rfc3339() }),
            "from",
        ),
    ];
    for (vars, field) in cases {
        let answer = app.graphql(Some(&dpo), trail, vars.clone()).await;
        assert_eq!(
            answer.codes(),
            vec!["BAD_USER_INPUT"],
            "{vars}: {:#}",
            answer.body
        );
        assert_eq!(answer.errors()[0]["extensions"]["field"], field, "{vars}");
    }

    // Pages of one coach's events, newest first, the cursor being `seq`.
    let page = r#"query($f: AuditEventFilterInput, $first: Int, $after: String) {
        auditEvents(filter: $f, first: $first, after: $after) {
            edges { cursor node { seq subject decision } }
            pageInfo { hasNextPage hasPreviousPage endCursor }
        } }"#;
    let f = json!({ "subject": "coach-1" });
    let first = app
        .graphql(Some(&dpo), page, json!({ "f": f, "first": 5 }))
        .await;
    let conn = first.ok()["auditEvents"].clone();
    let seqs: Vec<String> = conn["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            assert_eq!(e["cursor"], e["node"]["seq"]);
            assert_eq!(e["node"]["subject"], "coach-1");
            e["node"]["seq"].as_str().expect("seq").to_string()
        })
        .collect();
    assert_eq!(seqs, ["23", "20", "17", "14", "11"]);
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    assert_eq!(conn["pageInfo"]["hasPreviousPage"], false);
    let next = app
        .graphql(
            Some(&dpo),
            page,
            json!({ "f": f, "first": 5, "after": conn["pageInfo"]["endCursor"] }),
        )
        .await;
    let conn = next.ok()["auditEvents"].clone();
    let seqs: Vec<&str> = conn["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["seq"].as_str().expect("seq"))
        .collect();
    assert_eq!(seqs, ["8", "5", "2"]);
    assert_eq!(conn["pageInfo"]["hasNextPage"], false);
    assert_eq!(conn["pageInfo"]["hasPreviousPage"], true);

    // Filters combine.
    let denied = app
        .graphql(
            Some(&dpo),
            page,
            json!({ "f": { "subject": "coach-2", "decision": "DENIED", "agency": "lund" }, "first": 100 }),
        )
        .await;
    let edges = denied.ok()["auditEvents"]["edges"]
        .as_array()
        .expect("edges")
        .len();
    assert_eq!(edges, 8, "n % 3 == 2 for n < 25");

    for (vars, field) in [
        (json!({ "first": 101 }), "first"),
        (json!({ "after": "abc" }), "after"),
        (
            json!({ "f": { "from": now.to_rfc3339(), "to": (now - Duration::days(1)).to_rfc3339() } }),
            "filter.to",
        ),
        (json!({ "f": { "subject": "  " } }), "filter.subject"),
    ] {
        let answer = app.graphql(Some(&dpo), page, vars.clone()).await;
        assert_eq!(
            answer.codes(),
            vec!["BAD_USER_INPUT"],
            "{vars}: {:#}",
            answer.body
        );
        assert_eq!(answer.errors()[0]["extensions"]["field"], field, "{vars}");
    }

    // Signed in or nothing.
    let anonymous = app.graphql(None, trail, json!({ "p": anna })).await;
    assert!(!anonymous.codes().is_empty(), "{:#}", anonymous.body);
    assert!(anonymous
        .data()
        .get("auditTrail")
        .is_none_or(|v| v.is_null()));
}

/// Fail closed: when the audit log cannot be written, the personal data
/// read does not leave the gateway; the answer is INTERNAL (HTTP 500),
/// and reads work again once the log does.
#[tokio::test]
async fn what_cannot_be_audited_is_not_shown() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::start().await;
    app.seed(20, 5).await;
    let coach = app.token("lund", "coach", gateway::demo::DEMO_COACH);
    let q = "{ cases(first: 5) { edges { node { participant { givenName familyName personnummer } } } } }";
    let a = app.graphql(Some(&coach), q, serde_json::json!({})).await;
    assert_eq!(a.status, 200, "{:#}", a.body);
    let name = a.data()["cases"]["edges"][0]["node"]["participant"]["familyName"]
        .as_str()
        .expect("a name while the log works")
        .to_string();

    app.db
        .execute_unprepared("ALTER TABLE audit_head RENAME TO audit_head_away")
        .await
        .expect("break the audit log");
    let a = app.graphql(Some(&coach), q, serde_json::json!({})).await;
    assert_eq!(a.status, 500, "{:#}", a.body);
    assert_eq!(a.codes(), vec!["INTERNAL".to_string()]);
    assert!(!a.body.to_string().contains(&name), "{:#}", a.body);
    assert!(a.body.get("data").is_none_or(|d| d.is_null()));

    app.db
        .execute_unprepared("ALTER TABLE audit_head_away RENAME TO audit_head")
        .await
        .expect("mend the audit log");
    let a = app.graphql(Some(&coach), q, serde_json::json!({})).await;
    assert_eq!(a.status, 200, "{:#}", a.body);
}
