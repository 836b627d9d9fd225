//! Agencies' keys fetched from their JWKS endpoints: rotation, a flood of
//! unknown kids, and a provider that goes down.

use std::sync::Arc;
use std::time::Duration;

use gateway::auth::jwks::{JwksSettings, RemoteKeys};
use gateway::auth::{AgencyKeys, AgencyVerifier, AuthError, TokenValidator};
use jsonwebtoken::Algorithm;
use serde_json::json;
use tests::provider::{TestKey, TestProvider};

fn claims(iss: &str) -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "iss": iss, "sub": "officer-1", "aud": "samverkan-gateway", "exp": now + 600, "iat": now, "roles": ["officer"] })
}

fn validator(provider: &TestProvider, settings: JwksSettings) -> (TokenValidator, Arc<RemoteKeys>) {
    let remote = Arc::new(RemoteKeys::new(provider.jwks_url(), settings).expect("client"));
    let v = TokenValidator::new(vec![AgencyVerifier {
        agency: "af".into(),
        issuer: provider.issuer(),
        audience: vec!["samverkan-gateway".into()],
        algorithms: vec![Algorithm::EdDSA],
        leeway_secs: 5,
        keys: AgencyKeys::Remote(remote.clone()),
        claims: Default::default(),
    }]);
    (v, remote)
}

#[tokio::test]
async fn an_unknown_kid_triggers_one_refresh_which_picks_up_a_rotated_key() {
    let (old, new) = (
        TestKey::generate("k-2026-01"),
        TestKey::generate("k-2026-06"),
    );
    let provider = TestProvider::start(&[&old]).await;
    let (v, remote) = validator(
        &provider,
        JwksSettings {
            min_refresh_interval: Duration::ZERO,
            ..Default::default()
        },
    );
    v.validate(&old.sign(&claims(&provider.issuer())), None)
        .await
        .expect("old key");
    assert_eq!(remote.fetch_count(), 1);
    v.validate(&old.sign(&claims(&provider.issuer())), None)
        .await
        .expect("cached");
    assert_eq!(remote.fetch_count(), 1, "a known kid costs no fetch");

    provider.publish(&[&old, &new]);
    v.validate(&new.sign(&claims(&provider.issuer())), None)
        .await
        .expect("rotated key after one refresh");
    assert_eq!(remote.fetch_count(), 2);
}

#[tokio::test]
async fn a_thousand_random_kids_hit_the_provider_at_most_at_the_rate_limit() {
    let key = TestKey::generate("real");
    let provider = TestProvider::start(&[&key]).await;
    let (v, _remote) = validator(
        &provider,
        JwksSettings {
            min_refresh_interval: Duration::from_secs(10),
            ..Default::default()
        },
    );
    let v = Arc::new(v);
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let forged = TestKey::generate(&format!("random-{i}"));
        let token = forged.sign(&claims(&provider.issuer()));
        let v = v.clone();
        tasks.push(tokio::spawn(async move { v.validate(&token, None).await }));
    }
    for t in tasks {
        assert_eq!(
            t.await.expect("join").map(|_| ()),
            Err(AuthError::UnknownKey)
        );
    }
    let allowed = 1 + (started.elapsed().as_secs() / 10) as usize;
    assert!(
        provider.jwks_hits() <= allowed,
        "{} fetches for 1000 unknown kids",
        provider.jwks_hits()
    );
    // The real key still works.
    v.validate(&key.sign(&claims(&provider.issuer())), None)
        .await
        .expect("real key");
}

#[tokio::test]
async fn a_provider_down_is_survived_on_the_last_good_keys_until_the_stale_limit() {
    let key = TestKey::generate("k1");
    let provider = TestProvider::start(&[&key]).await;
    let settings = JwksSettings {
        refresh_interval: Duration::from_millis(200),
        min_refresh_interval: Duration::ZERO,
        max_stale: Duration::from_millis(600),
        timeout: Duration::from_secs(1),
    };
    let (v, remote) = validator(&provider, settings);
    remote.refresh_now().await.expect("first fetch");
    let _refresher = remote.spawn_refresher();
    provider.set_down(true);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let token = key.sign(&claims(&provider.issuer()));
    v.validate(&token, None)
        .await
        .expect("within the stale limit the last good keys serve");
    tokio::time::sleep(Duration::from_millis(700)).await;
    // A token verified before is not remembered past the limit either.
    let refused = v.validate(&token, None).await;
    assert_eq!(refused.map(|_| ()), Err(AuthError::KeysUnavailable));
    assert!(AuthError::KeysUnavailable
        .to_string()
        .contains("cannot be fetched"));

    provider.set_down(false);
    remote.refresh_now().await.expect("provider back");
    v.validate(&key.sign(&claims(&provider.issuer())), None)
        .await
        .expect("recovered");
}

#[tokio::test]
async fn keys_can_be_found_through_the_discovery_document_of_the_right_issuer() {
    let key = TestKey::generate("k1");
    let provider = TestProvider::start(&[&key]).await;
    let discovery = format!("{}/.well-known/openid-configuration", provider.issuer());
    let remote = RemoteKeys::from_discovery(
        discovery.clone(),
        provider.issuer(),
        JwksSettings::default(),
    )
    .expect("client");
    remote.refresh_now().await.expect("discovery then JWKS");
    remote.key(Some("k1")).await.expect("the key from jwks_uri");

    // A discovery document that names another issuer is not this agency's.
    let wrong = RemoteKeys::from_discovery(
        discovery,
        "https://someone-else.example",
        JwksSettings::default(),
    )
    .expect("client");
    let err = wrong.refresh_now().await.expect_err("issuer mismatch");
    assert!(err.contains("another issuer"), "{err}");
}
