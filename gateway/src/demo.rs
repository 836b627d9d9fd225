//! `gateway demo`: everything on the embedded defaults — a SQLite file and
//! keys in one data directory, the in-process cache, the development
//! issuer, seeded synthetic data and GraphiQL. No services needed.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::config::{
    AgencyConfig, AgencyKindConfig, CacheConfig, Config, CryptoConfig, DatabaseConfig,
    LimitsConfig, LogFormat, ServerConfig, TelemetryConfig,
};
use crate::crypto::PiiKeys;

/// The demo's agencies (DESIGN.md, "Demo agencies and roles").
pub const DEMO_AGENCIES: &[(&str, &str, AgencyKindConfig)] = &[
    ("lund", "Lunds kommun", AgencyKindConfig::Municipality),
    (
        "af",
        "Arbetsförmedlingen",
        AgencyKindConfig::EmploymentService,
    ),
    ("fk", "Försäkringskassan", AgencyKindConfig::SocialInsurance),
    ("region", "Region Skåne", AgencyKindConfig::Region),
    (
        "finsam",
        "Lunds samordningsförbund",
        AgencyKindConfig::CoordinationAssociation,
    ),
    ("audit", "Dataskyddsombudet", AgencyKindConfig::Oversight),
];

pub fn agency_codes() -> Vec<&'static str> {
    DEMO_AGENCIES.iter().map(|(code, _, _)| *code).collect()
}

/// Each demo agency, trusting only its own development issuer.
pub fn demo_agencies(issuer_base: &str) -> BTreeMap<String, AgencyConfig> {
    DEMO_AGENCIES
        .iter()
        .map(|(code, name, kind)| {
            (
                code.to_string(),
                AgencyConfig {
                    name: name.to_string(),
                    kind: *kind,
                    issuer: format!("{issuer_base}/dev-issuer/{code}"),
                    jwks_url: None,
                    discovery_url: None,
                    audience: vec![crate::auth::dev_issuer::DEV_AUDIENCE.to_string()],
                    algorithms: vec!["EdDSA".to_string()],
                    leeway_secs: 30,
                    jwks_refresh_secs: 300,
                    jwks_min_refresh_secs: 10,
                    jwks_max_stale_secs: 3600,
                    claims: Default::default(),
                    introspection: None,
                    client: None,
                    login: None,
                    source: Default::default(),
                    allow_plain_http: false,
                },
            )
        })
        .collect()
}

/// The demo's personal-data keys: made once per data directory, kept in
/// `keys.toml` (mode 0600) beside the database they protect.
pub fn load_or_create_keys(data_dir: &Path) -> std::io::Result<(String, String)> {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Keys {
        personnummer_key: String,
        lookup_key: String,
    }
    let path = data_dir.join("keys.toml");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let keys: Keys = toml::from_str(&text)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?;
        return Ok((keys.personnummer_key, keys.lookup_key));
    }
    let (enc, lookup) = PiiKeys::generate().encode();
    let text = toml::to_string(&Keys {
        personnummer_key: enc.clone(),
        lookup_key: lookup.clone(),
    })
    .map_err(std::io::Error::other)?;
    std::fs::write(&path, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok((enc, lookup))
}

/// The whole demo configuration for a data directory and listen address.
pub fn demo_config(data_dir: &Path, listen: SocketAddr) -> std::io::Result<Config> {
    std::fs::create_dir_all(data_dir)?;
    let (enc, lookup) = load_or_create_keys(data_dir)?;
    let db_path: PathBuf = data_dir.join("gateway.sqlite");
    // The shipped policy, copied once so it can be edited and reloaded.
    let policy_path = data_dir.join("policy.toml");
    if !policy_path.exists() {
        std::fs::write(&policy_path, crate::policy::store::SHIPPED)?;
    }
    Ok(Config {
        server: ServerConfig {
            listen,
            graphiql: true,
            ..ServerConfig::default()
        },
        database: DatabaseConfig {
            url: format!("sqlite://{}?mode=rwc", db_path.display()),
            max_connections: 4,
            migrate_on_start: true,
            schema: None,
        },
        cache: CacheConfig::default(),
        crypto: CryptoConfig {
            personnummer_key: Some(enc),
            lookup_key: Some(lookup),
            ..CryptoConfig::default()
        },
        telemetry: TelemetryConfig {
            log_format: LogFormat::Pretty,
            ..TelemetryConfig::default()
        },
        limits: LimitsConfig::default(),
        agencies: demo_agencies(&issuer_base(listen)),
        // The demo is plain http on loopback; its cookies cannot be Secure.
        sessions: crate::config::SessionConfig {
            secure_cookie: false,
            ..Default::default()
        },
        policy: crate::config::PolicyConfig {
            file: Some(policy_path),
            ..Default::default()
        },
        dashboard: Default::default(),
        persisted_queries: Default::default(),
    })
}

pub fn issuer_base(listen: SocketAddr) -> String {
    format!("http://{listen}")
}

/// The users the demo prints tokens for: (label, agency, role, subject, unit).
pub const DEMO_USERS: &[(&str, &str, &str, &str, Option<&str>)] = &[
    (
        "coach (Lunds kommun)",
        "lund",
        "coach",
        crate::seed::DEMO_COACH,
        Some("arbetsmarknad"),
    ),
    (
        "officer (Lunds kommun)",
        "lund",
        "officer",
        crate::seed::DEMO_LUND_OFFICER,
        None,
    ),
    (
        "AF officer",
        "af",
        "officer",
        crate::seed::DEMO_AF_OFFICER,
        None,
    ),
    (
        "FK officer",
        "fk",
        "officer",
        crate::seed::DEMO_FK_OFFICER,
        None,
    ),
    (
        "placement coordinator (Lunds kommun)",
        "lund",
        "placement_coordinator",
        crate::seed::DEMO_PLACEMENT_COORDINATOR,
        None,
    ),
    (
        "analyst (samordningsförbundet)",
        "finsam",
        "analyst",
        crate::seed::DEMO_ANALYST,
        None,
    ),
    (
        "auditor",
        "audit",
        "auditor",
        crate::seed::DEMO_AUDITOR,
        None,
    ),
];

/// The agency simulators the demo reads AF and FK from, when asked to.
pub struct Upstreams {
    pub employment_service: Option<String>,
    pub social_insurance: Option<String>,
    pub client_secret: Option<String>,
}

/// The gateway's client id at the simulators.
pub const UPSTREAM_CLIENT_ID: &str = "samverkan-gateway";

impl Upstreams {
    fn each(&self) -> impl Iterator<Item = (&'static str, &'static str, &String)> {
        [
            ("af", "employment-service", &self.employment_service),
            ("fk", "social-insurance", &self.social_insurance),
        ]
        .into_iter()
        .filter_map(|(code, file, url)| url.as_ref().map(|u| (code, file, u)))
    }

    /// Points `af` and `fk` at their simulators, as their OAuth client.
    pub fn configure(&self, config: &mut Config) -> anyhow::Result<()> {
        for (code, _, url) in self.each() {
            let secret = self.client_secret.clone().ok_or_else(|| {
                anyhow::anyhow!(
                    "--{code}-source needs the simulator's client secret in SIMULATOR_CLIENT_SECRET"
                )
            })?;
            let base = url.trim_end_matches('/');
            let agency = config
                .agencies
                .get_mut(code)
                .ok_or_else(|| anyhow::anyhow!("the demo has no agency {code}"))?;
            agency.client = Some(crate::config::ClientCredentialsConfig {
                token_url: format!("{base}/oauth/token"),
                client_id: UPSTREAM_CLIENT_ID.to_string(),
                secret: crate::config::ClientSecret {
                    client_secret: Some(secret),
                    client_secret_file: None,
                },
                scopes: Vec::new(),
                refresh_margin_secs: 30,
            });
            agency.source =
                crate::config::SourceConfig::Http(crate::config::HttpSourceConfig::new(base));
            // The simulators run beside the demo (docker-compose's network).
            agency.allow_plain_http = true;
        }
        Ok(())
    }

    /// Writes each simulator's data file from the demo's database:
    /// DATA_DIR/upstream/<employment-service|social-insurance>.json.
    pub async fn write_data(
        &self,
        db: &sea_orm::DatabaseConnection,
        config: &Config,
        data_dir: &Path,
    ) -> anyhow::Result<()> {
        use crate::seed::export;
        let dir = data_dir.join("upstream");
        for (code, file, _) in self.each() {
            let (enc, lookup) = config.crypto.secrets()?;
            let keys = PiiKeys::from_encoded(&enc, &lookup)?;
            let agency = crate::sources::db::agency::by_code(db, code)
                .await?
                .ok_or_else(|| anyhow::anyhow!("agency {code} is not in the database"))?;
            let records = match code {
                "af" => export::employment_service_records(db, &keys, agency.id).await?,
                _ => export::social_insurance_records(db, &keys, agency.id).await?,
            };
            std::fs::create_dir_all(&dir)?;
            let path = dir.join(format!("{file}.json"));
            let tmp = path.with_extension("json.tmp");
            std::fs::write(
                &tmp,
                serde_json::to_vec(&serde_json::json!({ "records": records }))?,
            )?;
            // Renamed into place: a simulator waiting for it never reads half a file.
            std::fs::rename(&tmp, &path)?;
            eprintln!(
                "{code}: {} records for the simulator in {}",
                records.len(),
                path.display()
            );
        }
        Ok(())
    }
}
