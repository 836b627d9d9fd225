//! Browser sessions, kept in the [`Cache`] (Redis in production, so every
//! replica sees them; the in-process cache otherwise). Sign-ins that have
//! not finished are not kept here: the browser that started one holds it
//! (see `http::pending_login`), so no anonymous request stores anything.
//!
//! - The browser holds only a random 256-bit session id in an `HttpOnly`
//!   cookie. The cache key is the id's SHA-256, so whoever can read the
//!   cache (a backup, a `MONITOR`) cannot replay a session from it.
//! - Timeouts are enforced here from the stored timestamps, not by the cache
//!   entry's TTL: a TTL is only garbage collection, and Redis rounds it.
//! - A cookie-authenticated request must be a POST carrying the session's
//!   CSRF token in `X-CSRF-Token`; a cross-site page can make the browser
//!   send the cookie but cannot read the token (`GET /auth/session` has no
//!   CORS), so it cannot forge that header.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use http::{HeaderMap, Method};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::validator::Identity;
use crate::cache::{Cache, CacheError};
use crate::config::SessionConfig;

/// The header that carries the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Longest gap between two "last seen" writes: sparing the cache one write
/// per request costs at most this much of the idle timeout.
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// Writes a secret out, for the one place it must be: the cache entry
/// that holds it (secrecy refuses to serialize a secret by itself).
pub(crate) fn expose<S: serde::Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

/// A signed-in browser: the identity its ID token proved, when, and the
/// CSRF token its page must echo. `Debug` shows no secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub agency: String,
    pub subject: String,
    pub roles: Vec<String>,
    pub unit: Option<String>,
    pub scopes: Vec<String>,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    #[serde(serialize_with = "expose")]
    pub csrf_token: SecretString,
}

impl Session {
    pub fn identity(&self) -> Identity {
        Identity {
            agency: self.agency.clone(),
            subject: self.subject.clone(),
            roles: self.roles.clone(),
            unit: self.unit.clone(),
            scopes: self.scopes.clone(),
            name: self.name.clone(),
            // Signed in through the gateway's own login, not an app's client.
            client: None,
        }
    }
}

/// Why a cookie did not authenticate a request. Messages are safe to return.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the session has ended; sign in again")]
    Ended,
    #[error("a request signed in by session cookie must be a POST with the X-CSRF-Token header")]
    NotPost,
    #[error("a request signed in by session cookie needs its session's X-CSRF-Token header")]
    CsrfMismatch,
    #[error("sessions cannot be checked right now; try again later")]
    Unavailable,
}

impl From<CacheError> for SessionError {
    fn from(e: CacheError) -> Self {
        tracing::warn!(error = %e, "session store unavailable");
        SessionError::Unavailable
    }
}

/// Sessions on top of the shared cache.
#[derive(Clone)]
pub struct SessionStore {
    cache: Arc<dyn Cache>,
    config: SessionConfig,
}

/// 256 random bits, base64url: session ids and CSRF tokens.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn digest(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Compares in constant time (`subtle`), so response timing does not
/// reveal how much of a guessed token was right. A length mismatch is
/// answered at once: lengths are not secret.
pub(crate) fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Whole seconds, rounded up, plus one: a cache TTL must never end an entry
/// before its own timestamps do.
fn cache_ttl(remaining: chrono::Duration) -> Duration {
    let ms = u64::try_from(remaining.num_milliseconds()).unwrap_or(0);
    Duration::from_secs(ms.div_ceil(1000) + 1)
}

impl SessionStore {
    pub fn new(cache: Arc<dyn Cache>, config: SessionConfig) -> Self {
        Self { cache, config }
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    fn session_key(id: &str) -> String {
        format!("session:{}", digest(id))
    }

    fn idle(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.config.idle_timeout_secs).unwrap_or(chrono::Duration::MAX)
    }

    fn absolute(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.config.absolute_timeout_secs)
            .unwrap_or(chrono::Duration::MAX)
    }

    /// When the session ends if nothing else happens: idle or absolute, whichever is first.
    pub fn expires_at(&self, session: &Session) -> DateTime<Utc> {
        (session.last_seen + self.idle()).min(session.created_at + self.absolute())
    }

    /// Starts a session for a verified identity; returns the id for the cookie.
    pub async fn create(&self, identity: &Identity) -> Result<(String, Session), CacheError> {
        let now = Utc::now();
        let session = Session {
            agency: identity.agency.clone(),
            subject: identity.subject.clone(),
            roles: identity.roles.clone(),
            unit: identity.unit.clone(),
            scopes: identity.scopes.clone(),
            name: identity.name.clone(),
            created_at: now,
            last_seen: now,
            csrf_token: random_token().into(),
        };
        let id = random_token();
        self.write(&id, &session, false).await?;
        Ok((id, session))
    }

    async fn write(
        &self,
        id: &str,
        session: &Session,
        only_if_present: bool,
    ) -> Result<bool, CacheError> {
        let bytes = serde_json::to_vec(session)
            .map_err(|e| CacheError::Unavailable(format!("encode session: {e}")))?;
        let ttl = cache_ttl(self.expires_at(session) - Utc::now());
        let key = Self::session_key(id);
        if only_if_present {
            self.cache.set_if_present(&key, &bytes, ttl).await
        } else {
            self.cache.set(&key, &bytes, ttl).await.map(|()| true)
        }
    }

    /// The live session for `id`; an ended one is deleted and `None`.
    pub async fn find(&self, id: &str) -> Result<Option<Session>, CacheError> {
        let key = Self::session_key(id);
        let Some(bytes) = self.cache.get(&key).await? else {
            return Ok(None);
        };
        match serde_json::from_slice::<Session>(&bytes) {
            Ok(session) if Utc::now() < self.expires_at(&session) => Ok(Some(session)),
            _ => {
                self.cache.delete(&key).await?;
                Ok(None)
            }
        }
    }

    /// Records activity, at most once per [`TOUCH_INTERVAL`] (or a tenth of
    /// the idle timeout, if shorter, so a short idle timeout still works).
    /// Never revives a session deleted meanwhile.
    pub async fn touch(&self, id: &str, session: &mut Session) -> Result<(), CacheError> {
        let interval = TOUCH_INTERVAL.min(self.config.idle_timeout_secs / 10);
        let now = Utc::now();
        let since = (now - session.last_seen).to_std().unwrap_or_default();
        if since < interval {
            return Ok(());
        }
        session.last_seen = now;
        self.write(id, session, true).await.map(|_| ())
    }

    pub async fn delete(&self, id: &str) -> Result<(), CacheError> {
        self.cache.delete(&Self::session_key(id)).await
    }

    /// The session id from the request's `Cookie` header(s), if any.
    pub fn cookie<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == self.config.cookie_name)
            .map(|(_, value)| value.trim_matches('"'))
            .filter(|value| !value.is_empty())
    }

    fn cookie_attributes(&self) -> &'static str {
        if self.config.secure_cookie {
            "HttpOnly; SameSite=Lax; Path=/; Secure"
        } else {
            "HttpOnly; SameSite=Lax; Path=/"
        }
    }

    /// `Set-Cookie` for a new session. No `Max-Age`: the cookie dies with
    /// the browser (shared office computers), and the server's timeouts end
    /// the session anyway. `SameSite=Lax` (not `Strict`) so the provider's
    /// redirect back to us still lands signed in.
    pub fn set_cookie(&self, id: &str) -> String {
        format!(
            "{}={id}; {}",
            self.config.cookie_name,
            self.cookie_attributes()
        )
    }

    /// `Set-Cookie` that removes the session cookie.
    pub fn clear_cookie(&self) -> String {
        format!(
            "{}=; Max-Age=0; {}",
            self.config.cookie_name,
            self.cookie_attributes()
        )
    }

    /// The session a request's cookie names, checked as a request that acts
    /// for the user must be: live, POST, and carrying the session's CSRF
    /// token. `Ok(None)` when there is no session cookie. Activity is
    /// recorded only after every check passed, so a forged request cannot
    /// keep a session alive.
    pub async fn authenticate(
        &self,
        method: &Method,
        headers: &HeaderMap,
    ) -> Result<Option<Session>, SessionError> {
        let Some(id) = self.cookie(headers) else {
            return Ok(None);
        };
        let mut session = self.find(id).await?.ok_or(SessionError::Ended)?;
        if method != Method::POST {
            return Err(SessionError::NotPost);
        }
        let sent = headers
            .get(CSRF_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !same_secret(sent, session.csrf_token.expose_secret().as_bytes()) {
            return Err(SessionError::CsrfMismatch);
        }
        self.touch(id, &mut session).await?;
        Ok(Some(session))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::memory::MemoryCache;

    fn store(idle: u64, absolute: u64) -> SessionStore {
        SessionStore::new(
            Arc::new(MemoryCache::default()),
            SessionConfig {
                idle_timeout_secs: Duration::from_secs(idle),
                absolute_timeout_secs: Duration::from_secs(absolute),
                ..SessionConfig::default()
            },
        )
    }

    fn identity() -> Identity {
        Identity {
            agency: "lund".into(),
            subject: "coach-1".into(),
            roles: vec!["coach".into()],
            unit: None,
            scopes: vec![],
            name: None,
            client: None,
        }
    }

    #[tokio::test]
    async fn the_cache_key_is_the_ids_digest_never_the_id() {
        let cache = Arc::new(MemoryCache::default());
        let s = SessionStore::new(cache.clone(), SessionConfig::default());
        let (id, _) = s.create(&identity()).await.expect("create");
        assert_eq!(URL_SAFE_NO_PAD.decode(&id).expect("b64").len(), 32);
        assert!(cache
            .get(&format!("session:{id}"))
            .await
            .expect("get")
            .is_none());
        assert!(cache
            .get(&format!("session:{}", digest(&id)))
            .await
            .expect("get")
            .is_some());
    }

    #[tokio::test]
    async fn an_ended_session_is_gone_and_a_touch_does_not_revive_a_deleted_one() {
        let s = store(60, 120);
        let (id, mut session) = s.create(&identity()).await.expect("create");
        session.created_at -= chrono::Duration::seconds(121);
        s.write(&id, &session, false).await.expect("write");
        assert!(
            s.find(&id).await.expect("find").is_none(),
            "absolute timeout"
        );

        let (id, mut session) = s.create(&identity()).await.expect("create");
        s.delete(&id).await.expect("delete");
        session.last_seen -= chrono::Duration::seconds(30);
        s.touch(&id, &mut session).await.expect("touch");
        assert!(s.find(&id).await.expect("find").is_none(), "not revived");
    }

    #[tokio::test]
    async fn debug_shows_no_session_secret_but_the_cache_keeps_them() {
        let s = store(60, 120);
        let (id, session) = s.create(&identity()).await.expect("create");
        let csrf = session.csrf_token.expose_secret().to_string();
        assert!(!format!("{session:?}").contains(&csrf));
        let found = s.find(&id).await.expect("find").expect("live");
        assert_eq!(found.csrf_token.expose_secret(), csrf);
    }

    #[test]
    fn cookies_are_found_among_others_and_secrets_compare_whole() {
        let s = store(60, 120);
        let mut h = HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            http::HeaderValue::from_static("a=1; samverkan_session=abc; b=2"),
        );
        assert_eq!(s.cookie(&h), Some("abc"));
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"ab"));
        assert!(s.set_cookie("x").ends_with("Secure"));
    }
}
