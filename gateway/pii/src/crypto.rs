//! Encryption at rest and keyed lookup hashes for personnummer.
//!
//! A personnummer is stored twice in the database, and never in the clear:
//! - encrypted with XChaCha20-Poly1305 (AEAD), so the owning unit can read it
//!   back and any tampering is detected. XChaCha's 24-byte nonce is large
//!   enough to be chosen at random for every write without a counter.
//! - as HMAC-SHA256 under a *separate* key, so "is this person already
//!   registered?" is an indexed equality lookup that needs no decryption. A
//!   plain hash would not do: there are only about 10^9 valid numbers, so an
//!   unkeyed hash is reversed by enumeration in seconds.
//!
//! The two keys are independent so that leaking the lookup key (needed by
//! more code paths) does not expose the ciphertexts, and vice versa.
//!
//! Blob layout of an encrypted personnummer (52 bytes):
//! `nonce (24) || ciphertext of the 12 ASCII digits (12) || Poly1305 tag (16)`,
//! authenticated with the associated data [`PERSONNUMMER_AAD`], which names the
//! column and a format version so a blob cannot be replayed into another
//! field or read under a future format by mistake.

use std::fmt;

use base64::Engine as _;
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::{RngCore, TryRngCore};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroizing;

use crate::personnummer::Personnummer;

/// Associated data bound into every personnummer ciphertext.
pub const PERSONNUMMER_AAD: &[u8] = b"participant.personnummer.v1";

/// Length of the XChaCha20 nonce that prefixes every blob.
const NONCE_LEN: usize = 24;
/// A normalised personnummer is 12 ASCII digits.
const PLAINTEXT_LEN: usize = 12;
/// Poly1305 tag length.
const TAG_LEN: usize = 16;
/// Total length of an encrypted personnummer blob.
pub const ENCRYPTED_PERSONNUMMER_LEN: usize = NONCE_LEN + PLAINTEXT_LEN + TAG_LEN;
/// Length of a lookup hash (HMAC-SHA256 output).
pub const LOOKUP_HASH_LEN: usize = 32;

/// Which of the two keys an error is about (never the key itself).
const ENCRYPTION: &str = "encryption";
const LOOKUP: &str = "lookup";

/// Errors from key loading and decryption.
///
/// No message contains key material, encoded key text or plaintext: these
/// errors are logged at startup and on failed reads.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The encoded key has neither 64 (hex) nor 44 (base64) characters.
    #[error(
        "{which} key has {len} characters; expected 64 hex or 44 base64 characters (32 bytes)"
    )]
    KeyLength {
        /// `"encryption"` or `"lookup"`.
        which: &'static str,
        /// Length of the (trimmed) input in characters.
        len: usize,
    },
    /// The encoded key has a plausible length but is not valid hex or base64,
    /// or base64 that does not decode to exactly 32 bytes.
    #[error("{which} key is not valid hex or standard base64 for 32 bytes")]
    KeyEncoding {
        /// `"encryption"` or `"lookup"`.
        which: &'static str,
    },
    /// A key whose bytes are all the same (e.g. a `000…` placeholder left in
    /// the environment).
    #[error("{which} key is a placeholder (all bytes equal); generate a random key")]
    WeakKey {
        /// `"encryption"` or `"lookup"`.
        which: &'static str,
    },
    /// The encryption and lookup keys are identical; they must be independent.
    #[error("encryption and lookup keys must be different")]
    SameKeys,
    /// Authentication failed: wrong key, tampered blob or wrong associated data.
    #[error("decryption failed: wrong key or tampered data")]
    Decrypt,
    /// The blob has the wrong length, or it authenticated but does not
    /// contain a valid personnummer.
    #[error("encrypted personnummer is corrupt")]
    Corrupt,
}

/// Keys for personal data: XChaCha20-Poly1305 for encryption, HMAC-SHA256 for
/// the lookup hash. Two independent 32-byte keys.
///
/// The raw keys live in [`Zeroizing`] buffers and the cipher zeroizes its own
/// copy on drop, so no key bytes are left in freed memory (copies the caller
/// made before [`PiiKeys::new`] are the caller's to wipe). `Debug` prints no
/// key material.
///
/// The HMAC is keyed per call from the zeroized key rather than cached: a
/// cached `Hmac<Sha256>` holds the key-equivalent inner/outer pad states,
/// which `hmac` 0.12 cannot zeroize. Keying costs two SHA-256 blocks, about
/// 0.3 µs, i.e. ~30 ms over a 100,000-person seed run.
pub struct PiiKeys {
    /// Constructed once; per-call work is only the nonce and the AEAD itself.
    cipher: XChaCha20Poly1305,
    /// Kept for [`PiiKeys::encode`].
    encryption_key: Zeroizing<[u8; 32]>,
    lookup_key: Zeroizing<[u8; 32]>,
}

impl PiiKeys {
    /// Builds the keys from raw bytes. Does not check for weak or equal keys;
    /// that is done where keys come from configuration
    /// ([`from_encoded`](PiiKeys::from_encoded)).
    pub fn new(encryption_key: [u8; 32], lookup_key: [u8; 32]) -> Self {
        Self::from_zeroizing(Zeroizing::new(encryption_key), Zeroizing::new(lookup_key))
    }

    /// Takes ownership of already-protected buffers, so that keys decoded or
    /// generated here are never copied into unprotected temporaries.
    fn from_zeroizing(
        encryption_key: Zeroizing<[u8; 32]>,
        lookup_key: Zeroizing<[u8; 32]>,
    ) -> Self {
        let cipher =
            XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(encryption_key.as_slice()));
        PiiKeys {
            cipher,
            encryption_key,
            lookup_key,
        }
    }

    /// Keys given as hex (64 chars) or standard base64 (44 chars) strings, as
    /// they come from the environment. Surrounding whitespace (a trailing
    /// newline from a secrets file) is ignored.
    ///
    /// Rejects keys whose bytes are all equal and two identical keys, which
    /// are configuration mistakes rather than keys.
    pub fn from_encoded(encryption_key: &str, lookup_key: &str) -> Result<Self, CryptoError> {
        let enc = decode_key(encryption_key, ENCRYPTION)?;
        let look = decode_key(lookup_key, LOOKUP)?;
        // Key bytes are only ever compared in constant time.
        if bool::from(enc.as_slice().ct_eq(look.as_slice())) {
            return Err(CryptoError::SameKeys);
        }
        Ok(Self::from_zeroizing(enc, look))
    }

    /// Random keys from the operating system's RNG, for demo mode.
    ///
    /// # Panics
    /// If the OS RNG fails, which on supported platforms means the system is
    /// unusable; continuing with weak keys would be worse.
    pub fn generate() -> Self {
        let mut enc = Zeroizing::new([0u8; 32]);
        let mut look = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng
            .try_fill_bytes(enc.as_mut_slice())
            .expect("the operating system's random number generator must be available");
        rand::rngs::OsRng
            .try_fill_bytes(look.as_mut_slice())
            .expect("the operating system's random number generator must be available");
        Self::from_zeroizing(enc, look)
    }

    /// The two keys as lowercase hex `(encryption, lookup)`, for the demo to
    /// save its generated keys. The strings are key material: the caller
    /// should write them to a protected file and drop them.
    pub fn encode(&self) -> (String, String) {
        (
            hex::encode(self.encryption_key.as_slice()),
            hex::encode(self.lookup_key.as_slice()),
        )
    }

    /// Encrypts with a fresh random 24-byte nonce, prefixed to the output.
    /// Encrypting the same number twice gives different blobs, so equal
    /// ciphertexts do not reveal equal people (use the lookup hash for that).
    pub fn encrypt_personnummer(&self, p: &Personnummer) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        // ThreadRng is a CSPRNG seeded from the OS; 192-bit random nonces
        // make a collision negligible.
        rand::rng().fill_bytes(&mut nonce);
        self.seal(&nonce, p)
    }

    /// Deterministic variant for the synthetic data generator: the nonce is
    /// the first 24 bytes of the lookup hash, so a seed run is reproducible.
    ///
    /// The nonce is still unique per number (it is a keyed PRF of the
    /// number), so no two different plaintexts share a nonce; the only thing
    /// this reveals is that two blobs hold the same number, which the lookup
    /// hash reveals anyway. Use the random variant for real data.
    pub fn encrypt_personnummer_deterministic(&self, p: &Personnummer) -> Vec<u8> {
        let mac = self.mac(p);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&mac[..NONCE_LEN]);
        self.seal(&nonce, p)
    }

    /// Decrypts and re-validates a blob from
    /// [`encrypt_personnummer`](PiiKeys::encrypt_personnummer) or its
    /// deterministic variant.
    ///
    /// The plaintext is parsed with [`Personnummer::parse_today`], so only a
    /// number valid today comes out, even if the blob was written by a buggy
    /// or older writer.
    pub fn decrypt_personnummer(&self, blob: &[u8]) -> Result<Personnummer, CryptoError> {
        if blob.len() != ENCRYPTED_PERSONNUMMER_LEN {
            return Err(CryptoError::Corrupt);
        }
        let (nonce, rest) = blob.split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(PLAINTEXT_LEN);
        // Decrypt on the stack so the plaintext is never in a heap buffer we
        // cannot wipe.
        let mut buf = Zeroizing::new([0u8; PLAINTEXT_LEN]);
        buf.copy_from_slice(ciphertext);
        self.cipher
            .decrypt_in_place_detached(
                XNonce::from_slice(nonce),
                PERSONNUMMER_AAD,
                buf.as_mut_slice(),
                Tag::from_slice(tag),
            )
            .map_err(|_| CryptoError::Decrypt)?;
        let text = std::str::from_utf8(buf.as_slice()).map_err(|_| CryptoError::Corrupt)?;
        Personnummer::parse_today(text).map_err(|_| CryptoError::Corrupt)
    }

    /// HMAC-SHA256(lookup key, the 12 digits): 32 bytes, stable for a given
    /// key, for an indexed equality lookup without decrypting.
    pub fn lookup_hash(&self, p: &Personnummer) -> Vec<u8> {
        self.mac(p).to_vec()
    }

    /// The raw HMAC, on the stack (the lookup hash and the deterministic
    /// nonce both come from here).
    fn mac(&self, p: &Personnummer) -> [u8; LOOKUP_HASH_LEN] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.lookup_key.as_slice())
            .expect("HMAC accepts keys of any length");
        mac.update(p.expose_digits().as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Encrypts `p` under `nonce` into a single exact-size allocation:
    /// `nonce || ciphertext || tag`. The digits are encrypted in place inside
    /// the output, so no plaintext copy is left on the heap.
    fn seal(&self, nonce: &[u8; NONCE_LEN], p: &Personnummer) -> Vec<u8> {
        let mut out = Vec::with_capacity(ENCRYPTED_PERSONNUMMER_LEN);
        out.extend_from_slice(nonce);
        out.extend_from_slice(p.expose_digits().as_bytes());
        let tag = self
            .cipher
            .encrypt_in_place_detached(
                XNonce::from_slice(nonce),
                PERSONNUMMER_AAD,
                &mut out[NONCE_LEN..],
            )
            .expect("XChaCha20-Poly1305 only fails for messages over 256 GiB; this is 12 bytes");
        out.extend_from_slice(&tag);
        out
    }
}

/// Prints only that keys are present.
impl fmt::Debug for PiiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PiiKeys")
            .field("encryption_key", &"<redacted>")
            .field("lookup_key", &"<redacted>")
            .finish()
    }
}

/// Decodes one 32-byte key from 64 hex or 44 standard-base64 characters.
/// Errors name the key (`which`) and, for a wrong length, the length only.
fn decode_key(encoded: &str, which: &'static str) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let s = encoded.trim();
    let mut key = Zeroizing::new([0u8; 32]);
    match s.len() {
        64 => {
            hex::decode_to_slice(s, key.as_mut_slice())
                .map_err(|_| CryptoError::KeyEncoding { which })?;
        }
        44 => {
            // Decode into a larger scratch buffer and require exactly 32
            // bytes, so that 44 characters encoding fewer bytes are refused.
            let mut scratch = Zeroizing::new([0u8; 48]);
            let n = base64::engine::general_purpose::STANDARD
                .decode_slice(s, scratch.as_mut_slice())
                .map_err(|_| CryptoError::KeyEncoding { which })?;
            if n != 32 {
                return Err(CryptoError::KeyEncoding { which });
            }
            key.copy_from_slice(&scratch[..32]);
        }
        _ => {
            return Err(CryptoError::KeyLength {
                which,
                len: s.chars().count(),
            })
        }
    }
    let all_equal = key
        .iter()
        .fold(Choice::from(1), |all, b| all & b.ct_eq(&key[0]));
    if bool::from(all_equal) {
        return Err(CryptoError::WeakKey { which });
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    const ENC: [u8; 32] = [0x11; 32];
    const LOOK: [u8; 32] = [0x22; 32];

    fn keys() -> PiiKeys {
        PiiKeys::new(ENC, LOOK)
    }

    fn pnr(n: u16) -> Personnummer {
        Personnummer::from_parts(
            NaiveDate::from_ymd_opt(1985, 7, 14).expect("test value"),
            n,
            false,
        )
    }

    /// Deterministic, distinct, non-degenerate key bytes for encoding tests.
    fn sample_key(seed: u8) -> [u8; 32] {
        std::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8 * 7))
    }

    #[test]
    fn round_trip() {
        let k = keys();
        let p = pnr(123);
        let blob = k.encrypt_personnummer(&p);
        assert_eq!(blob.len(), ENCRYPTED_PERSONNUMMER_LEN);
        assert_eq!(k.decrypt_personnummer(&blob).expect("test value"), p);
        // The ciphertext does not contain the digits in the clear.
        let digits = p.expose_digits().as_bytes();
        assert!(!blob.windows(4).any(|w| digits.windows(4).any(|d| d == w)));
    }

    #[test]
    fn samordningsnummer_round_trip() {
        let p = Personnummer::from_parts(
            NaiveDate::from_ymd_opt(2000, 2, 29).expect("test value"),
            987,
            true,
        );
        let k = keys();
        assert_eq!(
            k.decrypt_personnummer(&k.encrypt_personnummer(&p))
                .expect("test value"),
            p
        );
    }

    #[test]
    fn random_nonce_gives_different_ciphertexts() {
        let k = keys();
        let p = pnr(123);
        let a = k.encrypt_personnummer(&p);
        let b = k.encrypt_personnummer(&p);
        assert_ne!(a, b);
        assert_ne!(a[..24], b[..24]);
        assert_eq!(k.decrypt_personnummer(&a).expect("test value"), p);
        assert_eq!(k.decrypt_personnummer(&b).expect("test value"), p);
    }

    #[test]
    fn deterministic_variant_is_stable_and_unique_per_number() {
        let k = keys();
        let p = pnr(123);
        let a = k.encrypt_personnummer_deterministic(&p);
        let b = PiiKeys::new(ENC, LOOK).encrypt_personnummer_deterministic(&p);
        assert_eq!(a, b);
        assert_eq!(k.decrypt_personnummer(&a).expect("test value"), p);
        assert_eq!(a[..24], k.lookup_hash(&p)[..24]);
        let other = k.encrypt_personnummer_deterministic(&pnr(124));
        assert_ne!(a[..24], other[..24], "nonce must differ per number");
        // A different lookup key gives a different nonce.
        let c = PiiKeys::new(ENC, [0x33; 32]).encrypt_personnummer_deterministic(&p);
        assert_ne!(a, c);
    }

    #[test]
    fn tampering_any_byte_fails_to_decrypt() {
        let k = keys();
        for blob in [
            k.encrypt_personnummer(&pnr(5)),
            k.encrypt_personnummer_deterministic(&pnr(5)),
        ] {
            for i in 0..blob.len() {
                for bit in [0x01u8, 0x80] {
                    let mut t = blob.clone();
                    t[i] ^= bit;
                    assert!(
                        matches!(k.decrypt_personnummer(&t), Err(CryptoError::Decrypt)),
                        "byte {i} bit {bit:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn wrong_length_is_corrupt() {
        let k = keys();
        let blob = k.encrypt_personnummer(&pnr(5));
        for bad in [&blob[..blob.len() - 1], &[][..], &blob[..24]] {
            assert!(matches!(
                k.decrypt_personnummer(bad),
                Err(CryptoError::Corrupt)
            ));
        }
        let mut long = blob.clone();
        long.push(0);
        assert!(matches!(
            k.decrypt_personnummer(&long),
            Err(CryptoError::Corrupt)
        ));
    }

    #[test]
    fn authentic_but_invalid_plaintext_is_corrupt() {
        let k = keys();
        // Encrypt something that is not a valid personnummer with the right
        // key and AAD, as a buggy writer might.
        let nonce = [9u8; 24];
        let mut buf = *b"196408233235"; // bad check digit
        let tag = k
            .cipher
            .encrypt_in_place_detached(XNonce::from_slice(&nonce), PERSONNUMMER_AAD, &mut buf)
            .expect("test value");
        let blob = [&nonce[..], &buf[..], &tag[..]].concat();
        assert!(matches!(
            k.decrypt_personnummer(&blob),
            Err(CryptoError::Corrupt)
        ));
    }

    #[test]
    fn wrong_aad_fails() {
        let k = keys();
        let nonce = [9u8; 24];
        let mut buf = *b"196408233234";
        let tag = k
            .cipher
            .encrypt_in_place_detached(XNonce::from_slice(&nonce), b"other.column", &mut buf)
            .expect("test value");
        let blob = [&nonce[..], &buf[..], &tag[..]].concat();
        assert!(matches!(
            k.decrypt_personnummer(&blob),
            Err(CryptoError::Decrypt)
        ));
    }

    #[test]
    fn wrong_key_fails() {
        let p = pnr(42);
        let blob = keys().encrypt_personnummer(&p);
        let other_enc = PiiKeys::new([0x12; 32], LOOK);
        assert!(matches!(
            other_enc.decrypt_personnummer(&blob),
            Err(CryptoError::Decrypt)
        ));
        // The lookup key plays no part in decryption.
        let other_look = PiiKeys::new(ENC, [0x99; 32]);
        assert_eq!(
            other_look.decrypt_personnummer(&blob).expect("test value"),
            p
        );
    }

    #[test]
    fn lookup_hash_is_stable_and_keyed() {
        let p = pnr(7);
        let h = keys().lookup_hash(&p);
        assert_eq!(h.len(), LOOKUP_HASH_LEN);
        assert_eq!(h, keys().lookup_hash(&p));
        assert_ne!(h, keys().lookup_hash(&pnr(8)));
        assert_ne!(h, PiiKeys::new(ENC, [0x23; 32]).lookup_hash(&p));
        // The encryption key plays no part in the hash.
        assert_eq!(h, PiiKeys::new([0x44; 32], LOOK).lookup_hash(&p));
        // It is exactly HMAC-SHA256 over the 12 digits (other components,
        // e.g. SQL migrations or scripts, may need to reproduce it).
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&LOOK).expect("test value");
        mac.update(b"198507140070");
        let p70 = Personnummer::parse(
            "198507140070",
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("test value"),
        )
        .expect("test value");
        assert_eq!(
            keys().lookup_hash(&p70),
            mac.finalize().into_bytes().to_vec()
        );
    }

    #[test]
    fn from_encoded_accepts_hex_and_base64() {
        let (e, l) = (sample_key(1), sample_key(2));
        let direct = PiiKeys::new(e, l);
        let p = pnr(321);
        let blob = direct.encrypt_personnummer(&p);
        for (es, ls) in [
            (hex::encode(e), hex::encode(l)),
            (hex::encode_upper(e), hex::encode_upper(l)),
            (STANDARD.encode(e), STANDARD.encode(l)),
            (hex::encode(e), STANDARD.encode(l)),
            (
                format!("  {}\n", STANDARD.encode(e)),
                format!("{}\n", hex::encode(l)),
            ),
        ] {
            let k = PiiKeys::from_encoded(&es, &ls).expect("test value");
            assert_eq!(k.decrypt_personnummer(&blob).expect("test value"), p);
            assert_eq!(k.lookup_hash(&p), direct.lookup_hash(&p));
        }
    }

    #[test]
    fn encode_round_trips_through_from_encoded() {
        let k = PiiKeys::generate();
        let (e, l) = k.encode();
        assert_eq!((e.len(), l.len()), (64, 64));
        assert_ne!(e, l);
        let k2 = PiiKeys::from_encoded(&e, &l).expect("test value");
        let p = pnr(99);
        assert_eq!(
            k2.decrypt_personnummer(&k.encrypt_personnummer(&p))
                .expect("test value"),
            p
        );
        assert_eq!(k2.lookup_hash(&p), k.lookup_hash(&p));
        // Two generated key sets differ.
        assert_ne!(PiiKeys::generate().encode(), k.encode());
    }

    /// The input (or any 6+ character piece of it) must not appear in the
    /// error text.
    fn assert_not_echoed(err: &CryptoError, input: &str) {
        let msg = format!("{err} {err:?}");
        let input = input.trim();
        for start in 0..input.len().saturating_sub(6) {
            if let Some(piece) = input.get(start..start + 6) {
                assert!(!msg.contains(piece), "{msg:?} echoes input");
            }
        }
    }

    #[test]
    fn from_encoded_rejects_wrong_length_without_echo() {
        let good = hex::encode(sample_key(2));
        for bad in [
            "",
            "abcdef",
            &hex::encode(sample_key(1))[..62],
            &format!("{}ab", hex::encode(sample_key(1))),
            &STANDARD.encode(&sample_key(1)[..30]), // 40 characters
            &STANDARD.encode([sample_key(1).as_slice(), &[1u8, 2]].concat()), // 48
        ] {
            let err = PiiKeys::from_encoded(bad, &good).unwrap_err();
            assert!(
                matches!(
                    err,
                    CryptoError::KeyLength {
                        which: "encryption",
                        ..
                    }
                ),
                "{err:?}"
            );
            assert_not_echoed(&err, bad);
            let err = PiiKeys::from_encoded(&good, bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    CryptoError::KeyLength {
                        which: "lookup",
                        ..
                    }
                ),
                "{err:?}"
            );
            assert_not_echoed(&err, bad);
        }
    }

    #[test]
    fn from_encoded_rejects_bad_encoding_without_echo() {
        let good = hex::encode(sample_key(2));
        let mut not_hex = hex::encode(sample_key(1));
        not_hex.replace_range(10..11, "g");
        // 44 characters of base64 alphabet without padding decode to 33 bytes.
        let unpadded = format!("{}A", &STANDARD.encode(sample_key(1))[..43]);
        // 31 and 33 bytes also encode to 44 base64 characters.
        let short = STANDARD.encode(&sample_key(1)[..31]);
        let long = STANDARD.encode([sample_key(1).as_slice(), &[1u8]].concat());
        for bad in [
            not_hex.as_str(),
            unpadded.as_str(),
            short.as_str(),
            long.as_str(),
            &"!".repeat(44),
            &"é".repeat(32),
        ] {
            let err = PiiKeys::from_encoded(bad, &good).unwrap_err();
            assert!(
                matches!(err, CryptoError::KeyEncoding { .. }),
                "{bad}: {err:?}"
            );
            assert_not_echoed(&err, bad);
        }
    }

    #[test]
    fn from_encoded_rejects_placeholder_and_equal_keys() {
        let zeros = "0".repeat(64);
        let good = hex::encode(sample_key(2));
        assert!(matches!(
            PiiKeys::from_encoded(&zeros, &good),
            Err(CryptoError::WeakKey {
                which: "encryption"
            })
        ));
        assert!(matches!(
            PiiKeys::from_encoded(&good, &STANDARD.encode([0xff; 32])),
            Err(CryptoError::WeakKey { which: "lookup" })
        ));
        assert!(matches!(
            PiiKeys::from_encoded(&good, &STANDARD.encode(sample_key(2))),
            Err(CryptoError::SameKeys)
        ));
    }

    #[test]
    fn debug_shows_no_key_material() {
        let (e, l) = (sample_key(1), sample_key(2));
        let k = PiiKeys::new(e, l);
        for dbg in [format!("{k:?}"), format!("{k:#?}")] {
            assert!(dbg.contains("<redacted>"));
            for key in [e, l] {
                assert!(!dbg.contains(&hex::encode(key)[..8]));
                assert!(!dbg.contains(&hex::encode_upper(key)[..8]));
                assert!(!dbg.contains(&STANDARD.encode(key)[..8]));
                assert!(!dbg.contains(&format!("{}, {}", key[0], key[1])));
            }
        }
    }

    proptest! {
        #[test]
        fn prop_round_trip_any_number(
            days in 0u64..45_000,
            n in 1u16..=999,
            coord in any::<bool>(),
        ) {
            let birth = NaiveDate::from_ymd_opt(1900, 1, 1).expect("test value") + chrono::Days::new(days);
            prop_assume!(birth <= chrono::Utc::now().date_naive());
            let p = Personnummer::from_parts(birth, n, coord);
            let k = keys();
            prop_assert_eq!(k.decrypt_personnummer(&k.encrypt_personnummer(&p)).expect("test value"), p.clone());
            prop_assert_eq!(
                k.decrypt_personnummer(&k.encrypt_personnummer_deterministic(&p)).expect("test value"),
                p
            );
        }

        #[test]
        fn prop_decrypt_never_panics(blob in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = keys().decrypt_personnummer(&blob);
        }
    }
}
