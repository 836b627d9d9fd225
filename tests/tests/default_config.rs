//! The configuration the gateway runs with when a file gives only what has
//! no default, as snapshots (`snapshots/default_config__*.snap`): a changed
//! default (a limit, a timeout, a cookie setting) shows as a diff in review.
//!
//! `Config` has no `Default` (the database URL and the personal-data keys
//! have none), so the snapshot is of the smallest valid file, loaded the
//! way `gateway serve --config` loads it (without the `GATEWAY_`
//! environment, which would make the snapshot depend on the shell), and
//! serialized. The keys in it are placeholders and are redacted anyway.
//!
//! To accept a deliberate change: `INSTA_UPDATE=always cargo nextest run
//! -p tests --test default_config`, then review and commit the `.snap`.

use figment::providers::{Format, Toml};
use figment::Figment;
use gateway::config::Config;

const KEY_1: &str = "0000000000000000000000000000000000000000000000000000000000000001";
const KEY_2: &str = "0000000000000000000000000000000000000000000000000000000000000002";
const KEY_3: &str = "0000000000000000000000000000000000000000000000000000000000000003";

fn load(toml: &str) -> Config {
    Config::from_figment(Figment::from(Toml::string(toml))).expect("a valid config")
}

/// Everything but the sections without defaults (and the audit chain key).
#[test]
fn the_default_configuration() {
    let config = load(&format!(
        r#"
        [database]
        url = "postgres://gateway@db.example/gateway"
        [crypto]
        personnummer_key = "{KEY_1}"
        lookup_key = "{KEY_2}"
        [audit]
        chain_key = "{KEY_3}"
        "#
    ));
    insta::assert_yaml_snapshot!(config, {
        ".crypto.personnummer_key" => "[secret]",
        ".crypto.lookup_key" => "[secret]",
    });
}

/// What an agency gets when only its identity is given, and an agency
/// read over HTTP: the token rules, key refresh, claim mapping, and the
/// upstream's timeouts, retries and circuit breaker.
#[test]
fn the_default_agency_configuration() {
    let config = load(&format!(
        r#"
        [database]
        url = "postgres://gateway@db.example/gateway"
        [crypto]
        personnummer_key = "{KEY_1}"
        lookup_key = "{KEY_2}"
        [audit]
        chain_key = "{KEY_3}"

        [agencies.region]
        name = "Region"
        kind = "region"
        issuer = "https://idp.region.example"
        audience = ["samverkan-gateway"]
        jwks_url = "https://idp.region.example/jwks"

        [agencies.af]
        name = "Arbetsförmedlingen"
        kind = "employment_service"
        issuer = "https://idp.af.example"
        audience = ["samverkan-gateway"]
        jwks_url = "https://idp.af.example/jwks"
        source = {{ kind = "http", base_url = "https://api.af.example" }}
        client = {{ token_url = "https://idp.af.example/token", client_id = "gateway", client_secret = "placeholder" }}
        "#
    ));
    insta::assert_yaml_snapshot!(config.agencies, {
        ".af.client.client_secret" => "[secret]",
    });
}
