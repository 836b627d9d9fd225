//! Browser sign-in (authorization code + PKCE) against a real OIDC provider
//! on loopback, then the session cookie on `/graphql`: CSRF, timeouts,
//! sign-out. Redirects are not followed and cookies are handled by hand, so
//! every step of the flow is visible.

use std::time::{Duration, Instant};

use gateway::config::{AgencyConfig, AgencyKindConfig, ClientSecret, LoginConfig};
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{json, Value};
use tests::login_provider::LoginProvider;
use tests::{TestApp, TestAppBuilder};

const AGENCY: &str = "idp";
const CLIENT_ID: &str = "gateway-web";
const CLIENT_SECRET: &str = "test-secret-1";
const COOKIE_NAME: &str = "samverkan_session";
const LOGIN_COOKIE: &str = "samverkan_login";

/// An agency whose people sign in at `provider`.
fn agency(provider: &LoginProvider) -> AgencyConfig {
    AgencyConfig {
        name: "Testkommunen".into(),
        kind: AgencyKindConfig::Municipality,
        issuer: provider.issuer(),
        jwks_url: Some(provider.url("/jwks.json")),
        discovery_url: None,
        audience: vec!["samverkan-gateway".into()],
        algorithms: vec!["EdDSA".into()],
        leeway_secs: std::time::Duration::from_secs(5),
        jwks_refresh_secs: std::time::Duration::from_secs(300),
        jwks_min_refresh_secs: std::time::Duration::from_secs(10),
        jwks_max_stale_secs: std::time::Duration::from_secs(3600),
        claims: Default::default(),
        introspection: None,
        client: None,
        login: Some(LoginConfig {
            authorization_url: provider.url("/authorize"),
            token_url: provider.url("/token"),
            client_id: CLIENT_ID.into(),
            secret: ClientSecret {
                client_secret: Some(CLIENT_SECRET.into()),
                client_secret_file: None,
            },
            // Set once the gateway's port is known (see `builder`).
            redirect_url: String::new(),
            scopes: vec!["openid".into(), "profile".into()],
        }),
        source: Default::default(),
        allow_plain_http: false,
    }
}

fn builder(provider: &LoginProvider) -> TestAppBuilder {
    TestApp::builder()
        .agency(AGENCY, agency(provider))
        .configure(|config| {
            let redirect = format!("http://{}/auth/{AGENCY}/callback", config.server.listen);
            if let Some(login) = config
                .agencies
                .get_mut(AGENCY)
                .and_then(|a| a.login.as_mut())
            {
                login.redirect_url = redirect;
            }
        })
}

async fn start() -> (LoginProvider, TestApp) {
    let provider = LoginProvider::start(CLIENT_ID, CLIENT_SECRET).await;
    let app = builder(&provider).start().await;
    (provider, app)
}

/// A client that follows no redirects and keeps no cookies.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .expect("ascii")
        .to_string()
}

/// The session cookie's `Set-Cookie`, if the response has one.
fn session_set_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{COOKIE_NAME}=")))
        .map(str::to_string)
}

/// The cookie's value from a `Set-Cookie` header.
fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, v)| v.to_string())
        .expect("name=value")
}

/// A sign-in as far as the provider's redirect back: the callback URL, and
/// the pending-sign-in cookie `/login` gave this browser (`name=value`).
struct Started {
    callback: String,
    cookie: String,
}

/// The pending sign-in's `Set-Cookie`, as the browser sends it back.
fn login_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| {
            v.starts_with(&format!("{LOGIN_COOKIE}="))
                || v.starts_with(&format!("__Host-{LOGIN_COOKIE}="))
        })
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

/// Steps 1 and 2: the gateway sends the browser to the provider, which
/// signs the user in and sends it back.
async fn until_callback(app: &TestApp, http: &reqwest::Client) -> Started {
    let start = http
        .get(app.url(&format!("/auth/{AGENCY}/login")))
        .send()
        .await
        .expect("login");
    assert!(
        start.status() == 302 || start.status() == 303,
        "{}",
        start.status()
    );
    let cookie = login_cookie(start.headers()).expect("a pending-sign-in cookie");
    let at_provider = http.get(location(&start)).send().await.expect("authorize");
    assert_eq!(at_provider.status(), 302);
    let callback = location(&at_provider);
    assert!(
        callback.starts_with(&app.url(&format!("/auth/{AGENCY}/callback?"))),
        "{callback}"
    );
    Started { callback, cookie }
}

/// Step 3 as the browser makes it: the callback with the cookie it holds.
async fn callback_with(
    http: &reqwest::Client,
    callback: &str,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut request = http.get(callback);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    request.send().await.expect("callback")
}

/// The whole sign-in; returns the session cookie's value and its `Set-Cookie`.
async fn sign_in(app: &TestApp, http: &reqwest::Client) -> (String, String) {
    let started = until_callback(app, http).await;
    let done = callback_with(http, &started.callback, Some(&started.cookie)).await;
    assert_eq!(done.status(), 303, "{:?}", done.text().await);
    assert_eq!(location(&done), "/");
    let set_cookie = session_set_cookie(done.headers()).expect("a session cookie");
    (cookie_value(&set_cookie), set_cookie)
}

/// Step 3 of a sign-in that must fail: its status, and no session cookie.
async fn callback_refused(http: &reqwest::Client, callback: &str, cookie: Option<&str>) -> u16 {
    let resp = callback_with(http, callback, cookie).await;
    let status = resp.status().as_u16();
    assert!(
        session_set_cookie(resp.headers()).is_none(),
        "no session on failure"
    );
    assert!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain")),
        "a plain message"
    );
    status
}

async fn session_info(app: &TestApp, http: &reqwest::Client, cookie: &str) -> (u16, Value) {
    let resp = http
        .get(app.url("/auth/session"))
        .header(COOKIE, format!("{COOKIE_NAME}={cookie}"))
        .send()
        .await
        .expect("session");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// `{ me { subject } }` over POST with the cookie and, if given, the CSRF header.
async fn me(
    app: &TestApp,
    http: &reqwest::Client,
    cookie: &str,
    csrf: Option<&str>,
) -> (u16, Value) {
    let mut req = http
        .post(app.url("/graphql"))
        .header(COOKIE, format!("{COOKIE_NAME}={cookie}"))
        .json(&json!({ "query": "{ me { subject } }" }));
    if let Some(csrf) = csrf {
        req = req.header("X-CSRF-Token", csrf);
    }
    let resp = req.send().await.expect("graphql");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

#[tokio::test]
async fn sign_in_then_the_cookie_and_csrf_token_authenticate_graphql() {
    let (provider, app) = start().await;
    provider.set_user("coach-7", &["coach"]);
    let http = browser();
    let (cookie, _) = sign_in(&app, &http).await;

    let asked = provider.authorizations();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].code_challenge_method, "S256");
    assert!(!asked[0].state.is_empty() && !asked[0].nonce.is_empty());
    assert!(asked[0].scope.split(' ').any(|s| s == "openid"));

    let (status, info) = session_info(&app, &http, &cookie).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["agency"], AGENCY);
    assert_eq!(info["subject"], "coach-7");
    assert_eq!(info["roles"], json!(["coach"]));
    assert!(info["expiresAt"].is_string());
    let csrf = info["csrfToken"]
        .as_str()
        .expect("a CSRF token")
        .to_string();
    assert!(csrf.len() >= 43, "256 bits");

    let (status, body) = me(&app, &http, &cookie, Some(&csrf)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["subject"], "coach-7");

    // No session: /auth/session says so.
    let resp = http
        .get(app.url("/auth/session"))
        .send()
        .await
        .expect("session");
    assert_eq!(resp.status(), 401);

    // A bearer token wins over the cookie (and needs no CSRF header).
    let token = app.token("lund", "officer", "lund-officer");
    let resp = http
        .post(app.url("/graphql"))
        .header(COOKIE, format!("{COOKIE_NAME}={cookie}"))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ me { subject } }" }))
        .send()
        .await
        .expect("graphql");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["data"]["me"]["subject"], "lund-officer");
}

#[tokio::test]
async fn a_cross_site_request_with_only_the_cookie_is_refused() {
    let (_provider, app) = start().await;
    let http = browser();
    let (cookie, _) = sign_in(&app, &http).await;
    let (_, info) = session_info(&app, &http, &cookie).await;

    // What a forged cross-site form POST carries: the cookie, no CSRF header.
    let (status, body) = me(&app, &http, &cookie, None).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(code(&body), "FORBIDDEN");
    assert!(body["data"].is_null(), "no data at all: {body}");

    let (status, body) = me(&app, &http, &cookie, Some("guessed-token")).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(code(&body), "FORBIDDEN");

    // A GET with the cookie (a link or an <img>) is refused too, even with the header.
    let resp = http
        .get(app.url("/graphql"))
        .query(&[("query", "{ me { subject } }")])
        .header(COOKIE, format!("{COOKIE_NAME}={cookie}"))
        .header("X-CSRF-Token", info["csrfToken"].as_str().expect("csrf"))
        .send()
        .await
        .expect("graphql");
    assert_eq!(resp.status(), 403);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(code(&body), "FORBIDDEN");
}

#[tokio::test]
async fn the_session_cookie_is_httponly_samesite_lax_and_secure_when_configured() {
    let provider = LoginProvider::start(CLIENT_ID, CLIENT_SECRET).await;
    let app = builder(&provider)
        .configure(|c| c.sessions.secure_cookie = true)
        .start()
        .await;
    let http = browser();
    let (cookie, set_cookie) = sign_in(&app, &http).await;
    let attributes: Vec<&str> = set_cookie.split(';').skip(1).map(str::trim).collect();
    for wanted in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
        assert!(attributes.contains(&wanted), "{wanted} in {set_cookie}");
    }
    assert!(
        !set_cookie.contains("Domain="),
        "host-only cookie: {set_cookie}"
    );
    assert!(cookie.len() >= 43, "256-bit id");

    let (_provider, plain_app) = start().await;
    let (_, set_cookie) = sign_in(&plain_app, &http).await;
    assert!(
        !set_cookie.contains("Secure"),
        "secure_cookie = false: {set_cookie}"
    );
}

#[tokio::test]
async fn a_code_redeemed_with_another_sign_ins_pkce_verifier_makes_no_session() {
    let (provider, app) = start().await;
    let http = browser();
    // The victim's code, injected into the attacker's own sign-in.
    let victim = until_callback(&app, &http).await;
    let attacker = until_callback(&app, &http).await;
    let (victim_url, attacker_url) = (
        reqwest::Url::parse(&victim.callback).expect("url"),
        reqwest::Url::parse(&attacker.callback).expect("url"),
    );
    let param = |u: &reqwest::Url, k: &str| {
        u.query_pairs()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.to_string())
            .expect(k)
    };
    let mut injected = attacker_url.clone();
    injected
        .query_pairs_mut()
        .clear()
        .append_pair("code", &param(&victim_url, "code"))
        .append_pair("state", &param(&attacker_url, "state"));
    assert_eq!(
        callback_refused(&http, injected.as_str(), Some(&attacker.cookie)).await,
        401
    );
    assert_eq!(provider.token_refusals(), vec!["pkce"]);
}

#[tokio::test]
async fn a_callback_reaching_another_browser_makes_no_session() {
    let (provider, app) = start().await;
    let http = browser();
    // Login CSRF: the attacker signs in at the provider and pushes the
    // callback URL to a victim, who would then work as the attacker. The
    // victim's browser has no pending sign-in, or its own.
    let attacker = until_callback(&app, &http).await;
    assert_eq!(callback_refused(&http, &attacker.callback, None).await, 400);
    let victims_own = until_callback(&app, &http).await;
    assert_eq!(
        callback_refused(&http, &attacker.callback, Some(&victims_own.cookie)).await,
        400
    );
    // A callback URL captured from the victim (a log, a referrer) is no use
    // without the victim's cookie either.
    let victim = until_callback(&app, &http).await;
    assert_eq!(callback_refused(&http, &victim.callback, None).await, 400);
    // A forged or altered cookie opens nothing.
    let forged = format!(
        "{LOGIN_COOKIE}=AAAA{}",
        &victim.cookie[LOGIN_COOKIE.len() + 5..]
    );
    assert_eq!(
        callback_refused(&http, &victim.callback, Some(&forged)).await,
        400
    );
    assert!(
        provider.token_refusals().is_empty(),
        "no code was even sent to the provider"
    );
    // The victim's own browser still finishes its sign-in.
    let done = callback_with(&http, &victim.callback, Some(&victim.cookie)).await;
    assert_eq!(done.status(), 303);
    assert!(session_set_cookie(done.headers()).is_some());
}

#[tokio::test]
async fn a_replayed_or_unknown_state_makes_no_session() {
    let (_provider, app) = start().await;
    let http = browser();
    let started = until_callback(&app, &http).await;
    let first = callback_with(&http, &started.callback, Some(&started.cookie)).await;
    assert_eq!(first.status(), 303);
    assert!(session_set_cookie(first.headers()).is_some());
    let cleared = first
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with(&format!("{LOGIN_COOKIE}=;")) && v.contains("Max-Age=0"));
    assert!(cleared, "the pending sign-in's cookie is cleared");

    // Replayed with the cookie kept: the provider redeems a code once.
    assert_eq!(
        callback_refused(&http, &started.callback, Some(&started.cookie)).await,
        401,
        "replayed"
    );
    let unknown = app.url(&format!(
        "/auth/{AGENCY}/callback?code=x&state=never-issued"
    ));
    let other = until_callback(&app, &http).await;
    assert_eq!(
        callback_refused(&http, &unknown, Some(&other.cookie)).await,
        400
    );
    let no_state = app.url(&format!("/auth/{AGENCY}/callback?code=x"));
    assert_eq!(
        callback_refused(&http, &no_state, Some(&other.cookie)).await,
        400
    );
}

#[tokio::test]
async fn starting_a_sign_in_stores_nothing() {
    // Anyone may start a sign-in, so it must not write to the cache: with
    // the cache down, starting one still works (and a flood of them fills
    // nothing and pushes no session out).
    let provider = LoginProvider::start(CLIENT_ID, CLIENT_SECRET).await;
    let cache = std::sync::Arc::new(tests::FlakyCache::default());
    let app = builder(&provider).cache(cache.clone()).start().await;
    cache.set_mode(tests::FlakyMode::Down);
    let http = browser();
    for _ in 0..50 {
        let start = http
            .get(app.url(&format!("/auth/{AGENCY}/login")))
            .send()
            .await
            .expect("login");
        assert_eq!(start.status(), 303);
        assert!(login_cookie(start.headers()).is_some());
    }
}

#[tokio::test]
async fn an_id_token_with_the_wrong_nonce_or_a_forged_signature_makes_no_session() {
    let (provider, app) = start().await;
    let http = browser();
    provider.set_nonce_override(Some("someone-elses-nonce"));
    let started = until_callback(&app, &http).await;
    assert_eq!(
        callback_refused(&http, &started.callback, Some(&started.cookie)).await,
        401
    );

    provider.set_nonce_override(None);
    provider.set_sign_with_rogue_key(true);
    let started = until_callback(&app, &http).await;
    assert_eq!(
        callback_refused(&http, &started.callback, Some(&started.cookie)).await,
        401
    );

    provider.set_sign_with_rogue_key(false);
    sign_in(&app, &http).await;
}

#[tokio::test]
async fn unknown_agencies_and_agencies_without_login_have_no_sign_in() {
    let (_provider, app) = start().await;
    let http = browser();
    for path in ["/auth/nowhere/login", "/auth/af/login", "/auth/af/callback"] {
        let resp = http.get(app.url(path)).send().await.expect("request");
        assert_eq!(resp.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn a_safe_return_path_is_kept_and_an_offsite_one_is_ignored() {
    let (_provider, app) = start().await;
    let http = browser();
    for (asked, landed) in [
        ("/dashboards/lund?tab=2", "/dashboards/lund?tab=2"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
    ] {
        let start = http
            .get(app.url(&format!("/auth/{AGENCY}/login")))
            .query(&[("return_to", asked)])
            .send()
            .await
            .expect("login");
        let cookie = login_cookie(start.headers()).expect("pending sign-in");
        let at_provider = http.get(location(&start)).send().await.expect("authorize");
        let done = callback_with(&http, &location(&at_provider), Some(&cookie)).await;
        assert_eq!(done.status(), 303);
        assert_eq!(location(&done), landed, "{asked}");
    }
}

fn short_sessions(provider: &LoginProvider) -> TestAppBuilder {
    builder(provider).configure(|c| {
        c.sessions.idle_timeout_secs = std::time::Duration::from_secs(1);
        c.sessions.absolute_timeout_secs = std::time::Duration::from_secs(3);
    })
}

#[tokio::test]
async fn a_session_ends_after_the_idle_timeout() {
    let provider = LoginProvider::start(CLIENT_ID, CLIENT_SECRET).await;
    let app = short_sessions(&provider).start().await;
    let http = browser();
    let (cookie, _) = sign_in(&app, &http).await;
    let (_, info) = session_info(&app, &http, &cookie).await;
    let csrf = info["csrfToken"].as_str().expect("csrf").to_string();
    let (status, _) = me(&app, &http, &cookie, Some(&csrf)).await;
    assert_eq!(status, 200);

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, body) = me(&app, &http, &cookie, Some(&csrf)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(code(&body), "UNAUTHENTICATED");
    let (status, _) = session_info(&app, &http, &cookie).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_active_session_still_ends_at_the_absolute_timeout() {
    let provider = LoginProvider::start(CLIENT_ID, CLIENT_SECRET).await;
    let app = short_sessions(&provider).start().await;
    let http = browser();
    let (cookie, _) = sign_in(&app, &http).await;
    let signed_in = Instant::now();
    let (_, info) = session_info(&app, &http, &cookie).await;
    let csrf = info["csrfToken"].as_str().expect("csrf").to_string();

    let mut refused_at = None;
    while signed_in.elapsed() < Duration::from_millis(3500) {
        let asked_at = signed_in.elapsed();
        let (status, body) = me(&app, &http, &cookie, Some(&csrf)).await;
        if asked_at < Duration::from_millis(2500) {
            assert_eq!(status, 200, "active at {asked_at:?}: {body}");
        }
        if status == 401 && refused_at.is_none() {
            refused_at = Some(asked_at);
        }
        if asked_at >= Duration::from_secs(3) {
            assert_eq!(status, 401, "past the absolute timeout at {asked_at:?}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(refused_at.is_some(), "refused after 3 s");
}

#[tokio::test]
async fn logout_needs_the_csrf_token_and_ends_the_session() {
    let (_provider, app) = start().await;
    let http = browser();
    let (cookie, _) = sign_in(&app, &http).await;
    let (_, info) = session_info(&app, &http, &cookie).await;
    let csrf = info["csrfToken"].as_str().expect("csrf").to_string();

    let forged = http
        .post(app.url("/auth/logout"))
        .header(COOKIE, format!("{COOKIE_NAME}={cookie}"))
        .send()
        .await
        .expect("logout");
    assert_eq!(forged.status(), 403);
    assert_eq!(me(&app, &http, &cookie, Some(&csrf)).await.0, 200);

    let out = http
        .post(app.url("/auth/logout"))
        .header(COOKIE, format!("{COOKIE_NAME}={cookie}"))
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), 204);
    let cleared = session_set_cookie(out.headers()).expect("cookie cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    let (status, body) = me(&app, &http, &cookie, Some(&csrf)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(session_info(&app, &http, &cookie).await.0, 401);
}
