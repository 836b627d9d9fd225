//! The chain key: what makes an event's hash a MAC that only the key's
//! holder can compute. The database never holds it (config `audit.chain_key`,
//! from the environment or a file), so whoever can rewrite the tables
//! cannot rewrite the chain to match.

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::TryRngCore;
use secrecy::ExposeSecret;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::config::{AuditConfig, ConfigError};

/// 32 secret bytes, wiped when dropped; `Debug` shows none of them.
#[derive(Clone)]
pub struct ChainKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChainKey(<redacted>)")
    }
}

/// Why a text is not a chain key; names no part of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("must be 32 bytes as 64 hex or 44 base64 characters (got {0} characters)")]
    Length(usize),
    #[error("is neither valid hex nor valid base64")]
    Encoding,
    #[error("has every byte equal: a placeholder, not a key")]
    Weak,
}

impl ChainKey {
    /// The configured key (`audit.chain_key` or `audit.chain_key_file`),
    /// errors naming the key, never its value.
    pub fn from_config(config: &AuditConfig) -> Result<ChainKey, ConfigError> {
        let text = config.chain_key()?;
        ChainKey::from_encoded(text.expose_secret()).map_err(|e| ConfigError::Invalid {
            key: "audit.chain_key".into(),
            message: e.to_string(),
        })
    }

    /// 64 hex or 44 standard-base64 characters; surrounding whitespace is ignored.
    pub fn from_encoded(encoded: &str) -> Result<ChainKey, KeyError> {
        let s = encoded.trim();
        let mut key = Zeroizing::new([0u8; 32]);
        match s.len() {
            64 => hex::decode_to_slice(s, key.as_mut_slice()).map_err(|_| KeyError::Encoding)?,
            44 => {
                let mut scratch = Zeroizing::new([0u8; 48]);
                let n = base64::engine::general_purpose::STANDARD
                    .decode_slice(s, scratch.as_mut_slice())
                    .map_err(|_| KeyError::Encoding)?;
                if n != 32 {
                    return Err(KeyError::Encoding);
                }
                key.copy_from_slice(&scratch[..32]);
            }
            _ => return Err(KeyError::Length(s.chars().count())),
        }
        if key.iter().all(|b| *b == key[0]) {
            return Err(KeyError::Weak);
        }
        Ok(ChainKey(key))
    }

    /// A random key from the operating system (the demo's, made once per
    /// data directory).
    ///
    /// # Panics
    /// If the OS RNG fails: continuing with a weak key would be worse.
    pub fn generate() -> ChainKey {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng
            .try_fill_bytes(key.as_mut_slice())
            .expect("the operating system's random number generator must be available");
        ChainKey(key)
    }

    /// Lowercase hex, for the demo to keep its key in a file. Key material.
    pub fn encode(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_slice()))
    }

    /// A fresh HMAC-SHA256 keyed with this key. Keyed per event rather than
    /// cached: a cached `Hmac` holds key-equivalent pad states that `hmac`
    /// cannot wipe (as `pii::crypto` does for the lookup key).
    pub(super) fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_slice())
            .expect("HMAC takes a key of any length")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_base64_are_read_and_mistakes_named_without_echo() {
        let key = ChainKey::generate();
        let hex = key.encode();
        let b64 = base64::engine::general_purpose::STANDARD
            .encode(hex::decode(hex.as_str()).expect("hex"));
        for text in [hex.to_string(), format!("{b64}\n")] {
            let read = ChainKey::from_encoded(&text).expect("a key");
            assert_eq!(read.encode(), hex);
        }
        assert_eq!(
            ChainKey::from_encoded("abc").map(|_| ()),
            Err(KeyError::Length(3))
        );
        assert_eq!(
            ChainKey::from_encoded(&"zz".repeat(32)).map(|_| ()),
            Err(KeyError::Encoding)
        );
        assert_eq!(
            ChainKey::from_encoded(&"00".repeat(32)).map(|_| ()),
            Err(KeyError::Weak)
        );
        assert_eq!(format!("{key:?}"), "ChainKey(<redacted>)");
    }
}
