//! `gateway demo`: everything on the embedded defaults — a SQLite file and
//! keys in one data directory, the in-process cache, the development
//! issuer, seeded synthetic data and GraphiQL. No services needed.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::audit::ChainKey;
use crate::config::{
    AgencyConfig, AgencyKindConfig, AuditConfig, CacheConfig, Config, CryptoConfig, DatabaseConfig,
    LimitsConfig, LogFormat, ServerConfig, TelemetryConfig,
};
use pii::crypto::PiiKeys;
use secrecy::SecretString;
use zeroize::Zeroizing;

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
                    leeway_secs: Duration::from_secs(30),
                    jwks_refresh_secs: Duration::from_secs(300),
                    jwks_min_refresh_secs: Duration::from_secs(10),
                    jwks_max_stale_secs: Duration::from_secs(3600),
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
/// The texts that held them are wiped once the keys are copied out.
pub fn load_or_create_keys(data_dir: &Path) -> std::io::Result<(SecretString, SecretString)> {
    #[derive(serde::Deserialize)]
    struct Keys {
        personnummer_key: SecretString,
        lookup_key: SecretString,
    }
    #[derive(serde::Serialize)]
    struct KeysFile<'a> {
        personnummer_key: &'a str,
        lookup_key: &'a str,
    }
    let path = data_dir.join("keys.toml");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let text = Zeroizing::new(text);
        let keys: Keys = toml::from_str(&text)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?;
        return Ok((keys.personnummer_key, keys.lookup_key));
    }
    let (enc, lookup) = PiiKeys::generate().encode();
    let (enc, lookup) = (Zeroizing::new(enc), Zeroizing::new(lookup));
    let text = toml::to_string(&KeysFile {
        personnummer_key: &enc,
        lookup_key: &lookup,
    })
    .map_err(std::io::Error::other)?;
    std::fs::write(&path, Zeroizing::new(text).as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok((enc.as_str().into(), lookup.as_str().into()))
}

/// The file in a demo's data directory that holds its audit chain key.
pub const CHAIN_KEY_FILE: &str = "audit-chain.key";

/// The file in a demo's data directory its audit checkpoints are appended to.
pub const CHECKPOINT_FILE: &str = "audit-checkpoints.jsonl";

/// The demo's audit chain key: made once per data directory, kept in
/// [`CHAIN_KEY_FILE`] (mode 0600). Beside the database, so it anchors
/// nothing against whoever holds the directory: a demo, not a deployment.
pub fn load_or_create_chain_key(data_dir: &Path) -> std::io::Result<SecretString> {
    let path = data_dir.join(CHAIN_KEY_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Ok(Zeroizing::new(text).trim().into());
    }
    let key = ChainKey::generate().encode();
    // Readable by its owner only from the start.
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        file.mode(0o600);
    }
    std::io::Write::write_all(&mut file.open(&path)?, key.as_bytes())?;
    Ok(key.as_str().into())
}

/// The whole demo configuration for a data directory and listen address.
pub fn demo_config(data_dir: &Path, listen: SocketAddr) -> std::io::Result<Config> {
    std::fs::create_dir_all(data_dir)?;
    let (enc, lookup) = load_or_create_keys(data_dir)?;
    let chain_key = load_or_create_chain_key(data_dir)?;
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
        audit: AuditConfig {
            chain_key: Some(chain_key),
            checkpoint_file: Some(data_dir.join(CHECKPOINT_FILE)),
            ..AuditConfig::default()
        },
    })
}

pub fn issuer_base(listen: SocketAddr) -> String {
    format!("http://{listen}")
}

/// The demo's users, each the first of their pool in the synthetic data
/// (`seed` names staff `<agency>-<role>-NNN` from 001).
/// Agency `lund`, role `coach`, unit `arbetsmarknad`; has 30-45 open cases.
pub const DEMO_COACH: &str = "lund-coach-001";
/// Agency `lund`, role `officer` (ekonomiskt bistånd).
pub const DEMO_LUND_OFFICER: &str = "lund-officer-001";
/// Agency `lund`, role `placement_coordinator`.
pub const DEMO_PLACEMENT_COORDINATOR: &str = "lund-placement-001";
/// Agency `af`, role `officer`; member of many cases.
pub const DEMO_AF_OFFICER: &str = "af-officer-001";
/// Agency `fk`, role `officer`; member of many cases.
pub const DEMO_FK_OFFICER: &str = "fk-officer-001";
/// Agency `finsam`, role `analyst`.
pub const DEMO_ANALYST: &str = "finsam-analyst-001";
/// Agency `audit`, role `auditor`.
pub const DEMO_AUDITOR: &str = "audit-auditor-001";

/// The users the demo prints tokens for: (label, agency, role, subject, unit).
pub const DEMO_USERS: &[(&str, &str, &str, &str, Option<&str>)] = &[
    (
        "coach (Lunds kommun)",
        "lund",
        "coach",
        DEMO_COACH,
        Some("arbetsmarknad"),
    ),
    (
        "officer (Lunds kommun)",
        "lund",
        "officer",
        DEMO_LUND_OFFICER,
        None,
    ),
    ("AF officer", "af", "officer", DEMO_AF_OFFICER, None),
    ("FK officer", "fk", "officer", DEMO_FK_OFFICER, None),
    (
        "placement coordinator (Lunds kommun)",
        "lund",
        "placement_coordinator",
        DEMO_PLACEMENT_COORDINATOR,
        None,
    ),
    (
        "analyst (samordningsförbundet)",
        "finsam",
        "analyst",
        DEMO_ANALYST,
        None,
    ),
    ("auditor", "audit", "auditor", DEMO_AUDITOR, None),
];

/// A demo option that cannot be honoured; the message says which.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DemoError(String);

/// The agency simulators the demo reads AF and FK from, when asked to.
pub struct Upstreams {
    pub employment_service: Option<String>,
    pub social_insurance: Option<String>,
    pub client_secret: Option<SecretString>,
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
    pub fn configure(&self, config: &mut Config) -> Result<(), DemoError> {
        for (code, _, url) in self.each() {
            let secret = self.client_secret.clone().ok_or_else(|| {
                DemoError(format!(
                    "--{code}-source needs the simulator's client secret in SIMULATOR_CLIENT_SECRET"
                ))
            })?;
            let base = url.trim_end_matches('/');
            let agency = config
                .agencies
                .get_mut(code)
                .ok_or_else(|| DemoError(format!("the demo has no agency {code}")))?;
            agency.client = Some(crate::config::ClientCredentialsConfig {
                token_url: format!("{base}/oauth/token"),
                client_id: UPSTREAM_CLIENT_ID.to_string(),
                secret: crate::config::ClientSecret {
                    client_secret: Some(secret),
                    client_secret_file: None,
                },
                scopes: Vec::new(),
                refresh_margin_secs: Duration::from_secs(30),
            });
            agency.source =
                crate::config::SourceConfig::Http(crate::config::HttpSourceConfig::new(base));
            // The simulators run beside the demo (docker-compose's network).
            agency.allow_plain_http = true;
        }
        Ok(())
    }

    /// The simulators to write data files for: (agency code, file name).
    pub fn simulators(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.each().map(|(code, file, _)| (code, file))
    }
}
