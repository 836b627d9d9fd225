//! The axum application: shared state, router, middleware order, graceful
//! shutdown. `serve`, `demo` and the tests all build the app through
//! [`build`], so tests exercise exactly what runs in production.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::GraphQLRequest;
use axum::extract::{MatchedPath, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, OnResponse, TraceLayer};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::audit::AuditLog;
use crate::auth::browser::{self, BrowserLogin};
use crate::auth::client_credentials::ClientCredentials;
use crate::auth::dev_issuer::DevIssuer;
use crate::auth::introspection::Introspector;
use crate::auth::jwks::{KeySet, RemoteKeys};
use crate::auth::session::SessionStore;
use crate::auth::{
    AgencyKeys, AgencyVerifier, AuthError, Authenticator, CallerError, TokenValidator,
};
use crate::cache::versions::Versions;
use crate::cache::Cache;
use crate::clock::Clock;
use crate::config::{Config, DashboardConfig, LimitsConfig};
use crate::crypto::PiiKeys;
use crate::dashboard::cache::{Answer, DashboardCache, Scope};
use crate::error::ErrorCode;
use crate::metrics::Metrics;
use crate::observe::{Observed, Operation};
use crate::persisted::{PersistedError, PersistedQueries};
use crate::policy::PolicyStore;
use crate::schema::{self, GatewaySchema, RequestContext};
use crate::sources::db::agency::sync_agencies;
use crate::sources::upstream::Upstreams;

/// Everything a request may need, shared by all requests.
pub struct Services {
    pub db: DatabaseConnection,
    pub cache: Arc<dyn Cache>,
    pub auth: Authenticator,
    pub pii: PiiKeys,
    pub limits: LimitsConfig,
    /// The gateway's OAuth client per agency code, for calling that
    /// agency's API (only agencies with a `client` section).
    pub clients: HashMap<String, Arc<ClientCredentials>>,
    /// The field policy in force (reloaded on SIGHUP or file change).
    pub policy: Arc<PolicyStore>,
    /// The hash-chained access log.
    pub audit: AuditLog,
    pub clock: Clock,
    pub dashboards: DashboardConfig,
    /// Dashboard answers per visibility scope, and the version counters
    /// every write bumps.
    pub dashboard_cache: DashboardCache,
    pub versions: Versions,
    pub metrics: Arc<Metrics>,
    /// Resolvers at least this slow get a span (`telemetry.resolver_span_threshold_ms`).
    pub resolver_span_threshold: Duration,
    /// Automatic persisted queries and the safelist.
    pub persisted: PersistedQueries,
    /// The agencies whose records are read live from their own API.
    pub upstreams: Upstreams,
}

#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    pub schema: GatewaySchema,
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
    Crypto(#[from] crate::crypto::CryptoError),
    #[error("agencies.{agency}: {message}")]
    Agency { agency: String, message: String },
    #[error("{0}")]
    Policy(#[from] crate::policy::PolicyError),
    #[error("persisted_queries.safelist_file: {0}")]
    Safelist(#[from] crate::persisted::ManifestError),
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
    let pii = PiiKeys::from_encoded(&enc, &lookup)?;
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
    let auth = Authenticator::new(validator, agencies, db.clone()).with_sessions(sessions.clone());
    let browser = BrowserLogin::new(config, sessions).map_err(|e| BuildError::Agency {
        agency: e.agency,
        message: format!("login: {}", e.message),
    })?;
    let browser = Arc::new(browser);
    let policy = Arc::new(PolicyStore::load(config.policy.file.as_deref())?);
    policy.spawn_reloader(Duration::from_secs(config.policy.reload_interval_secs));
    let versions = Versions::new(
        cache.clone(),
        Duration::from_millis(config.cache.timeout_ms),
    );
    let services = Arc::new(Services {
        db,
        cache: cache.clone(),
        auth,
        pii,
        limits: config.limits.clone(),
        clients,
        policy,
        audit: AuditLog::with_metrics(metrics.clone()),
        clock: Clock::default(),
        dashboards: config.dashboard.clone(),
        dashboard_cache: DashboardCache::new(
            cache.clone(),
            versions.clone(),
            Duration::from_secs(config.dashboard.cache_ttl_secs),
            Duration::from_millis(config.cache.timeout_ms),
            metrics.clone(),
        ),
        versions,
        resolver_span_threshold: Duration::from_millis(config.telemetry.resolver_span_threshold_ms),
        metrics,
        persisted: PersistedQueries::new(&config.persisted_queries, cache.clone())?,
        upstreams,
    });
    let dev_issuer = match keys {
        KeySource::Dev(issuer) | KeySource::DevAndJwks(issuer) => Some(issuer),
        KeySource::Jwks => None,
    };
    Ok(AppState {
        schema: schema::build(services.clone()),
        services,
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
            leeway_secs: agency.leeway_secs,
            keys,
            claims: agency.claims.clone(),
        });
    }
    Ok(out)
}

/// The router with its middleware, in the order DESIGN.md gives.
pub fn router(state: AppState, config: &Config) -> Router {
    let mut app = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/auth/{agency}/login", get(browser::login))
        .route("/auth/{agency}/callback", get(browser::callback))
        .route("/auth/session", get(browser::session))
        .route("/auth/logout", axum::routing::post(browser::logout));
    if state.dev_issuer.is_some() {
        app = app
            .route(
                "/dev-issuer/{agency}/.well-known/openid-configuration",
                get(dev_discovery),
            )
            .route("/dev-issuer/{agency}/jwks.json", get(dev_jwks));
    }
    app.with_state(state)
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.server.request_timeout_secs),
        ))
        .layer(RequestBodyLimitLayer::new(config.server.body_limit_bytes))
        .layer(axum::middleware::map_response(traceparent))
        .layer(
            // Span per request with method and route only: the query string
            // may carry GraphQL variables, and those may be personal data; an
            // unrouted path is whatever the client sent. It continues the
            // client's W3C trace (`traceparent`).
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    let request_id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .map(crate::observe::request_id)
                        .unwrap_or("");
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map(MatchedPath::as_str)
                        .unwrap_or("unmatched");
                    let span = tracing::info_span!(
                        "http",
                        otel.name = %format_args!("{} {route}", req.method()),
                        otel.kind = "server",
                        method = %req.method(),
                        path = route,
                        request_id,
                        http.response.status_code = tracing::field::Empty,
                    );
                    span.set_parent(crate::telemetry::extract_trace_context(req.headers()));
                    span
                })
                .on_response(|res: &Response, latency: Duration, span: &tracing::Span| {
                    span.record("http.response.status_code", res.status().as_u16());
                    DefaultOnResponse::default().on_response(res, latency, span);
                }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

async fn healthz() -> &'static str {
    "ok"
}

/// Tells the client which trace its request became (our `http` span).
async fn traceparent(mut response: Response) -> Response {
    crate::telemetry::inject_trace_context(response.headers_mut());
    response
}

/// Prometheus text format. Aggregate counters only: no label carries a
/// person, a token or a query's text.
async fn metrics(State(state): State<AppState>) -> Response {
    if let Some((size, idle)) = crate::db::pool_usage(&state.services.db) {
        state.services.metrics.db_pool(size, idle);
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.services.metrics.render(),
    )
        .into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    let db = state.services.db.ping().await;
    let cache = state.services.cache.ping().await;
    let body = serde_json::json!({
        "database": if db.is_ok() { "ok" } else { "unreachable" },
        "cache": if cache.is_ok() { "ok" } else { "unreachable" },
        "cache_backend": state.services.cache.backend(),
    });
    let status = if db.is_ok() && cache.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

async fn dev_discovery(State(state): State<AppState>, Path(agency): Path<String>) -> Response {
    match state.dev_issuer.as_ref().map(|i| i.discovery(&agency)) {
        Some(Ok(doc)) => Json(doc).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn dev_jwks(State(state): State<AppState>, Path(agency): Path<String>) -> Response {
    match state.dev_issuer.as_ref().map(|i| i.jwks(&agency)) {
        Some(Ok(jwks)) => Json(jwks).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<GraphQLRequest, async_graphql_axum::rejection::GraphQLRejection>,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html && state.graphiql {
        return Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response();
    }
    execute(state, headers, request, Method::GET).await
}

async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<GraphQLRequest, async_graphql_axum::rejection::GraphQLRejection>,
) -> Response {
    execute(state, headers, request, Method::POST).await
}

async fn execute(
    state: AppState,
    headers: HeaderMap,
    request: Result<GraphQLRequest, async_graphql_axum::rejection::GraphQLRejection>,
    method: Method,
) -> Response {
    let started = std::time::Instant::now();
    let mut observed = Observed::default();
    let response = execute_observed(&state, headers, request, method, &mut observed).await;
    observed.record(&state.services.metrics, started.elapsed().as_secs_f64());
    response
}

/// [`execute`], noting in `observed` what the metrics count the request as.
async fn execute_observed(
    state: &AppState,
    headers: HeaderMap,
    request: Result<GraphQLRequest, async_graphql_axum::rejection::GraphQLRejection>,
    method: Method,
    observed: &mut Observed,
) -> Response {
    let mut request = match request {
        Ok(r) => r.into_inner(),
        Err(rejection) => {
            observed.outcome = "bad_input";
            return error_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadUserInput,
                &format!("request: {}", rejection.0),
            );
        }
    };
    let principal = match state
        .services
        .auth
        .authenticate_request(&method, &headers)
        .await
    {
        Ok(p) => p,
        Err(CallerError::Token(e)) => {
            observed.outcome = "unauthenticated";
            return unauthorized(&e);
        }
        Err(CallerError::Session(e)) => {
            observed.outcome = "unauthenticated";
            return browser::graphql_refusal(&e, state.browser.sessions());
        }
    };
    if let Some(p) = &principal {
        observed.agency = p.agency.clone();
        observed.named = true;
    }
    if let Err(e) = state
        .services
        .persisted
        .resolve(&mut request, principal.as_ref())
        .await
    {
        observed.outcome = crate::observe::outcome_of_code(e.code().as_str());
        return persisted_refusal(&e);
    }
    if method == Method::GET && is_mutation(&request) {
        observed.outcome = "bad_input";
        return error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::BadUserInput,
            "mutations must be sent with POST",
        );
    }
    let operation = Operation::of(&mut request);
    observed.operation = operation.name.clone();
    observed.kind = operation.kind;
    // The audit events name the W3C trace of this request; the client's
    // request id only when there is no trace (no OpenTelemetry layer).
    let trace_id = crate::telemetry::current_trace_id().or_else(|| {
        headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    // Named by the operation's (sanitized) name, never by its text.
    let span = tracing::info_span!(
        "graphql",
        otel.name = %operation.span_name(),
        graphql.operation.name = %operation.name,
        graphql.operation.type = operation.kind,
    );
    // The context takes the request's one policy snapshot: the cache key
    // names the same policy version the answer is decided by.
    let ctx = RequestContext::new(principal, state.services.clone(), trace_id);
    let Some(plan) = DashboardCache::plan(&request) else {
        let answer = run(state, ctx, request).instrument(span).await;
        observed.outcome = crate::observe::outcome_of_response(&answer.0);
        return graphql_json(answer.1, &answer.0);
    };
    let scope = Scope::of(&ctx);
    let (answer, status) = state
        .services
        .dashboard_cache
        .serve(plan, scope, || async {
            let (response, status) = run(state, ctx, request).await;
            Answer {
                cacheable: response.errors.is_empty() && status == StatusCode::OK,
                body: serde_json::to_value(&response).unwrap_or_default(),
                status,
            }
        })
        .instrument(span)
        .await;
    observed.outcome = crate::observe::outcome_of_json(&answer.body);
    let mut body = answer.body;
    if let Some(obj) = body.as_object_mut() {
        let ext = obj
            .entry("extensions")
            .or_insert_with(|| serde_json::json!({}));
        if let Some(ext) = ext.as_object_mut() {
            ext.insert("cache".into(), status.as_str().into());
        }
    }
    graphql_json(answer.status, &body)
}

/// Executes one request in `ctx`, with the error classification every
/// answer gets, and picks the HTTP status.
async fn run(
    state: &AppState,
    ctx: RequestContext,
    request: async_graphql::Request,
) -> (async_graphql::Response, StatusCode) {
    let query = request.query.clone();
    let mut response = state.schema.execute(request.data(ctx)).await;
    crate::error::classify(&mut response, &query);
    let refused_whole = response.data == async_graphql::Value::Null && !response.errors.is_empty();
    let internal = |e: &async_graphql::ServerError| {
        e.extensions.as_ref().and_then(|x| x.get("code"))
            == Some(&async_graphql::Value::from(ErrorCode::Internal.as_str()))
    };
    let status = if refused_whole && response.errors.iter().any(internal) {
        // Not the caller's fault (the audit log could not be written, say).
        StatusCode::INTERNAL_SERVER_ERROR
    } else if refused_whole && response.errors.iter().all(|e| e.path.is_empty()) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (response, status)
}

/// Apollo clients expect PERSISTED_QUERY_NOT_FOUND with HTTP 200 (they
/// then send the document); the other refusals are client errors.
fn persisted_refusal(e: &PersistedError) -> Response {
    let code = e.code();
    let status = match e {
        PersistedError::NotFound | PersistedError::NotSupported => StatusCode::OK,
        _ => code.http_status(),
    };
    let mut extensions = serde_json::json!({ "code": code.as_str() });
    if let Some(field) = e.field() {
        extensions["field"] = field.into();
    }
    graphql_json(
        status,
        &serde_json::json!({ "errors": [{ "message": e.to_string(), "extensions": extensions }] }),
    )
}

fn is_mutation(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::OperationType;
    match async_graphql::parser::parse_query(&request.query) {
        Ok(doc) => doc.operations.iter().any(|(name, op)| {
            let selected = match (&request.operation_name, name) {
                (Some(wanted), Some(name)) => wanted.as_str() == name.as_str(),
                _ => true,
            };
            selected && op.node.ty == OperationType::Mutation
        }),
        Err(_) => false,
    }
}

fn graphql_json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/graphql-response+json"),
            )],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn error_response(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    graphql_json(
        status,
        &serde_json::json!({
            "errors": [{ "message": message, "extensions": { "code": code.as_str() } }]
        }),
    )
}

/// HTTP 401 with an RFC 6750 challenge; the message says what was wrong
/// without echoing the token.
fn unauthorized(e: &AuthError) -> Response {
    let description = e.to_string().replace('"', "'");
    let mut response = error_response(
        StatusCode::UNAUTHORIZED,
        ErrorCode::Unauthenticated,
        &description,
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "Bearer realm=\"samverkan\", error=\"invalid_token\", error_description=\"{description}\""
    )) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// Resolves on SIGTERM or Ctrl-C; in-flight requests then get to finish.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

/// Serves until SIGTERM or Ctrl-C, then waits for in-flight requests.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    serve_until(listener, router, shutdown_signal()).await
}

/// Serves until `shutdown` resolves: stops accepting, lets in-flight
/// requests finish, then returns.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Agency code -> (row id, kind); used by the authenticator.
pub type AgencyIds = HashMap<String, (uuid::Uuid, entities::enums::AgencyKind)>;
