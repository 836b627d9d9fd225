//! A small OAuth authorization server on loopback for tests: a token
//! endpoint (client credentials grant) and an introspection endpoint
//! (RFC 7662) over opaque random tokens. It checks its one client's
//! credentials (HTTP Basic or form), counts hits, can be told that the next
//! tokens expire soon or that it answers slowly, and can revoke tokens.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

/// What the server knows about a token it issued or was told about.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub sub: String,
    pub iss: String,
    pub scope: String,
    pub client_id: String,
    /// Who the token is for (`aud`).
    pub aud: String,
    pub roles: Vec<String>,
    pub unit: Option<String>,
    /// Unix seconds.
    pub exp: i64,
    pub revoked: bool,
}

struct ServerState {
    client_id: String,
    client_secret: String,
    issuer: String,
    expires_in: AtomicU64,
    delay: Mutex<Duration>,
    tokens: Mutex<HashMap<String, TokenInfo>>,
    token_hits: AtomicUsize,
    introspection_hits: AtomicUsize,
}

impl ServerState {
    /// Whether the request authenticates as the server's client (Basic or form).
    fn client_ok(&self, headers: &HeaderMap, form: &HashMap<String, String>) -> bool {
        let Some((id, secret)) = crate::client_auth::presented(headers, form) else {
            return false;
        };
        id == self.client_id && secret == self.client_secret
    }

    fn new_token(&self, info: TokenInfo) -> String {
        let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        self.tokens
            .lock()
            .expect("tokens")
            .insert(token.clone(), info);
        token
    }

    async fn wait(&self) {
        let delay = *self.delay.lock().expect("delay");
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
}

fn invalid_client() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic realm=\"test\"")],
        Json(json!({ "error": "invalid_client", "error_description": "client authentication failed" })),
    )
        .into_response()
}

async fn token(
    State(s): State<Arc<ServerState>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    s.token_hits.fetch_add(1, Ordering::SeqCst);
    s.wait().await;
    if !s.client_ok(&headers, &form) {
        return invalid_client();
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "unsupported_grant_type" })),
        )
            .into_response();
    }
    let expires_in = s.expires_in.load(Ordering::SeqCst);
    let scope = form.get("scope").cloned().unwrap_or_default();
    let access_token = s.new_token(TokenInfo {
        sub: s.client_id.clone(),
        iss: s.issuer.clone(),
        scope: scope.clone(),
        client_id: s.client_id.clone(),
        aud: "agency-api".to_string(),
        roles: Vec::new(),
        unit: None,
        exp: chrono::Utc::now().timestamp() + expires_in as i64,
        revoked: false,
    });
    Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": scope,
    }))
    .into_response()
}

async fn introspect(
    State(s): State<Arc<ServerState>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    s.introspection_hits.fetch_add(1, Ordering::SeqCst);
    s.wait().await;
    if !s.client_ok(&headers, &form) {
        return invalid_client();
    }
    let Some(token) = form.get("token") else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "invalid_request" })),
        )
            .into_response();
    };
    let info = s.tokens.lock().expect("tokens").get(token).cloned();
    match info {
        Some(t) if !t.revoked && t.exp > chrono::Utc::now().timestamp() => Json(json!({
            "active": true,
            "sub": t.sub,
            "iss": t.iss,
            "exp": t.exp,
            "scope": t.scope,
            "client_id": t.client_id,
            "aud": t.aud,
            "token_type": "Bearer",
            "roles": t.roles,
            "unit": t.unit,
        }))
        .into_response(),
        _ => Json(json!({ "active": false })).into_response(),
    }
}

pub struct TokenServer {
    pub addr: SocketAddr,
    state: Arc<ServerState>,
    server: tokio::task::JoinHandle<()>,
}

impl TokenServer {
    /// Starts a server whose one client is (`client_id`, `client_secret`);
    /// tokens live an hour unless told otherwise.
    pub async fn start(client_id: &str, client_secret: &str) -> TokenServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(ServerState {
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            issuer: format!("http://{addr}"),
            expires_in: AtomicU64::new(3600),
            delay: Mutex::new(Duration::ZERO),
            tokens: Mutex::new(HashMap::new()),
            token_hits: AtomicUsize::new(0),
            introspection_hits: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/token", post(token))
            .route("/introspect", post(introspect))
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        TokenServer {
            addr,
            state,
            server,
        }
    }

    /// The issuer it names in its answers (unless told another).
    pub fn issuer(&self) -> String {
        self.state.issuer.clone()
    }

    pub fn token_url(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    pub fn introspection_url(&self) -> String {
        format!("http://{}/introspect", self.addr)
    }

    /// The tokens issued from now on expire in `secs` seconds.
    pub fn set_expires_in(&self, secs: u64) {
        self.state.expires_in.store(secs, Ordering::SeqCst);
    }

    /// Every answer waits this long first (so concurrent callers overlap).
    pub fn set_delay(&self, delay: Duration) {
        *self.state.delay.lock().expect("delay") = delay;
    }

    /// An opaque token for a person, as if they had signed in at `iss`;
    /// it expires like the server's other tokens.
    pub fn issue_for(&self, sub: &str, iss: &str, roles: &[&str], unit: Option<&str>) -> String {
        let expires_in = self.state.expires_in.load(Ordering::SeqCst);
        self.state.new_token(TokenInfo {
            sub: sub.to_string(),
            iss: iss.to_string(),
            scope: "openid".to_string(),
            client_id: "staff-portal".to_string(),
            aud: "samverkan-gateway".to_string(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            unit: unit.map(str::to_string),
            exp: chrono::Utc::now().timestamp() + expires_in as i64,
            revoked: false,
        })
    }

    /// An opaque token with exactly these facts (another client, audience...).
    pub fn issue(&self, info: TokenInfo) -> String {
        self.state.new_token(info)
    }

    /// Introspection answers `active: false` for this token from now on.
    pub fn revoke(&self, token: &str) {
        if let Some(t) = self.state.tokens.lock().expect("tokens").get_mut(token) {
            t.revoked = true;
        }
    }

    /// What the server knows about a token.
    pub fn info(&self, token: &str) -> Option<TokenInfo> {
        self.state
            .tokens
            .lock()
            .expect("tokens")
            .get(token)
            .cloned()
    }

    /// Requests to `POST /token`, refused ones included.
    pub fn token_hits(&self) -> usize {
        self.state.token_hits.load(Ordering::SeqCst)
    }

    /// Requests to `POST /introspect`, refused ones included.
    pub fn introspection_hits(&self) -> usize {
        self.state.introspection_hits.load(Ordering::SeqCst)
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}
