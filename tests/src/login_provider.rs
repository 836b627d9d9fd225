//! A small OpenID Connect provider on loopback for browser sign-in tests:
//! `GET /authorize` (the test "user" signs in at once and is sent back to
//! the client with a code), `POST /token` (authorization code grant with
//! client authentication and a real PKCE S256 check) and `/jwks.json`.
//! ID tokens are signed with an Ed25519 [`TestKey`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use rand::RngCore;
use serde_json::json;

use crate::provider::TestKey;

/// Who signs in at the provider.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub sub: String,
    pub roles: Vec<String>,
}

/// What the client sent to `/authorize`, for assertions.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: String,
    pub nonce: String,
    pub code_challenge: String,
    pub code_challenge_method: String,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    nonce: String,
    user: TestUser,
}

struct LpState {
    issuer: String,
    client_id: String,
    client_secret: String,
    key: TestKey,
    /// Published nowhere: signing with it makes a forged ID token.
    rogue_key: TestKey,
    user: Mutex<TestUser>,
    nonce_override: Mutex<Option<String>>,
    sign_with_rogue_key: Mutex<bool>,
    authorizations: Mutex<Vec<AuthorizeRequest>>,
    codes: Mutex<HashMap<String, Grant>>,
    token_refusals: Mutex<Vec<String>>,
}

pub struct LoginProvider {
    pub addr: SocketAddr,
    state: Arc<LpState>,
    server: tokio::task::JoinHandle<()>,
}

fn random() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

async fn authorize(
    State(s): State<Arc<LpState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| q.get(k).cloned().unwrap_or_default();
    let request = AuthorizeRequest {
        client_id: field("client_id"),
        redirect_uri: field("redirect_uri"),
        scope: field("scope"),
        state: field("state"),
        nonce: field("nonce"),
        code_challenge: field("code_challenge"),
        code_challenge_method: field("code_challenge_method"),
    };
    s.authorizations
        .lock()
        .expect("authorizations")
        .push(request.clone());
    if request.client_id != s.client_id || field("response_type") != "code" {
        return (StatusCode::BAD_REQUEST, "unknown client or response type").into_response();
    }
    let Ok(mut back) = reqwest::Url::parse(&request.redirect_uri) else {
        return (StatusCode::BAD_REQUEST, "bad redirect_uri").into_response();
    };
    if request.code_challenge_method != "S256" || request.code_challenge.is_empty() {
        back.query_pairs_mut()
            .append_pair("error", "invalid_request")
            .append_pair("state", &request.state);
    } else {
        let code = random();
        let user = s.user.lock().expect("user").clone();
        s.codes.lock().expect("codes").insert(
            code.clone(),
            Grant {
                client_id: request.client_id.clone(),
                redirect_uri: request.redirect_uri.clone(),
                code_challenge: request.code_challenge.clone(),
                nonce: request.nonce.clone(),
                user,
            },
        );
        back.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &request.state);
    }
    (StatusCode::FOUND, [(header::LOCATION, back.to_string())]).into_response()
}

/// Client id and secret from HTTP Basic (RFC 6749 §2.3.1) or the form.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Option<(String, String)> {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = String::from_utf8(STANDARD.decode(basic).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        // The test client's id and secret need no form-decoding.
        return Some((id.to_string(), secret.to_string()));
    }
    Some((
        form.get("client_id")?.clone(),
        form.get("client_secret")?.clone(),
    ))
}

async fn token(
    State(s): State<Arc<LpState>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let refuse = |status: StatusCode, error: &str, why: &str| {
        s.token_refusals
            .lock()
            .expect("refusals")
            .push(why.to_string());
        oauth_error(status, error)
    };
    match client_credentials(&headers, &form) {
        Some((id, secret)) if id == s.client_id && secret == s.client_secret => {}
        _ => return refuse(StatusCode::UNAUTHORIZED, "invalid_client", "client auth"),
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return refuse(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant type",
        );
    }
    let code = form.get("code").cloned().unwrap_or_default();
    // A code is good once, whatever happens next.
    let Some(grant) = s.codes.lock().expect("codes").remove(&code) else {
        return refuse(StatusCode::BAD_REQUEST, "invalid_grant", "unknown code");
    };
    if grant.client_id != s.client_id || form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return refuse(StatusCode::BAD_REQUEST, "invalid_grant", "redirect_uri");
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let computed = URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ));
    if verifier.len() < 43 || computed != grant.code_challenge {
        return refuse(StatusCode::BAD_REQUEST, "invalid_grant", "pkce");
    }
    let now = chrono::Utc::now().timestamp();
    let nonce = s
        .nonce_override
        .lock()
        .expect("nonce")
        .clone()
        .unwrap_or(grant.nonce);
    let claims = json!({
        "iss": s.issuer,
        "sub": grant.user.sub,
        "aud": s.client_id,
        "exp": now + 300,
        "iat": now,
        "nonce": nonce,
        "roles": grant.user.roles,
    });
    let key = if *s.sign_with_rogue_key.lock().expect("rogue") {
        &s.rogue_key
    } else {
        &s.key
    };
    Json(json!({
        "access_token": random(),
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": key.sign(&claims),
    }))
    .into_response()
}

async fn jwks(State(s): State<Arc<LpState>>) -> Json<JwkSet> {
    Json(JwkSet {
        keys: vec![s.key.jwk()],
    })
}

impl LoginProvider {
    /// Starts a provider that knows one client (`client_id`, `client_secret`).
    pub async fn start(client_id: &str, client_secret: &str) -> LoginProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(LpState {
            issuer: format!("http://{addr}"),
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            key: TestKey::generate("login-1"),
            rogue_key: TestKey::generate("login-rogue"),
            user: Mutex::new(TestUser {
                sub: "user-1".into(),
                roles: vec!["coach".into()],
            }),
            nonce_override: Mutex::new(None),
            sign_with_rogue_key: Mutex::new(false),
            authorizations: Mutex::new(Vec::new()),
            codes: Mutex::new(HashMap::new()),
            token_refusals: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/jwks.json", get(jwks))
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        LoginProvider {
            addr,
            state,
            server,
        }
    }

    pub fn issuer(&self) -> String {
        self.state.issuer.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.state.issuer)
    }

    /// The user who signs in next.
    pub fn set_user(&self, sub: &str, roles: &[&str]) {
        *self.state.user.lock().expect("user") = TestUser {
            sub: sub.to_string(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        };
    }

    /// Puts this nonce in ID tokens instead of the one the client sent.
    pub fn set_nonce_override(&self, nonce: Option<&str>) {
        *self.state.nonce_override.lock().expect("nonce") = nonce.map(str::to_string);
    }

    /// Signs ID tokens with a key that is not in the JWKS (a forgery).
    pub fn set_sign_with_rogue_key(&self, rogue: bool) {
        *self.state.sign_with_rogue_key.lock().expect("rogue") = rogue;
    }

    /// Every `/authorize` request so far.
    pub fn authorizations(&self) -> Vec<AuthorizeRequest> {
        self.state
            .authorizations
            .lock()
            .expect("authorizations")
            .clone()
    }

    /// Why `/token` refused, for each refusal so far (`"pkce"`, ...).
    pub fn token_refusals(&self) -> Vec<String> {
        self.state.token_refusals.lock().expect("refusals").clone()
    }
}

impl Drop for LoginProvider {
    fn drop(&mut self) {
        self.server.abort();
    }
}
