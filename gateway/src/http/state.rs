//! The shared state every request handler gets, built once from config and
//! ready connections: the GraphQL layer's services and schema, and what
//! only the edge needs (authentication, persisted queries, the dashboard
//! response cache, browser sign-in).

use std::collections::HashMap;
use std::sync::Arc;

use pii::crypto::PiiKeys;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use super::dashboard_cache::DashboardCache;
use super::login::BrowserLogin;
use super::persisted::PersistedQueries;
use crate::audit::AuditLog;
use crate::auth::dev_issuer::DevIssuer;
use crate::auth::introspection::Introspector;
use crate::auth::jwks::{KeySet, RemoteKeys};
use crate::auth::session::SessionStore;
use crate::auth::{AgencyKeys, AgencyVerifier, Authenticator, TokenValidator};
use crate::cache::budget::Budget;
use crate::cache::versions::Versions;
use crate::cache::Cache;
use crate::config::Config;
use crate::graphql::{self, GatewaySchema, Services};
use crate::observability::metrics::Metrics;
use crate::policy::PolicyStore;
use crate::sources::db::agency::sync_agencies;
use crate::sources::db::staff::StaffTable;
use crate::sources::http::client_credentials::ClientCredentials;
use crate::sources::upstream::Upstreams;
use crate::vocabulary::clock::Clock;

#[derive(Clone)]
pub struct AppState {
    /// What the GraphQL layer shares across requests.
    pub services: Arc<Services>,
    pub schema: GatewaySchema,
    /// Who is calling: tokens and session cookies.
    pub auth: Arc<Authenticator>,
    /// Redis or the in-process cache (`/readyz` pings it).
    pub cache: Arc<dyn Cache>,
    /// Automatic persisted queries and the safelist.
    pub persisted: Arc<PersistedQueries>,
    /// Dashboard answers per visibility scope.
    pub dashboard_cache: Arc<DashboardCache>,
    pub dev_issuer: Option<Arc<DevIssuer>>,
    pub graphiql: bool,
    /// Browser sign-in and its sessions (`/auth/...`).
    pub browser: Arc<BrowserLogin>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("crypto: {0}")]
    Crypto(#[from] pii::crypto::CryptoError),
    #[error("agencies.{agency}: {message}")]
    Agency { agency: String, message: String },
    #[error("{0}")]
    Policy(#[from] crate::policy::PolicyError),
    #[error("persisted_queries.safelist_file: {0}")]
    Safelist(#[from] crate::http::persisted::ManifestError),
}

/// Where the verification keys of each agency come from.
pub enum KeySource {
    /// The demo's development issuer (also used by tests).
    Dev(Arc<DevIssuer>),
    /// Each agency's configured JWKS URL.
    Jwks,
    /// Both: an agency's JWKS URL when it has one, else the development
    /// issuer (tests that mix dev agencies with a real provider's).
    DevAndJwks(Arc<DevIssuer>),
}

/// Builds the shared state from config and ready connections.
pub async fn build_state(
    config: &Config,
    db: DatabaseConnection,
    cache: Arc<dyn Cache>,
    keys: KeySource,
) -> Result<AppState, BuildError> {
    let (enc, lookup) = config.crypto.secrets()?;
    let pii = PiiKeys::from_encoded(enc.expose_secret(), lookup.expose_secret())?;
    let agencies = sync_agencies(&db, &config.agencies).await?;
    let verifiers = verifiers(config, &keys).await?;
    let validator = TokenValidator::new(verifiers).with_introspectors(introspectors(config)?);
    // Sessions live in the shared cache (Redis in production), so any replica can serve them.
    let sessions = SessionStore::new(cache.clone(), config.sessions.clone());
    let clients = clients(config)?;
    let metrics = Arc::new(Metrics::new());
    // Every statement from here on is counted and traced.
    let mut db = db;
    crate::db::observe(&mut db, metrics.clone());
    let upstreams = Upstreams::from_config(&config.agencies, &agencies, &clients, &metrics)
        .map_err(|(agency, message)| BuildError::Agency { agency, message })?;
    let auth = Authenticator::new(validator, agencies, Box::new(StaffTable(db.clone())))
        .with_sessions(sessions.clone());
    let browser = BrowserLogin::new(config, sessions, &lookup).map_err(|e| BuildError::Agency {
        agency: e.agency,
        message: format!("login: {}", e.message),
    })?;
    let browser = Arc::new(browser);
    let policy = Arc::new(PolicyStore::load(
        config.policy.file.as_deref(),
        graphql::shape(),
    )?);
    policy.spawn_reloader(config.policy.reload_interval_secs);
    let versions = Versions::new(cache.clone(), config.cache.timeout_ms);
    let dashboard_cache = Arc::new(DashboardCache::new(
        cache.clone(),
        versions.clone(),
        config.dashboard.cache_ttl_secs,
        config.cache.timeout_ms,
        metrics.clone(),
    ));
    let persisted = Arc::new(PersistedQueries::new(
        &config.persisted_queries,
        cache.clone(),
        config.cache.timeout_ms,
    )?);
    let services = Arc::new(Services {
        db,
        pii,
        limits: config.limits.clone(),
        policy,
        audit: AuditLog::from_config(&config.audit, Some(metrics.clone()))?,
        clock: Clock::default(),
        dashboards: config.dashboard.clone(),
        versions,
        resolver_span_threshold: config.telemetry.resolver_span_threshold_ms,
        metrics,
        upstreams,
        cost_budget: Budget::new(
            cache.clone(),
            "cost",
            config.limits.cost_per_minute,
            std::time::Duration::from_secs(60),
            config.cache.timeout_ms,
        ),
    });
    let dev_issuer = match keys {
        KeySource::Dev(issuer) | KeySource::DevAndJwks(issuer) => Some(issuer),
        KeySource::Jwks => None,
    };
    Ok(AppState {
        schema: graphql::build(services.clone()),
        services,
        auth: Arc::new(auth),
        cache,
        persisted,
        dashboard_cache,
        dev_issuer,
        graphiql: config.server.graphiql,
        browser,
    })
}

/// The agencies that issue opaque tokens, in config order (by agency code).
fn introspectors(config: &Config) -> Result<Vec<Arc<Introspector>>, BuildError> {
    let mut out = Vec::new();
    for (code, agency) in &config.agencies {
        if let Some(introspector) = Introspector::from_config(code, agency)? {
            out.push(Arc::new(introspector));
        }
    }
    Ok(out)
}

/// The gateway's client of each agency that has a `client` section.
fn clients(config: &Config) -> Result<HashMap<String, Arc<ClientCredentials>>, BuildError> {
    let mut out = HashMap::new();
    for (code, agency) in &config.agencies {
        if let Some(client) = &agency.client {
            let client = ClientCredentials::from_config(code, client)?;
            out.insert(code.clone(), Arc::new(client));
        }
    }
    Ok(out)
}

async fn verifiers(config: &Config, keys: &KeySource) -> Result<Vec<AgencyVerifier>, BuildError> {
    let mut out = Vec::new();
    for (code, agency) in &config.agencies {
        let err = |message: String| BuildError::Agency {
            agency: code.clone(),
            message,
        };
        // An agency that issues only opaque tokens has no keys to fetch:
        // introspection alone vouches for its tokens.
        let publishes_keys = agency.jwks_url.is_some() || agency.discovery_url.is_some();
        if matches!(keys, KeySource::Jwks) && !publishes_keys && agency.introspection.is_some() {
            continue;
        }
        let keys = match (keys, publishes_keys) {
            (KeySource::Dev(issuer), _) | (KeySource::DevAndJwks(issuer), false) => {
                let jwks = issuer.jwks(code).map_err(|e| err(e.to_string()))?;
                AgencyKeys::Static(KeySet::from_jwks(&jwks).map_err(err)?)
            }
            (KeySource::Jwks | KeySource::DevAndJwks(_), _) => {
                let remote = match (&agency.jwks_url, &agency.discovery_url) {
                    (Some(url), _) => RemoteKeys::new(url.clone(), agency.jwks_settings()),
                    (None, Some(d)) => RemoteKeys::from_discovery(
                        d.clone(),
                        agency.issuer.clone(),
                        agency.jwks_settings(),
                    ),
                    (None, None) => Err(
                        "jwks_url or discovery_url: required to verify this agency's tokens".into(),
                    ),
                };
                let remote = Arc::new(remote.map_err(err)?);
                // An agency whose provider is down at start does not stop the
                // others: its tokens are refused until its keys can be fetched.
                if let Err(e) = remote.refresh_now().await {
                    tracing::warn!(agency = %code, error = %e, "cannot fetch the agency's keys yet");
                }
                remote.spawn_refresher();
                AgencyKeys::Remote(remote)
            }
        };
        out.push(AgencyVerifier {
            agency: code.clone(),
            issuer: agency.issuer.clone(),
            audience: agency.audience.clone(),
            algorithms: agency
                .algorithms
                .iter()
                .filter_map(|a| crate::auth::validator::parse_algorithm(a))
                .collect(),
            leeway_secs: agency.leeway_secs.as_secs(),
            keys,
            claims: agency.claims.clone(),
        });
    }
    Ok(out)
}
