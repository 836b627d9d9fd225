//! A simulator of an agency's records API (Arbetsförmedlingen's or
//! Försäkringskassan's), speaking the contract in
//! `deploy/openapi/employment-service.yaml` and
//! `deploy/openapi/social-insurance.yaml`: a client-credentials token
//! endpoint, one bearer-protected batch lookup by personnummer, and
//! `/healthz`. Tests start it in-process on loopback and switch it into
//! failure modes; `agency-simulator` runs it by hand or in docker-compose.
//!
//! It logs counts and outcomes, never a personnummer or a token.

mod admin;
mod auth;
mod conn;
pub mod contract;
mod lookup;
mod mode;

pub use mode::Mode;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

use conn::{Connection, CuttableListener};

/// The most personnummer one lookup may carry.
pub use agency_api::MAX_LOOKUP;

/// Which agency's API the simulator speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimAgency {
    /// Arbetsförmedlingen.
    #[default]
    EmploymentService,
    /// Försäkringskassan.
    SocialInsurance,
}

impl SimAgency {
    /// The name used on the command line and in the data file's path.
    pub fn as_str(self) -> &'static str {
        match self {
            SimAgency::EmploymentService => "employment-service",
            SimAgency::SocialInsurance => "social-insurance",
        }
    }

    /// The lookup endpoint, relative to the base URL.
    pub fn lookup_path(self) -> &'static str {
        match self {
            SimAgency::EmploymentService => "/v1/employment-service-records/lookup",
            SimAgency::SocialInsurance => "/v1/social-insurance-records/lookup",
        }
    }
}

impl fmt::Display for SimAgency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SimAgency {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "employment-service" => Ok(SimAgency::EmploymentService),
            "social-insurance" => Ok(SimAgency::SocialInsurance),
            other => Err(format!(
                "unknown agency `{other}` (employment-service or social-insurance)"
            )),
        }
    }
}

/// The one OAuth client the simulator knows, and its tokens' lifetime.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    pub agency: SimAgency,
    pub client_id: String,
    pub client_secret: String,
    pub token_lifetime: Duration,
}

impl SimulatorConfig {
    /// Tokens live an hour.
    pub fn new(agency: SimAgency, client_id: &str, client_secret: &str) -> Self {
        SimulatorConfig {
            agency,
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            token_lifetime: Duration::from_secs(3600),
        }
    }
}

impl Default for SimulatorConfig {
    /// AF, client `gateway` with a random secret (there is no default
    /// secret), tokens living an hour.
    fn default() -> Self {
        use base64::Engine;
        let secret =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>());
        SimulatorConfig::new(SimAgency::EmploymentService, "gateway", &secret)
    }
}

/// The state the handlers share with the `Simulator` handle.
struct Shared {
    agency: SimAgency,
    client_id: String,
    client_secret: String,
    token_lifetime: Mutex<Duration>,
    /// Issued tokens and when they expire.
    tokens: Mutex<HashMap<String, Instant>>,
    mode: Mutex<Mode>,
    records: RwLock<Arc<Vec<Value>>>,
    lookups: AtomicUsize,
    token_requests: AtomicUsize,
    unauthorized: AtomicUsize,
    lookup_sizes: Mutex<Vec<usize>>,
    traceparents: Mutex<Vec<String>>,
}

/// A running simulator; dropping it stops the server.
pub struct Simulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Simulator {
    /// Starts on a free loopback port, with no records.
    pub async fn start(config: SimulatorConfig) -> Simulator {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind a loopback port")
    }

    /// Starts on `addr`, with no records.
    pub async fn start_on(config: SimulatorConfig, addr: SocketAddr) -> std::io::Result<Simulator> {
        Self::serve(config, addr, None).await
    }

    /// Starts on `addr` with the admin endpoints (`/admin/*`, unprotected:
    /// for the `agency-simulator` binary only). `data_file`, when given, is
    /// what `POST /admin/reload` reads again.
    pub async fn start_with_admin(
        config: SimulatorConfig,
        addr: SocketAddr,
        data_file: Option<PathBuf>,
    ) -> std::io::Result<Simulator> {
        Self::serve(config, addr, Some(admin::Admin { data_file })).await
    }

    async fn serve(
        config: SimulatorConfig,
        addr: SocketAddr,
        admin: Option<admin::Admin>,
    ) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            agency: config.agency,
            client_id: config.client_id,
            client_secret: config.client_secret,
            token_lifetime: Mutex::new(config.token_lifetime),
            tokens: Mutex::new(HashMap::new()),
            mode: Mutex::new(Mode::Normal),
            records: RwLock::new(Arc::new(Vec::new())),
            lookups: AtomicUsize::new(0),
            token_requests: AtomicUsize::new(0),
            unauthorized: AtomicUsize::new(0),
            lookup_sizes: Mutex::new(Vec::new()),
            traceparents: Mutex::new(Vec::new()),
        });
        let mut app = Router::new()
            .route("/oauth/token", post(auth::token))
            .route(shared.agency.lookup_path(), post(lookup::lookup))
            .route("/healthz", get(|| async { "ok" }));
        if let Some(admin) = admin {
            app = app.merge(admin::router(admin));
        }
        let app = app.with_state(shared.clone());
        let server = tokio::spawn(async move {
            let listener = CuttableListener(listener);
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<Connection>(),
            )
            .await
            .expect("the simulator's server stops only when aborted");
        });
        Ok(Simulator {
            addr,
            shared,
            server,
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL and `/oauth/token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.url())
    }

    /// The base URL and the agency's lookup path.
    pub fn lookup_url(&self) -> String {
        format!("{}{}", self.url(), self.shared.agency.lookup_path())
    }

    pub fn agency(&self) -> SimAgency {
        self.shared.agency
    }

    pub fn mode(&self) -> Mode {
        self.shared.mode.lock().expect("mode lock").clone()
    }

    pub fn set_mode(&self, mode: Mode) {
        self.shared.set_mode(mode);
    }

    /// The lifetime of the tokens issued from now on.
    pub fn set_token_lifetime(&self, d: Duration) {
        *self.shared.token_lifetime.lock().expect("lifetime lock") = d;
    }

    /// Replaces the data with `records` in the contract's JSON shape.
    ///
    /// # Panics
    /// When a record breaks the contract (the message names its index and
    /// field): the simulator serves only records its contract allows.
    pub fn load(&self, records: Vec<Value>) {
        if let Err(e) = contract::check_records(self.shared.agency, &records) {
            panic!("Simulator::load: {e} (see deploy/openapi/)");
        }
        self.shared.replace(records);
    }

    /// Lookup requests received, whatever their outcome (401s included).
    pub fn lookups(&self) -> usize {
        self.shared.lookups.load(Ordering::SeqCst)
    }

    /// The personnummer count of each lookup that passed the token and body
    /// checks, in order (whatever the mode then made of it).
    pub fn lookup_sizes(&self) -> Vec<usize> {
        self.shared.lookup_sizes.lock().expect("sizes lock").clone()
    }

    /// The `traceparent` header of each lookup that carried one, in order.
    pub fn traceparents(&self) -> Vec<String> {
        self.shared
            .traceparents
            .lock()
            .expect("traceparents lock")
            .clone()
    }

    /// Requests to `POST /oauth/token`, refused ones included.
    pub fn token_requests(&self) -> usize {
        self.shared.token_requests.load(Ordering::SeqCst)
    }

    /// Forgets every token issued so far (a restart, a key roll): the
    /// next lookup with one of them is refused with 401.
    pub fn revoke_tokens(&self) {
        self.shared.tokens.lock().expect("tokens lock").clear();
    }

    /// Lookups refused with 401.
    pub fn unauthorized(&self) -> usize {
        self.shared.unauthorized.load(Ordering::SeqCst)
    }
}

impl Shared {
    fn set_mode(&self, mode: Mode) {
        tracing::info!(agency = %self.agency, %mode, "simulator mode");
        *self.mode.lock().expect("mode lock") = mode;
    }

    fn replace(&self, records: Vec<Value>) {
        *self.records.write().expect("records lock") = Arc::new(records);
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}
