//! The development token issuer of `gateway demo`. LOUDLY not for
//! production: it exists only in a demo data directory, `serve` never loads
//! it, and every token it signs says so in its issuer URL (`/dev-issuer/`).
//!
//! One Ed25519 key per agency, so the issuer still binds the agency exactly
//! as real per-agency providers do.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::KeyPair;

use super::claims::{Audience, Claims};

/// Marker file: a data directory is a demo directory only if it holds this.
const MARKER: &str = "DEMO-ONLY-DEVELOPMENT-ISSUER";
/// The audience the demo's tokens are issued for.
pub const DEV_AUDIENCE: &str = "samverkan-gateway";

#[derive(Debug, thiserror::Error)]
pub enum DevIssuerError {
    #[error("{0} is not a demo data directory (run `gateway demo --data-dir {0}` first); the development issuer exists only in demo mode")]
    NotDemo(String),
    #[error("unknown agency {0:?} (demo agencies: {1})")]
    UnknownAgency(String, String),
    #[error("development issuer: {0}")]
    Io(#[from] std::io::Error),
    #[error("development issuer key: {0}")]
    Key(String),
}

struct DevKey {
    kid: String,
    pkcs8: Vec<u8>,
    public: Vec<u8>,
}

pub struct DevIssuer {
    base_url: String,
    keys: BTreeMap<String, DevKey>,
}

impl DevIssuer {
    fn dir(data_dir: &Path) -> PathBuf {
        data_dir.join("dev-issuer")
    }

    /// Opens the demo issuer in `data_dir`, creating keys for `agencies` that
    /// have none yet, and records `base_url` (where the demo serves it).
    pub fn load_or_create(
        data_dir: &Path,
        base_url: &str,
        agencies: &[&str],
    ) -> Result<DevIssuer, DevIssuerError> {
        let dir = Self::dir(data_dir);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join(MARKER),
            "This directory holds the keys of the gateway's DEVELOPMENT token issuer.\nNever use them outside `gateway demo`.\n",
        )?;
        std::fs::write(dir.join("base-url"), base_url)?;
        let rng = ring::rand::SystemRandom::new();
        for agency in agencies {
            let path = dir.join(format!("{agency}.pk8"));
            if !path.exists() {
                let doc = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng)
                    .map_err(|e| DevIssuerError::Key(e.to_string()))?;
                write_private(&path, doc.as_ref())?;
            }
        }
        Self::load(data_dir)
    }

    /// Opens an existing demo issuer; refuses a directory the demo did not make.
    pub fn load(data_dir: &Path) -> Result<DevIssuer, DevIssuerError> {
        let dir = Self::dir(data_dir);
        if !dir.join(MARKER).exists() {
            return Err(DevIssuerError::NotDemo(data_dir.display().to_string()));
        }
        let base_url = std::fs::read_to_string(dir.join("base-url"))?
            .trim()
            .to_string();
        let mut keys = BTreeMap::new();
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let (Some(stem), Some("pk8")) = (
                path.file_stem().and_then(|s| s.to_str()),
                path.extension().and_then(|s| s.to_str()),
            ) else {
                continue;
            };
            let pkcs8 = std::fs::read(&path)?;
            let pair = ring::signature::Ed25519KeyPair::from_pkcs8(&pkcs8)
                .map_err(|e| DevIssuerError::Key(format!("{}: {e}", path.display())))?;
            let public = pair.public_key().as_ref().to_vec();
            // The kid is derived from the public key, so it changes when the key does.
            let kid = hex::encode(&sha2_256(&public)[..8]);
            keys.insert(stem.to_string(), DevKey { kid, pkcs8, public });
        }
        Ok(DevIssuer { base_url, keys })
    }

    pub fn agencies(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// The `iss` of the given agency's development tokens.
    pub fn issuer_for(&self, agency: &str) -> String {
        format!("{}/dev-issuer/{agency}", self.base_url)
    }

    fn key(&self, agency: &str) -> Result<&DevKey, DevIssuerError> {
        self.keys.get(agency).ok_or_else(|| {
            DevIssuerError::UnknownAgency(
                agency.to_string(),
                self.keys.keys().cloned().collect::<Vec<_>>().join(", "),
            )
        })
    }

    /// Signs a token for a demo user.
    pub fn token(
        &self,
        agency: &str,
        subject: &str,
        roles: &[&str],
        unit: Option<&str>,
        ttl: chrono::Duration,
    ) -> Result<String, DevIssuerError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer_for(agency),
            sub: subject.to_string(),
            aud: Audience::One(DEV_AUDIENCE.to_string()),
            exp: now + ttl.num_seconds(),
            nbf: Some(now - 5),
            iat: Some(now),
            agency: Some(agency.to_string()),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            unit: unit.map(str::to_string),
            scope: None,
            name: None,
            azp: None,
        };
        self.sign(agency, &claims)
    }

    /// Signs arbitrary claims with the agency's key (tests use this to forge
    /// expired, early or mis-addressed tokens that are otherwise genuine).
    pub fn sign(&self, agency: &str, claims: &Claims) -> Result<String, DevIssuerError> {
        let key = self.key(agency)?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        // Access tokens, typed as RFC 9068 says.
        header.typ = Some("at+jwt".into());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&key.pkcs8))
            .map_err(|e| DevIssuerError::Key(e.to_string()))
    }

    /// The public keys of one agency, as its JWKS endpoint serves them.
    pub fn jwks(&self, agency: &str) -> Result<JwkSet, DevIssuerError> {
        let key = self.key(agency)?;
        Ok(JwkSet {
            keys: vec![Jwk {
                common: CommonParameters {
                    public_key_use: Some(PublicKeyUse::Signature),
                    key_id: Some(key.kid.clone()),
                    key_algorithm: Some(KeyAlgorithm::EdDSA),
                    ..Default::default()
                },
                algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                    key_type: OctetKeyPairType::OctetKeyPair,
                    curve: EllipticCurve::Ed25519,
                    x: URL_SAFE_NO_PAD.encode(&key.public),
                }),
            }],
        })
    }

    /// OpenID discovery document of one agency's development provider.
    pub fn discovery(&self, agency: &str) -> Result<serde_json::Value, DevIssuerError> {
        self.key(agency)?;
        let iss = self.issuer_for(agency);
        Ok(serde_json::json!({
            "issuer": iss,
            "jwks_uri": format!("{iss}/jwks.json"),
            "id_token_signing_alg_values_supported": ["EdDSA"],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "x-samverkan-warning": "development issuer of `gateway demo`; never trust it in production",
        }))
    }
}

fn sha2_256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
