//! Browser sign-in per agency: OAuth 2 authorization code flow with PKCE
//! (S256), a `state` and an OpenID Connect `nonce`, then a server-side
//! session (see [`super::session`]).
//!
//! Routes:
//! - `GET /auth/{agency}/login[?return_to=/path]`: 303 to the agency's
//!   authorization URL, with the pending sign-in sealed in a cookie for this
//!   browser (see [`super::pending_login`]). 404 for an unknown agency or
//!   one without `login`.
//! - `GET /auth/{agency}/callback?code&state`: the provider sends the
//!   browser back here. The browser must show the pending sign-in its
//!   `/login` sealed, for this `state` (else 400: the callback came to
//!   another browser); the cookie is cleared whatever follows. The code is
//!   exchanged with the PKCE verifier, the ID token is validated like a
//!   bearer token (the agency's keys and issuer; `aud` = the login's client
//!   id) and its `nonce` checked. Then a session cookie is set and the
//!   browser is sent to `return_to` or `/`. Any failure: a plain-text 400
//!   (no, another or an expired pending sign-in; missing `code`), 401 (the provider or
//!   the ID token said no), 502 (provider unreachable) or 503 (cache down),
//!   and no session.
//! - `GET /auth/session`: the signed-in user and the CSRF token the page
//!   must send as `X-CSRF-Token` (JSON). 401 without a live session.
//! - `POST /auth/logout`: ends the session and clears the cookie (204).
//!   Needs `X-CSRF-Token`, so another site cannot sign a user out.
//!
//! The access token the provider returns is not kept: the gateway needs
//! only to know who signed in, which the ID token proves.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointNotSet, EndpointSet, ExtraTokenFields,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::pending_login::{PendingLogin, PendingSeal};
use super::response::Refusal;
use super::AppState;
use crate::auth::session::{same_secret, SessionError, SessionStore, CSRF_HEADER};
use crate::config::Config;
use crate::vocabulary::error::ErrorCode;
use crate::vocabulary::Role;

/// The token response's OpenID Connect field: the ID token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdTokenFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenFields {}

type TokenResponse = StandardTokenResponse<IdTokenFields, BasicTokenType>;

/// An OAuth client with its authorization and token endpoints set.
type LoginClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

struct AgencyLogin {
    client: LoginClient,
    client_id: String,
    scopes: Vec<String>,
}

/// Browser sign-in for the agencies that have `login` configured.
pub struct BrowserLogin {
    agencies: HashMap<String, AgencyLogin>,
    /// For the token endpoint. No redirects: a token request that is
    /// redirected elsewhere would carry the client secret and code along.
    http: reqwest::Client,
    sessions: SessionStore,
    /// Started sign-ins, held by the browser that started them.
    seal: PendingSeal,
}

#[derive(Debug, thiserror::Error)]
#[error("agencies.{agency}.login: {message}")]
pub struct LoginSetupError {
    pub agency: String,
    pub message: String,
}

impl BrowserLogin {
    /// `lookup_key` (`crypto.lookup_key`, which every replica shares) keys
    /// the sealed pending sign-ins.
    pub fn new(
        config: &Config,
        sessions: SessionStore,
        lookup_key: &secrecy::SecretString,
    ) -> Result<Self, LoginSetupError> {
        let mut agencies = HashMap::new();
        for (code, agency) in &config.agencies {
            let Some(login) = &agency.login else {
                continue;
            };
            let err = |message: String| LoginSetupError {
                agency: code.clone(),
                message,
            };
            let secret = login
                .secret
                .resolve(&format!("agencies.{code}.login"))
                .map_err(|e| err(e.to_string()))?;
            let client = oauth2::Client::new(ClientId::new(login.client_id.clone()))
                .set_client_secret(oauth2::ClientSecret::new(secret.expose_secret().to_owned()))
                .set_auth_uri(
                    AuthUrl::new(login.authorization_url.clone())
                        .map_err(|e| err(format!("authorization_url: {e}")))?,
                )
                .set_token_uri(
                    TokenUrl::new(login.token_url.clone())
                        .map_err(|e| err(format!("token_url: {e}")))?,
                )
                .set_redirect_uri(
                    RedirectUrl::new(login.redirect_url.clone())
                        .map_err(|e| err(format!("redirect_url: {e}")))?,
                );
            agencies.insert(
                code.clone(),
                AgencyLogin {
                    client,
                    client_id: login.client_id.clone(),
                    scopes: login.scopes.clone(),
                },
            );
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| LoginSetupError {
                agency: "*".into(),
                message: format!("HTTP client: {e}"),
            })?;
        let seal = PendingSeal::new(lookup_key, config.sessions.secure_cookie);
        Ok(Self {
            agencies,
            http,
            sessions,
            seal,
        })
    }

    pub fn sessions(&self) -> &SessionStore {
        &self.sessions
    }
}

/// A plain-text answer that no cache keeps (sign-in pages carry secrets).
fn plain(status: StatusCode, message: &str) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
        ],
        message.to_string(),
    )
        .into_response()
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, value),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "bad redirect target"),
    }
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `return_to` is kept only if it is a path on this site: an absolute or
/// scheme-relative URL (`//evil.example`) would make sign-in an open redirect.
fn safe_return_path(path: &str) -> Option<String> {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && path.len() <= 1024
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    ok.then(|| path.to_string())
}

#[derive(Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
}

/// `GET /auth/{agency}/login`
pub async fn login(
    State(state): State<AppState>,
    Path(agency): Path<String>,
    Query(query): Query<LoginQuery>,
) -> Response {
    let browser = &state.browser;
    let Some(login) = browser.agencies.get(&agency) else {
        return plain(
            StatusCode::NOT_FOUND,
            "this agency has no browser sign-in here",
        );
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = CsrfToken::new_random();
    let (url, csrf_state) = login
        .client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(login.scopes.iter().cloned().map(Scope::new))
        .add_extra_param("nonce", nonce.secret())
        .set_pkce_challenge(challenge)
        .url();
    let pending = PendingLogin {
        agency: agency.clone(),
        state: csrf_state.secret().as_str().into(),
        pkce_verifier: verifier.secret().as_str().into(),
        nonce: nonce.secret().as_str().into(),
        created_at: chrono::Utc::now(),
        return_to: query.return_to.as_deref().and_then(safe_return_path),
    };
    with_cookie(see_other(url.as_str()), &browser.seal.set_cookie(&pending))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /auth/{agency}/callback`
pub async fn callback(
    State(state): State<AppState>,
    Path(agency): Path<String>,
    Query(query): Query<CallbackQuery>,
    headers: HeaderMap,
) -> Response {
    let browser = &state.browser;
    let Some(login) = browser.agencies.get(&agency) else {
        return plain(
            StatusCode::NOT_FOUND,
            "this agency has no browser sign-in here",
        );
    };
    let Some(csrf_state) = query.state.as_deref().filter(|s| !s.is_empty()) else {
        return plain(StatusCode::BAD_REQUEST, "the sign-in answer has no state");
    };
    // Whatever happens next, this sign-in is over: its cookie goes.
    let done = |r: Response| with_cookie(r, &browser.seal.clear_cookie());
    let pending = match browser
        .seal
        .open(&headers, &agency, csrf_state, chrono::Utc::now())
    {
        Ok(pending) => pending,
        Err(e) => {
            tracing::info!(agency = %agency, error = %e, "sign-in callback without its browser's pending sign-in");
            return done(plain(StatusCode::BAD_REQUEST, &e.to_string()));
        }
    };
    done(finish(&state, login, &agency, pending, query, &headers).await)
}

/// The rest of the callback, once the browser showed its pending sign-in:
/// the code exchanged, the ID token checked, the session started.
async fn finish(
    state: &AppState,
    login: &AgencyLogin,
    agency: &str,
    pending: PendingLogin,
    query: CallbackQuery,
    headers: &HeaderMap,
) -> Response {
    let browser = &state.browser;
    if let Some(error) = &query.error {
        // Only the standard error code is repeated, never free text from the URL.
        let code: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return plain(
            StatusCode::UNAUTHORIZED,
            &format!("the sign-in was not completed at the provider ({code})"),
        );
    }
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        return plain(StatusCode::BAD_REQUEST, "the sign-in answer has no code");
    };

    let exchanged = login
        .client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(
            pending.pkce_verifier.expose_secret().to_owned(),
        ))
        .request_async(&browser.http)
        .await;
    let tokens = match exchanged {
        Ok(tokens) => tokens,
        Err(RequestTokenError::ServerResponse(e)) => {
            tracing::info!(agency = %agency, error = %e.error(), "the provider refused the code");
            return plain(
                StatusCode::UNAUTHORIZED,
                &format!("the provider refused the sign-in ({})", e.error()),
            );
        }
        Err(e) => {
            tracing::warn!(agency = %agency, error = %e, "token exchange failed");
            return plain(
                StatusCode::BAD_GATEWAY,
                "the agency's sign-in service did not answer properly; try again later",
            );
        }
    };
    let Some(id_token) = tokens.extra_fields().id_token.as_deref() else {
        return plain(
            StatusCode::UNAUTHORIZED,
            "the provider returned no ID token",
        );
    };
    let (identity, claims) = match state
        .auth
        .verify_id_token(agency, id_token, &login.client_id)
        .await
    {
        Ok(verified) => verified,
        Err(e) => {
            tracing::info!(agency = %agency, error = %e, "ID token refused");
            return plain(
                StatusCode::UNAUTHORIZED,
                &format!("the ID token was refused: {e}"),
            );
        }
    };
    // The nonce binds the ID token to this browser's sign-in: a token
    // obtained elsewhere and replayed here carries another nonce.
    let nonce_matches = claims
        .get("nonce")
        .and_then(|n| n.as_str())
        .is_some_and(|n| same_secret(n.as_bytes(), pending.nonce.expose_secret().as_bytes()));
    if !nonce_matches {
        tracing::info!(agency = %agency, "ID token nonce does not match the sign-in");
        return plain(
            StatusCode::UNAUTHORIZED,
            "the ID token does not belong to this sign-in",
        );
    }
    // Same admission as a bearer token: known agency, staff row recorded.
    if let Err(e) = state.auth.principal(identity.clone()).await {
        return plain(StatusCode::UNAUTHORIZED, &e.to_string());
    }
    // A fresh id on every sign-in (no session fixation); the old one ends.
    if let Some(old) = browser.sessions.cookie(headers) {
        if let Err(e) = browser.sessions.delete(old).await {
            tracing::warn!(error = %e, "cannot end the previous session");
        }
    }
    let id = match browser.sessions.create(&identity).await {
        Ok((id, _)) => id,
        Err(e) => {
            tracing::warn!(agency = %agency, error = %e, "cannot store a session");
            return plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "sign-in is unavailable right now; try again later",
            );
        }
    };
    tracing::info!(agency = %agency, subject = %identity.subject, "browser sign-in");
    let target = pending.return_to.as_deref().unwrap_or("/");
    with_cookie(see_other(target), &browser.sessions.set_cookie(&id))
}

/// What `GET /auth/session` tells the page.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionInfo {
    agency: String,
    subject: String,
    roles: Vec<&'static str>,
    csrf_token: String,
    expires_at: chrono::DateTime<chrono::Utc>,
}

fn no_session(sessions: &SessionStore, cookie_sent: bool) -> Response {
    let response = (
        StatusCode::UNAUTHORIZED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({ "error": "not signed in" })),
    )
        .into_response();
    if cookie_sent {
        with_cookie(response, &sessions.clear_cookie())
    } else {
        response
    }
}

/// `GET /auth/session`: counts as activity. Safe as a GET: the answer
/// (with the CSRF token) is readable only by same-origin pages.
pub async fn session(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let sessions = &state.browser.sessions;
    let Some(id) = sessions.cookie(&headers) else {
        return no_session(sessions, false);
    };
    let mut session = match sessions.find(id).await {
        Ok(Some(s)) => s,
        Ok(None) => return no_session(sessions, true),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a session");
            return plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "sessions cannot be checked right now",
            );
        }
    };
    if let Err(e) = sessions.touch(id, &mut session).await {
        tracing::warn!(error = %e, "cannot record session activity");
    }
    let info = SessionInfo {
        roles: session
            .roles
            .iter()
            .filter_map(|r| Role::parse(r))
            .map(Role::as_str)
            .collect(),
        expires_at: sessions.expires_at(&session),
        agency: session.agency,
        subject: session.subject,
        // The page needs its token to send it back: shown here, and only here.
        csrf_token: session.csrf_token.expose_secret().to_owned(),
    };
    ([(header::CACHE_CONTROL, "no-store")], Json(info)).into_response()
}

/// `POST /auth/logout`: 204 and a cleared cookie. A session that has
/// already ended is simply forgotten; a live one needs its CSRF token.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let sessions = &state.browser.sessions;
    let cleared = |r: Response| with_cookie(r, &sessions.clear_cookie());
    let Some(id) = sessions.cookie(&headers) else {
        return cleared(StatusCode::NO_CONTENT.into_response());
    };
    match sessions.find(id).await {
        Ok(None) => cleared(StatusCode::NO_CONTENT.into_response()),
        Ok(Some(session)) => {
            let sent = headers
                .get(CSRF_HEADER)
                .map(|v| v.as_bytes())
                .unwrap_or_default();
            if !same_secret(sent, session.csrf_token.expose_secret().as_bytes()) {
                return plain(
                    StatusCode::FORBIDDEN,
                    "signing out needs the session's X-CSRF-Token header",
                );
            }
            match sessions.delete(id).await {
                Ok(()) => cleared(StatusCode::NO_CONTENT.into_response()),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot delete a session");
                    plain(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "signing out is unavailable right now; try again",
                    )
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a session");
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "signing out is unavailable right now; try again",
            )
        }
    }
}

/// How `/graphql` answers a session cookie it does not accept, in the
/// GraphQL error shape: 401 (ended; the cookie is cleared), 403 (not a
/// POST, or no/wrong CSRF token), 503 (cache down).
pub fn graphql_refusal(e: &SessionError, sessions: &SessionStore) -> Response {
    let refusal = match e {
        SessionError::Ended => Refusal::new(ErrorCode::Unauthenticated, e.to_string()),
        SessionError::NotPost | SessionError::CsrfMismatch => {
            Refusal::new(ErrorCode::Forbidden, e.to_string())
        }
        // The session store, not the caller: try again.
        SessionError::Unavailable => {
            Refusal::new(ErrorCode::Internal, e.to_string()).status(StatusCode::SERVICE_UNAVAILABLE)
        }
    };
    let response = refusal.into_response();
    if *e == SessionError::Ended {
        with_cookie(response, &sessions.clear_cookie())
    } else {
        response
    }
}

#[cfg(test)]
mod tests {
    use super::safe_return_path;

    #[test]
    fn only_paths_on_this_site_are_return_targets() {
        assert_eq!(safe_return_path("/dash?x=1").as_deref(), Some("/dash?x=1"));
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "dash",
            "/a b",
            "/å",
        ] {
            assert_eq!(safe_return_path(bad), None, "{bad}");
        }
    }
}
