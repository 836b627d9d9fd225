//! Opaque tokens through the gateway's HTTP endpoint: the agency the request
//! names is asked (RFC 7662), and only it; its answer is cached for a
//! bounded time; an agency vouches only for its own tokens, for the
//! gateway, from its configured clients.

use std::time::Duration;

use gateway::config::{ClientSecret, IntrospectionConfig};
use serde_json::json;
use tests::token_server::TokenServer;
use tests::{Answer, TestApp};

const CLIENT_ID: &str = "samverkan-gateway";
const SECRET: &str = "introspection-secret-1";
const ME: &str = "{ me { subject roles unit agency { code } } }";

fn introspection(server: &TokenServer, cache_secs: u64, secret: &str) -> IntrospectionConfig {
    IntrospectionConfig {
        url: server.introspection_url(),
        client_id: CLIENT_ID.into(),
        secret: ClientSecret {
            client_secret: Some(secret.into()),
            client_secret_file: None,
        },
        clients: vec!["staff-portal".into()],
        cache_secs: std::time::Duration::from_secs(cache_secs),
    }
}

/// A gateway whose `af` agency (besides its JWTs) issues opaque tokens that
/// `server` introspects, authenticating with `secret`.
async fn app(server: &TokenServer, cache_secs: u64, secret: &str) -> TestApp {
    let introspection = introspection(server, cache_secs, secret);
    TestApp::builder()
        .configure(move |config| {
            config
                .agencies
                .get_mut("af")
                .expect("the demo has af")
                .introspection = Some(introspection);
        })
        .start()
        .await
}

fn issuer(app: &TestApp, agency: &str) -> String {
    app.config.agencies[agency].issuer.clone()
}

fn assert_refused(a: &Answer, token: &str, why: &str) {
    assert_eq!(a.status, 401, "{:#}", a.body);
    assert_eq!(a.codes(), vec!["UNAUTHENTICATED"], "{:#}", a.body);
    let message = a.errors()[0]["message"].as_str().unwrap_or("").to_string();
    assert!(message.contains(why), "{message}");
    assert!(!a.body.to_string().contains(token), "the token is echoed");
}

#[tokio::test]
async fn an_opaque_token_is_accepted_end_to_end_and_its_answer_is_cached() {
    let server = TokenServer::start(CLIENT_ID, SECRET).await;
    let app = app(&server, 60, SECRET).await;
    let token = server.issue_for(
        "af-opaque-1",
        &issuer(&app, "af"),
        &["officer"],
        Some("malmo"),
    );

    for _ in 0..3 {
        let a = app.graphql_naming("af", &token, ME, json!({})).await;
        assert_eq!(a.status, 200, "{:#}", a.body);
        let me = &a.ok()["me"];
        assert_eq!(me["subject"], "af-opaque-1");
        assert_eq!(me["roles"], json!(["officer"]));
        assert_eq!(me["unit"], "malmo", "extra fields of the answer are mapped");
        assert_eq!(me["agency"]["code"], "af");
    }
    assert_eq!(
        server.introspection_hits(),
        1,
        "repeated requests within the cache time ask the agency once"
    );

    // JWTs are still verified locally: the agency is not asked about them.
    let jwt = app.token("af", "officer", "af-jwt-1");
    let a = app.graphql(Some(&jwt), ME, json!({})).await;
    assert_eq!(a.ok()["me"]["subject"], "af-jwt-1");
    assert_eq!(server.introspection_hits(), 1);
}

#[tokio::test]
async fn a_revoked_opaque_token_is_refused_once_its_cache_entry_is_gone() {
    let server = TokenServer::start(CLIENT_ID, SECRET).await;
    let app = app(&server, 1, SECRET).await;
    let token = server.issue_for("af-opaque-2", &issuer(&app, "af"), &["officer"], None);
    let a = app.graphql_naming("af", &token, ME, json!({})).await;
    assert_eq!(a.ok()["me"]["subject"], "af-opaque-2");

    server.revoke(&token);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let a = app.graphql_naming("af", &token, ME, json!({})).await;
    assert_refused(&a, &token, "not active (revoked or expired)");
    assert_eq!(server.introspection_hits(), 2);
}

#[tokio::test]
async fn an_unknown_opaque_token_is_refused() {
    let server = TokenServer::start(CLIENT_ID, SECRET).await;
    let app = app(&server, 60, SECRET).await;
    let token = "an-opaque-token-nobody-issued";
    let a = app.graphql_naming("af", token, ME, json!({})).await;
    assert_refused(&a, token, "not active (revoked or expired)");
    assert_eq!(server.introspection_hits(), 1);
}

#[tokio::test]
async fn an_answer_naming_another_agencys_issuer_is_refused() {
    let server = TokenServer::start(CLIENT_ID, SECRET).await;
    let app = app(&server, 60, SECRET).await;
    // Active at af's server, but issued (it says) by Lund: af cannot vouch for it.
    let token = server.issue_for("lund-coach-1", &issuer(&app, "lund"), &["coach"], None);
    let a = app.graphql_naming("af", &token, ME, json!({})).await;
    assert_refused(&a, &token, "issuer");
    assert_eq!(server.introspection_hits(), 1);
}

#[tokio::test]
async fn an_introspection_endpoint_that_refuses_the_gateway_means_try_again_not_bad_token() {
    let server = TokenServer::start(CLIENT_ID, SECRET).await;
    let app = app(&server, 60, "the-wrong-secret").await;
    let token = server.issue_for("af-opaque-3", &issuer(&app, "af"), &["officer"], None);
    let a = app.graphql_naming("af", &token, ME, json!({})).await;
    assert_refused(&a, &token, "try again later");
    // Failures are not cached: the next request asks again.
    let _ = app.graphql_naming("af", &token, ME, json!({})).await;
    assert_eq!(server.introspection_hits(), 2);
}

#[tokio::test]
async fn an_opaque_token_goes_only_to_the_agency_the_request_names() {
    let af_server = TokenServer::start(CLIENT_ID, SECRET).await;
    let fk_server = TokenServer::start(CLIENT_ID, SECRET).await;
    let (af, fk) = (
        introspection(&af_server, 60, SECRET),
        introspection(&fk_server, 60, SECRET),
    );
    let app = TestApp::builder()
        .configure(move |config| {
            config.agencies.get_mut("af").expect("af").introspection = Some(af);
            config.agencies.get_mut("fk").expect("fk").introspection = Some(fk);
        })
        .start()
        .await;
    let token = fk_server.issue_for("fk-opaque-1", &issuer(&app, "fk"), &["officer"], None);

    // Without a name the gateway asks nobody: asking each agency in turn
    // would show every agency the others' tokens.
    let a = app.graphql(Some(&token), ME, json!({})).await;
    assert_refused(&a, &token, "Samverkan-Agency");
    // Named: that agency, and no other, sees the token.
    let a = app.graphql_naming("fk", &token, ME, json!({})).await;
    assert_eq!(a.ok()["me"]["subject"], "fk-opaque-1", "{:#}", a.body);
    // Named wrongly: af is asked, does not know it, and fk is not asked again.
    let a = app.graphql_naming("af", &token, ME, json!({})).await;
    assert_refused(&a, &token, "not active");
    // An agency without introspection is never sent anything.
    let a = app.graphql_naming("lund", &token, ME, json!({})).await;
    assert_refused(&a, &token, "does not issue opaque tokens");
    assert_eq!(
        (
            af_server.introspection_hits(),
            fk_server.introspection_hits()
        ),
        (1, 1)
    );

    // A JWT beside a header naming another agency is refused too.
    let jwt = app.token("af", "officer", "af-jwt-2");
    let a = app.graphql_naming("fk", &jwt, ME, json!({})).await;
    assert_refused(&a, &jwt, "does not match");
}

#[tokio::test]
async fn an_answer_for_another_audience_or_client_is_refused() {
    let server = TokenServer::start(CLIENT_ID, SECRET).await;
    let app = app(&server, 60, SECRET).await;
    let info = |aud: &str, client: &str| tests::token_server::TokenInfo {
        sub: "af-opaque-9".into(),
        iss: issuer(&app, "af"),
        scope: "openid".into(),
        client_id: client.into(),
        aud: aud.into(),
        roles: vec!["officer".into()],
        unit: None,
        exp: chrono::Utc::now().timestamp() + 600,
        revoked: false,
    };
    // af's token for its own case system, not for the gateway.
    let token = server.issue(info("af-case-system", "staff-portal"));
    let a = app.graphql_naming("af", &token, ME, json!({})).await;
    assert_refused(&a, &token, "another audience");
    // For the gateway, but issued to a client af has not let call it.
    let token = server.issue(info("samverkan-gateway", "some-other-app"));
    let a = app.graphql_naming("af", &token, ME, json!({})).await;
    assert_refused(&a, &token, "client");
    let token = server.issue(info("samverkan-gateway", "staff-portal"));
    let a = app.graphql_naming("af", &token, ME, json!({})).await;
    assert_eq!(a.ok()["me"]["subject"], "af-opaque-9");
}
