//! An agency's signing keys, fetched from its JWKS URL and cached.
//!
//! - Keys are cached and refreshed in the background before they go stale.
//! - A token with an unknown `kid` triggers one refresh, but at most one per
//!   `min_refresh_interval` (a flood of random kids must not flood the
//!   provider), and concurrent callers share that one fetch.
//! - If the provider is down, the last good keys are used for `max_stale`,
//!   after which tokens are refused with a clear error.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::DecodingKey;

use super::validator::AuthError;

/// Largest JWKS document accepted.
const MAX_JWKS_BYTES: usize = 256 * 1024;

pub use crate::config::JwksSettings;

/// A parsed key set: by kid, and the single key for tokens without a kid.
#[derive(Default, Clone)]
pub struct KeySet {
    by_kid: HashMap<String, DecodingKey>,
    only: Option<DecodingKey>,
}

impl KeySet {
    pub fn from_jwks(jwks: &JwkSet) -> Result<KeySet, String> {
        let mut by_kid = HashMap::new();
        let mut all = Vec::new();
        for jwk in &jwks.keys {
            // A key we cannot use (unknown type, encryption key) is skipped, not fatal.
            let Ok(key) = DecodingKey::from_jwk(jwk) else {
                continue;
            };
            if let Some(kid) = &jwk.common.key_id {
                by_kid.insert(kid.clone(), key.clone());
            }
            all.push(key);
        }
        if all.is_empty() {
            return Err("the key set holds no usable signing key".into());
        }
        let only = if all.len() == 1 { all.pop() } else { None };
        Ok(KeySet { by_kid, only })
    }

    pub fn get(&self, kid: Option<&str>) -> Option<&DecodingKey> {
        match kid {
            Some(kid) => self.by_kid.get(kid),
            None => self.only.as_ref(),
        }
    }
}

struct State {
    keys: KeySet,
    /// When the keys were last fetched successfully.
    fetched_at: Option<Instant>,
    /// When a fetch was last tried (successful or not).
    attempted_at: Option<Instant>,
}

/// Where the key set is published: directly, or named by the provider's
/// OpenID discovery document (whose `issuer` must be the agency's).
enum Source {
    Jwks(String),
    Discovery {
        url: String,
        issuer: String,
        jwks_uri: RwLock<Option<String>>,
    },
}

pub struct RemoteKeys {
    url: String,
    source: Source,
    settings: JwksSettings,
    http: reqwest::Client,
    state: RwLock<State>,
    /// One fetch at a time; callers that wait reuse its result.
    refresh: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
}

impl RemoteKeys {
    pub fn new(url: impl Into<String>, settings: JwksSettings) -> Result<Self, String> {
        let url = url.into();
        Self::with_source(url.clone(), Source::Jwks(url), settings)
    }

    /// Keys found through the provider's discovery document; the document's
    /// `issuer` must equal `issuer`, or the keys are not this agency's.
    pub fn from_discovery(
        discovery_url: impl Into<String>,
        issuer: impl Into<String>,
        settings: JwksSettings,
    ) -> Result<Self, String> {
        let url = discovery_url.into();
        let source = Source::Discovery {
            url: url.clone(),
            issuer: issuer.into(),
            jwks_uri: RwLock::new(None),
        };
        Self::with_source(url, source, settings)
    }

    fn with_source(url: String, source: Source, settings: JwksSettings) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            // A provider may not send us elsewhere for its keys.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            url,
            source,
            settings,
            http,
            state: RwLock::new(State {
                keys: KeySet::default(),
                fetched_at: None,
                attempted_at: None,
            }),
            refresh: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
        })
    }

    /// How many times the provider was asked (for tests and metrics).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The key for `kid`, refreshing (rate-limited) when it is unknown.
    pub async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, AuthError> {
        if let Some(found) = self.cached(kid)? {
            return Ok(found);
        }
        let seen_attempt = self.read().attempted_at;
        let _guard = self.refresh.lock().await;
        // Someone else fetched while we waited: use what they got.
        let fetched_meanwhile = self.read().attempted_at != seen_attempt;
        let may_fetch = self
            .read()
            .attempted_at
            .is_none_or(|at| at.elapsed() >= self.settings.min_refresh_interval);
        if !fetched_meanwhile && may_fetch {
            if let Err(e) = self.fetch().await {
                tracing::warn!(url = %self.url, error = %e, "JWKS fetch failed");
            }
        }
        self.cached(kid)?.ok_or(AuthError::UnknownKey)
    }

    /// Fetches now; used at start and by the background refresher.
    pub async fn refresh_now(&self) -> Result<(), String> {
        let _guard = self.refresh.lock().await;
        self.fetch().await
    }

    /// Refreshes every `refresh_interval` until the returned handle is aborted.
    pub fn spawn_refresher(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = Arc::downgrade(self);
        let period = self.settings.refresh_interval;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(keys) = me.upgrade() else { break };
                if let Err(e) = keys.refresh_now().await {
                    tracing::warn!(url = %keys.url, error = %e, "background JWKS refresh failed; keeping the last good keys");
                }
            }
        })
    }

    /// Whether the cached keys may still be used (not past the stale limit).
    pub fn is_fresh(&self) -> bool {
        self.cached(None).is_ok() && self.read().fetched_at.is_some()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().expect("JWKS state lock poisoned")
    }

    /// `Err` when the keys are too old to trust; `Ok(None)` when the kid is unknown.
    fn cached(&self, kid: Option<&str>) -> Result<Option<DecodingKey>, AuthError> {
        let state = self.read();
        match state.fetched_at {
            Some(at) if at.elapsed() > self.settings.refresh_interval + self.settings.max_stale => {
                Err(AuthError::KeysUnavailable)
            }
            Some(_) => Ok(state.keys.get(kid).cloned()),
            None => Ok(None),
        }
    }

    /// The JWKS URL, reading the discovery document once when needed.
    async fn jwks_url(&self) -> Result<String, String> {
        let (url, issuer, cached) = match &self.source {
            Source::Jwks(url) => return Ok(url.clone()),
            Source::Discovery {
                url,
                issuer,
                jwks_uri,
            } => (url, issuer, jwks_uri),
        };
        if let Some(known) = cached.read().expect("discovery lock poisoned").clone() {
            return Ok(known);
        }
        #[derive(serde::Deserialize)]
        struct Discovery {
            issuer: String,
            jwks_uri: String,
        }
        let doc: Discovery = self
            .http
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| format!("discovery: {e}"))?
            .json()
            .await
            .map_err(|e| format!("discovery document: {e}"))?;
        if &doc.issuer != issuer {
            return Err("the discovery document names another issuer".into());
        }
        // The same rule as a configured `jwks_url`.
        if !crate::config::endpoint::allowed(&doc.jwks_uri, false) {
            return Err(
                "the discovery document's jwks_uri must be https (plain http only on loopback)"
                    .into(),
            );
        }
        *cached.write().expect("discovery lock poisoned") = Some(doc.jwks_uri.clone());
        Ok(doc.jwks_uri)
    }

    async fn fetch(&self) -> Result<(), String> {
        self.state
            .write()
            .expect("JWKS state lock poisoned")
            .attempted_at = Some(Instant::now());
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let jwks_url = self.jwks_url().await?;
        let resp = self
            .http
            .get(&jwks_url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| e.to_string())?;
        if resp
            .content_length()
            .is_some_and(|n| n as usize > MAX_JWKS_BYTES)
        {
            return Err("JWKS document too large".into());
        }
        let body = resp.bytes().await.map_err(|e| e.to_string())?;
        if body.len() > MAX_JWKS_BYTES {
            return Err("JWKS document too large".into());
        }
        let jwks: JwkSet = serde_json::from_slice(&body).map_err(|e| format!("not a JWKS: {e}"))?;
        let keys = KeySet::from_jwks(&jwks)?;
        let mut state = self.state.write().expect("JWKS state lock poisoned");
        state.keys = keys;
        state.fetched_at = Some(Instant::now());
        Ok(())
    }
}
