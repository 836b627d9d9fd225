//! `POST /oauth/token` (client credentials, RFC 6749 4.4) and the bearer
//! check of the lookups. Tokens are opaque random strings kept in memory
//! with their expiry.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

use super::Shared;

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Shared {
    /// Whether the request authenticates as the one client, by HTTP Basic
    /// or (without an Authorization header) by form fields.
    fn client_ok(&self, headers: &HeaderMap, form: &HashMap<String, String>) -> bool {
        let Some((id, secret)) = crate::client_auth::presented(headers, form) else {
            return false;
        };
        same(&id, &self.client_id) & same(&secret, &self.client_secret)
    }

    /// Whether the request carries a bearer token this server issued and
    /// that has not expired.
    pub(super) fn bearer_ok(&self, headers: &HeaderMap) -> bool {
        let Some(token) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(rest.trim())
            })
        else {
            return false;
        };
        let mut tokens = self.tokens.lock().expect("tokens lock");
        let now = Instant::now();
        tokens.retain(|_, expires| *expires > now);
        tokens.contains_key(token)
    }
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    let mut response = (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": error })),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"agency-simulator\""),
        );
    }
    response
}

/// 401 for a lookup without a valid token (RFC 6750 3).
pub(super) fn invalid_token() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        Json(json!({ "error": "invalid_token" })),
    )
        .into_response()
}

pub(super) async fn token(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    s.token_requests.fetch_add(1, Ordering::SeqCst);
    let Ok(Form(form)) = form else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    if !s.client_ok(&headers, &form) {
        tracing::info!("token request refused: invalid_client");
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some(_) => return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
        None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request"),
    }
    let lifetime = *s.token_lifetime.lock().expect("lifetime lock");
    let access_token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    s.tokens
        .lock()
        .expect("tokens lock")
        .insert(access_token.clone(), Instant::now() + lifetime);
    tracing::debug!(expires_in = lifetime.as_secs(), "token issued");
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
    });
    if let Some(scope) = form.get("scope") {
        body["scope"] = json!(scope);
    }
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(body),
    )
        .into_response()
}
