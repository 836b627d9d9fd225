//! A small, honest identity provider on loopback for tests: real keys, a
//! real JWKS endpoint and discovery document, that can rotate keys, go down
//! and count how often it is asked.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::KeyPair;

/// An Ed25519 signing key with its kid.
pub struct TestKey {
    pub kid: String,
    pkcs8: Vec<u8>,
    public: Vec<u8>,
}

impl TestKey {
    pub fn generate(kid: &str) -> TestKey {
        let rng = ring::rand::SystemRandom::new();
        let doc = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).expect("keygen");
        let pair = ring::signature::Ed25519KeyPair::from_pkcs8(doc.as_ref()).expect("parse key");
        TestKey {
            kid: kid.to_string(),
            pkcs8: doc.as_ref().to_vec(),
            public: pair.public_key().as_ref().to_vec(),
        }
    }

    pub fn jwk(&self) -> Jwk {
        Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_id: Some(self.kid.clone()),
                key_algorithm: Some(KeyAlgorithm::EdDSA),
                ..Default::default()
            },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: URL_SAFE_NO_PAD.encode(&self.public),
            }),
        }
    }

    /// Signs claims with this key, its kid in the header.
    pub fn sign(&self, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        self.sign_with_header(header, claims)
    }

    /// Signs with this key under any header (for forgery tests).
    pub fn sign_with_header(&self, header: Header, claims: &serde_json::Value) -> String {
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&self.pkcs8)).expect("sign")
    }

    /// The raw public key (what an attacker would use as an HMAC secret).
    pub fn public_bytes(&self) -> Vec<u8> {
        self.public.clone()
    }
}

struct ProviderState {
    jwks: Mutex<JwkSet>,
    down: AtomicBool,
    jwks_hits: AtomicUsize,
    issuer: Mutex<String>,
}

pub struct TestProvider {
    pub addr: SocketAddr,
    state: Arc<ProviderState>,
    server: tokio::task::JoinHandle<()>,
}

async fn jwks(State(s): State<Arc<ProviderState>>) -> Response {
    s.jwks_hits.fetch_add(1, Ordering::SeqCst);
    if s.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    Json(s.jwks.lock().expect("jwks").clone()).into_response()
}

async fn discovery(State(s): State<Arc<ProviderState>>) -> Response {
    let iss = s.issuer.lock().expect("issuer").clone();
    Json(serde_json::json!({ "issuer": iss, "jwks_uri": format!("{iss}/jwks.json") }))
        .into_response()
}

impl TestProvider {
    /// Starts a provider publishing `keys`.
    pub async fn start(keys: &[&TestKey]) -> TestProvider {
        let state = Arc::new(ProviderState {
            jwks: Mutex::new(JwkSet { keys: Vec::new() }),
            down: AtomicBool::new(false),
            jwks_hits: AtomicUsize::new(0),
            issuer: Mutex::new(String::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        *state.issuer.lock().expect("issuer") = format!("http://{addr}");
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks.json", get(jwks))
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        let provider = TestProvider {
            addr,
            state,
            server,
        };
        provider.publish(keys);
        provider
    }

    pub fn issuer(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn jwks_url(&self) -> String {
        format!("http://{}/jwks.json", self.addr)
    }

    /// Replaces the published key set (key rotation).
    pub fn publish(&self, keys: &[&TestKey]) {
        *self.state.jwks.lock().expect("jwks") = JwkSet {
            keys: keys.iter().map(|k| k.jwk()).collect(),
        };
    }

    /// Makes the JWKS endpoint answer 503 (or work again).
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    pub fn jwks_hits(&self) -> usize {
        self.state.jwks_hits.load(Ordering::SeqCst)
    }
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        self.server.abort();
    }
}
