//! End to end with a real, independent OpenID Connect provider: panva's
//! `oidc-provider` (npm) run with node from tests/oidc/. The gateway learns
//! the provider's issuer and keys only through discovery and JWKS over HTTP,
//! and accepts a client-credentials access token the provider signed.
//!
//! Needs node and npm; installs tests/oidc/node_modules itself (`npm ci`) when
//! it is missing or stale. Without node or npm it fails; it never skips.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use gateway::auth::ClaimMapping;
use gateway::config::{AgencyConfig, AgencyKindConfig};
use serde_json::{json, Value};
use tests::TestApp;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

const AUDIENCE: &str = "samverkan-gateway";
const CLIENT_ID: &str = "samverkan-e2e";

fn oidc_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc")
}

/// `packages` of an npm lockfile as path -> version (the root entry left out).
fn locked_versions(lockfile: &Path) -> Option<BTreeMap<String, String>> {
    let lock: Value = serde_json::from_slice(&std::fs::read(lockfile).ok()?).ok()?;
    Some(
        lock["packages"]
            .as_object()?
            .iter()
            .filter(|(path, _)| !path.is_empty())
            .map(|(path, p)| (path.clone(), p["version"].as_str().unwrap_or("").into()))
            .collect(),
    )
}

/// Runs `npm ci` unless node_modules already holds exactly what
/// package-lock.json pins (npm's own record of a finished install says so).
async fn ensure_node_deps(dir: &Path) {
    let wanted = locked_versions(&dir.join("package-lock.json")).unwrap_or_else(|| {
        panic!(
            "{}/package-lock.json is missing or unreadable",
            dir.display()
        )
    });
    if locked_versions(&dir.join("node_modules/.package-lock.json")).as_ref() == Some(&wanted) {
        return;
    }
    let started = std::time::Instant::now();
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--prefix"])
        .arg(dir)
        .stdout(Stdio::null())
        .status()
        .await
        .unwrap_or_else(|e| {
            panic!("cannot run npm ({e}): this test needs Node.js (>= 20.18) and npm installed")
        });
    assert!(
        status.success(),
        "`npm ci --prefix {}` failed ({status}); see its output above",
        dir.display()
    );
    eprintln!("npm ci: {:.1?}", started.elapsed());
}

/// The provider as a child process; killed when dropped, and it exits by
/// itself when its stdin (held open here) closes.
struct OidcProvider {
    issuer: String,
    _stdout: BufReader<ChildStdout>,
    _child: Child,
}

impl OidcProvider {
    async fn start(client_secret: &str) -> OidcProvider {
        let dir = oidc_dir();
        ensure_node_deps(&dir).await;
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(&dir)
            .env("PORT", "0")
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", client_secret)
            .env("AUDIENCE", AUDIENCE)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run node ({e}): this test needs Node.js (>= 20.18)")
            });
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(30), stdout.read_line(&mut line))
            .await
            .expect("the provider prints LISTENING within 30 s")
            .expect("read the provider's stdout");
        let Some(issuer) = line.trim().strip_prefix("LISTENING ") else {
            let exit = child.try_wait().ok().flatten();
            panic!("node provider.mjs did not start (first line {line:?}, exit {exit:?}); its stderr is above");
        };
        OidcProvider {
            issuer: issuer.to_string(),
            _stdout: stdout,
            _child: child,
        }
    }
}

/// The same token with one character of its signature changed.
fn one_byte_changed(token: &str) -> String {
    let sig_start = token.rfind('.').expect("a compact JWS") + 1;
    let at = sig_start + (token.len() - sig_start) / 2;
    let mut bytes = token.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("ascii")
}

#[tokio::test]
async fn a_client_credentials_token_from_a_real_oidc_provider_is_accepted() {
    let secret = uuid::Uuid::new_v4().simple().to_string();
    let provider = OidcProvider::start(&secret).await;
    let http = reqwest::Client::new();

    // Discovery, as a deployment would configure the agency from it.
    let discovery: Value = http
        .get(format!(
            "{}/.well-known/openid-configuration",
            provider.issuer
        ))
        .send()
        .await
        .expect("discovery answers")
        .error_for_status()
        .expect("discovery 200")
        .json()
        .await
        .expect("discovery JSON");
    let issuer = discovery["issuer"].as_str().expect("issuer").to_string();
    assert_eq!(issuer, provider.issuer);
    assert!(
        discovery["jwks_uri"].is_string(),
        "the provider publishes its keys"
    );
    let token_endpoint = discovery["token_endpoint"]
        .as_str()
        .expect("token_endpoint");

    let grant: Value = http
        .post(token_endpoint)
        .basic_auth(CLIENT_ID, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token endpoint answers")
        .error_for_status()
        .expect("token endpoint 200")
        .json()
        .await
        .expect("token JSON");
    let token = grant["access_token"].as_str().expect("access_token");
    assert_eq!(token.split('.').count(), 3, "a JWT access token: {grant}");

    let app = TestApp::builder()
        .agency(
            "af",
            AgencyConfig {
                name: "Arbetsförmedlingen".into(),
                kind: AgencyKindConfig::EmploymentService,
                issuer: issuer.clone(),
                // The keys are found the way a deployment finds them: through
                // the provider's discovery document.
                jwks_url: None,
                discovery_url: Some(format!("{issuer}/.well-known/openid-configuration")),
                audience: vec![AUDIENCE.into()],
                algorithms: vec!["RS256".into()],
                claims: ClaimMapping {
                    subject: "sub".into(),
                    roles: "roles".into(),
                    ..ClaimMapping::default()
                },
                // Timings and the rest as for the demo's `af`.
                ..gateway::demo::demo_agencies("http://127.0.0.1")["af"].clone()
            },
        )
        .start()
        .await;

    let query = "{ me { subject roles agency { code } } }";
    let a = app.graphql(Some(token), query, json!({})).await;
    assert_eq!(a.status, 200, "{:#}", a.body);
    assert_eq!(
        a.ok()["me"],
        json!({ "subject": CLIENT_ID, "roles": ["officer"], "agency": { "code": "af" } })
    );

    let a = app
        .graphql(Some(&one_byte_changed(token)), query, json!({}))
        .await;
    assert_eq!(a.status, 401, "{:#}", a.body);
    assert_eq!(a.codes(), vec!["UNAUTHENTICATED"]);

    // The dev-issuer agencies still work beside it.
    let lund = app.token("lund", "coach", "c1");
    let a = app.graphql(Some(&lund), query, json!({})).await;
    assert_eq!(a.ok()["me"]["agency"]["code"], "lund");
}
