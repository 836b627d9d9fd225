//! Opaque access tokens, checked by asking the agency that issued them
//! (OAuth 2.0 Token Introspection, RFC 7662).
//!
//! Some agencies hand out opaque tokens instead of signed JWTs; the gateway
//! cannot read those itself, so it asks the agency's introspection endpoint,
//! authenticating as the agency's client (HTTP Basic).
//!
//! - A token is asked about only at the agency the request names (see
//!   [`super::validator`]): an agency never sees another's tokens.
//! - An active answer must name the agency's own issuer, one of its
//!   accepted audiences and one of its configured clients (`client_id`):
//!   an agency vouches only for its own tokens, meant for the gateway, from
//!   clients allowed to call it — as a JWT's `iss` and `aud` do.
//! - An active answer becomes the same [`Identity`] as a JWT would, through
//!   the agency's [`ClaimMapping`], applied to the standard fields and to any
//!   extra fields (roles and unit usually come as extras).
//! - Active answers are reused for at most `min(cache_secs, remaining life)`,
//!   so a revoked token is refused again within `cache_secs`. The cache is
//!   keyed by the SHA-256 of the token: it never holds a bearer token, so a
//!   memory dump does not hand out credentials.
//! - Refusals are reused only for a few seconds, which is enough to spare the
//!   agency a client that retries a dead token in a loop.
//! - When the endpoint cannot be reached nothing is cached, and the caller is
//!   told to try again rather than that the token is bad.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenResponse, BasicTokenType,
};
use oauth2::{
    AccessToken, ClientId, ClientSecret, EndpointNotSet, EndpointSet, ExtraTokenFields,
    IntrospectionUrl, StandardRevocableToken, StandardTokenIntrospectionResponse,
    TokenIntrospectionResponse,
};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::validator::{AuthError, ClaimMapping, Identity};
use crate::cache::ttl::{Expiring, PerEntryTtl};
use crate::config::{AgencyConfig, ConfigError};

/// Most answers kept per agency; beyond it the least recently used go (a
/// flood of distinct tokens must not grow memory).
const MAX_CACHE_ENTRIES: u64 = 10_000;
/// Longest a refusal is reused.
const MAX_REFUSAL_CACHE: Duration = Duration::from_secs(5);
/// Timeout of one introspection call.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Fields of an introspection answer beyond RFC 7662's, kept so the claim
/// mapping can read them (`roles`, `unit`, nested provider claims, ...).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ExtraFields {
    #[serde(flatten)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl ExtraTokenFields for ExtraFields {}

/// An RFC 7662 answer with its extra fields.
pub type IntrospectionAnswer = StandardTokenIntrospectionResponse<ExtraFields, BasicTokenType>;

/// An oauth2 client that knows only the introspection endpoint.
type IntrospectionClient = oauth2::Client<
    BasicErrorResponse,
    BasicTokenResponse,
    IntrospectionAnswer,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
>;

/// Where and how to introspect one agency's tokens.
#[derive(Debug, Clone)]
pub struct IntrospectionSettings {
    pub url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Client ids whose tokens are accepted (the answer's `client_id`).
    pub clients: Vec<String>,
    /// Longest an active answer is reused (never past the token's `exp`).
    pub cache: Duration,
    pub timeout: Duration,
}

/// SHA-256 of the token -> the answer, each kept for its own TTL.
type AnswerCache = moka::sync::Cache<[u8; 32], Expiring<Result<Identity, AuthError>>>;

/// Least recently used goes first when full: the answer just remembered is
/// the one its client asks about next.
fn answer_cache(max_entries: u64) -> AnswerCache {
    moka::sync::Cache::builder()
        .max_capacity(max_entries)
        .expire_after(PerEntryTtl)
        .eviction_policy(moka::policy::EvictionPolicy::lru())
        .build()
}

/// One agency's introspection endpoint, with its cache of answers.
pub struct Introspector {
    agency: String,
    issuer: String,
    audience: Vec<String>,
    clients: Vec<String>,
    claims: ClaimMapping,
    client: IntrospectionClient,
    http: reqwest::Client,
    cache_for: Duration,
    cache: AnswerCache,
    calls: AtomicU64,
}

impl Introspector {
    pub fn new(
        agency: impl Into<String>,
        issuer: impl Into<String>,
        audience: Vec<String>,
        claims: ClaimMapping,
        settings: IntrospectionSettings,
    ) -> Result<Self, String> {
        let url = IntrospectionUrl::new(settings.url)
            .map_err(|e| format!("not a valid introspection URL: {e}"))?;
        let client = oauth2::Client::new(ClientId::new(settings.client_id))
            .set_client_secret(ClientSecret::new(
                settings.client_secret.expose_secret().to_owned(),
            ))
            .set_auth_type(oauth2::AuthType::BasicAuth)
            .set_introspection_url(url);
        // No redirects: the answer must come from the configured endpoint,
        // and a redirect must not carry the token somewhere else.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            agency: agency.into(),
            issuer: issuer.into(),
            audience,
            clients: settings.clients,
            claims,
            client,
            http,
            cache_for: settings.cache,
            cache: answer_cache(MAX_CACHE_ENTRIES),
            calls: AtomicU64::new(0),
        })
    }

    /// The agency's introspector, or `None` when it issues no opaque tokens.
    pub fn from_config(code: &str, agency: &AgencyConfig) -> Result<Option<Self>, ConfigError> {
        let Some(config) = &agency.introspection else {
            return Ok(None);
        };
        let key = format!("agencies.{code}.introspection");
        let settings = IntrospectionSettings {
            url: config.url.clone(),
            client_id: config.client_id.clone(),
            client_secret: config.secret.resolve(&key)?,
            clients: config.clients.clone(),
            cache: config.cache_secs,
            timeout: DEFAULT_TIMEOUT,
        };
        Self::new(
            code,
            &agency.issuer,
            agency.audience.clone(),
            agency.claims.clone(),
            settings,
        )
        .map(Some)
        .map_err(|message| ConfigError::Invalid { key, message })
    }

    /// The agency code this introspector vouches for.
    pub fn agency(&self) -> &str {
        &self.agency
    }

    /// How many times the endpoint was asked (for tests and metrics).
    pub fn call_count(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// The bearer's identity if this agency says the token is active and its own.
    ///
    /// `Err(NotActive)` means "not an active token of this agency"; other
    /// errors say why an active answer was still refused, or that the
    /// endpoint could not be asked.
    pub async fn introspect(&self, token: &str) -> Result<Identity, AuthError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(answer) = self.cached(&key) {
            return answer;
        }
        let answer = self.ask(token).await?;
        let (result, ttl) = self.judge(&answer, chrono::Utc::now());
        self.remember(key, result.clone(), ttl);
        result
    }

    async fn ask(&self, token: &str) -> Result<IntrospectionAnswer, AuthError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let token = AccessToken::new(token.to_string());
        self.client
            .introspect(&token)
            .set_token_type_hint("access_token")
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::warn!(agency = %self.agency, error = %error_chain(&e), "token introspection failed");
                AuthError::IntrospectionUnavailable
            })
    }

    /// The outcome of an answer and how long it may be reused.
    fn judge(
        &self,
        answer: &IntrospectionAnswer,
        now: chrono::DateTime<chrono::Utc>,
    ) -> (Result<Identity, AuthError>, Duration) {
        let refusal_ttl = self.cache_for.min(MAX_REFUSAL_CACHE);
        let refuse = |e: AuthError| (Err(e), refusal_ttl);
        if !answer.active() {
            return refuse(AuthError::NotActive);
        }
        // Without `exp` the gateway could not bound how long it trusts the answer.
        let Some(exp) = answer.exp() else {
            return refuse(AuthError::BadIntrospection("no exp"));
        };
        let Ok(remaining) = (exp - now).to_std() else {
            return refuse(AuthError::NotActive);
        };
        if remaining.is_zero() {
            return refuse(AuthError::NotActive);
        }
        // Each must be named: an answer silent about who issued the token,
        // for whom or to which client could be any token the agency knows.
        match answer.iss() {
            None => return refuse(AuthError::BadIntrospection("no iss")),
            Some(iss) if iss != self.issuer => {
                return refuse(AuthError::IntrospectionIssuerMismatch)
            }
            Some(_) => {}
        }
        match answer.aud() {
            None => return refuse(AuthError::BadIntrospection("no aud")),
            Some(aud) if !aud.iter().any(|a| self.audience.contains(a)) => {
                return refuse(AuthError::WrongAudience)
            }
            Some(_) => {}
        }
        match answer.client_id() {
            None => return refuse(AuthError::BadIntrospection("no client_id")),
            Some(client) if !self.clients.iter().any(|c| c == client.as_str()) => {
                return refuse(AuthError::WrongClient)
            }
            Some(_) => {}
        }
        let claims = match serde_json::to_value(answer) {
            Ok(v) => v,
            Err(_) => return refuse(AuthError::BadIntrospection("unreadable answer")),
        };
        if let Some(agency) = claims.get("agency") {
            if agency.as_str() != Some(self.agency.as_str()) {
                return refuse(AuthError::AgencyMismatch);
            }
        }
        match self.claims.identity(&self.agency, &claims) {
            Ok(id) => (Ok(id), self.cache_for.min(remaining)),
            Err(e) => refuse(e),
        }
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Result<Identity, AuthError>> {
        self.cache.get(key).map(|c| c.value)
    }

    fn remember(&self, key: [u8; 32], answer: Result<Identity, AuthError>, ttl: Duration) {
        if ttl.is_zero() {
            return;
        }
        self.cache.insert(key, Expiring::new(answer, ttl));
    }
}

/// An error with its causes (oauth2's own messages hide the cause).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn introspector(cache: Duration) -> Introspector {
        Introspector::new(
            "af",
            "https://id.af.example",
            vec!["samverkan-gateway".into()],
            ClaimMapping::default(),
            IntrospectionSettings {
                url: "http://127.0.0.1:9/introspect".into(),
                client_id: "gw".into(),
                client_secret: "s".into(),
                clients: vec!["staff-portal".into()],
                cache,
                timeout: Duration::from_secs(1),
            },
        )
        .expect("introspector")
    }

    fn answer(json: serde_json::Value) -> IntrospectionAnswer {
        serde_json::from_value(json).expect("an RFC 7662 answer")
    }

    #[test]
    fn an_active_answer_maps_standard_and_extra_fields_and_is_cached_until_exp() {
        let i = introspector(Duration::from_secs(60));
        let now = chrono::Utc::now();
        let a = answer(serde_json::json!({
            "active": true, "sub": "af-1", "iss": "https://id.af.example",
            "aud": "samverkan-gateway", "client_id": "staff-portal",
            "exp": now.timestamp() + 20, "scope": "read write",
            "roles": ["officer"], "unit": "malmo"
        }));
        let (id, ttl) = i.judge(&a, now);
        let id = id.expect("active");
        assert_eq!(id.agency, "af");
        assert_eq!(id.subject, "af-1");
        assert_eq!(id.roles, vec!["officer"]);
        assert_eq!(id.unit.as_deref(), Some("malmo"));
        assert_eq!(id.scopes, vec!["read", "write"]);
        assert!(ttl <= Duration::from_secs(20), "{ttl:?}");
    }

    #[test]
    fn answers_not_naming_exp_issuer_audience_and_client_are_refused_briefly() {
        let i = introspector(Duration::from_secs(60));
        let now = chrono::Utc::now();
        let exp = now.timestamp() + 60;
        let good = serde_json::json!({
            "active": true, "sub": "x", "exp": exp, "iss": "https://id.af.example",
            "aud": ["samverkan-gateway"], "client_id": "staff-portal"
        });
        let with = |key: &str, value: serde_json::Value| {
            let mut a = good.clone();
            if let Some(o) = a.as_object_mut() {
                match value {
                    serde_json::Value::Null => o.remove(key),
                    v => o.insert(key.into(), v),
                };
            }
            a
        };
        assert!(i.judge(&answer(good.clone()), now).0.is_ok(), "{good}");
        let cases = [
            (serde_json::json!({"active": false}), AuthError::NotActive),
            (
                with("exp", serde_json::Value::Null),
                AuthError::BadIntrospection("no exp"),
            ),
            (
                with("exp", (now.timestamp() - 1).into()),
                AuthError::NotActive,
            ),
            (
                with("iss", serde_json::Value::Null),
                AuthError::BadIntrospection("no iss"),
            ),
            (
                with("iss", "https://other".into()),
                AuthError::IntrospectionIssuerMismatch,
            ),
            (
                with("aud", serde_json::Value::Null),
                AuthError::BadIntrospection("no aud"),
            ),
            (with("aud", "someone-else".into()), AuthError::WrongAudience),
            (
                with("client_id", serde_json::Value::Null),
                AuthError::BadIntrospection("no client_id"),
            ),
            (
                with("client_id", "some-other-app".into()),
                AuthError::WrongClient,
            ),
            (with("agency", "fk".into()), AuthError::AgencyMismatch),
        ];
        for (json, expected) in cases {
            let (result, ttl) = i.judge(&answer(json.clone()), now);
            assert_eq!(result, Err(expected), "{json}");
            assert!(ttl <= MAX_REFUSAL_CACHE, "{json}: {ttl:?}");
        }
    }

    #[test]
    fn the_cache_is_bounded_and_keeps_no_token() {
        let mut i = introspector(Duration::from_secs(60));
        i.cache = answer_cache(16);
        for n in 0..100u32 {
            let key: [u8; 32] = Sha256::digest(n.to_be_bytes()).into();
            i.remember(key, Err(AuthError::NotActive), Duration::from_secs(30));
        }
        i.cache.run_pending_tasks();
        let len = i.cache.entry_count();
        assert!(len <= 16, "{len} entries");
        let newest: [u8; 32] = Sha256::digest(99u32.to_be_bytes()).into();
        assert_eq!(i.cached(&newest), Some(Err(AuthError::NotActive)));
    }
}
