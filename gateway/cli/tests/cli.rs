//! The real binary: the demo starts, answers, and exits 0 on SIGTERM;
//! dev-token is refused outside a demo directory; check-config names keys;
//! audit verify exits 1 naming the first broken link.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn gateway() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gateway"))
}

#[test]
fn demo_serves_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("tmp");
    let port = free_port();
    let mut child = gateway()
        .args(["demo", "--participants", "40", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start gateway demo");
    let deadline = Instant::now() + Duration::from_secs(60);
    let ready = loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::Write;
            s.write_all(b"GET /readyz HTTP/1.0\r\n\r\n").expect("write");
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            break out;
        }
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("demo exited early: {status:?}");
        }
        assert!(Instant::now() < deadline, "demo did not start listening");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(ready.starts_with("HTTP/1.0 200"), "{ready}");

    // `dev-token` prints only a token, for this demo directory.
    let token = gateway()
        .args([
            "dev-token",
            "--agency",
            "lund",
            "--role",
            "coach",
            "--sub",
            "lund-coach-001",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .expect("dev-token");
    assert!(token.status.success());
    let token = String::from_utf8(token.stdout)
        .expect("utf8")
        .trim()
        .to_string();
    assert_eq!(token.split('.').count(), 3, "only the token on stdout");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "demo did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status {exit:?}");
    let mut banner = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut banner)
        .expect("read");
    assert!(
        banner.contains(&format!("http://127.0.0.1:{port}/graphql")),
        "prints the URL"
    );
    assert!(
        banner.matches("eyJ").count() >= 5,
        "prints tokens for the demo users"
    );
}

#[test]
fn dev_token_is_refused_outside_a_demo_directory() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = gateway()
        .args([
            "dev-token",
            "--agency",
            "lund",
            "--role",
            "coach",
            "--sub",
            "x",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .expect("dev-token");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("demo"));
}

#[test]
fn check_config_names_the_broken_key_and_accepts_the_example() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[database]\nurl = \"mysql://nope\"\n").expect("write");
    let out = gateway()
        .args(["check-config", "--config"])
        .arg(&path)
        .env("GATEWAY_CRYPTO__PERSONNUMMER_KEY", "12".repeat(32))
        .env("GATEWAY_CRYPTO__LOOKUP_KEY", "34".repeat(32))
        .env("GATEWAY_AUDIT__CHAIN_KEY", "56".repeat(32))
        .output()
        .expect("check-config");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("database.url"));

    // The example reads its secrets from files; point them at test files.
    let (enc, lookup) = (dir.path().join("enc"), dir.path().join("lookup"));
    std::fs::write(&enc, "12".repeat(32)).expect("write");
    std::fs::write(&lookup, "34".repeat(32)).expect("write");
    let chain = dir.path().join("chain");
    std::fs::write(&chain, "56".repeat(32)).expect("write");
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/gateway.example.toml"
    );
    let out = gateway()
        .args(["check-config", "--config", example])
        .env("GATEWAY_CRYPTO__PERSONNUMMER_KEY_FILE", &enc)
        .env("GATEWAY_CRYPTO__LOOKUP_KEY_FILE", &lookup)
        .env("GATEWAY_AUDIT__CHAIN_KEY_FILE", &chain)
        .output()
        .expect("check-config");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_config_refuses_a_policy_naming_a_field_the_schema_lacks() {
    let dir = tempfile::tempdir().expect("tmp");
    let shipped = include_str!("../../../deploy/policy.toml");
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        shipped.replace("\"FollowUp.note\"", "\"FollowUp.mood\""),
    )
    .expect("write");
    let config = dir.path().join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"sqlite://x.sqlite\"\n[crypto]\npersonnummer_key = \"{}\"\nlookup_key = \"{}\"\n[audit]\nchain_key = \"{}\"\n[policy]\nfile = \"{}\"\n",
            "12".repeat(32),
            "34".repeat(32),
            "56".repeat(32),
            policy.display()
        ),
    )
    .expect("write");
    let out = gateway()
        .args(["check-config", "--config"])
        .arg(&config)
        .output()
        .expect("check-config");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("type FollowUp has no field mood"),
        "{stderr}"
    );

    std::fs::write(&policy, shipped).expect("write");
    let out = gateway()
        .args(["check-config", "--config"])
        .arg(&config)
        .output()
        .expect("check-config");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("policy "));
}

/// `gateway audit verify` on a demo directory: exit 0 while the chain is
/// intact, 1 naming the first broken link once a row is changed.
#[test]
fn audit_verify_exits_1_naming_the_first_broken_link() {
    use gateway::audit::{AuditLog, ChainKey, Decision, NewEvent};
    use sea_orm::{ConnectionTrait, Database, Statement};
    use secrecy::ExposeSecret;

    let dir = tempfile::tempdir().expect("tmp");
    let verify = || {
        gateway()
            .args(["audit", "verify", "--data-dir"])
            .arg(dir.path())
            .output()
            .expect("audit verify")
    };
    // Nothing to check where no demo was ever made.
    assert_eq!(verify().status.code(), Some(2));
    let migrate = gateway()
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("migrate");
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let url = format!(
        "sqlite://{}?mode=rw",
        dir.path().join("gateway.sqlite").display()
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let db = Database::connect(&url).await.expect("the demo database");
        let events: Vec<NewEvent> = (0..3)
            .map(|n| NewEvent {
                at: chrono::Utc::now(),
                agency: "lund".into(),
                subject: format!("coach-{n}"),
                role: "coach".into(),
                operation: "query CasePage".into(),
                participant_ids: vec![uuid::Uuid::new_v4()],
                fields: vec!["Participant.givenName".into()],
                decision: Decision::Allowed,
                trace_id: None,
            })
            .collect();
        let key = gateway::demo::load_or_create_chain_key(dir.path()).expect("the demo's key");
        let key = ChainKey::from_encoded(key.expose_secret()).expect("a key");
        AuditLog::new(key)
            .record(&db, &events)
            .await
            .expect("append");
        db.close().await.expect("close");
    });
    let ok = verify();
    assert_eq!(ok.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact: 3 events"));

    runtime.block_on(async {
        let db = Database::connect(&url).await.expect("the demo database");
        db.execute(Statement::from_string(
            db.get_database_backend(),
            "UPDATE audit_event SET subject = 'someone-else' WHERE seq = 2".to_string(),
        ))
        .await
        .expect("tamper");
        db.close().await.expect("close");
    });
    let broken = verify();
    assert_eq!(broken.status.code(), Some(1));
    let out = String::from_utf8_lossy(&broken.stdout);
    assert!(out.contains("broken at event 2"), "{out}");
}
