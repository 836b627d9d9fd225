//! A started browser sign-in, held by the browser that started it.
//!
//! Between `/auth/{agency}/login` and the provider's redirect back, the
//! gateway must remember the PKCE verifier, the OpenID `nonce` and the
//! `state`. They travel in an encrypted, authenticated cookie (the `cookie`
//! crate's private jar, AES-256-GCM, the cookie's name bound into the
//! ciphertext), not in the cache:
//!
//! - **Bound to the browser.** The callback is accepted only together with
//!   the cookie its own `/login` set, and its `state` must be the one
//!   sealed inside. A callback URL an attacker captured, or one from the
//!   attacker's own sign-in pushed to a victim (login CSRF: the victim would
//!   work signed in as the attacker), arrives without that cookie and is
//!   refused.
//! - **Nothing anonymous is stored.** Anyone may start a sign-in, so a
//!   flood of them must not fill the cache or push sessions out of it; the
//!   browser carries its own.
//! - **Short-lived and one-shot.** The sealed time bounds it to
//!   [`PENDING_LOGIN_TTL`] (a cookie's `Max-Age` is the browser's to
//!   ignore), the callback clears it, and the provider redeems a code once.
//!
//! The key is derived from `crypto.lookup_key`, which every replica already
//! shares, so a sign-in started at one replica finishes at any other.

use std::time::Duration;

use chrono::{DateTime, Utc};
use cookie::{Cookie, CookieJar, Key, SameSite};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::auth::session::{expose, same_secret};

/// How long a started sign-in may take at the provider.
pub const PENDING_LOGIN_TTL: Duration = Duration::from_secs(10 * 60);

/// The cookie's name over plain HTTP (the demo, tests); sent only to
/// `/auth/` paths.
pub const PENDING_COOKIE: &str = "samverkan_login";
/// Its name when cookies are `Secure`: the `__Host-` prefix makes browsers
/// refuse one set by a sibling domain or for a narrower path, so another
/// site under the same parent domain cannot plant its own pending sign-in
/// (login CSRF by cookie tossing). Such a cookie must have `Path=/`.
pub const SECURE_PENDING_COOKIE: &str = "__Host-samverkan_login";

/// Names the derived key's purpose, so it is independent of any other key
/// derived from the same secret.
const KEY_PURPOSE: &[u8] = b"samverkan pending sign-in cookie v1";

/// What the browser carries between `/login` and `/callback`. `Debug`
/// shows no secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub agency: String,
    #[serde(serialize_with = "expose")]
    pub state: SecretString,
    #[serde(serialize_with = "expose")]
    pub pkce_verifier: SecretString,
    #[serde(serialize_with = "expose")]
    pub nonce: SecretString,
    pub created_at: DateTime<Utc>,
    /// A relative path on this site to land on after sign-in.
    pub return_to: Option<String>,
}

/// Why a callback's pending sign-in was not accepted. Messages are safe to
/// show: they say nothing about the cookie's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PendingError {
    #[error("this sign-in was not started in this browser, or it has expired; start again")]
    Missing,
    #[error("this sign-in is unknown, already used or expired; start again")]
    Mismatch,
}

/// Seals and opens the pending-sign-in cookie.
pub struct PendingSeal {
    key: Key,
    secure: bool,
}

impl PendingSeal {
    /// The seal keyed from `secret` (the lookup key; any replica derives the
    /// same key).
    pub fn new(secret: &SecretString, secure: bool) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(KEY_PURPOSE);
        let master = mac.finalize().into_bytes();
        Self {
            key: Key::derive_from(&master),
            secure,
        }
    }

    fn name(&self) -> &'static str {
        if self.secure {
            SECURE_PENDING_COOKIE
        } else {
            PENDING_COOKIE
        }
    }

    fn cookie(&self, value: String, max_age: Duration) -> Cookie<'static> {
        Cookie::build((self.name(), value))
            .path(if self.secure { "/" } else { "/auth/" })
            .http_only(true)
            // Lax, not Strict: the provider's redirect back is a top-level
            // navigation from another site and must carry the cookie.
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .max_age(cookie::time::Duration::seconds(max_age.as_secs() as i64))
            .build()
    }

    /// `Set-Cookie` holding `pending`, sealed.
    pub fn set_cookie(&self, pending: &PendingLogin) -> String {
        let json = serde_json::to_string(pending).unwrap_or_default();
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key)
            .add(self.cookie(json, PENDING_LOGIN_TTL));
        jar.delta()
            .next()
            .map(|c| c.to_string())
            .unwrap_or_default()
    }

    /// `Set-Cookie` that removes the cookie (after every callback).
    pub fn clear_cookie(&self) -> String {
        self.cookie(String::new(), Duration::ZERO).to_string()
    }

    /// The pending sign-in this browser started for `agency` with `state`.
    pub fn open(
        &self,
        headers: &HeaderMap,
        agency: &str,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<PendingLogin, PendingError> {
        // Every cookie of that name is tried, not only the first: one
        // planted beside the browser's own must not hide it.
        let name = self.name();
        let pending = headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .filter(|c| c.name() == name)
            .filter_map(|c| {
                let mut jar = CookieJar::new();
                jar.add_original(c.into_owned());
                let opened = jar.private(&self.key).get(name)?;
                serde_json::from_str::<PendingLogin>(opened.value()).ok()
            })
            .find(|p| same_secret(p.state.expose_secret().as_bytes(), state.as_bytes()))
            .ok_or(PendingError::Missing)?;
        let max_age = chrono::Duration::from_std(PENDING_LOGIN_TTL).unwrap_or_default();
        if now - pending.created_at > max_age {
            return Err(PendingError::Missing);
        }
        if pending.agency != agency {
            return Err(PendingError::Mismatch);
        }
        Ok(pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(state: &str) -> PendingLogin {
        PendingLogin {
            agency: "lund".into(),
            state: state.into(),
            pkce_verifier: "pkce-s3cret".into(),
            nonce: "nonce-s3cret".into(),
            created_at: Utc::now(),
            return_to: Some("/dash".into()),
        }
    }

    fn request_with(set_cookie: &str) -> HeaderMap {
        let pair = set_cookie.split(';').next().expect("name=value");
        let mut headers = HeaderMap::new();
        headers.insert(http::header::COOKIE, pair.parse().expect("header"));
        headers
    }

    #[test]
    fn a_sealed_sign_in_opens_only_with_its_state_agency_key_and_time() {
        let seal = PendingSeal::new(&"lookup-key".into(), true);
        let set = seal.set_cookie(&pending("state-1"));
        assert!(!set.contains("s3cret"), "sealed, not readable: {set}");
        assert!(set.starts_with("__Host-samverkan_login="), "{set}");
        for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/;"] {
            assert!(set.contains(attribute), "{attribute} in {set}");
        }
        let headers = request_with(&set);
        let now = Utc::now();
        let opened = seal.open(&headers, "lund", "state-1", now).expect("opens");
        assert_eq!(opened.pkce_verifier.expose_secret(), "pkce-s3cret");
        assert_eq!(opened.return_to.as_deref(), Some("/dash"));

        assert_eq!(
            seal.open(&headers, "lund", "state-2", now).unwrap_err(),
            PendingError::Missing
        );
        // A planted cookie beside the browser's own does not hide it.
        let planted = seal.set_cookie(&pending("attackers-state"));
        let pair = |c: &str| c.split(';').next().expect("pair").to_string();
        let mut both = HeaderMap::new();
        both.insert(
            http::header::COOKIE,
            format!("{}; {}", pair(&planted), pair(&set))
                .parse()
                .expect("header"),
        );
        assert!(seal.open(&both, "lund", "state-1", now).is_ok());
        assert_eq!(
            seal.open(&headers, "malmo", "state-1", now).unwrap_err(),
            PendingError::Mismatch
        );
        let other = PendingSeal::new(&"another-key".into(), true);
        assert_eq!(
            other.open(&headers, "lund", "state-1", now).unwrap_err(),
            PendingError::Missing
        );
        let later = now + chrono::Duration::minutes(11);
        assert_eq!(
            seal.open(&headers, "lund", "state-1", later).unwrap_err(),
            PendingError::Missing
        );
        assert_eq!(
            seal.open(&HeaderMap::new(), "lund", "state-1", now)
                .unwrap_err(),
            PendingError::Missing
        );
        assert!(!format!("{opened:?}").contains("s3cret"));
    }
}
