//! `gateway audit verify` on the real binary: exit 0 and the head when the
//! chain is intact, 1 naming the first broken event after tampering, 2 when
//! there is nothing to check. On a demo directory (SQLite) always, and with
//! `--config` on PostgreSQL when `TEST_DATABASE_URL` is set.

use std::path::Path;
use std::process::{Command, Output};

use entities::audit_event;
use gateway::audit::{AuditLog, Decision, NewEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

fn gateway() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gateway"))
}

fn verify(args: &[&str], path: &Path) -> (i32, String, String) {
    let out: Output = gateway()
        .args(["audit", "verify"])
        .args(args)
        .arg(path)
        // `--config` needs the personal-data keys even though verify reads none.
        .env("GATEWAY_CRYPTO__PERSONNUMMER_KEY", "12".repeat(32))
        .env("GATEWAY_CRYPTO__LOOKUP_KEY", "34".repeat(32))
        .output()
        .expect("run gateway audit verify");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf8"),
        String::from_utf8(out.stderr).expect("utf8"),
    )
}

/// Five reads by a coach, recorded the way the gateway does.
async fn record_reads(db: &DatabaseConnection) {
    let log = AuditLog::new();
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

#[tokio::test]
async fn verify_on_a_demo_directory() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = gateway::demo::demo_config(dir.path(), "127.0.0.1:0".parse().expect("addr"))
        .expect("demo config");
    let db = gateway::db::connect(&config.database)
        .await
        .expect("connect");
    gateway::db::migrate(&db).await.expect("migrate");

    // An empty log is intact.
    let (code, stdout, _) = verify(&["--data-dir"], dir.path());
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(
        stdout.trim(),
        format!("audit log intact: 0 events, head {}", "0".repeat(64))
    );

    record_reads(&db).await;
    let head = head_hash(&db).await;
    let (code, stdout, stderr) = verify(&["--data-dir"], dir.path());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        stdout.trim(),
        format!("audit log intact: 5 events, head {head}")
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
            record_reads(&db).await;
            let head = head_hash(&db).await;
            let (code, stdout, stderr) = verify(&["--config"], &config_file);
            assert_eq!(code, 0, "{stdout}{stderr}");
            assert_eq!(
                stdout.trim(),
                format!("audit log intact: 5 events, head {head}")
            );
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
