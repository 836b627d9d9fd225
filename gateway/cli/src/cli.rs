//! The command line (DESIGN.md, "Modes and command line").

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

#[derive(Parser, Debug)]
#[command(name = "gateway", version, about = "Samverkan GraphQL gateway")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where data lives: a config file (PostgreSQL, production) or a demo data directory (SQLite).
#[derive(Args, Debug, Clone)]
pub struct Target {
    /// TOML config file (serve mode); `GATEWAY_*` environment variables override it.
    #[arg(long, conflicts_with = "data_dir")]
    pub config: Option<PathBuf>,
    /// The demo's data directory (SQLite and keys).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve from config: PostgreSQL, Redis, the agencies' identity providers.
    Serve {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Everything embedded: SQLite, in-process cache, development issuer, synthetic data, GraphiQL.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[arg(long, default_value = "demo-data")]
        data_dir: PathBuf,
        /// Participants to generate on first start.
        #[arg(long, default_value_t = 2000)]
        participants: usize,
        /// Read AF's records from this API (the agency simulator) instead
        /// of the database; the demo writes the simulator's data file to
        /// DATA_DIR/upstream/employment-service.json.
        #[arg(long)]
        af_source: Option<String>,
        /// Read FK's records from this API; data file
        /// DATA_DIR/upstream/social-insurance.json.
        #[arg(long)]
        fk_source: Option<String>,
        /// The client secret the simulators expect (client id
        /// `samverkan-gateway`); required with --af-source or --fk-source.
        #[arg(long, env = "SIMULATOR_CLIENT_SECRET", hide_env_values = true)]
        upstream_client_secret: Option<SecretString>,
    },
    /// Apply pending migrations (idempotent).
    Migrate(Target),
    /// Generate synthetic data (deterministic for a given --seed).
    Seed {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 1000)]
        participants: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Print a token signed by the demo's development issuer (demo only).
    DevToken {
        #[arg(long)]
        agency: String,
        #[arg(long)]
        role: Vec<String>,
        #[arg(long)]
        sub: String,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, default_value = "demo-data")]
        data_dir: PathBuf,
        /// Lifetime in minutes.
        #[arg(long, default_value_t = 480)]
        ttl_minutes: i64,
    },
    /// Load and validate the configuration; exit 0 when it is good.
    CheckConfig {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print the GraphQL schema (SDL).
    PrintSchema,
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the audit hash chain with the chain key (`audit.chain_key`) and
    /// against checkpoints: exit 0 when intact, 1 naming the first broken
    /// link, 2 when it could not be checked.
    Verify(VerifyArgs),
}

#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub target: Target,
    /// A file of checkpoints: the `audit.checkpoint_file`, or the gateway's
    /// JSON log lines (those with target `audit_checkpoint` count); may be
    /// repeated. Without it, the configured `audit.checkpoint_file` is read
    /// when it exists.
    #[arg(long = "checkpoints", value_name = "FILE")]
    pub checkpoints: Vec<PathBuf>,
}
