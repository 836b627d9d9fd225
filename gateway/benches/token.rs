//! Validation of a bearer token whose key is already cached (the hot path of
//! every authenticated request). Target: median under 30 µs.
//!
//!   cargo bench -p gateway --bench token

// The binary's allocator, so the figure is the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use gateway::auth::jwks::KeySet;
use gateway::auth::{AgencyKeys, AgencyVerifier, ClaimMapping, TokenValidator};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, JwkSet, OctetKeyPairParameters, OctetKeyPairType,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::KeyPair;

const ISS: &str = "https://id.af.example";

fn claims() -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    serde_json::json!({
        "iss": ISS, "sub": "officer-1", "aud": "samverkan-gateway", "exp": now + 3600,
        "iat": now, "roles": ["officer"], "unit": "af-lund", "scope": "openid cases:read"
    })
}

fn jwk(kid: &str, algorithm: AlgorithmParameters) -> Jwk {
    Jwk {
        common: CommonParameters {
            key_id: Some(kid.into()),
            ..Default::default()
        },
        algorithm,
    }
}

/// An Ed25519 key: (token, jwk).
fn eddsa() -> (String, Jwk) {
    let rng = ring::rand::SystemRandom::new();
    let doc = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).expect("keygen");
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(doc.as_ref()).expect("key");
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("ed".into());
    let token = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_ed_der(doc.as_ref()))
        .expect("sign");
    let key = jwk(
        "ed",
        AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
            key_type: OctetKeyPairType::OctetKeyPair,
            curve: EllipticCurve::Ed25519,
            x: URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
        }),
    );
    (token, key)
}

/// A P-256 key: (token, jwk).
fn es256() -> (String, Jwk) {
    let rng = ring::rand::SystemRandom::new();
    let alg = &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING;
    let doc = ring::signature::EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("keygen");
    let pair = ring::signature::EcdsaKeyPair::from_pkcs8(alg, doc.as_ref(), &rng).expect("key");
    let point = pair.public_key().as_ref(); // 0x04 || x || y
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("ec".into());
    let token = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_ec_der(doc.as_ref()))
        .expect("sign");
    let key = jwk(
        "ec",
        AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
            key_type: EllipticCurveKeyType::EC,
            curve: EllipticCurve::P256,
            x: URL_SAFE_NO_PAD.encode(&point[1..33]),
            y: URL_SAFE_NO_PAD.encode(&point[33..65]),
        }),
    );
    (token, key)
}

fn fresh_validator(key: Jwk) -> TokenValidator {
    TokenValidator::new(vec![AgencyVerifier {
        agency: "af".into(),
        issuer: ISS.into(),
        audience: vec!["samverkan-gateway".into()],
        algorithms: vec![Algorithm::EdDSA, Algorithm::ES256],
        leeway_secs: 30,
        keys: AgencyKeys::Static(KeySet::from_jwks(&JwkSet { keys: vec![key] }).expect("keys")),
        claims: ClaimMapping::default(),
    }])
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (ed_token, ed_key) = eddsa();
    let (ec_token, ec_key) = es256();
    let (ed_jwk, ec_jwk) = (ed_key.clone(), ec_key.clone());
    let validator = TokenValidator::new(vec![AgencyVerifier {
        agency: "af".into(),
        issuer: ISS.into(),
        audience: vec!["samverkan-gateway".into()],
        algorithms: vec![Algorithm::EdDSA, Algorithm::ES256],
        leeway_secs: 30,
        keys: AgencyKeys::Static(
            KeySet::from_jwks(&JwkSet {
                keys: vec![ed_key, ec_key],
            })
            .expect("keys"),
        ),
        claims: ClaimMapping::default(),
    }]);
    for (name, token) in [
        ("validate_cached_key/EdDSA", &ed_token),
        ("validate_cached_key/ES256", &ec_token),
    ] {
        rt.block_on(validator.validate(token, None))
            .expect("valid token");
        c.bench_function(name, |b| {
            b.to_async(&rt)
                .iter(|| async { validator.validate(token, None).await.expect("valid token") })
        });
    }
    // A token seen for the first time: full signature verification with the
    // cached key (a new validator per batch, so nothing is remembered).
    for (name, token, key) in [
        ("validate_first_sight/EdDSA", &ed_token, &ed_jwk),
        ("validate_first_sight/ES256", &ec_token, &ec_jwk),
    ] {
        c.bench_function(name, |b| {
            b.to_async(&rt).iter_batched(
                || fresh_validator(key.clone()),
                |v| async move { v.validate(token, None).await.expect("valid token") },
                criterion::BatchSize::SmallInput,
            )
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
