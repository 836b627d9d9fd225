//! The gateway as an agency's OAuth client (client credentials grant,
//! RFC 6749 section 4.4), to call that agency's own API.
//!
//! - The token is reused until `refresh_margin` before it expires, so an
//!   upstream call never starts with a token about to lapse.
//! - Under concurrency exactly one refresh happens: the others wait for it
//!   and reuse its token, or its error (a failing provider is asked once per
//!   wave of callers, not once per caller).
//! - A failed refresh is not remembered beyond that wave: the next call asks
//!   again. While the old token has not yet expired it is still handed out,
//!   because the margin is there to refresh early, not to fail early.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use oauth2::basic::{BasicClient, BasicErrorResponse};
use oauth2::{
    ClientId, ClientSecret, EndpointNotSet, EndpointSet, HttpClientError, RequestTokenError, Scope,
    TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

pub use oauth2::AccessToken;

use crate::auth::introspection::error_chain;
use crate::config::{ClientCredentialsConfig, ConfigError};

/// How long a token is reused when the provider does not say (`expires_in`
/// is only RECOMMENDED by RFC 6749).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);
/// Timeout of one token request.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

type TokenClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Why no token could be had. Never carries the client secret or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientCredentialsError {
    #[error("agency {agency}: the token endpoint refused the gateway's client: {message}")]
    Refused { agency: String, message: String },
    #[error("agency {agency}: the token endpoint cannot be reached: {message}")]
    Unreachable { agency: String, message: String },
    #[error("agency {agency}: the token endpoint's answer is unusable: {message}")]
    BadResponse { agency: String, message: String },
}

/// Where and as whom the gateway asks for tokens.
#[derive(Debug, Clone)]
pub struct ClientCredentialsSettings {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub scopes: Vec<String>,
    /// Refresh this long before the token expires.
    pub refresh_margin: Duration,
    pub timeout: Duration,
}

/// Tokens are bearer credentials: compared in constant time (`subtle`).
fn same_token(a: &AccessToken, b: &AccessToken) -> bool {
    a.secret().as_bytes().ct_eq(b.secret().as_bytes()).into()
}

#[derive(Clone)]
struct Current {
    token: AccessToken,
    /// From here on the token is refreshed before use.
    refresh_at: Instant,
    /// From here on the token is not used at all.
    expires_at: Instant,
}

/// What the last refresh left behind; guarded by the refresh lock.
#[derive(Default)]
struct RefreshState {
    last_error: Option<ClientCredentialsError>,
}

/// One agency's client: a cached access token, refreshed on demand.
pub struct ClientCredentials {
    agency: String,
    client: TokenClient,
    scopes: Vec<Scope>,
    refresh_margin: Duration,
    http: reqwest::Client,
    current: RwLock<Option<Current>>,
    /// Held for the whole of a refresh, so only one runs at a time.
    refresh: tokio::sync::Mutex<RefreshState>,
    /// Refresh attempts so far; a waiter that sees it move shares the outcome.
    attempts: AtomicU64,
    fetches: AtomicU64,
}

impl ClientCredentials {
    pub fn new(
        agency: impl Into<String>,
        settings: ClientCredentialsSettings,
    ) -> Result<Self, String> {
        let token_url =
            TokenUrl::new(settings.token_url).map_err(|e| format!("not a valid token URL: {e}"))?;
        let client = BasicClient::new(ClientId::new(settings.client_id))
            .set_client_secret(ClientSecret::new(
                settings.client_secret.expose_secret().to_owned(),
            ))
            .set_auth_type(oauth2::AuthType::BasicAuth)
            .set_token_uri(token_url);
        // No redirects: the client secret goes to the configured endpoint only.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            agency: agency.into(),
            client,
            scopes: settings.scopes.into_iter().map(Scope::new).collect(),
            refresh_margin: settings.refresh_margin,
            http,
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(RefreshState::default()),
            attempts: AtomicU64::new(0),
            fetches: AtomicU64::new(0),
        })
    }

    /// The client for agency `code` from its `[agencies.<code>.client]` section.
    pub fn from_config(code: &str, config: &ClientCredentialsConfig) -> Result<Self, ConfigError> {
        let key = format!("agencies.{code}.client");
        let settings = ClientCredentialsSettings {
            token_url: config.token_url.clone(),
            client_id: config.client_id.clone(),
            client_secret: config.secret.resolve(&key)?,
            scopes: config.scopes.clone(),
            refresh_margin: config.refresh_margin_secs,
            timeout: DEFAULT_TIMEOUT,
        };
        Self::new(code, settings).map_err(|message| ConfigError::Invalid { key, message })
    }

    pub fn agency(&self) -> &str {
        &self.agency
    }

    /// How many times the token endpoint was asked (for tests and metrics).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// A token to call the agency's API with, fetched only when the cached
    /// one is within the refresh margin of its expiry.
    pub async fn token(&self) -> Result<AccessToken, ClientCredentialsError> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let seen = self.attempts.load(Ordering::SeqCst);
        let mut state = self.refresh.lock().await;
        // Someone refreshed while we waited: use their token...
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        // ...or their error, rather than asking a failing provider again.
        if self.attempts.load(Ordering::SeqCst) != seen {
            if let Some(e) = &state.last_error {
                return self.fallback(e.clone());
            }
        }
        let result = self.fetch().await;
        self.attempts.fetch_add(1, Ordering::SeqCst);
        match result {
            Ok(current) => {
                state.last_error = None;
                let token = current.token.clone();
                *self.current.write().expect("token lock poisoned") = Some(current);
                Ok(token)
            }
            Err(e) => {
                tracing::warn!(agency = %self.agency, error = %e, "client credentials refresh failed");
                state.last_error = Some(e.clone());
                self.fallback(e)
            }
        }
    }

    /// The agency refused `token` (revoked, or its clock runs ahead of
    /// ours): drop it, so the next call fetches a new one. A token someone
    /// else has already replaced is left alone.
    pub fn forget(&self, token: &AccessToken) {
        let mut current = self.current.write().expect("token lock poisoned");
        if current
            .as_ref()
            .is_some_and(|c| same_token(&c.token, token))
        {
            *current = None;
        }
    }

    /// The cached token while it is outside the refresh margin.
    fn fresh(&self) -> Option<AccessToken> {
        let current = self.current.read().expect("token lock poisoned");
        current
            .as_ref()
            .filter(|c| Instant::now() < c.refresh_at)
            .map(|c| c.token.clone())
    }

    /// After a failed refresh: the old token if it has not expired, else the error.
    fn fallback(&self, e: ClientCredentialsError) -> Result<AccessToken, ClientCredentialsError> {
        let current = self.current.read().expect("token lock poisoned");
        match current.as_ref().filter(|c| Instant::now() < c.expires_at) {
            Some(c) => Ok(c.token.clone()),
            None => Err(e),
        }
    }

    async fn fetch(&self) -> Result<Current, ClientCredentialsError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        // Timed from before the request, so the token is never thought to
        // live longer than it does.
        let asked_at = Instant::now();
        let response = self
            .client
            .exchange_client_credentials()
            .add_scopes(self.scopes.iter().cloned())
            .request_async(&self.http)
            .await
            .map_err(|e| self.error(e))?;
        let lifetime = response.expires_in().unwrap_or(DEFAULT_LIFETIME);
        // A token shorter-lived than the margin is still reused for half its life.
        let reuse = match lifetime.checked_sub(self.refresh_margin) {
            Some(d) if !d.is_zero() => d,
            _ => lifetime / 2,
        };
        Ok(Current {
            token: response.access_token().clone(),
            refresh_at: asked_at + reuse,
            expires_at: asked_at + lifetime,
        })
    }

    fn error(
        &self,
        e: RequestTokenError<HttpClientError<reqwest::Error>, BasicErrorResponse>,
    ) -> ClientCredentialsError {
        let agency = self.agency.clone();
        match e {
            RequestTokenError::ServerResponse(r) => ClientCredentialsError::Refused {
                agency,
                message: r.to_string(),
            },
            RequestTokenError::Request(e) => ClientCredentialsError::Unreachable {
                agency,
                message: error_chain(&e),
            },
            // The body is left out: it may hold a token.
            RequestTokenError::Parse(e, _body) => ClientCredentialsError::BadResponse {
                agency,
                message: e.to_string(),
            },
            RequestTokenError::Other(message) => {
                ClientCredentialsError::BadResponse { agency, message }
            }
        }
    }
}
