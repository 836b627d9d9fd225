//! `gateway audit verify` on the real binary: exit 0 and the head when the
//! chain is intact, 1 naming the first broken event after tampering (a cut
//! tail too, by the checkpoints), 2 when there is nothing to check or no
//! key to check it with. On a demo directory (SQLite) always, and with
//! `--config` on PostgreSQL when `TEST_DATABASE_URL` is set.

use std::path::Path;
use std::process::{Command, Output};

use entities::{audit_event, audit_head, audit_participant};
use gateway::audit::{AuditLog, ChainKey, Decision, NewEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

fn gateway() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gateway"))
}

/// The chain key `--config` runs are given (`GATEWAY_AUDIT__CHAIN_KEY`).
const CHAIN_KEY: &str = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e";

fn verify(args: &[&str], path: &Path) -> (i32, String, String) {
    verify_keyed(args, path, Some(CHAIN_KEY))
}

fn verify_keyed(args: &[&str], path: &Path, chain_key: Option<&str>) -> (i32, String, String) {
    let mut command = gateway();
    command
        .args(["audit", "verify"])
        .args(args)
        .arg(path)
        // `--config` needs the personal-data keys even though verify reads none.
        .env("GATEWAY_CRYPTO__PERSONNUMMER_KEY", "12".repeat(32))
        .env("GATEWAY_CRYPTO__LOOKUP_KEY", "34".repeat(32))
        .env_remove("GATEWAY_AUDIT__CHAIN_KEY");
    if let Some(key) = chain_key {
        command.env("GATEWAY_AUDIT__CHAIN_KEY", key);
    }
    let out: Output = command.output().expect("run gateway audit verify");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf8"),
        String::from_utf8(out.stderr).expect("utf8"),
    )
}

/// Five reads by a coach, recorded the way the gateway does.
async fn record_reads(db: &DatabaseConnection, log: &AuditLog) {
    for n in 0..5 {
        log.record(
            db,
            &[NewEvent {
                at: chrono::Utc::now(),
                agency: "lund".into(),
                subject: "lund-coach-001".into(),
                role: "coach".into(),
                operation: "query CasePage".into(),
                participant_ids: vec![uuid::Uuid::new_v4()],
                fields: vec!["Case.status".into()],
                decision: Decision::Allowed,
                trace_id: Some(format!("trace-{n}")),
            }],
        )
        .await
        .expect("record");
    }
}

/// Changes the third event's subject, as someone with database access might.
async fn tamper(db: &DatabaseConnection) {
    audit_event::Entity::update_many()
        .col_expr(audit_event::Column::Subject, Expr::value("lund-coach-002"))
        .filter(audit_event::Column::Seq.eq(3))
        .exec(db)
        .await
        .expect("update");
}

async fn head_hash(db: &DatabaseConnection) -> String {
    entities::audit_head::Entity::find_by_id(1)
        .one(db)
        .await
        .expect("read head")
        .expect("head row")
        .last_hash
}

/// Deletes the events after `seq` (index rows first) and moves the head
/// back to `seq`, as someone with database access might to hide them.
async fn cut_tail(db: &DatabaseConnection, seq: i64) {
    audit_participant::Entity::delete_many()
        .filter(audit_participant::Column::Seq.gt(seq))
        .exec(db)
        .await
        .expect("delete index rows");
    audit_event::Entity::delete_many()
        .filter(audit_event::Column::Seq.gt(seq))
        .exec(db)
        .await
        .expect("delete events");
    let hash = audit_event::Entity::find_by_id(seq)
        .one(db)
        .await
        .expect("read event")
        .expect("event")
        .hash;
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::LastSeq, Expr::value(seq))
        .col_expr(audit_head::Column::LastHash, Expr::value(hash))
        .exec(db)
        .await
        .expect("move the head back");
}

/// A demo directory, migrated, and its gateway's audit log (keyed with
/// the directory's key, checkpointing to the directory's file).
async fn demo(dir: &Path) -> (DatabaseConnection, AuditLog) {
    let config =
        gateway::demo::demo_config(dir, "127.0.0.1:0".parse().expect("addr")).expect("demo config");
    let db = gateway::db::connect(&config.database)
        .await
        .expect("connect");
    gateway::db::migrate(&db).await.expect("migrate");
    let log = AuditLog::from_config(&config.audit, None).expect("the demo's audit config");
    (db, log)
}

#[tokio::test]
async fn verify_on_a_demo_directory() {
    let dir = tempfile::tempdir().expect("tmp");
    let (db, log) = demo(dir.path()).await;

    // An empty log is intact, and verify says what it could not check.
    let (code, stdout, stderr) = verify(&["--data-dir"], dir.path());
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(
        stdout.trim(),
        format!(
            "audit log intact: 0 events, head {}; no checkpoints checked",
            "0".repeat(64)
        )
    );
    assert!(stderr.contains("does not exist yet"), "{stderr}");

    record_reads(&db, &log).await;
    log.checkpoint_now();
    let head = head_hash(&db).await;
    let (code, stdout, stderr) = verify(&["--data-dir"], dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        stdout.trim(),
        format!("audit log intact: 5 events, head {head}; 1 checkpoint agrees")
    );

    tamper(&db).await;
    let (code, stdout, stderr) = verify(&["--data-dir"], dir.path());
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("audit log broken at event 3: content changed"),
        "{stdout}"
    );
    // The report names the event, never its contents.
    assert!(!stdout.contains("lund-coach"), "{stdout}");
    db.close().await.expect("close");
}

/// The newest events deleted and the head moved back: only the demo's
/// checkpoint file shows it, and a checkpoint file given names it too.
#[tokio::test]
async fn verify_names_a_cut_tail_by_the_checkpoints() {
    let dir = tempfile::tempdir().expect("tmp");
    let (db, log) = demo(dir.path()).await;
    record_reads(&db, &log).await;
    log.checkpoint_now();
    cut_tail(&db, 3).await;
    let (code, stdout, stderr) = verify(&["--data-dir"], dir.path());
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(
        stdout.trim(),
        "audit log broken at event 4: events after seq 3 deleted (a checkpoint records seq 5)"
    );

    // The checkpoints as they reached the SIEM: the gateway's JSON log.
    let checkpoints = std::fs::read_to_string(dir.path().join(gateway::demo::CHECKPOINT_FILE))
        .expect("the checkpoint file");
    let line: serde_json::Value =
        serde_json::from_str(checkpoints.trim()).expect("a checkpoint line");
    let log_file = dir.path().join("gateway.log");
    std::fs::write(
        &log_file,
        format!(
            "{}\n{}\n",
            serde_json::json!({"level": "INFO", "target": "gateway::http", "fields": {"message": "request"}}),
            serde_json::json!({"level": "INFO", "target": "audit_checkpoint", "fields": {"message": "audit checkpoint", "seq": line["seq"], "hash": line["hash"]}}),
        ),
    )
    .expect("write");
    let (code, stdout, _) = verify(
        &[
            "--checkpoints",
            log_file.to_str().expect("utf8"),
            "--data-dir",
        ],
        dir.path(),
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("a checkpoint records seq 5"), "{stdout}");

    // A checkpoint file that was asked for and is not there is not "no checkpoints".
    let missing = dir.path().join("missing.jsonl");
    let (code, stdout, stderr) = verify(
        &[
            "--checkpoints",
            missing.to_str().expect("utf8"),
            "--data-dir",
        ],
        dir.path(),
    );
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("missing.jsonl"), "{stderr}");
    db.close().await.expect("close");
}

/// No key, no check: verify refuses rather than checking unkeyed, and says
/// where the key comes from; with another key than the gateway's, nothing
/// verifies.
#[tokio::test]
async fn verify_without_the_chain_key_refuses_to_check() {
    let dir = tempfile::tempdir().expect("tmp");
    let db_file = dir.path().join("gateway.sqlite");
    let config_file = dir.path().join("gateway.toml");
    std::fs::write(
        &config_file,
        format!(
            "[database]\nurl = \"sqlite://{}?mode=rwc\"\n",
            db_file.display()
        ),
    )
    .expect("write config");
    let db = gateway::db::connect(&gateway::config::DatabaseConfig {
        url: format!("sqlite://{}?mode=rwc", db_file.display()),
        max_connections: 2,
        migrate_on_start: false,
        schema: None,
    })
    .await
    .expect("connect");
    gateway::db::migrate(&db).await.expect("migrate");
    let key = ChainKey::from_encoded(CHAIN_KEY).expect("a key");
    record_reads(&db, &AuditLog::new(key)).await;

    let (code, stdout, stderr) = verify_keyed(&["--config"], &config_file, None);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("audit.chain_key") && stderr.contains("GATEWAY_AUDIT__CHAIN_KEY"),
        "{stderr}"
    );
    let (code, stdout, stderr) = verify_keyed(&["--config"], &config_file, Some("not-a-s3cr3t"));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("audit.chain_key: must be 32 bytes"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cr3t"),
        "the key is not echoed: {stderr}"
    );

    let other = "0f1e".repeat(16);
    let (code, stdout, _) = verify_keyed(&["--config"], &config_file, Some(&other));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.starts_with("audit log broken at event 1: content changed"),
        "{stdout}"
    );
    let (code, stdout, stderr) = verify(&["--config"], &config_file);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("audit log intact: 5 events"), "{stdout}");

    // A demo directory whose key is gone cannot be checked either.
    let demo_dir = tempfile::tempdir().expect("tmp");
    let (demo_db, _) = demo(demo_dir.path()).await;
    demo_db.close().await.expect("close");
    std::fs::remove_file(demo_dir.path().join(gateway::demo::CHAIN_KEY_FILE)).expect("rm");
    let (code, _, stderr) = verify(&["--data-dir"], demo_dir.path());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no demo chain key"), "{stderr}");
    db.close().await.expect("close");
}

#[test]
fn verify_without_a_database_exits_2_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("no-demo-here");
    let (code, stdout, stderr) = verify(&["--data-dir"], &missing);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("no demo database"), "{stderr}");
    assert!(!missing.exists(), "verify created the directory");
}

#[tokio::test]
async fn verify_with_a_config_on_postgres() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL not set: skipping the PostgreSQL audit verify test");
        return;
    };
    let schema = format!("audit_cli_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(&url)
        .await
        .expect("connect postgres");
    admin
        .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
        .await
        .expect("create schema");
    let dir = tempfile::tempdir().expect("tmp");
    let config_file = dir.path().join("gateway.toml");
    std::fs::write(
        &config_file,
        format!("[database]\nurl = \"{url}\"\nschema = \"{schema}\"\n"),
    )
    .expect("write config");

    // In a task, so that a failed assertion still drops the schema.
    let run = {
        let (url, schema) = (url.clone(), schema.clone());
        tokio::spawn(async move {
            let db = gateway::db::connect(&gateway::config::DatabaseConfig {
                url,
                max_connections: 2,
                migrate_on_start: false,
                schema: Some(schema),
            })
            .await
            .expect("connect to schema");
            // Not migrated yet: nothing to check, and the message says what to do.
            let (code, _, stderr) = verify(&["--config"], &config_file);
            assert_eq!(code, 2, "{stderr}");
            assert!(stderr.contains("gateway migrate"), "{stderr}");

            gateway::db::migrate(&db).await.expect("migrate");
            let key = ChainKey::from_encoded(CHAIN_KEY).expect("a key");
            record_reads(&db, &AuditLog::new(key)).await;
            let head = head_hash(&db).await;
            let (code, stdout, stderr) = verify(&["--config"], &config_file);
            assert_eq!(code, 0, "{stdout}{stderr}");
            assert_eq!(
                stdout.trim(),
                format!("audit log intact: 5 events, head {head}; no checkpoints checked")
            );
            // Without the key nothing is checked.
            let (code, _, stderr) = verify_keyed(&["--config"], &config_file, None);
            assert_eq!(code, 2, "{stderr}");
            assert!(stderr.contains("audit.chain_key"), "{stderr}");
            tamper(&db).await;
            let (code, stdout, stderr) = verify(&["--config"], &config_file);
            assert_eq!(code, 1, "{stdout}{stderr}");
            assert!(
                stdout.starts_with("audit log broken at event 3: content changed"),
                "{stdout}"
            );
            db.close().await.expect("close");
        })
        .await
    };
    admin
        .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .expect("drop schema");
    if let Err(e) = run {
        std::panic::resume_unwind(e.into_panic());
    }
}
