//! The gateway as an agency's OAuth client (client credentials): one token
//! endpoint hit for many concurrent callers, one refresh when the token
//! nears expiry, and a clean error for a refused client.

use std::sync::Arc;
use std::time::Duration;

use gateway::config::{ClientCredentialsConfig, ClientSecret};
use gateway::sources::http::client_credentials::{
    ClientCredentials, ClientCredentialsError, ClientCredentialsSettings,
};
use tests::token_server::TokenServer;

const CLIENT_ID: &str = "samverkan-gateway";
const SECRET: &str = "client-secret-1";

fn settings(server: &TokenServer, secret: &str, margin_secs: u64) -> ClientCredentialsSettings {
    ClientCredentialsSettings {
        token_url: server.token_url(),
        client_id: CLIENT_ID.into(),
        client_secret: secret.into(),
        scopes: vec!["cases:read".into()],
        refresh_margin: Duration::from_secs(margin_secs),
        timeout: Duration::from_secs(5),
    }
}

/// `n` concurrent `token()` calls; the secrets they got.
async fn concurrently(client: &Arc<ClientCredentials>, n: usize) -> Vec<String> {
    let calls = (0..n).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.token().await })
    });
    let mut out = Vec::new();
    for result in futures::future::join_all(calls).await {
        let token = result.expect("no panic").expect("a token");
        out.push(token.secret().clone());
    }
    out
}

#[tokio::test]
async fn fifty_concurrent_calls_hit_the_token_endpoint_once_and_share_the_token() {
    let server = TokenServer::start(CLIENT_ID, SECRET).await;
    // Slow answers, so that all fifty callers arrive while the one fetch runs.
    server.set_delay(Duration::from_millis(200));
    let config = ClientCredentialsConfig {
        token_url: server.token_url(),
        client_id: CLIENT_ID.into(),
        secret: ClientSecret {
            client_secret: Some(SECRET.into()),
            client_secret_file: None,
        },
        scopes: vec!["cases:read".into(), "plans:read".into()],
        refresh_margin_secs: std::time::Duration::from_secs(30),
    };
    let client = Arc::new(ClientCredentials::from_config("af", &config).expect("client"));

    let tokens = concurrently(&client, 50).await;
    assert_eq!(server.token_hits(), 1);
    assert!(tokens.iter().all(|t| t == &tokens[0]), "one shared token");
    let info = server.info(&tokens[0]).expect("the server issued it");
    assert_eq!(info.scope, "cases:read plans:read", "the configured scopes");

    // Still fresh: reused without asking.
    let again = client.token().await.expect("cached token");
    assert_eq!(again.secret(), &tokens[0]);
    assert_eq!(server.token_hits(), 1);
    assert_eq!(client.fetch_count(), 1);
}

#[tokio::test]
async fn a_token_within_the_refresh_margin_is_refreshed_exactly_once() {
    let server = TokenServer::start(CLIENT_ID, SECRET).await;
    server.set_expires_in(3);
    let client =
        Arc::new(ClientCredentials::new("af", settings(&server, SECRET, 2)).expect("client"));
    let first = client.token().await.expect("first token");
    assert_eq!(server.token_hits(), 1);

    // 3 s life - 2 s margin: after 1 s the token is due for refresh.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    server.set_expires_in(3600);
    server.set_delay(Duration::from_millis(200));
    let tokens = concurrently(&client, 50).await;
    assert_eq!(server.token_hits(), 2, "exactly one refresh");
    assert!(
        tokens.iter().all(|t| t == &tokens[0]),
        "one shared new token"
    );
    assert_ne!(&tokens[0], first.secret(), "a new token");
}

#[tokio::test]
async fn a_wrong_secret_is_an_error_not_a_panic_and_the_next_call_tries_again() {
    let server = TokenServer::start(CLIENT_ID, SECRET).await;
    let client =
        ClientCredentials::new("af", settings(&server, "not-the-secret", 30)).expect("client");
    let err = client.token().await.expect_err("refused");
    assert!(
        matches!(&err, ClientCredentialsError::Refused { agency, message } if agency == "af" && message.contains("invalid_client")),
        "{err:?}"
    );
    assert!(!err.to_string().contains("not-the-secret"), "{err}");
    client.token().await.expect_err("still refused");
    assert_eq!(server.token_hits(), 2, "a failure is not cached");
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_an_error() {
    // A port that was just free: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let client = ClientCredentials::new(
        "af",
        ClientCredentialsSettings {
            token_url: format!("http://127.0.0.1:{port}/token"),
            client_id: CLIENT_ID.into(),
            client_secret: SECRET.into(),
            scopes: Vec::new(),
            refresh_margin: Duration::from_secs(30),
            timeout: Duration::from_secs(2),
        },
    )
    .expect("client");
    let err = client.token().await.expect_err("nobody answers");
    assert!(
        matches!(err, ClientCredentialsError::Unreachable { .. }),
        "{err:?}"
    );
}
