//! `agency-simulator`: a stand-in for Arbetsförmedlingen's or
//! Försäkringskassan's records API (the contract in `deploy/openapi/`), for
//! development, demos and docker-compose.
//!
//! **A test tool, not a service**: plain HTTP (no TLS), one OAuth client,
//! tokens in memory, and admin endpoints that anyone who reaches the port
//! may call:
//!
//! - `PUT /admin/mode` with `{"mode":"slow","delay_ms":2000}`,
//!   `{"mode":"fail","status":503}`, `{"mode":"huge","bytes":10485760}`,
//!   `{"mode":"garbage"}`, `{"mode":"malformed"}`, `{"mode":"drop"}` or
//!   `{"mode":"normal"}`; `GET /admin/mode`;
//! - `GET /admin/stats`: lookups, token requests, 401s, the last traceparent;
//! - `POST /admin/reload`: reads `--data` again.
//!
//! ```sh
//! SIMULATOR_CLIENT_SECRET=dev-only cargo run -p tests --bin agency-simulator -- \
//!     --agency employment-service --listen 127.0.0.1:8091 \
//!     --client-id gateway --data records.json
//! ```
//!
//! The client secret comes from `--client-secret-file` or the environment
//! variable `SIMULATOR_CLIENT_SECRET`; there is no default. Logs carry counts
//! and outcomes, never a personnummer, a token or the secret.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use tests::simulator::{contract, Mode, SimAgency, Simulator, SimulatorConfig};

#[derive(Parser, Debug)]
#[command(
    name = "agency-simulator",
    about = "Simulates an agency's records API (test tool: no TLS, open admin endpoints)"
)]
struct Args {
    /// employment-service (AF) or social-insurance (FK).
    #[arg(long)]
    agency: SimAgency,
    /// Address to listen on [default: 127.0.0.1:8091 for AF, 127.0.0.1:8092 for FK].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// The one OAuth client's id.
    #[arg(long)]
    client_id: String,
    /// A file holding the client's secret (else $SIMULATOR_CLIENT_SECRET).
    #[arg(long)]
    client_secret_file: Option<PathBuf>,
    /// The records, `{"records": [...]}` in the contract's shape.
    #[arg(long)]
    data: PathBuf,
    /// Wait up to this many seconds for `--data` to appear and be valid.
    #[arg(long, default_value_t = 0)]
    wait_for_data_secs: u64,
    #[arg(long, default_value_t = 3600)]
    token_lifetime_secs: u64,
    /// normal, slow:MS, fail:STATUS, garbage, malformed, huge:BYTES or drop.
    #[arg(long, default_value = "normal")]
    mode: Mode,
}

fn client_secret(file: Option<&Path>) -> anyhow::Result<String> {
    let secret = match file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the client secret file {}", path.display()))?
            .trim_end_matches(['\r', '\n'])
            .to_string(),
        None => std::env::var("SIMULATOR_CLIENT_SECRET").map_err(|_| {
            anyhow::anyhow!("give --client-secret-file or set SIMULATOR_CLIENT_SECRET")
        })?,
    };
    if secret.is_empty() {
        bail!("the client secret is empty");
    }
    Ok(secret)
}

/// Reads the data file, retrying until `wait` has passed (docker-compose
/// starts the simulators before the gateway has written their data).
async fn read_data(
    agency: SimAgency,
    path: &Path,
    wait: Duration,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let deadline = Instant::now() + wait;
    let mut last_said = Instant::now();
    loop {
        match contract::read_data_file(agency, path) {
            Ok(records) => return Ok(records),
            Err(e) if Instant::now() >= deadline => bail!("{e}"),
            Err(e) => {
                if last_said.elapsed() >= Duration::from_secs(10) {
                    tracing::info!(error = %e, "waiting for the data file");
                    last_said = Instant::now();
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    let listen = args.listen.unwrap_or_else(|| match args.agency {
        SimAgency::EmploymentService => SocketAddr::from(([127, 0, 0, 1], 8091)),
        SimAgency::SocialInsurance => SocketAddr::from(([127, 0, 0, 1], 8092)),
    });
    let config = SimulatorConfig {
        agency: args.agency,
        client_id: args.client_id.clone(),
        client_secret: client_secret(args.client_secret_file.as_deref())?,
        token_lifetime: Duration::from_secs(args.token_lifetime_secs),
    };
    let records = read_data(
        args.agency,
        &args.data,
        Duration::from_secs(args.wait_for_data_secs),
    )
    .await?;
    let count = records.len();
    let sim = Simulator::start_with_admin(config, listen, Some(args.data.clone()))
        .await
        .with_context(|| format!("listening on {listen}"))?;
    sim.load(records);
    if args.mode != Mode::Normal {
        sim.set_mode(args.mode.clone());
    }
    tracing::info!(
        agency = %args.agency,
        url = %sim.url(),
        lookup = args.agency.lookup_path(),
        records = count,
        mode = %args.mode,
        "agency simulator ready (test tool: no TLS, open /admin endpoints)"
    );
    shutdown_signal().await;
    tracing::info!("shutting down");
    drop(sim);
    Ok(())
}
