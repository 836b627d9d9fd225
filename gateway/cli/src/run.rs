//! What each command does. `main` only parses arguments and calls [`run`].

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::cli::{AuditCommand, Cli, Command, Target, VerifyArgs};
use gateway::auth::dev_issuer::DevIssuer;
use gateway::cache::{memory::MemoryCache, redis::RedisCache, Cache};
use gateway::config::{CacheBackend, Config};
use gateway::http::{self, KeySource};
use gateway::observability::telemetry;
use gateway::{db, demo};
use pii::crypto::PiiKeys;
use secrecy::ExposeSecret;

/// Runs one command; the exit code is its answer.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { config, listen } => serve(config.as_deref(), listen)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Demo {
            listen,
            data_dir,
            participants,
            af_source,
            fk_source,
            upstream_client_secret,
        } => {
            let upstreams = demo::Upstreams {
                employment_service: af_source,
                social_insurance: fk_source,
                client_secret: upstream_client_secret,
            };
            run_demo(&data_dir, listen, participants, upstreams)
                .await
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Migrate(target) => {
            let config = target_config(&target)?;
            let db = db::connect(&config.database).await?;
            db::migrate(&db).await?;
            eprintln!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Seed {
            target,
            participants,
            seed,
        } => {
            let config = target_config(&target)?;
            let db = db::connect(&config.database).await?;
            db::migrate(&db).await?;
            let report = seed_db(&db, &config, participants, seed).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::DevToken {
            agency,
            role,
            sub,
            unit,
            data_dir,
            ttl_minutes,
        } => {
            let issuer = DevIssuer::load(&data_dir)?;
            let roles: Vec<&str> = role.iter().map(String::as_str).collect();
            let token = issuer.token(
                &agency,
                &sub,
                &roles,
                unit.as_deref(),
                chrono::Duration::minutes(ttl_minutes.clamp(1, 24 * 60)),
            )?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckConfig { config } => {
            let config = Config::load(config.as_deref())?;
            // The policy is checked against the schema, as at start.
            let policy = gateway::policy::PolicyStore::load(
                config.policy.file.as_deref(),
                gateway::graphql::shape(),
            )?;
            println!(
                "config is valid: {} agencies, database {}, cache {:?}, policy {} ({})",
                config.agencies.len(),
                if config.database.url.starts_with("sqlite") {
                    "sqlite"
                } else {
                    "postgres"
                },
                config.cache.backend,
                policy.snapshot().version,
                config
                    .policy
                    .file
                    .as_ref()
                    .map(|f| f.display().to_string())
                    .unwrap_or_else(|| "shipped".into()),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::PrintSchema => {
            print!("{}", gateway::graphql::sdl());
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Verify(args)) => {
            // The exit code is this command's answer (0 intact, 1 broken,
            // 2 not checked), finer than `main`'s success or failure.
            Ok(ExitCode::from(audit_verify(&args).await))
        }
    }
}

/// `gateway audit verify`: prints the report, returns the exit code.
async fn audit_verify(args: &VerifyArgs) -> u8 {
    match check_audit_chain(args).await {
        Ok(report) => {
            println!("{report}");
            if report.is_intact() {
                0
            } else {
                1
            }
        }
        Err(e) => {
            eprintln!("gateway: {e:#}");
            2
        }
    }
}

async fn check_audit_chain(args: &VerifyArgs) -> anyhow::Result<gateway::audit::VerifyReport> {
    let target = &args.target;
    if let Some(dir) = &target.data_dir {
        // Checking must not create an empty demo where none was (the file
        // name is the one `demo::demo_config` uses), nor a key of its own.
        let db_file = dir.join("gateway.sqlite");
        if !db_file.exists() {
            bail!("no demo database at {}", db_file.display());
        }
        let key_file = dir.join(demo::CHAIN_KEY_FILE);
        if !key_file.exists() {
            bail!(
                "audit.chain_key: no demo chain key at {}: the log cannot be checked without the key it was hashed with",
                key_file.display()
            );
        }
    }
    let config = target_config(target)?;
    // Without the key nothing is checked: an unkeyed check proves nothing
    // against someone who can write the tables.
    let anchors = gateway::audit::Anchors::from_config(&config.audit)?
        .with_checkpoints(checkpoints(args, &config)?);
    let db = db::connect(&config.database).await?;
    let manager = migration::SchemaManager::new(&db);
    if !manager.has_table("audit_head").await? {
        bail!("the database has no audit head: run `gateway migrate` first");
    }
    let report = gateway::audit::verify(&db, &anchors).await;
    db.close().await?;
    Ok(report?)
}

/// The checkpoints to check against: the files given, else the configured
/// file if it exists yet. Says on stderr when there are none to read.
fn checkpoints(
    args: &VerifyArgs,
    config: &Config,
) -> anyhow::Result<Vec<gateway::audit::Checkpoint>> {
    use gateway::audit::checkpoint::read_file;
    let mut all = Vec::new();
    for file in &args.checkpoints {
        all.extend(read_file(file)?);
    }
    if args.checkpoints.is_empty() {
        match &config.audit.checkpoint_file {
            Some(file) if file.exists() => all.extend(read_file(file)?),
            configured => eprintln!(
                "gateway: no checkpoints{}: events deleted from the end of the log, with its head moved back, cannot be detected",
                configured
                    .as_ref()
                    .map(|f| format!(" ({} does not exist yet)", f.display()))
                    .unwrap_or_default()
            ),
        }
    }
    Ok(all)
}

/// The config a data command works on: the file, or the demo's directory.
fn target_config(target: &Target) -> anyhow::Result<Config> {
    match (&target.config, &target.data_dir) {
        (_, Some(dir)) => Ok(demo::demo_config(dir, demo_listen())?),
        (config, None) => Ok(Config::load(config.as_deref())?),
    }
}

fn demo_listen() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], 8080))
}

async fn seed_db(
    db: &sea_orm::DatabaseConnection,
    config: &Config,
    participants: usize,
    seed_number: u64,
) -> anyhow::Result<seed::SeedReport> {
    let (enc, lookup) = config.crypto.secrets()?;
    let keys = PiiKeys::from_encoded(enc.expose_secret(), lookup.expose_secret())?;
    let agencies = gateway::sources::db::agency::sync_agencies(db, &config.agencies).await?;
    let report = seed::seed(
        db,
        &keys,
        &agencies,
        &seed::SeedOptions {
            participants,
            seed: seed_number,
            today: chrono::Local::now().date_naive(),
        },
    )
    .await?;
    Ok(report)
}

async fn cache_for(config: &Config) -> anyhow::Result<Arc<dyn Cache>> {
    Ok(match config.cache.backend {
        CacheBackend::Memory => Arc::new(MemoryCache::default()),
        CacheBackend::Redis => {
            let url = config
                .cache
                .redis_url
                .as_deref()
                .context("cache.redis_url")?;
            Arc::new(RedisCache::connect(url, &config.cache.key_prefix).await?)
        }
    })
}

async fn serve(config: Option<&Path>, listen: Option<std::net::SocketAddr>) -> anyhow::Result<()> {
    let mut config = Config::load(config)?;
    if let Some(listen) = listen {
        config.server.listen = listen;
    }
    let telemetry = telemetry::init(&config.telemetry)?;
    let db = db::connect(&config.database).await?;
    if config.database.migrate_on_start {
        db::migrate(&db).await?;
    }
    let cache = cache_for(&config).await?;
    let state = http::build_state(&config, db, cache, KeySource::Jwks).await?;
    let router = http::router(state, &config);
    let listener = tokio::net::TcpListener::bind(config.server.listen).await?;
    tracing::info!(listen = %config.server.listen, "gateway serving");
    let served = http::serve(listener, router).await;
    telemetry.shutdown();
    Ok(served?)
}

async fn run_demo(
    data_dir: &Path,
    listen: std::net::SocketAddr,
    participants: usize,
    upstreams: demo::Upstreams,
) -> anyhow::Result<()> {
    let mut config = demo::demo_config(data_dir, listen)?;
    upstreams.configure(&mut config)?;
    // The demo's defaults, with GATEWAY_ overrides (docker-compose points
    // it at PostgreSQL, Redis and a collector this way).
    let config = config.with_env_overrides()?;
    let telemetry = telemetry::init(&config.telemetry)?;
    let issuer = Arc::new(DevIssuer::load_or_create(
        data_dir,
        &demo::issuer_base(listen),
        &demo::agency_codes(),
    )?);
    let db = db::connect(&config.database).await?;
    db::migrate(&db).await?;
    let existing = entities::participant::Entity::find().count(&db).await?;
    if existing == 0 {
        eprintln!("generating {participants} synthetic participants (first start)...");
        let report = seed_db(&db, &config, participants, 1).await?;
        eprintln!("done in {} ms", report.elapsed_ms);
    }
    let (enc, lookup) = config.crypto.secrets()?;
    let keys = PiiKeys::from_encoded(enc.expose_secret(), lookup.expose_secret())?;
    for (code, records, path) in
        seed::export::write_simulator_data(&db, &keys, upstreams.simulators(), data_dir).await?
    {
        eprintln!(
            "{code}: {records} records for the simulator in {}",
            path.display()
        );
    }
    let cache = cache_for(&config).await?;
    let state = http::build_state(&config, db, cache, KeySource::Dev(issuer.clone())).await?;
    let router = http::router(state, &config);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    print_banner(&issuer, listen)?;
    let served = http::serve(listener, router).await;
    telemetry.shutdown();
    Ok(served?)
}

fn print_banner(issuer: &DevIssuer, listen: std::net::SocketAddr) -> anyhow::Result<()> {
    let ttl = chrono::Duration::hours(8);
    println!();
    println!(
        "  Samverkan gateway — DEMO (synthetic data, development issuer; never for real data)"
    );
    println!();
    println!("  GraphiQL:  http://{listen}/graphql");
    println!("  Paste a token into GraphiQL's Headers tab as");
    println!("    {{\"Authorization\": \"Bearer <token>\"}}");
    println!();
    for (label, agency, role, sub, unit) in demo::DEMO_USERS {
        let token = issuer.token(agency, sub, &[role], *unit, ttl)?;
        println!("  {label}  ({agency}/{role}/{sub})");
        println!("    {token}");
        println!();
    }
    if !issuer.agencies().any(|a| a == "lund") {
        bail!("the demo issuer has no key for lund");
    }
    Ok(())
}
