//! Measures the synthetic data generator.
//!
//! A plain binary (`harness = false`), run with
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench -p seed --bench seed`.
//! It creates a fresh schema, migrates it, adds the six demo agencies, seeds
//! `SEED_PARTICIPANTS` participants (default 100,000), prints the time and
//! the rows per table, and drops the schema again (`SEED_KEEP_SCHEMA=1`
//! keeps it for inspection). `SEED_SQLITE=1` measures the demo's SQLite path
//! in a temporary file instead. With neither it does nothing, so
//! `cargo bench` stays usable on a machine without PostgreSQL.
//! `RUST_LOG=seed=debug` shows the time per table.

use std::collections::HashMap;
use std::time::Instant;

use chrono::NaiveDate;
use entities::agency;
use entities::enums::AgencyKind;
use migration::{Migrator, MigratorTrait};
use pii::crypto::PiiKeys;
use sea_orm::{
    ActiveValue::Set, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, EntityTrait,
};
use seed::{seed, SeedOptions};
use uuid::Uuid;

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Fallible<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let participants: usize = match std::env::var("SEED_PARTICIPANTS") {
        Ok(n) => n.parse()?,
        Err(_) => 100_000,
    };
    if std::env::var_os("SEED_SQLITE").is_some() {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("seed.db").display());
        let db = Database::connect(plain(&url)).await?;
        return run(db, "SQLite", participants).await;
    }
    let Some(url) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("TEST_DATABASE_URL is not set; skipping the seed measurement");
        return Ok(());
    };
    let schema = format!("seed_bench_{}", std::process::id());
    let admin = Database::connect(plain(&url)).await?;
    admin
        .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
        .await?;
    let mut opts = plain(&url);
    opts.set_schema_search_path(schema.clone());
    let result = match Database::connect(opts).await {
        Ok(db) => run(db, "PostgreSQL", participants).await,
        Err(e) => Err(e.into()),
    };
    if std::env::var_os("SEED_KEEP_SCHEMA").is_some() {
        println!("kept schema {schema}");
    } else {
        admin
            .execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .await?;
    }
    result
}

fn plain(url: &str) -> ConnectOptions {
    let mut o = ConnectOptions::new(url.to_owned());
    o.max_connections(2).sqlx_logging(false);
    o
}

async fn run(db: DatabaseConnection, backend: &str, participants: usize) -> Fallible<()> {
    Migrator::up(&db, None).await?;
    let agencies = demo_agencies(&db).await?;
    let keys = PiiKeys::new([7; 32], [9; 32]);
    let options = SeedOptions {
        participants,
        seed: 2026,
        today: NaiveDate::from_ymd_opt(2026, 11, 22).ok_or("date")?,
    };
    let started = Instant::now();
    let report = seed(&db, &keys, &agencies, &options).await?;
    let secs = started.elapsed().as_secs_f64();
    println!("seeded {participants} participants in {secs:.2} s ({backend})");
    let total: u64 = report.counts.values().sum();
    for (table, n) in &report.counts {
        println!("  {table:<28} {n:>10}");
    }
    println!("  {:<28} {total:>10}", "total rows");
    db.close().await?;
    Ok(())
}

async fn demo_agencies(db: &DatabaseConnection) -> Fallible<HashMap<String, (Uuid, AgencyKind)>> {
    let now = chrono::Utc::now();
    let mut map = HashMap::new();
    for (i, (code, kind)) in [
        ("lund", AgencyKind::Municipality),
        ("af", AgencyKind::EmploymentService),
        ("fk", AgencyKind::SocialInsurance),
        ("region", AgencyKind::Region),
        ("finsam", AgencyKind::CoordinationAssociation),
        ("audit", AgencyKind::Oversight),
    ]
    .into_iter()
    .enumerate()
    {
        let id = Uuid::from_u128(0xa9e0 + i as u128);
        agency::Entity::insert(agency::ActiveModel {
            id: Set(id),
            code: Set(code.to_owned()),
            name: Set(code.to_uppercase()),
            kind: Set(kind),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        })
        .exec_without_returning(db)
        .await?;
        map.insert(code.to_owned(), (id, kind));
    }
    Ok(map)
}
