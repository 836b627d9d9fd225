//! The test harness: a real gateway router on a loopback port, over real
//! PostgreSQL (`TEST_DATABASE_URL`, one database per test, cloned from a
//! template migrated once: [`pg`]) and real Redis
//! (`TEST_REDIS_URL`, one key prefix per test), or SQLite and the in-process
//! cache when those variables are absent. Tokens are real, signed by the
//! development issuer that the test's gateway trusts.

// Tests and benchmarks allocate as the `gateway` binary does (mimalloc), so
// their timings are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod bench;
pub mod client_auth;
pub mod federation;
pub mod flaky_cache;
pub mod login_provider;
pub mod pg;
pub mod provider;
pub mod proxy;
pub mod simulator;
pub mod token_server;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use flaky_cache::{FlakyCache, FlakyMode};

use gateway::auth::dev_issuer::DevIssuer;
use gateway::cache::{memory::MemoryCache, redis::RedisCache, Cache};
use gateway::config::{
    CacheConfig, Config, CryptoConfig, DatabaseConfig, LimitsConfig, ServerConfig, TelemetryConfig,
};
use gateway::http::{self as app, KeySource};
use pii::crypto::PiiKeys;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{json, Value};

/// Which backends this run uses, from the environment.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

pub fn redis_url() -> Option<String> {
    std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// What the test's database lives in; dropping it removes the database.
enum Backend {
    Postgres { _database: pg::TestDatabase },
    Sqlite { _dir: tempfile::TempDir },
}

pub struct TestApp {
    pub addr: SocketAddr,
    /// The running gateway's state (benchmarks serve a variant of it).
    pub state: app::AppState,
    /// The running gateway's services (its clock, policy and audit log).
    pub services: Arc<gateway::graphql::Services>,
    pub db: DatabaseConnection,
    pub issuer: Arc<DevIssuer>,
    pub keys: PiiKeys,
    pub config: Config,
    /// The gateway's statement count at the last [`TestApp::reset_statements`].
    statements_before: AtomicU64,
    http: reqwest::Client,
    _backend: Backend,
    _issuer_dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
pub struct TestAppBuilder {
    limits: Option<LimitsConfig>,
    agencies: Vec<(String, gateway::config::AgencyConfig)>,
    configure: Vec<ConfigHook>,
    cache: Option<Arc<dyn Cache>>,
}

/// A change to the test's config once the gateway's address is known.
type ConfigHook = Box<dyn FnOnce(&mut Config) + Send>;

impl TestAppBuilder {
    pub fn limits(mut self, limits: LimitsConfig) -> Self {
        self.limits = Some(limits);
        self
    }

    /// Adds (or replaces a demo agency with) an agency from config. With a
    /// `jwks_url` its tokens are verified with the keys fetched from there,
    /// as in production; without one, with the development issuer's.
    pub fn agency(mut self, code: &str, agency: gateway::config::AgencyConfig) -> Self {
        self.agencies.push((code.to_string(), agency));
        self
    }

    /// Serves from this cache instead of the run's Redis or memory cache
    /// (tests of a cache that goes away).
    pub fn cache(mut self, cache: Arc<dyn Cache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Changes the config after it is built (the gateway's address is in
    /// `config.server.listen` by then: browser sign-in's `redirect_url`
    /// needs it), before it is validated.
    pub fn configure(mut self, f: impl FnOnce(&mut Config) + Send + 'static) -> Self {
        self.configure.push(Box::new(f));
        self
    }

    pub async fn start(self) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("bound address");
        let issuer_dir = tempfile::tempdir().expect("temp dir");
        let base = format!("http://{addr}");
        let issuer = Arc::new(
            DevIssuer::load_or_create(issuer_dir.path(), &base, &gateway::demo::agency_codes())
                .expect("development issuer"),
        );
        let keys = PiiKeys::generate();
        let (enc, lookup) = keys.encode();

        let (database, backend) = match postgres_url() {
            Some(admin_url) => {
                // Cloned from the migrated template: no migration here.
                let database = pg::TestDatabase::create(&admin_url).await;
                (
                    DatabaseConfig {
                        url: database.url.clone(),
                        max_connections: 5,
                        migrate_on_start: false,
                        schema: None,
                    },
                    Backend::Postgres {
                        _database: database,
                    },
                )
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                (
                    DatabaseConfig {
                        url: format!(
                            "sqlite://{}?mode=rwc",
                            dir.path().join("test.sqlite").display()
                        ),
                        max_connections: 4,
                        migrate_on_start: true,
                        schema: None,
                    },
                    Backend::Sqlite { _dir: dir },
                )
            }
        };
        let mut config = Config {
            server: ServerConfig {
                listen: addr,
                ..ServerConfig::default()
            },
            database,
            cache: CacheConfig::default(),
            crypto: CryptoConfig {
                personnummer_key: Some(enc.into()),
                lookup_key: Some(lookup.into()),
                ..CryptoConfig::default()
            },
            telemetry: TelemetryConfig::default(),
            limits: self.limits.unwrap_or_default(),
            agencies: {
                let mut agencies = gateway::demo::demo_agencies(&base);
                agencies.extend(self.agencies);
                agencies
            },
            sessions: gateway::config::SessionConfig {
                secure_cookie: false,
                ..Default::default()
            },
            // The shipped policy (`deploy/policy.toml`) unless a test configures another.
            policy: Default::default(),
            dashboard: Default::default(),
            persisted_queries: Default::default(),
            audit: gateway::config::AuditConfig {
                chain_key: Some(
                    gateway::audit::ChainKey::generate()
                        .encode()
                        .as_str()
                        .into(),
                ),
                ..Default::default()
            },
        };
        for f in self.configure {
            f(&mut config);
        }
        config.validate().expect("test config is valid");

        let db = gateway::db::connect(&config.database)
            .await
            .expect("connect");
        if config.database.migrate_on_start {
            gateway::db::migrate(&db).await.expect("migrate");
        }
        if std::env::var("TEST_PRINT_SQL").is_ok() {
            // Statement text only (parameters are not printed).
            gateway::db::print_statements(|sql| eprintln!("SQL: {sql}"));
        }
        let cache: Arc<dyn Cache> = match (self.cache, redis_url()) {
            (Some(cache), _) => cache,
            (None, Some(url)) => Arc::new(
                RedisCache::connect(&url, &format!("test:{}:", uuid::Uuid::new_v4().simple()))
                    .await
                    .expect("TEST_REDIS_URL must be reachable"),
            ),
            (None, None) => Arc::new(MemoryCache::default()),
        };
        let state = app::build_state(
            &config,
            db.clone(),
            cache,
            KeySource::DevAndJwks(issuer.clone()),
        )
        .await
        .expect("build state");
        let services = state.services.clone();
        let router = app::router(state.clone(), &config);
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        TestApp {
            addr,
            state,
            services,
            db,
            issuer,
            keys,
            config,
            statements_before: AtomicU64::new(0),
            http: reqwest::Client::new(),
            _backend: backend,
            _issuer_dir: issuer_dir,
            server,
        }
    }
}

/// A GraphQL answer with its HTTP status.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
    pub fn errors(&self) -> Vec<Value> {
        self.body["errors"].as_array().cloned().unwrap_or_default()
    }
    /// The `extensions.code` of every error, in order.
    pub fn codes(&self) -> Vec<String> {
        self.errors()
            .iter()
            .map(|e| {
                e["extensions"]["code"]
                    .as_str()
                    .unwrap_or("<none>")
                    .to_string()
            })
            .collect()
    }
    /// Panics with the whole body unless there are no errors.
    pub fn ok(&self) -> &Value {
        assert!(
            self.errors().is_empty(),
            "unexpected errors: {:#}",
            self.body
        );
        self.data()
    }
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    pub async fn start() -> TestApp {
        Self::builder().start().await
    }

    /// The key the gateway's audit log is hashed with (`audit.chain_key`).
    pub fn chain_key(&self) -> gateway::audit::ChainKey {
        gateway::audit::ChainKey::from_config(&self.config.audit).expect("the test's chain key")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A token of the development issuer for (agency, role, subject).
    pub fn token(&self, agency: &str, role: &str, sub: &str) -> String {
        self.issuer
            .token(agency, sub, &[role], None, chrono::Duration::minutes(30))
            .expect("sign token")
    }

    /// A token whose `unit` claim names one of the agency's org units.
    /// A token issued to an OAuth client (`azp`), e.g. the coaches' app.
    pub fn token_for_client(&self, agency: &str, role: &str, sub: &str, client: &str) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = gateway::auth::claims::Claims {
            iss: self.issuer.issuer_for(agency),
            sub: sub.into(),
            aud: gateway::auth::claims::Audience::One(
                gateway::auth::dev_issuer::DEV_AUDIENCE.into(),
            ),
            exp: now + 1800,
            nbf: Some(now - 5),
            iat: Some(now),
            agency: Some(agency.into()),
            roles: vec![role.into()],
            unit: None,
            scope: None,
            name: None,
            azp: Some(client.into()),
        };
        self.issuer.sign(agency, &claims).expect("sign token")
    }

    /// A raw GraphQL POST body (persisted-query requests carry no `query`).
    pub async fn post(&self, token: Option<&str>, body: Value) -> Answer {
        self.post_to(self.addr, token, &body).await
    }

    async fn post_to(&self, addr: SocketAddr, token: Option<&str>, body: &Value) -> Answer {
        self.post_named(addr, token, None, body).await
    }

    /// A GraphQL request whose `Samverkan-Agency` header names `agency`
    /// (what an opaque token needs).
    pub async fn graphql_naming(
        &self,
        agency: &str,
        token: &str,
        query: &str,
        variables: Value,
    ) -> Answer {
        let body = json!({ "query": query, "variables": variables });
        self.post_named(self.addr, Some(token), Some(agency), &body)
            .await
    }

    async fn post_named(
        &self,
        addr: SocketAddr,
        token: Option<&str>,
        agency: Option<&str>,
        body: &Value,
    ) -> Answer {
        let mut req = self.http.post(format!("http://{addr}/graphql")).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(a) = agency {
            req = req.header("Samverkan-Agency", a);
        }
        let resp = req.send().await.expect("request reaches the gateway");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body: Value = resp.json().await.expect("a JSON body");
        Answer {
            status,
            body,
            headers,
        }
    }

    pub fn token_in_unit(&self, agency: &str, role: &str, sub: &str, unit: &str) -> String {
        self.issuer
            .token(
                agency,
                sub,
                &[role],
                Some(unit),
                chrono::Duration::minutes(30),
            )
            .expect("sign token")
    }

    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Answer {
        self.graphql_at(self.addr, token, query, variables).await
    }

    /// The same request to another server (a variant started beside this one).
    pub async fn graphql_at(
        &self,
        addr: SocketAddr,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Answer {
        let body = json!({ "query": query, "variables": variables });
        self.post_to(addr, token, &body).await
    }

    /// Opens a case as `token` for test person `n` named `given_name`;
    /// the case's `id` and its participant's `{ id }`.
    pub async fn open_case(&self, token: &str, n: u32, given_name: &str) -> Value {
        self.graphql(
            Some(token),
            "mutation($i: OpenCaseInput!) { openCase(input: $i) { id participant { id } } }",
            json!({"i": {"personnummer": test_pnr(n), "givenName": given_name, "familyName": "Testsson", "district": "Norr"}}),
        )
        .await
        .ok()["openCase"]
            .clone()
    }

    /// Adds an organisational unit `code` to `agency` (units decide who
    /// sees a protected identity; a token names its unit by code).
    pub async fn create_unit(&self, agency: &str, code: &str) {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        let agency = gateway::sources::db::agency::by_code(&self.db, agency)
            .await
            .expect("query")
            .expect("a demo agency");
        let now = chrono::Utc::now();
        entities::org_unit::ActiveModel {
            id: Set(uuid::Uuid::new_v4()),
            agency_id: Set(agency.id),
            parent_id: Set(None),
            code: Set(code.into()),
            name: Set(format!("Enhet {code}")),
            kind: Set(entities::enums::OrgUnitKind::Unit),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
        .insert(&self.db)
        .await
        .expect("unit");
    }

    /// The audit events an auditor finds for `filter` (an
    /// `AuditEventFilterInput`): operation, decision and fields of each.
    pub async fn audit_events(&self, filter: Value) -> Vec<Value> {
        let auditor = self.token("audit", "auditor", "dpo");
        let a = self
            .graphql(
                Some(&auditor),
                "query($f: AuditEventFilterInput) { auditEvents(filter: $f) { nodes { agency subject operation decision fields } } }",
                json!({ "f": filter }),
            )
            .await;
        a.ok()["auditEvents"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Fills the database with `participants` synthetic people (deterministic
    /// for `seed` and today's date) through the real generator.
    pub async fn seed(&self, participants: usize, seed: u64) -> seed::SeedReport {
        let agencies = gateway::sources::db::agency::sync_agencies(&self.db, &self.config.agencies)
            .await
            .expect("agencies");
        seed::seed(
            &self.db,
            &self.keys,
            &agencies,
            &seed::SeedOptions {
                participants,
                seed,
                today: chrono::Local::now().date_naive(),
            },
        )
        .await
        .expect("seed")
    }

    /// SQL statements the gateway executed since the last reset (counted
    /// by the gateway's own statement callback, `gateway_db_statements`).
    pub fn statements(&self) -> usize {
        let total = self.services.metrics.db_statements_total();
        (total - self.statements_before.load(Ordering::SeqCst)) as usize
    }

    pub fn reset_statements(&self) {
        let total = self.services.metrics.db_statements_total();
        self.statements_before.store(total, Ordering::SeqCst);
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Rows in a table (for "nothing was written" checks).
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count query")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("count")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The test's database goes with `_backend`, after this.
        self.server.abort();
    }
}

/// A valid test personnummer (birth number 980..=999) for person `n`.
pub fn test_pnr(n: u32) -> String {
    let day = chrono::NaiveDate::from_ymd_opt(1980, 1, 1).expect("date")
        + chrono::Duration::days(i64::from(n / 20));
    let pnr = pii::personnummer::Personnummer::from_parts(day, 980 + (n % 20) as u16, false);
    pnr.expose_digits().to_string()
}
