//! Typed configuration: defaults <- TOML file <- `GATEWAY_`-prefixed
//! environment (`__` nests: `GATEWAY_DATABASE__URL`). Every read of the
//! environment for configuration happens here. Validated before anything
//! starts; messages name the key.
//!
//! Secrets (the personal-data keys, OAuth client secrets) are
//! [`SecretString`]s: `Debug` prints `[REDACTED]` and serde never writes
//! them out, so a config that is logged or serialized shows none. They are
//! read with `expose_secret()` only where they are used.

pub mod endpoint;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_with::{serde_as, DurationMilliSeconds, DurationSeconds};
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("config: {key}: {message}")]
    Invalid { key: String, message: String },
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    #[serde(default)]
    pub cache: CacheConfig,
    pub crypto: CryptoConfig,
    #[serde(default)]
    pub telemetry: TelemetryConfig,
    #[serde(default)]
    pub limits: LimitsConfig,
    /// The agencies whose people may sign in, keyed by agency code (`lund`, `af`, ...).
    #[serde(default)]
    pub agencies: BTreeMap<String, AgencyConfig>,
    #[serde(default)]
    pub sessions: SessionConfig,
    #[serde(default)]
    pub policy: PolicyConfig,
    #[serde(default)]
    pub dashboard: DashboardConfig,
    #[serde(default)]
    pub persisted_queries: PersistedQueriesConfig,
    #[serde(default)]
    pub audit: AuditConfig,
}

/// The audit log's anchors outside its database (README, "Audit threat
/// model"): the key its hashes are made with and the checkpoints of its head.
#[serde_as]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Secret: the HMAC key of the hash chain, 32 bytes hex or base64
    /// (`GATEWAY_AUDIT__CHAIN_KEY` or `chain_key_file`). The database must
    /// never hold it: whoever has it can rewrite the log undetected.
    #[serde(skip_serializing)]
    pub chain_key: Option<SecretString>,
    pub chain_key_file: Option<PathBuf>,
    /// Events up to this `seq` were appended before the chain was keyed and
    /// may carry unkeyed hashes; 0 (none) for a log begun keyed.
    pub unkeyed_until: i64,
    /// Checkpoints are appended to this file as well as logged (target
    /// `audit_checkpoint`); keep it where the database's administrators
    /// cannot write.
    pub checkpoint_file: Option<PathBuf>,
    /// A checkpoint once this process has appended this many events since
    /// its last one...
    pub checkpoint_every: u64,
    /// ...and at this interval while it has appended any since.
    #[serde_as(as = "DurationSeconds<u64>")]
    pub checkpoint_interval_secs: Duration,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            chain_key: None,
            chain_key_file: None,
            unkeyed_until: 0,
            checkpoint_file: None,
            checkpoint_every: 100,
            checkpoint_interval_secs: Duration::from_secs(10),
        }
    }
}

impl AuditConfig {
    /// The chain key's text (inline value or file), naming the key on failure.
    pub fn chain_key(&self) -> Result<SecretString, ConfigError> {
        if self.chain_key.is_none() && self.chain_key_file.is_none() {
            return Err(invalid(
                "audit.chain_key",
                "missing; set GATEWAY_AUDIT__CHAIN_KEY or audit.chain_key_file (32 bytes, hex or base64, kept out of the database)",
            ));
        }
        read_secret("audit.chain_key", &self.chain_key, &self.chain_key_file)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.chain_key()?;
        if self.unkeyed_until < 0 {
            return Err(invalid("audit.unkeyed_until", "must be 0 or more"));
        }
        if self.checkpoint_every == 0 {
            return Err(invalid("audit.checkpoint_every", "must be at least 1"));
        }
        if self.checkpoint_interval_secs.is_zero() {
            return Err(invalid(
                "audit.checkpoint_interval_secs",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

/// Automatic persisted queries and the safelist.
#[serde_as]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PersistedQueriesConfig {
    /// Accept automatic persisted queries (registered in the cache).
    pub apq: bool,
    /// How long a registered document is kept.
    #[serde_as(as = "DurationSeconds<u64>")]
    pub apq_ttl_secs: Duration,
    /// Largest document registered (bytes); a larger one runs but is not
    /// stored.
    pub apq_max_bytes: usize,
    /// Most documents one caller (agency and subject) registers per hour,
    /// counted across replicas; beyond it documents run but are not stored.
    pub apq_per_hour: u64,
    /// The safelist: an Apollo persisted query manifest (`deploy/safelist.json`).
    pub safelist_file: Option<PathBuf>,
    /// Callers who may run only safelisted documents: `agency` (all its
    /// callers) or `agency:client` (one OAuth client, the token's `azp`).
    pub safelist_only: Vec<String>,
}

impl Default for PersistedQueriesConfig {
    fn default() -> Self {
        Self {
            apq: true,
            apq_ttl_secs: Duration::from_secs(24 * 3600),
            apq_max_bytes: 16 * 1024,
            apq_per_hour: 100,
            safelist_file: None,
            safelist_only: Vec::new(),
        }
    }
}

/// Dashboards: suppression and caching of their answers.
#[serde_as]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DashboardConfig {
    /// Counts from 1 to this are not shown (0 turns suppression off: only
    /// for tests of the unsuppressed numbers, never in production).
    pub suppression_threshold: i64,
    /// How long a cached answer may live. Writes invalidate at once through
    /// version counters; the TTL is only a backstop.
    #[serde_as(as = "DurationSeconds<u64>")]
    pub cache_ttl_secs: Duration,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        Self {
            suppression_threshold: 4,
            cache_ttl_secs: Duration::from_secs(300),
        }
    }
}

/// Where the field policy comes from and how often it is checked for changes.
#[serde_as]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// The policy file (`deploy/policy.toml`); without it, the policy
    /// shipped in the binary (the same file) is used and cannot be reloaded.
    pub file: Option<PathBuf>,
    /// How often the file is checked for changes (0: only on SIGHUP).
    #[serde_as(as = "DurationSeconds<u64>")]
    pub reload_interval_secs: Duration,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            file: None,
            reload_interval_secs: Duration::from_secs(2),
        }
    }
}

#[serde_as]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Serve GraphiQL on `GET /graphql` to browsers.
    pub graphiql: bool,
    #[serde_as(as = "DurationSeconds<u64>")]
    pub request_timeout_secs: Duration,
    pub body_limit_bytes: usize,
    /// How long in-flight requests get to finish after SIGTERM.
    #[serde_as(as = "DurationSeconds<u64>")]
    pub shutdown_grace_secs: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            graphiql: false,
            request_timeout_secs: Duration::from_secs(30),
            body_limit_bytes: 2 * 1024 * 1024,
            shutdown_grace_secs: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `postgres://...` or `sqlite://PATH?mode=rwc`.
    pub url: String,
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    /// Run migrations when `serve` starts (otherwise `gateway migrate` does it).
    #[serde(default)]
    pub migrate_on_start: bool,
    /// PostgreSQL schema to use (search_path); tests use one per test.
    #[serde(default)]
    pub schema: Option<String>,
}

fn default_max_connections() -> u32 {
    10
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CacheBackend {
    /// In-process; for the demo and single-replica tests.
    #[default]
    Memory,
    Redis,
}

#[serde_as]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    pub backend: CacheBackend,
    pub redis_url: Option<String>,
    /// Prefix of every Redis key (several deployments or tests can share one Redis).
    pub key_prefix: String,
    /// A dashboard cache call slower than this is given up: the answer is
    /// computed instead and marked BYPASS.
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub timeout_ms: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            backend: CacheBackend::Memory,
            redis_url: None,
            key_prefix: "samverkan:".into(),
            timeout_ms: Duration::from_millis(100),
        }
    }
}

/// Keys for personal data. Secrets: give them through the environment
/// (`GATEWAY_CRYPTO__PERSONNUMMER_KEY`) or a file (`personnummer_key_file`),
/// never in a checked-in file. 32 bytes each, hex or base64.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CryptoConfig {
    #[serde(skip_serializing)]
    pub personnummer_key: Option<SecretString>,
    pub personnummer_key_file: Option<PathBuf>,
    #[serde(skip_serializing)]
    pub lookup_key: Option<SecretString>,
    pub lookup_key_file: Option<PathBuf>,
}

impl CryptoConfig {
    /// Resolves both secrets (inline value or file), naming the key on failure.
    pub fn secrets(&self) -> Result<(SecretString, SecretString), ConfigError> {
        let enc = read_secret(
            "crypto.personnummer_key",
            &self.personnummer_key,
            &self.personnummer_key_file,
        )?;
        let lookup = read_secret("crypto.lookup_key", &self.lookup_key, &self.lookup_key_file)?;
        Ok((enc, lookup))
    }
}

fn read_secret(
    key: &str,
    inline: &Option<SecretString>,
    file: &Option<PathBuf>,
) -> Result<SecretString, ConfigError> {
    match (inline, file) {
        (Some(_), Some(_)) => Err(invalid(key, "give either the value or the _file, not both")),
        (Some(v), None) => Ok(v.expose_secret().trim().into()),
        // The file's text is wiped once the trimmed secret is copied out.
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|s| Zeroizing::new(s).trim().into())
            .map_err(|e| {
                invalid(
                    format!("{key}_file"),
                    format!("cannot read {}: {e}", path.display()),
                )
            }),
        (None, None) => Err(invalid(
            key,
            "missing; set it in the environment (GATEWAY_CRYPTO__...) or point to a file",
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Json,
    Pretty,
}

#[serde_as]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    pub log_format: LogFormat,
    /// An `EnvFilter` directive; `RUST_LOG` wins when set.
    pub log_level: String,
    /// OTLP (gRPC) endpoint for traces, e.g. `http://127.0.0.1:4317`; none = no export.
    pub otlp_endpoint: Option<String>,
    pub service_name: String,
    /// While traces are exported, a resolver that takes at least this long
    /// gets a span of its own (faster ones cost two clock reads).
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub resolver_span_threshold_ms: Duration,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Json,
            log_level: "info".into(),
            otlp_endpoint: None,
            service_name: "samverkan-gateway".into(),
            resolver_span_threshold_ms: Duration::from_millis(5),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Page size when `first` is not given.
    pub default_page_size: u32,
    /// Largest `first` accepted; larger is refused with BAD_USER_INPUT (not clamped).
    pub max_page_size: u32,
    /// Most rows in one bulk upsert.
    pub max_bulk_rows: usize,
    /// Deepest selection accepted (the deepest real query, a page of cases
    /// with goals of plans, is 7 levels).
    pub max_depth: usize,
    /// Most aliased fields in one operation.
    pub max_aliases: usize,
    /// Highest estimated cost of one operation: each field 1, a page
    /// `first` times its items, a list without `first` its bound times its
    /// items, a dashboard 17,500.
    pub max_cost: usize,
    /// Deepest nesting of anything recursive in a request (selection sets
    /// with fragments written out, object and list values, list types,
    /// variables), checked before anything recursive reads it: a guard of
    /// the process's stack, well above any real query (GraphiQL's
    /// introspection query nests about 20).
    pub max_nesting: usize,
    /// Estimated cost one caller (agency and subject) may spend per minute,
    /// counted in the shared cache so all replicas draw on one budget; at
    /// least `max_cost`.
    pub cost_per_minute: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            default_page_size: 20,
            max_page_size: 100,
            max_bulk_rows: 1000,
            max_depth: 12,
            max_aliases: 30,
            // The heaviest real page (100 cases with every relation, each
            // list a case holds counted at its bound) is about 42,000.
            max_cost: 100_000,
            max_nesting: 64,
            // Ten of the costliest operations a minute, or a few hundred
            // ordinary pages.
            cost_per_minute: 1_000_000,
        }
    }
}

/// The kind of a partner agency; decides which records it owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKindConfig {
    Municipality,
    EmploymentService,
    SocialInsurance,
    Region,
    CoordinationAssociation,
    Oversight,
}

#[serde_as]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyConfig {
    pub name: String,
    pub kind: AgencyKindConfig,
    /// The `iss` of this agency's tokens; it binds a token to this agency.
    pub issuer: String,
    /// Where this agency's signing keys are published.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// Or: the provider's OpenID discovery document, which names the keys.
    #[serde(default)]
    pub discovery_url: Option<String>,
    /// Accepted `aud` values.
    pub audience: Vec<String>,
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    #[serde(default = "default_leeway")]
    #[serde_as(as = "DurationSeconds<u64>")]
    pub leeway_secs: Duration,
    /// Background refresh period of the agency's keys.
    #[serde(default = "default_jwks_refresh")]
    #[serde_as(as = "DurationSeconds<u64>")]
    pub jwks_refresh_secs: Duration,
    /// Fewest seconds between fetches triggered by unknown `kid`s.
    #[serde(default = "default_jwks_min_refresh")]
    #[serde_as(as = "DurationSeconds<u64>")]
    pub jwks_min_refresh_secs: Duration,
    /// How long the last good keys serve while the provider is down.
    #[serde(default = "default_jwks_max_stale")]
    #[serde_as(as = "DurationSeconds<u64>")]
    pub jwks_max_stale_secs: Duration,
    /// Where the subject, roles, unit and scopes are in this agency's tokens.
    #[serde(default)]
    pub claims: ClaimMapping,
    /// For agencies that issue opaque access tokens (RFC 7662).
    #[serde(default)]
    pub introspection: Option<IntrospectionConfig>,
    /// The gateway as this agency's OAuth client (client credentials), to
    /// call the agency's own API.
    #[serde(default)]
    pub client: Option<ClientCredentialsConfig>,
    /// Browser sign-in (authorization code + PKCE) for the dashboard page.
    #[serde(default)]
    pub login: Option<LoginConfig>,
    /// Where this agency's records are read from (AF and FK only):
    /// the gateway's database (default) or the agency's own API.
    #[serde(default)]
    pub source: SourceConfig,
    /// Accept plain `http://` URLs (client, source, introspection) beyond
    /// loopback: only for closed test networks such as docker-compose.
    #[serde(default)]
    pub allow_plain_http: bool,
}

/// Where an agency's records come from.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceConfig {
    /// The gateway's own tables, written by the agency through the API.
    #[default]
    Database,
    /// The agency's API (`deploy/openapi/`), called as the agency's client.
    Http(HttpSourceConfig),
}

/// The agency's API and how much of it the gateway may use.
#[serde_as]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSourceConfig {
    /// The API's base URL (the lookup path is appended).
    pub base_url: String,
    /// The whole lookup, retries and waiting for a free slot included, ends
    /// by then: a slow agency costs a request at most this much.
    #[serde(default = "default_upstream_timeout")]
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub timeout_ms: Duration,
    /// Connecting alone may take at most this long.
    #[serde(default = "default_upstream_connect_timeout")]
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub connect_timeout_ms: Duration,
    /// Bulkhead: at most this many calls to the agency at once.
    #[serde(default = "default_upstream_concurrency")]
    pub max_concurrency: usize,
    /// Retries of one lookup (it is read-only, so safe to repeat).
    #[serde(default = "default_upstream_retries")]
    pub max_retries: u32,
    /// Retries may add at most this share of calls (0.1 = 10 %) on top of a
    /// small reserve, so retries never multiply an outage.
    #[serde(default = "default_retry_budget")]
    pub retry_budget_ratio: f64,
    /// Consecutive failures that open the circuit breaker.
    #[serde(default = "default_breaker_failures")]
    pub breaker_failures: u32,
    /// How long an open breaker refuses calls before one probe is let through.
    #[serde(default = "default_breaker_open")]
    #[serde_as(as = "DurationMilliSeconds<u64>")]
    pub breaker_open_ms: Duration,
    /// Larger answers are refused unread.
    #[serde(default = "default_upstream_body")]
    pub max_body_bytes: usize,
    /// Persons per lookup (the contract allows 500).
    #[serde(default = "default_upstream_batch")]
    pub max_batch: usize,
}

fn default_upstream_timeout() -> Duration {
    Duration::from_millis(1500)
}
fn default_upstream_connect_timeout() -> Duration {
    Duration::from_millis(300)
}
fn default_upstream_concurrency() -> usize {
    32
}
fn default_upstream_retries() -> u32 {
    1
}
fn default_retry_budget() -> f64 {
    0.1
}
fn default_breaker_failures() -> u32 {
    5
}
fn default_breaker_open() -> Duration {
    Duration::from_millis(10_000)
}
fn default_upstream_body() -> usize {
    4 * 1024 * 1024
}
fn default_upstream_batch() -> usize {
    agency_api::MAX_LOOKUP
}

impl HttpSourceConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        HttpSourceConfig {
            base_url: base_url.into(),
            timeout_ms: default_upstream_timeout(),
            connect_timeout_ms: default_upstream_connect_timeout(),
            max_concurrency: default_upstream_concurrency(),
            max_retries: default_upstream_retries(),
            retry_budget_ratio: default_retry_budget(),
            breaker_failures: default_breaker_failures(),
            breaker_open_ms: default_breaker_open(),
            max_body_bytes: default_upstream_body(),
            max_batch: default_upstream_batch(),
        }
    }
}

/// A client secret: inline (from the environment) or from a file.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ClientSecret {
    #[serde(default, skip_serializing)]
    pub client_secret: Option<SecretString>,
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
}

impl ClientSecret {
    /// The secret, naming `key` (e.g. `agencies.af.client`) on failure.
    pub fn resolve(&self, key: &str) -> Result<SecretString, ConfigError> {
        read_secret(
            &format!("{key}.client_secret"),
            &self.client_secret,
            &self.client_secret_file,
        )
    }
}

#[serde_as]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntrospectionConfig {
    pub url: String,
    pub client_id: String,
    #[serde(flatten)]
    pub secret: ClientSecret,
    /// The agency's OAuth clients whose tokens may call the gateway: an
    /// active answer must name one of them as `client_id`.
    #[serde(default)]
    pub clients: Vec<String>,
    /// Longest an "active" answer is reused (never past the token's `exp`).
    #[serde(default = "default_introspection_cache")]
    #[serde_as(as = "DurationSeconds<u64>")]
    pub cache_secs: Duration,
}

fn default_introspection_cache() -> Duration {
    Duration::from_secs(60)
}

#[serde_as]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCredentialsConfig {
    pub token_url: String,
    pub client_id: String,
    #[serde(flatten)]
    pub secret: ClientSecret,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Refresh this many seconds before the token expires.
    #[serde(default = "default_refresh_margin")]
    #[serde_as(as = "DurationSeconds<u64>")]
    pub refresh_margin_secs: Duration,
}

fn default_refresh_margin() -> Duration {
    Duration::from_secs(30)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginConfig {
    pub authorization_url: String,
    pub token_url: String,
    pub client_id: String,
    #[serde(flatten)]
    pub secret: ClientSecret,
    /// Where the provider sends the browser back: `https://<gateway>/auth/<agency>/callback`.
    pub redirect_url: String,
    #[serde(default = "default_login_scopes")]
    pub scopes: Vec<String>,
}

fn default_login_scopes() -> Vec<String> {
    vec!["openid".into(), "profile".into()]
}

/// Browser sessions (cookie + server-side state in the cache).
#[serde_as]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    pub cookie_name: String,
    /// Ends after this long without a request.
    #[serde_as(as = "DurationSeconds<u64>")]
    pub idle_timeout_secs: Duration,
    /// Ends this long after sign-in, however active.
    #[serde_as(as = "DurationSeconds<u64>")]
    pub absolute_timeout_secs: Duration,
    /// `Secure` cookies (turn off only for plain-http loopback tests and the demo).
    pub secure_cookie: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            cookie_name: "samverkan_session".into(),
            idle_timeout_secs: Duration::from_secs(30 * 60),
            absolute_timeout_secs: Duration::from_secs(8 * 3600),
            secure_cookie: true,
        }
    }
}

impl AgencyConfig {
    pub fn jwks_settings(&self) -> JwksSettings {
        JwksSettings {
            refresh_interval: self.jwks_refresh_secs,
            min_refresh_interval: self.jwks_min_refresh_secs,
            max_stale: self.jwks_max_stale_secs,
            timeout: Duration::from_secs(5),
        }
    }
}

fn default_jwks_refresh() -> Duration {
    Duration::from_secs(300)
}

fn default_jwks_min_refresh() -> Duration {
    Duration::from_secs(10)
}

fn default_jwks_max_stale() -> Duration {
    Duration::from_secs(3600)
}

fn default_algorithms() -> Vec<String> {
    vec!["RS256".into(), "ES256".into(), "EdDSA".into()]
}

fn default_leeway() -> Duration {
    Duration::from_secs(30)
}

const ALLOWED_ALGORITHMS: &[&str] = &["RS256", "PS256", "ES256", "EdDSA"];

impl Config {
    /// defaults <- file (if given) <- `GATEWAY_*` environment; then validated.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(ServerDefaults::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(invalid(
                    "--config",
                    format!("{} does not exist", file.display()),
                ));
            }
            figment = figment.merge(Toml::file(file));
        }
        Self::from_figment(figment.merge(Env::prefixed("GATEWAY_").split("__")))
    }

    /// This config with the `GATEWAY_` environment laid over it (the demo
    /// builds its config in code, then takes overrides like `serve` does).
    ///
    /// The config reaches figment serialized, and serializing leaves the
    /// inline secrets out; so each is put back afterwards unless the
    /// environment set it. (A `_file` from the environment beside an inline
    /// secret from code is refused, as both from one source would be.)
    pub fn with_env_overrides(self) -> Result<Config, ConfigError> {
        let figment =
            Figment::from(Serialized::defaults(&self)).merge(Env::prefixed("GATEWAY_").split("__"));
        let mut config: Config = figment.extract().map_err(Box::new)?;
        config.keep_secrets_of(self);
        config.validate()?;
        Ok(config)
    }

    /// Takes each inline secret `old` had and this config lacks.
    fn keep_secrets_of(&mut self, mut old: Config) {
        fn keep(new: &mut Option<SecretString>, old: Option<SecretString>) {
            if new.is_none() {
                *new = old;
            }
        }
        fn keep_client(new: Option<&mut ClientSecret>, old: Option<ClientSecret>) {
            if let (Some(new), Some(old)) = (new, old) {
                keep(&mut new.client_secret, old.client_secret);
            }
        }
        keep(
            &mut self.crypto.personnummer_key,
            old.crypto.personnummer_key,
        );
        keep(&mut self.crypto.lookup_key, old.crypto.lookup_key);
        keep(&mut self.audit.chain_key, old.audit.chain_key);
        for (code, agency) in &mut self.agencies {
            let Some(was) = old.agencies.remove(code) else {
                continue;
            };
            keep_client(
                agency.introspection.as_mut().map(|i| &mut i.secret),
                was.introspection.map(|i| i.secret),
            );
            keep_client(
                agency.client.as_mut().map(|c| &mut c.secret),
                was.client.map(|c| c.secret),
            );
            keep_client(
                agency.login.as_mut().map(|l| &mut l.secret),
                was.login.map(|l| l.secret),
            );
        }
    }

    pub fn from_figment(figment: Figment) -> Result<Config, ConfigError> {
        let config: Config = figment.extract().map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what serde cannot: shapes of URLs, ranges, secrets.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = &self.database.url;
        if !(url.starts_with("postgres://")
            || url.starts_with("postgresql://")
            || url.starts_with("sqlite:"))
        {
            return Err(invalid(
                "database.url",
                "must start with postgres:// or sqlite:",
            ));
        }
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if let Some(schema) = &self.database.schema {
            if schema.is_empty()
                || !schema
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(invalid("database.schema", "letters, digits and _ only"));
            }
        }
        if self.cache.backend == CacheBackend::Redis {
            match &self.cache.redis_url {
                Some(u) if u.starts_with("redis://") || u.starts_with("rediss://") => {}
                Some(_) => {
                    return Err(invalid(
                        "cache.redis_url",
                        "must start with redis:// or rediss://",
                    ))
                }
                None => {
                    return Err(invalid(
                        "cache.redis_url",
                        "required when cache.backend = \"redis\"",
                    ))
                }
            }
        }
        let limits = &self.limits;
        if limits.default_page_size == 0 || limits.default_page_size > limits.max_page_size {
            return Err(invalid(
                "limits.default_page_size",
                "must be between 1 and limits.max_page_size",
            ));
        }
        if !(1..=10_000).contains(&limits.max_bulk_rows) {
            return Err(invalid(
                "limits.max_bulk_rows",
                "must be between 1 and 10000",
            ));
        }
        if self.sessions.idle_timeout_secs.is_zero()
            || self.sessions.idle_timeout_secs > self.sessions.absolute_timeout_secs
        {
            return Err(invalid(
                "sessions.idle_timeout_secs",
                "must be between 1 and sessions.absolute_timeout_secs",
            ));
        }
        if !(8..=256).contains(&self.limits.max_nesting) {
            return Err(invalid(
                "limits.max_nesting",
                "between 8 and 256 (it guards the process's stack)",
            ));
        }
        if self.limits.cost_per_minute < self.limits.max_cost as u64 {
            return Err(invalid(
                "limits.cost_per_minute",
                "at least limits.max_cost (one operation of the highest cost)",
            ));
        }
        if self.server.request_timeout_secs.is_zero() {
            return Err(invalid("server.request_timeout_secs", "must be at least 1"));
        }
        for (code, agency) in &self.agencies {
            let key = |k: &str| format!("agencies.{code}.{k}");
            if code.is_empty()
                || !code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                return Err(invalid(
                    format!("agencies.{code}"),
                    "agency codes are lowercase letters, digits and _",
                ));
            }
            if agency.issuer.is_empty() {
                return Err(invalid(key("issuer"), "must not be empty"));
            }
            if agency.audience.is_empty() {
                return Err(invalid(
                    key("audience"),
                    "at least one audience is required",
                ));
            }
            if agency.jwks_refresh_secs.is_zero() {
                return Err(invalid(key("jwks_refresh_secs"), "must be at least 1"));
            }
            if agency.algorithms.is_empty() {
                return Err(invalid(
                    key("algorithms"),
                    "at least one algorithm is required",
                ));
            }
            for alg in &agency.algorithms {
                if !ALLOWED_ALGORITHMS.contains(&alg.as_str()) {
                    return Err(invalid(
                        key("algorithms"),
                        format!(
                            "{alg} is not allowed (allowed: {})",
                            ALLOWED_ALGORITHMS.join(", ")
                        ),
                    ));
                }
            }
            let https_or_loopback = |u: &str| endpoint::allowed(u, agency.allow_plain_http);
            if let Some(i) = &agency.introspection {
                if !https_or_loopback(&i.url) {
                    return Err(invalid(
                        key("introspection.url"),
                        "must be https (plain http only on loopback)",
                    ));
                }
                i.secret.resolve(&key("introspection"))?;
            }
            if let Some(c) = &agency.client {
                if !https_or_loopback(&c.token_url) {
                    return Err(invalid(
                        key("client.token_url"),
                        "must be https (plain http only on loopback)",
                    ));
                }
                c.secret.resolve(&key("client"))?;
            }
            if let SourceConfig::Http(h) = &agency.source {
                if !matches!(
                    agency.kind,
                    AgencyKindConfig::EmploymentService | AgencyKindConfig::SocialInsurance
                ) {
                    return Err(invalid(
                        key("source"),
                        "only employment_service and social_insurance agencies have records to read over http",
                    ));
                }
                if !https_or_loopback(&h.base_url) {
                    return Err(invalid(
                        key("source.base_url"),
                        "must be https (plain http only on loopback or with allow_plain_http)",
                    ));
                }
                if agency.client.is_none() {
                    return Err(invalid(
                        key("client"),
                        "an http source is called with the agency's client credentials: add [agencies.<code>.client]",
                    ));
                }
                for (k, v) in [
                    ("source.timeout_ms", h.timeout_ms.as_millis() as usize),
                    (
                        "source.connect_timeout_ms",
                        h.connect_timeout_ms.as_millis() as usize,
                    ),
                    ("source.max_concurrency", h.max_concurrency),
                    ("source.breaker_failures", h.breaker_failures as usize),
                    (
                        "source.breaker_open_ms",
                        h.breaker_open_ms.as_millis() as usize,
                    ),
                    ("source.max_body_bytes", h.max_body_bytes),
                ] {
                    if v == 0 {
                        return Err(invalid(key(k), "must be at least 1"));
                    }
                }
                // Bounded above too: a deadline this far out is a typo,
                // and times are added to the clock.
                for (k, v, max) in [
                    ("source.timeout_ms", h.timeout_ms, 600_000),
                    ("source.connect_timeout_ms", h.connect_timeout_ms, 600_000),
                    ("source.breaker_open_ms", h.breaker_open_ms, 86_400_000),
                ] {
                    if v.as_millis() > max {
                        return Err(invalid(key(k), format!("at most {max}")));
                    }
                }
                if h.max_batch == 0 || h.max_batch > agency_api::MAX_LOOKUP {
                    return Err(invalid(
                        key("source.max_batch"),
                        format!(
                            "between 1 and {} (the contract's limit)",
                            agency_api::MAX_LOOKUP
                        ),
                    ));
                }
                if !(0.0..=1.0).contains(&h.retry_budget_ratio) {
                    return Err(invalid(key("source.retry_budget_ratio"), "between 0 and 1"));
                }
            }
            if let Some(l) = &agency.login {
                for (k, u) in [
                    ("login.authorization_url", &l.authorization_url),
                    ("login.token_url", &l.token_url),
                ] {
                    if !https_or_loopback(u) {
                        return Err(invalid(
                            key(k),
                            "must be https (plain http only on loopback)",
                        ));
                    }
                }
                if !l.scopes.iter().any(|s| s == "openid") {
                    return Err(invalid(
                        key("login.scopes"),
                        "must include openid (the ID token proves who signed in)",
                    ));
                }
                // The login's ID tokens are for this client: were it also an
                // accepted audience of access tokens, an ID token (which a
                // browser holds) would pass for an access token.
                if agency.audience.contains(&l.client_id) {
                    return Err(invalid(
                        key("login.client_id"),
                        "must not be one of the agency's access-token audiences",
                    ));
                }
                l.secret.resolve(&key("login"))?;
            }
            if let Some(i) = &agency.introspection {
                if i.clients.is_empty() {
                    return Err(invalid(
                        key("introspection.clients"),
                        "name the client ids whose tokens the gateway accepts",
                    ));
                }
            }
            if agency.jwks_url.is_some() && agency.discovery_url.is_some() {
                return Err(invalid(
                    key("discovery_url"),
                    "give jwks_url or discovery_url, not both",
                ));
            }
            if let Some(d) = &agency.discovery_url {
                // The discovery document names the keys: the same rule as
                // a jwks_url, whatever allow_plain_http says.
                if !endpoint::allowed(d, false) {
                    return Err(invalid(
                        key("discovery_url"),
                        "must be https (plain http only on loopback)",
                    ));
                }
            }
            if let Some(jwks) = &agency.jwks_url {
                // Keys decide whose tokens are believed: never over plain
                // http off this machine, whatever allow_plain_http says.
                if !endpoint::allowed(jwks, false) {
                    return Err(invalid(
                        key("jwks_url"),
                        "must be https (plain http only on loopback)",
                    ));
                }
            }
        }
        let issuers: std::collections::BTreeSet<_> =
            self.agencies.values().map(|a| &a.issuer).collect();
        if issuers.len() != self.agencies.len() {
            return Err(invalid(
                "agencies",
                "two agencies share an issuer; the issuer must bind exactly one agency",
            ));
        }
        self.crypto.secrets()?;
        self.audit.validate()
    }
}

/// The defaults figment starts from (the sections that have defaults).
#[derive(Serialize, Default)]
struct ServerDefaults {
    server: ServerConfig,
    cache: CacheConfig,
    telemetry: TelemetryConfig,
    limits: LimitsConfig,
    sessions: SessionConfig,
}

// Read by `auth` (token validation and key fetching), defined here so the
// config layer needs nothing above it.

/// Where in an agency's tokens the gateway finds what it needs. Paths are
/// dotted (`realm_access.roles`), because providers nest claims differently.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClaimMapping {
    pub subject: String,
    /// An array of strings, or one string separated by spaces or commas.
    pub roles: String,
    pub unit: String,
    /// OAuth scopes: a space-separated string or an array.
    pub scopes: String,
    pub name: String,
    /// The OAuth client the token was issued to (for persisted-query
    /// safelists per client).
    pub client: String,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            subject: "sub".into(),
            roles: "roles".into(),
            unit: "unit".into(),
            scopes: "scope".into(),
            name: "name".into(),
            client: "azp".into(),
        }
    }
}

/// How an agency's signing keys are fetched and kept ([`AgencyConfig::jwks_settings`]).
#[derive(Debug, Clone)]
pub struct JwksSettings {
    /// Background refresh period (well inside the provider's rotation overlap).
    pub refresh_interval: Duration,
    /// Fewest seconds between two fetches triggered by unknown kids.
    pub min_refresh_interval: Duration,
    /// How long the last good keys serve while the provider cannot be reached.
    pub max_stale: Duration,
    pub timeout: Duration,
}

impl Default for JwksSettings {
    fn default() -> Self {
        Self {
            refresh_interval: Duration::from_secs(300),
            min_refresh_interval: Duration::from_secs(10),
            max_stale: Duration::from_secs(3600),
            timeout: Duration::from_secs(5),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Figment {
        Figment::from(Serialized::defaults(ServerDefaults::default())).merge(Toml::string(
            r#"
            [database]
            url = "sqlite://x.db?mode=rwc"
            [crypto]
            personnummer_key = "0000000000000000000000000000000000000000000000000000000000000001"
            lookup_key = "0000000000000000000000000000000000000000000000000000000000000002"
            [audit]
            chain_key = "0000000000000000000000000000000000000000000000000000000000000003"
            "#,
        ))
    }

    #[test]
    fn minimal_config_loads_with_defaults() {
        let c = Config::from_figment(base()).expect("valid");
        assert_eq!(c.limits.max_page_size, 100);
        assert_eq!(c.server.listen.port(), 8080);
    }

    #[test]
    fn unknown_key_is_refused_and_named() {
        let err = Config::from_figment(base().merge(Toml::string("[server]\nlisen = \"x\"")))
            .expect_err("unknown key");
        assert!(err.to_string().contains("lisen"), "{err}");
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            ("[database]\nurl = \"mysql://x\"", "database.url"),
            ("[cache]\nbackend = \"redis\"", "cache.redis_url"),
            ("[limits]\ndefault_page_size = 500", "limits.default_page_size"),
            (
                "[agencies.af]\nname='AF'\nkind='employment_service'\nissuer='https://af'\naudience=['gw']\nalgorithms=['HS256']",
                "agencies.af.algorithms",
            ),
            (
                "[agencies.af]\nname='AF'\nkind='employment_service'\nissuer='https://af'\naudience=['gw']\nalgorithms=['none']",
                "agencies.af.algorithms",
            ),
        ];
        for (toml, key) in cases {
            let err = Config::from_figment(base().merge(Toml::string(toml))).expect_err(toml);
            assert!(err.to_string().contains(key), "{toml}: {err}");
        }
    }

    #[test]
    fn missing_secret_is_named_and_not_echoed() {
        let f = Figment::from(Serialized::defaults(ServerDefaults::default())).merge(Toml::string(
            "[database]\nurl = \"sqlite://x.db\"\n[crypto]\npersonnummer_key = \"s3cr3t\"",
        ));
        let err = Config::from_figment(f).expect_err("no lookup key");
        assert!(err.to_string().contains("crypto.lookup_key"), "{err}");
        assert!(!format!("{err} {err:?}").contains("s3cr3t"));
    }

    #[test]
    fn a_missing_chain_key_is_named_with_where_to_give_it() {
        let f = Figment::from(Serialized::defaults(ServerDefaults::default())).merge(Toml::string(
            r#"
            [database]
            url = "sqlite://x.db?mode=rwc"
            [crypto]
            personnummer_key = "0000000000000000000000000000000000000000000000000000000000000001"
            lookup_key = "0000000000000000000000000000000000000000000000000000000000000002"
            "#,
        ));
        let err = Config::from_figment(f).expect_err("no chain key");
        let message = err.to_string();
        assert!(message.contains("audit.chain_key"), "{message}");
        assert!(message.contains("GATEWAY_AUDIT__CHAIN_KEY"), "{message}");
        let err = Config::from_figment(base().merge(Toml::string(
            "[audit]
checkpoint_every = 0",
        )))
        .expect_err("no checkpoints");
        assert!(err.to_string().contains("audit.checkpoint_every"), "{err}");
    }

    const ENC_KEY: &str = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";
    const LOOKUP_KEY: &str = "10c4105ec7e710c4105ec7e710c4105ec7e710c4105ec7e710c4105ec7e710c4";
    const CHAIN_KEY: &str = "c4a1c4a1c4a1c4a1c4a1c4a1c4a1c4a1c4a1c4a1c4a1c4a1c4a1c4a1c4a1c4a1";

    /// A config with every kind of secret set inline: the PII keys and an
    /// agency's introspection, client-credentials and login secrets.
    fn with_secrets() -> Figment {
        Figment::from(Serialized::defaults(ServerDefaults::default())).merge(Toml::string(
            &format!(
                r#"
            [database]
            url = "sqlite://x.db?mode=rwc"
            [crypto]
            personnummer_key = "{ENC_KEY}"
            lookup_key = "{LOOKUP_KEY}"
            [audit]
            chain_key = "{CHAIN_KEY}"
            [agencies.af]
            name = "AF"
            kind = "employment_service"
            issuer = "https://id.af.example"
            jwks_url = "https://id.af.example/jwks"
            audience = ["gw"]
            [agencies.af.introspection]
            url = "https://id.af.example/introspect"
            client_id = "gw"
            client_secret = "introspection-s3cret"
            clients = ["staff-portal"]
            [agencies.af.client]
            token_url = "https://id.af.example/token"
            client_id = "gw"
            client_secret = "client-credentials-s3cret"
            [agencies.af.login]
            authorization_url = "https://id.af.example/authorize"
            token_url = "https://id.af.example/token"
            client_id = "gw-web"
            client_secret = "login-s3cret"
            redirect_url = "https://gw.example/auth/af/callback"
            "#
            ),
        ))
    }

    const SECRETS: [&str; 6] = [
        ENC_KEY,
        LOOKUP_KEY,
        CHAIN_KEY,
        "introspection-s3cret",
        "client-credentials-s3cret",
        "login-s3cret",
    ];

    fn secrets_of(c: &Config) -> Vec<String> {
        let (enc, lookup) = c.crypto.secrets().expect("crypto secrets");
        let af = &c.agencies["af"];
        let client = |s: &ClientSecret, key: &str| {
            s.resolve(key)
                .expect("a secret")
                .expose_secret()
                .to_string()
        };
        vec![
            enc.expose_secret().to_string(),
            lookup.expose_secret().to_string(),
            c.audit
                .chain_key()
                .expect("chain key")
                .expose_secret()
                .to_string(),
            client(
                &af.introspection.as_ref().expect("introspection").secret,
                "i",
            ),
            client(&af.client.as_ref().expect("client").secret, "c"),
            client(&af.login.as_ref().expect("login").secret, "l"),
        ]
    }

    #[test]
    fn a_login_client_that_is_an_audience_or_introspection_without_clients_is_refused() {
        // The login's ID tokens are addressed to its client id: were that an
        // access-token audience too, an ID token would pass for one.
        let f = with_secrets().merge(Toml::string(
            "[agencies.af]\naudience = [\"gw\", \"gw-web\"]",
        ));
        let err = Config::from_figment(f).expect_err("login client is an audience");
        assert!(
            err.to_string().contains("agencies.af.login.client_id"),
            "{err}"
        );
        let f = with_secrets().merge(Toml::string("[agencies.af.introspection]\nclients = []"));
        let err = Config::from_figment(f).expect_err("no clients");
        assert!(
            err.to_string()
                .contains("agencies.af.introspection.clients"),
            "{err}"
        );
    }

    #[test]
    fn secrets_load_from_toml_and_neither_debug_nor_serde_shows_them() {
        let c = Config::from_figment(with_secrets()).expect("valid");
        assert_eq!(secrets_of(&c), SECRETS);
        let debug = format!("{c:?} {c:#?}");
        let serialized = serde_json::to_string(&c).expect("a config serializes");
        for secret in SECRETS {
            assert!(!debug.contains(secret), "Debug shows {secret}");
            assert!(!serialized.contains(secret), "serde writes {secret}");
        }
        assert!(debug.contains("REDACTED"), "{debug}");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the closure's error type
    fn secrets_come_from_the_environment_or_a_file_as_before() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("lookup.key", &format!("{LOOKUP_KEY}\n"))?;
            jail.create_file("chain.key", &format!("{CHAIN_KEY}\n"))?;
            jail.set_env("GATEWAY_CRYPTO__PERSONNUMMER_KEY", ENC_KEY);
            jail.set_env("GATEWAY_CRYPTO__LOOKUP_KEY_FILE", "lookup.key");
            jail.set_env("GATEWAY_AUDIT__CHAIN_KEY_FILE", "chain.key");
            let f = Figment::from(Serialized::defaults(ServerDefaults::default()))
                .merge(Toml::string("[database]\nurl = \"sqlite://x.db\""))
                .merge(Env::prefixed("GATEWAY_").split("__"));
            let c = Config::from_figment(f).expect("valid");
            let (enc, lookup) = c.crypto.secrets().expect("secrets");
            assert_eq!(enc.expose_secret(), ENC_KEY);
            assert_eq!(
                lookup.expose_secret(),
                LOOKUP_KEY,
                "read from the file, trimmed"
            );
            let chain = c.audit.chain_key().expect("chain key");
            assert_eq!(chain.expose_secret(), CHAIN_KEY, "read from the file");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the closure's error type
    fn environment_overrides_keep_the_secrets_set_in_code() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("GATEWAY_LIMITS__MAX_PAGE_SIZE", "50");
            let c = Config::from_figment(with_secrets())
                .expect("valid")
                .with_env_overrides()
                .expect("still valid");
            assert_eq!(c.limits.max_page_size, 50);
            assert_eq!(secrets_of(&c), SECRETS);

            jail.set_env("GATEWAY_AGENCIES__AF__CLIENT__CLIENT_SECRET", "from-env");
            let c = Config::from_figment(with_secrets())
                .expect("valid")
                .with_env_overrides()
                .expect("still valid");
            assert_eq!(secrets_of(&c)[4], "from-env", "the environment wins");
            assert_eq!(secrets_of(&c)[5], "login-s3cret");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the closure's error type
    fn environment_overrides_file() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("GATEWAY_LIMITS__MAX_PAGE_SIZE", "50");
            let c = Config::from_figment(base().merge(Env::prefixed("GATEWAY_").split("__")))
                .expect("valid");
            assert_eq!(c.limits.max_page_size, 50);
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the closure's error type
    fn otlp_endpoint_and_resolver_threshold_come_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("GATEWAY_TELEMETRY__OTLP_ENDPOINT", "http://127.0.0.1:4317");
            jail.set_env("GATEWAY_TELEMETRY__RESOLVER_SPAN_THRESHOLD_MS", "20");
            let c = Config::from_figment(base().merge(Env::prefixed("GATEWAY_").split("__")))
                .expect("valid");
            assert_eq!(
                c.telemetry.otlp_endpoint.as_deref(),
                Some("http://127.0.0.1:4317")
            );
            assert_eq!(
                c.telemetry.resolver_span_threshold_ms,
                Duration::from_millis(20)
            );
            Ok(())
        });
    }
}
