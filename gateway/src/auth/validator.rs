//! Token validation: the token's issuer selects the agency; the signature is
//! checked against that agency's keys only; iss, aud, exp and nbf are checked
//! with the agency's leeway; the `agency` claim, if present, must agree.
//! A JWT must be an access token: an ID token (which the browser holds
//! after signing in) or any other signed JWT of the agency is refused.
//! A token that is not a JWS at all is an opaque token: it is introspected
//! only by the agency the request names in the `Samverkan-Agency` header
//! (see [`super::introspection`]), so no agency sees another's tokens.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::introspection::Introspector;
use super::jwks::{KeySet, RemoteKeys};
use crate::cache::ttl::{Expiring, PerEntryTtl};

/// Largest token accepted; anything bigger is refused before decoding.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The request header naming the agency an opaque token belongs to.
pub const AGENCY_HEADER: &str = "samverkan-agency";

/// `typ` values of an access token: RFC 9068's `at+jwt`, and the generic
/// `JWT` most providers put on theirs. ID tokens carry `JWT` too, so the
/// claims are checked as well (see [`is_id_token`]).
fn is_access_token_type(typ: Option<&str>) -> bool {
    let Some(typ) = typ else { return true };
    let typ = typ.to_ascii_lowercase();
    let typ = typ.strip_prefix("application/").unwrap_or(&typ);
    matches!(typ, "at+jwt" | "jwt")
}

/// Claims that only an OpenID Connect ID token carries: the sign-in's
/// `nonce` and the hashes binding it to an access token or code.
fn is_id_token(claims: &serde_json::Value) -> bool {
    ["nonce", "at_hash", "c_hash"]
        .iter()
        .any(|c| claims.get(c).is_some())
        // Providers that say so in the payload (Cognito's `token_use`).
        || claims.get("token_use").and_then(|t| t.as_str()) == Some("id")
}

/// Why a token was refused. The message is safe to return: it never echoes the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the token is malformed: {0}")]
    Malformed(&'static str),
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token is for another audience")]
    WrongAudience,
    #[error("the token's issuer is not a configured agency")]
    UnknownIssuer,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token's signing key is unknown to its agency")]
    UnknownKey,
    #[error("the token's algorithm is not allowed for its agency")]
    AlgorithmNotAllowed,
    #[error("the token's agency claim does not match its issuer")]
    AgencyMismatch,
    #[error("the caller's agency is not known to the gateway")]
    UnknownAgency,
    #[error("the agency's signing keys cannot be fetched; try again later")]
    KeysUnavailable,
    #[error("the token is not active (revoked or expired)")]
    NotActive,
    #[error("the token's issuer is not the agency that vouched for it")]
    IntrospectionIssuerMismatch,
    #[error("the agency's token introspection cannot be reached; try again later")]
    IntrospectionUnavailable,
    #[error("the agency's introspection answer is unusable: {0}")]
    BadIntrospection(&'static str),
    #[error("the token was issued to a client that may not call the gateway")]
    WrongClient,
    #[error("an opaque token needs the Samverkan-Agency header naming the agency that issued it")]
    AgencyNotNamed,
    #[error("the named agency does not issue opaque tokens here")]
    NoIntrospection,
    #[error("the token is not an access token (an ID token or another kind of JWT)")]
    NotAnAccessToken,
}

pub use crate::config::ClaimMapping;

/// What a verified token says about its bearer, in the gateway's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Agency code, bound by the issuer.
    pub agency: String,
    pub subject: String,
    pub roles: Vec<String>,
    pub unit: Option<String>,
    pub scopes: Vec<String>,
    pub name: Option<String>,
    /// The OAuth client (`azp`), when the token names one.
    pub client: Option<String>,
}

fn at_path<'a>(claims: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.').try_fold(claims, |v, part| v.get(part))
}

fn string_at(claims: &serde_json::Value, path: &str) -> Option<String> {
    match at_path(claims, path)? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn list_at(claims: &serde_json::Value, path: &str) -> Vec<String> {
    match at_path(claims, path) {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(s)) => s
            .split([' ', ','])
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

impl ClaimMapping {
    /// Reads the caller's identity out of verified claims.
    pub fn identity(
        &self,
        agency: &str,
        claims: &serde_json::Value,
    ) -> Result<Identity, AuthError> {
        Ok(Identity {
            agency: agency.to_string(),
            subject: string_at(claims, &self.subject).ok_or(AuthError::Malformed("no subject"))?,
            roles: list_at(claims, &self.roles),
            unit: string_at(claims, &self.unit),
            scopes: list_at(claims, &self.scopes),
            name: string_at(claims, &self.name),
            client: string_at(claims, &self.client),
        })
    }
}

/// Where an agency's keys come from.
pub enum AgencyKeys {
    /// Known at start (the demo's development issuer, tests).
    Static(KeySet),
    /// Fetched from the agency's JWKS URL and kept fresh.
    Remote(Arc<RemoteKeys>),
}

/// One agency's verification settings and keys.
pub struct AgencyVerifier {
    pub agency: String,
    pub issuer: String,
    pub audience: Vec<String>,
    pub algorithms: Vec<Algorithm>,
    pub leeway_secs: u64,
    pub keys: AgencyKeys,
    pub claims: ClaimMapping,
}

impl AgencyVerifier {
    async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, AuthError> {
        match &self.keys {
            AgencyKeys::Static(set) => set.get(kid).cloned().ok_or(AuthError::UnknownKey),
            AgencyKeys::Remote(remote) => remote.key(kid).await,
        }
    }

    /// Checks a token against this agency: algorithm, signature with its
    /// keys, iss, `audience`, exp, nbf and the agency claim. Shared by bearer
    /// tokens and browser sign-in's ID tokens, so both are held to one rule.
    async fn verify(
        &self,
        token: &str,
        header: &jsonwebtoken::Header,
        audience: &[String],
    ) -> Result<serde_json::Value, AuthError> {
        if !self.algorithms.contains(&header.alg) {
            return Err(AuthError::AlgorithmNotAllowed);
        }
        let key = self.key(header.kid.as_deref()).await?;

        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![header.alg];
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(audience);
        validation.leeway = self.leeway_secs;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).map_err(
            |e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                ErrorKind::ImmatureSignature => AuthError::NotYetValid,
                ErrorKind::InvalidAudience => AuthError::WrongAudience,
                ErrorKind::InvalidIssuer => AuthError::UnknownIssuer,
                ErrorKind::InvalidSignature => AuthError::BadSignature,
                ErrorKind::InvalidAlgorithm => AuthError::AlgorithmNotAllowed,
                _ => AuthError::Malformed("claims"),
            },
        )?;
        // A token that names an agency must name its issuer's.
        if let Some(agency) = data.claims.get("agency") {
            if agency.as_str() != Some(self.agency.as_str()) {
                return Err(AuthError::AgencyMismatch);
            }
        }
        Ok(data.claims)
    }
}

/// Parses `RS256`, `PS256`, `ES256`, `EdDSA`; nothing else (never `none` or HMAC).
pub fn parse_algorithm(name: &str) -> Option<Algorithm> {
    match name {
        "RS256" => Some(Algorithm::RS256),
        "PS256" => Some(Algorithm::PS256),
        "ES256" => Some(Algorithm::ES256),
        "EdDSA" => Some(Algorithm::EdDSA),
        _ => None,
    }
}

/// Three dot-separated base64url parts (RFC 7515 compact form); empty parts
/// count, so an unsigned `alg: none` token is still refused as a JWT and
/// never sent to an agency.
fn looks_like_jws(token: &str) -> bool {
    let is_b64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    token.split('.').count() == 3 && token.bytes().all(|b| b == b'.' || is_b64url(b))
}

/// The characters of an RFC 6750 `b64token`: nothing else is sent to an agency.
fn is_b64token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

#[derive(Default)]
pub struct TokenValidator {
    by_issuer: HashMap<String, AgencyVerifier>,
    /// Agency code -> its introspection, for tokens that are not JWSs.
    introspectors: HashMap<String, Arc<Introspector>>,
    verified: VerifiedTokens,
}

/// How long a verified JWT is remembered at most: a key withdrawn from an
/// agency's key set stops validating its tokens within this time.
const VERIFIED_TTL: Duration = Duration::from_secs(60);
/// Most verified tokens remembered (about 1 KiB each).
const VERIFIED_MAX: u64 = 10_000;

/// The signature check is most of the cost of validation (tens of µs for
/// EdDSA or ES256), and a client sends the same token with every request.
/// So a verified JWT is remembered, by its SHA-256 (never the token), until
/// its `exp` and at most [`VERIFIED_TTL`], and at most [`VERIFIED_MAX`] of
/// them (moka evicts the rest). In this process only.
struct VerifiedTokens {
    /// SHA-256 of the token -> (its identity, its `exp`).
    entries: moka::sync::Cache<[u8; 32], Expiring<(Identity, i64)>>,
}

impl Default for VerifiedTokens {
    fn default() -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_MAX)
                .expire_after(PerEntryTtl)
                .build(),
        }
    }
}

impl VerifiedTokens {
    fn key(token: &str) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(token.as_bytes()).into()
    }

    fn get(&self, key: &[u8; 32]) -> Option<Identity> {
        let entry = self.entries.get(key)?;
        let (id, exp) = entry.value;
        // The entry's TTL is counted in whole seconds from when it was put,
        // so it can outlast `exp` by under a second: `exp` itself decides.
        (chrono::Utc::now().timestamp() < exp).then_some(id)
    }

    fn put(&self, key: [u8; 32], id: &Identity, exp: i64) {
        let remaining =
            u64::try_from(exp.saturating_sub(chrono::Utc::now().timestamp())).unwrap_or(0);
        let ttl = VERIFIED_TTL.min(Duration::from_secs(remaining));
        if ttl.is_zero() {
            return;
        }
        self.entries
            .insert(key, Expiring::new((id.clone(), exp), ttl));
    }
}

#[derive(serde::Deserialize)]
struct IssuerOnly {
    iss: Option<String>,
}

impl TokenValidator {
    pub fn new(verifiers: Vec<AgencyVerifier>) -> Self {
        Self {
            by_issuer: verifiers
                .into_iter()
                .map(|v| (v.issuer.clone(), v))
                .collect(),
            introspectors: HashMap::new(),
            verified: VerifiedTokens::default(),
        }
    }

    /// Also accepts opaque tokens of these agencies.
    pub fn with_introspectors(mut self, introspectors: Vec<Arc<Introspector>>) -> Self {
        self.introspectors = introspectors
            .into_iter()
            .map(|i| (i.agency().to_string(), i))
            .collect();
        self
    }

    /// Validates a bearer token; returns the agency code and the claims.
    /// `named` is the agency the request names (`Samverkan-Agency`): an
    /// opaque token needs it, and a JWT of another agency is refused.
    pub async fn validate(&self, token: &str, named: Option<&str>) -> Result<Identity, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed("too large"));
        }
        if !self.introspectors.is_empty() && !looks_like_jws(token) {
            return self.introspect(token, named).await;
        }
        let id = self.validate_jwt(token).await?;
        if named.is_some_and(|agency| agency != id.agency) {
            return Err(AuthError::AgencyMismatch);
        }
        Ok(id)
    }

    async fn validate_jwt(&self, token: &str) -> Result<Identity, AuthError> {
        let cache_key = VerifiedTokens::key(token);
        if let Some(id) = self.verified.get(&cache_key) {
            // Remembered only while its agency's keys are still trusted.
            let keys_fresh = self
                .by_issuer
                .values()
                .find(|v| v.agency == id.agency)
                .is_some_and(|v| match &v.keys {
                    AgencyKeys::Static(_) => true,
                    AgencyKeys::Remote(remote) => remote.is_fresh(),
                });
            if keys_fresh {
                return Ok(id);
            }
        }
        let mut parts = token.split('.');
        let (Some(_), Some(payload), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthError::Malformed("not a JWS in compact form"));
        };
        // `alg: none` and unknown algorithms fail here: they are not in the enum.
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed("bad header"))?;
        // Only the issuer is read before the signature is checked, to pick the agency's keys.
        let raw = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| AuthError::Malformed("bad payload encoding"))?;
        let iss = serde_json::from_slice::<IssuerOnly>(&raw)
            .map_err(|_| AuthError::Malformed("bad payload"))?
            .iss
            .ok_or(AuthError::Malformed("no issuer"))?;
        let verifier = self.by_issuer.get(&iss).ok_or(AuthError::UnknownIssuer)?;
        if !is_access_token_type(header.typ.as_deref()) {
            return Err(AuthError::NotAnAccessToken);
        }
        let claims = verifier.verify(token, &header, &verifier.audience).await?;
        if is_id_token(&claims) {
            return Err(AuthError::NotAnAccessToken);
        }
        let id = verifier.claims.identity(&verifier.agency, &claims)?;
        if let Some(exp) = claims.get("exp").and_then(serde_json::Value::as_i64) {
            self.verified.put(cache_key, &id, exp);
        }
        Ok(id)
    }

    /// Asks the named agency, and only it: sending a token to every agency
    /// in turn would show each of them the others' tokens.
    async fn introspect(&self, token: &str, named: Option<&str>) -> Result<Identity, AuthError> {
        if token.is_empty() || !token.bytes().all(is_b64token_byte) {
            return Err(AuthError::Malformed("not a bearer token"));
        }
        let agency = named.ok_or(AuthError::AgencyNotNamed)?;
        let introspector = self
            .introspectors
            .get(agency)
            .ok_or(AuthError::NoIntrospection)?;
        introspector.introspect(token).await
    }

    /// Validates an OpenID Connect ID token that `agency`'s browser sign-in
    /// returned: that agency's keys and issuer only, and `aud` = the login's
    /// client id (an ID token is for the client, not for the API). Returns
    /// the identity and the verified claims (the caller checks `nonce`).
    pub async fn validate_id_token(
        &self,
        agency: &str,
        token: &str,
        client_id: &str,
    ) -> Result<(Identity, serde_json::Value), AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed("too large"));
        }
        let verifier = self
            .by_issuer
            .values()
            .find(|v| v.agency == agency)
            .ok_or(AuthError::UnknownAgency)?;
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed("bad header"))?;
        // An access token (RFC 9068) is not a sign-in's proof.
        if header.typ.as_deref().is_some_and(|t| {
            t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
        }) {
            return Err(AuthError::NotAnAccessToken);
        }
        let claims = verifier
            .verify(token, &header, &[client_id.to_string()])
            .await?;
        let identity = verifier.claims.identity(&verifier.agency, &claims)?;
        Ok((identity, claims))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(n: u32) -> Identity {
        Identity {
            agency: "af".into(),
            subject: format!("officer-{n}"),
            roles: vec!["officer".into()],
            unit: None,
            scopes: Vec::new(),
            name: None,
            client: None,
        }
    }

    #[test]
    fn verified_tokens_are_bounded() {
        let verified = VerifiedTokens::default();
        let exp = chrono::Utc::now().timestamp() + 3600;
        for n in 0..(2 * VERIFIED_MAX as u32) {
            let token = format!("token-{n}");
            verified.put(VerifiedTokens::key(&token), &identity(n), exp);
        }
        verified.entries.run_pending_tasks();
        let count = verified.entries.entry_count();
        assert!(count <= VERIFIED_MAX, "{count} tokens remembered");
    }

    #[test]
    fn a_verified_token_is_remembered_only_until_its_exp() {
        let verified = VerifiedTokens::default();
        let now = chrono::Utc::now().timestamp();
        let live = VerifiedTokens::key("live");
        verified.put(live, &identity(1), now + 3600);
        assert_eq!(verified.get(&live), Some(identity(1)));
        let expired = VerifiedTokens::key("expired");
        verified.put(expired, &identity(2), now - 1);
        assert_eq!(verified.get(&expired), None);
        let lapsing = VerifiedTokens::key("lapsing");
        verified.put(lapsing, &identity(3), now + 1);
        std::thread::sleep(Duration::from_millis(2100));
        assert_eq!(verified.get(&lapsing), None);
    }
}
