//! PostgreSQL for tests: one database per test, cloned from a template
//! database that is migrated once.
//!
//! nextest runs every test in a process of its own, so migrating per test
//! would pay for the whole migration set in every test. Instead the first
//! process to need it builds `gateway_tmpl_<fingerprint>` (under an
//! advisory lock, since many processes start at once), and every test
//! clones it with `CREATE DATABASE t_<uuid> TEMPLATE ...`.
//!
//! The fingerprint covers the migrations' names (as compiled into this
//! binary) and the text of `migration/src`, so adding a migration, or
//! editing one while it is being written, makes a new template. Templates
//! of other fingerprints are left alone: another checkout of the project
//! may be testing against the same server with them. A template refuses
//! connections (`ALLOW_CONNECTIONS false`: one connection to it would make
//! every clone fail); to drop an old one by hand, `ALTER DATABASE ...
//! IS_TEMPLATE false` first.

use std::path::Path;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::{self, postgres::PgConnection, Connection, Executor};
use tokio::sync::OnceCell;

/// Any fixed number: the key of the advisory lock that one process holds
/// while it builds the template.
const TEMPLATE_LOCK: i64 = 0x5a3e_7e3b_7a11_0001;

/// The first key of the advisory lock that a test holds on its database
/// for as long as it runs (the second comes from the database's name).
const OWNER_LOCK: i32 = 0x07e5_70db;

/// A database of its own for one test, cloned from the migrated template.
///
/// Dropping it drops the database without waiting for the drop to finish:
/// `DROP DATABASE` forces a checkpoint, which on a busy server takes from
/// a tenth of a second to more than one, longer than the migration that
/// the template saves. The statement is sent and the server carries it
/// out after the test's process has gone.
///
/// While the test runs its session (`_owner`) holds an advisory lock on
/// the database's name; a database whose lock is free belongs to no
/// running test, and the next test to start drops it ([`sweep`]): the
/// databases of tests that were killed (nextest's timeout) and never ran
/// their `Drop`, or whose drop did not get through.
pub struct TestDatabase {
    admin_url: String,
    /// Connect here (the server of `TEST_DATABASE_URL`, this database).
    pub url: String,
    pub name: String,
    _owner: PgConnection,
}

impl TestDatabase {
    /// Clones the template (building it first if no process has yet).
    pub async fn create(admin_url: &str) -> TestDatabase {
        tokio::spawn(sweep(admin_url.to_string()));
        let mut owner = connect(admin_url)
            .await
            .expect("TEST_DATABASE_URL must be reachable");
        let template = template(admin_url, &mut owner).await;
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        // Locked before it exists: no sweep ever sees it without an owner.
        sqlx::query("SELECT pg_advisory_lock($1, $2)")
            .bind(OWNER_LOCK)
            .bind(owner_key(&name))
            .execute(&mut owner)
            .await
            .expect("lock the test database's name");
        owner
            .execute(format!("CREATE DATABASE {name} TEMPLATE {template}").as_str())
            .await
            .unwrap_or_else(|e| panic!("clone {template} into {name}: {e}"));
        TestDatabase {
            admin_url: admin_url.to_string(),
            url: database_url(admin_url, &name),
            name,
            _owner: owner,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // On a thread and runtime of its own: `Drop` cannot await, and the
        // test's runtime is the one this blocks.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for dropping the test database");
            rt.block_on(async move {
                let Ok(mut db) = connect(&url).await else {
                    return;
                };
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                // The first poll sends the statement; the wait for its
                // answer is cut short, and closing the connection then does
                // not stop the server (it commits before it answers).
                let _ = tokio::time::timeout(DROP_WAIT, db.execute(sql.as_str())).await;
            });
        })
        .join();
    }
}

/// How long a test waits for its database's drop to finish.
const DROP_WAIT: Duration = Duration::from_millis(50);

/// Drops every test database whose test has ended (its owner's lock is
/// free) and that no one is dropping yet. Best effort, and not awaited: if
/// this process ends first, a `DROP` already sent still completes on the
/// server, and the rest is left for the next test.
///
/// A drop under way is left alone: a second `DROP` of it would wait behind
/// the first, holding a connection the while, and with every test starting
/// a sweep those waits add up to the server's connection limit.
async fn sweep(admin_url: String) {
    let Ok(mut db) = PgConnection::connect(&admin_url).await else {
        return;
    };
    let names: Vec<String> = sqlx::query_scalar(
        r"SELECT d.datname::text FROM pg_database d
          WHERE d.datname ~ '^t_[0-9a-f]{32}$'
            AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                            WHERE a.query ILIKE 'DROP DATABASE%'
                              AND strpos(a.query, d.datname::text) > 0)",
    )
    .fetch_all(&mut db)
    .await
    .unwrap_or_default();
    for name in names {
        let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(OWNER_LOCK)
            .bind(owner_key(&name))
            .fetch_one(&mut db)
            .await
            .unwrap_or(false);
        if !free {
            continue;
        }
        let _ = db
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await;
        let _ = sqlx::query("SELECT pg_advisory_unlock($1, $2)")
            .bind(OWNER_LOCK)
            .bind(owner_key(&name))
            .execute(&mut db)
            .await;
    }
    let _ = db.close().await;
}

/// A session on the server of `TEST_DATABASE_URL`. The server is shared
/// (by the tests running beside this one, and by other checkouts' runs):
/// when it is full for a moment, this waits for a slot (up to 10 s)
/// rather than failing the test.
async fn connect(url: &str) -> Result<PgConnection, sqlx::Error> {
    let mut attempt = 0;
    loop {
        match PgConnection::connect(url).await {
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("53300") && attempt < 40 =>
            {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => return other,
        }
    }
}

/// The second key of a test database's owner lock: the first 32 bits of
/// the UUID in its name.
fn owner_key(name: &str) -> i32 {
    name.get(2..10)
        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
        .map_or(0, |n| n as i32)
}

/// The name of the migrated template, built once per process at most (and
/// once per fingerprint on the server).
async fn template(admin_url: &str, admin: &mut PgConnection) -> String {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("gateway_tmpl_{}", &fingerprint()[..16]);
            ensure_template(admin_url, admin, &name)
                .await
                .unwrap_or_else(|e| panic!("build the template database {name}: {e}"));
            name
        })
        .await
        .clone()
}

/// What the template's contents depend on: the migrations' names in order
/// and the source text of the migration crate.
fn fingerprint() -> String {
    let mut text = String::new();
    for m in Migrator::migrations() {
        text.push_str(m.name());
        text.push('\n');
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migration/src");
    let mut files: Vec<_> = std::fs::read_dir(&src)
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    for file in files {
        if let Ok(body) = std::fs::read_to_string(&file) {
            text.push_str(&file.file_name().unwrap_or_default().to_string_lossy());
            text.push('\n');
            text.push_str(&body);
        }
    }
    gateway::http::persisted::sha256_hex(&text)
}

async fn ensure_template(
    admin_url: &str,
    admin: &mut PgConnection,
    template: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if exists(admin, template).await? {
        return Ok(());
    }
    // A session lock: released when the session ends, also if this
    // process dies half-way.
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut *admin)
        .await?;
    let built = build_template(admin_url, admin, template).await;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut *admin)
        .await?;
    built
}

/// Under the template lock: builds the template unless another process did
/// while this one waited for the lock.
async fn build_template(
    admin_url: &str,
    admin: &mut PgConnection,
    template: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if exists(admin, template).await? {
        return Ok(());
    }
    // Built under another name and renamed when complete, so a template
    // that exists is whole; a half-built one left by a process that died is
    // dropped here.
    let building = format!("{template}_building");
    for sql in [
        format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
        format!("CREATE DATABASE {building} TEMPLATE template0"),
    ] {
        admin.execute(sql.as_str()).await?;
    }
    let db = sea_orm::Database::connect(database_url(admin_url, &building)).await?;
    let migrated = gateway::db::migrate(&db).await;
    db.close().await?;
    migrated?;
    for sql in [
        format!("ALTER DATABASE {building} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"),
        format!("ALTER DATABASE {building} RENAME TO {template}"),
    ] {
        admin.execute(sql.as_str()).await?;
    }
    Ok(())
}

async fn exists(admin: &mut PgConnection, name: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(admin)
        .await?;
    Ok(found.is_some())
}

/// `admin_url` with its database replaced by `name` (user, host, port and
/// parameters kept).
fn database_url(admin_url: &str, name: &str) -> String {
    let mut url = reqwest::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::{database_url, owner_key};

    #[test]
    fn the_database_is_replaced_and_the_rest_kept() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/test", "t_1"),
            "postgres://postgres@127.0.0.1:5432/t_1"
        );
        assert_eq!(
            database_url("postgres://u:p@db/x?sslmode=disable", "t_2"),
            "postgres://u:p@db/t_2?sslmode=disable"
        );
        assert_eq!(
            database_url("postgresql://localhost", "t_3"),
            "postgresql://localhost/t_3"
        );
    }

    #[test]
    fn the_owner_key_is_the_start_of_the_uuid() {
        assert_eq!(owner_key("t_0000002a0000000000000000000000ff"), 42);
        assert_eq!(owner_key("t_ffffffff000000000000000000000000"), -1);
    }
}
