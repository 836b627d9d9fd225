//! AF and FK read live from their own APIs (the agency simulator on
//! loopback, speaking `deploy/openapi/`), as each agency's OAuth client:
//! one call per agency per request, the same records as the database, and
//! an agency that is slow, down, or talking nonsense costs only its own
//! fields.

use std::time::{Duration, Instant};

use gateway::config::HttpSourceConfig;
use serde_json::{json, Value};
use tests::federation::Federated;
use tests::simulator::Mode;
use tests::TestApp;

/// The agencies' timeout in these tests.
const TIMEOUT_MS: u64 = 400;

async fn federated(tune: fn(&mut HttpSourceConfig)) -> Federated {
    Federated::start(120, move |s| {
        s.timeout_ms = std::time::Duration::from_millis(TIMEOUT_MS);
        tune(s);
    })
    .await
}

const PAGE: &str = "query FederatedPage($first: Int!) {
  cases(first: $first) {
    edges { node {
      id
      participant { id givenName }
      plans { title }
      employmentServiceRecords { id externalId programme registeredOn lastContactOn version owner { code } }
      socialInsuranceRecords { externalId benefit sickLeaveDegree periodStart periodEnd owner { code } }
    } }
  }
}";

trait Page {
    async fn page(&self, first: usize) -> tests::Answer;
}

impl Page for Federated {
    async fn page(&self, first: usize) -> tests::Answer {
        let officer = self
            .app
            .token("lund", "officer", gateway::demo::DEMO_LUND_OFFICER);
        self.app
            .graphql(Some(&officer), PAGE, json!({ "first": first }))
            .await
    }
}

fn cases(a: &tests::Answer) -> Vec<Value> {
    a.data()["cases"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn codes_at(a: &tests::Answer, field: &str) -> Vec<(String, Value)> {
    a.errors()
        .into_iter()
        .filter(|e| e["path"].as_array().and_then(|p| p.last()) == Some(&json!(field)))
        .map(|e| {
            (
                e["extensions"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                e["extensions"].clone(),
            )
        })
        .collect()
}

/// External ids per case in an answer.
fn external_ids(a: &tests::Answer, field: &str) -> Vec<Vec<String>> {
    cases(a)
        .iter()
        .map(|c| {
            let mut ids: Vec<String> = c[field]
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .map(|r| r["externalId"].as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .unwrap_or_default();
            ids.sort();
            ids
        })
        .collect()
}

#[tokio::test]
async fn a_page_asks_each_agency_once_and_shows_what_the_database_would() {
    let f = federated(|_| {}).await;
    let a = f.page(50).await;
    assert_eq!(a.status, 200, "{:#}", a.body);
    assert_eq!(cases(&a).len(), 50);
    // One lookup per agency for the whole page, about every person on it
    // whose records the officer may see.
    assert_eq!(f.af.lookups(), 1, "AF lookups for one page");
    assert_eq!(f.fk.lookups(), 1, "FK lookups for one page");
    assert!(f.af.lookup_sizes()[0] > 1, "{:?}", f.af.lookup_sizes());
    // The same records as the database source gives: the simulators serve
    // the seeded rows, and the database still holds them. Every error is a
    // consent refusal, never an upstream one.
    for (code, _) in codes_at(&a, "employmentServiceRecords")
        .into_iter()
        .chain(codes_at(&a, "socialInsuranceRecords"))
    {
        assert_eq!(code, "CONSENT_REQUIRED", "{:#}", a.body);
    }
    let from_api = (
        external_ids(&a, "employmentServiceRecords"),
        external_ids(&a, "socialInsuranceRecords"),
    );
    let db_app = {
        // Same query, same data, answered from the tables: flip the
        // sources off by asking an app that reads AF and FK from its database.
        let app = TestApp::start().await;
        app.seed(120, 7).await;
        app
    };
    let officer = db_app.token("lund", "officer", gateway::demo::DEMO_LUND_OFFICER);
    let b = db_app
        .graphql(Some(&officer), PAGE, json!({ "first": 50 }))
        .await;
    let from_db = (
        external_ids(&b, "employmentServiceRecords"),
        external_ids(&b, "socialInsuranceRecords"),
    );
    assert_eq!(from_api, from_db);
    assert!(
        from_api.0.iter().any(|ids| !ids.is_empty()),
        "some AF records are shown"
    );
    // Upstream records are audited like stored ones: the officer's read of
    // AF's fields is in the access log.
    assert!(f.app.count("audit_event").await >= 1);
}

#[tokio::test]
async fn a_slow_agency_costs_its_timeout_and_only_its_own_fields() {
    let f = federated(|_| {}).await;
    f.af.set_mode(Mode::Slow(Duration::from_secs(5)));
    let started = Instant::now();
    let a = f.page(30).await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(TIMEOUT_MS + 600),
        "answered in {took:?}, the timeout is {TIMEOUT_MS} ms"
    );
    assert_eq!(a.status, 200, "{:#}", a.body);
    let af_errors = codes_at(&a, "employmentServiceRecords");
    let unavailable: Vec<&Value> = af_errors
        .iter()
        .filter(|(code, _)| code == "UPSTREAM_UNAVAILABLE")
        .map(|(_, ext)| ext)
        .collect();
    assert!(!unavailable.is_empty(), "{:#}", a.body);
    for ext in &unavailable {
        assert_eq!(ext["agency"], "af");
        assert_eq!(ext["reason"], "timeout");
    }
    // FK's records and the municipality's own data are all there.
    for case in cases(&a) {
        assert!(case["participant"]["givenName"].is_string(), "{case:#}");
        assert!(case["plans"].is_array());
        assert!(case["socialInsuranceRecords"].is_array(), "{case:#}");
    }
    assert!(codes_at(&a, "socialInsuranceRecords")
        .iter()
        .all(|(code, _)| code == "CONSENT_REQUIRED"));
}

#[tokio::test]
async fn a_failing_agency_opens_the_breaker_then_a_probe_closes_it() {
    let f = federated(|s| {
        s.breaker_failures = 3;
        s.breaker_open_ms = std::time::Duration::from_millis(600);
        s.max_retries = 0;
    })
    .await;
    f.af.set_mode(Mode::Fail(503));
    for _ in 0..3 {
        let a = f.page(10).await;
        let codes = codes_at(&a, "employmentServiceRecords");
        assert!(
            codes.iter().any(|(_, e)| e["reason"] == "unavailable"),
            "{:#}",
            a.body
        );
    }
    let calls = f.af.lookups();
    assert_eq!(calls, 3);
    // Open: answered at once, AF not called.
    let started = Instant::now();
    let a = f.page(10).await;
    assert!(started.elapsed() < Duration::from_millis(TIMEOUT_MS));
    assert!(codes_at(&a, "employmentServiceRecords")
        .iter()
        .any(|(_, e)| e["reason"] == "circuit_open" && e["agency"] == "af"));
    assert_eq!(f.af.lookups(), calls, "no call while open");
    let metrics = f
        .app
        .http()
        .get(f.app.url("/metrics"))
        .send()
        .await
        .unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("gateway_upstream_breaker_state")
                && l.contains("af")
                && l.ends_with(" 2")),
        "{metrics}"
    );
    // AF recovers; after the open period one probe goes through and closes it.
    f.af.set_mode(Mode::Normal);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let a = f.page(10).await;
    assert!(
        codes_at(&a, "employmentServiceRecords")
            .iter()
            .all(|(code, _)| code == "CONSENT_REQUIRED"),
        "{:#}",
        a.body
    );
    assert_eq!(f.af.lookups(), calls + 1);
    let a = f.page(10).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        f.af.lookups(),
        calls + 2,
        "closed again: every request calls"
    );
}

#[tokio::test]
async fn garbage_and_oversized_answers_are_refused_cleanly() {
    let f = federated(|s| {
        s.max_body_bytes = 1024 * 1024;
        s.breaker_failures = 100;
    })
    .await;
    for mode in [Mode::Garbage, Mode::Huge(10 * 1024 * 1024)] {
        f.af.set_mode(mode);
        let a = f.page(10).await;
        assert_eq!(a.status, 200, "{:#}", a.body);
        let codes = codes_at(&a, "employmentServiceRecords");
        assert!(
            codes
                .iter()
                .any(|(_, e)| e["reason"] == "invalid_answer" && e["agency"] == "af"),
            "{:#}",
            a.body
        );
        for case in cases(&a) {
            assert!(case["socialInsuranceRecords"].is_array());
        }
    }
    // One malformed record is an error at its case; the rest are shown.
    f.af.set_mode(Mode::Malformed);
    let a = f.page(50).await;
    let invalid: Vec<Value> = a
        .errors()
        .into_iter()
        .filter(|e| e["extensions"]["reason"] == "invalid_answer")
        .collect();
    assert_eq!(invalid.len(), 1, "{:#}", a.body);
    assert_eq!(
        invalid[0]["path"].as_array().unwrap().last().unwrap(),
        "employmentServiceRecords"
    );
    assert!(
        cases(&a)
            .iter()
            .filter(|c| c["employmentServiceRecords"]
                .as_array()
                .is_some_and(|r| !r.is_empty()))
            .count()
            > 1
    );
}

#[tokio::test]
async fn dropped_connections_are_retried_within_the_budget() {
    let f = federated(|s| s.max_retries = 1).await;
    f.af.set_mode(Mode::Drop);
    let a = f.page(10).await;
    assert!(codes_at(&a, "employmentServiceRecords")
        .iter()
        .any(|(_, e)| e["reason"] == "unavailable"));
    // The first attempt and one retry, then not again in this request.
    assert_eq!(f.af.lookups(), 2);
    f.af.set_mode(Mode::Normal);
    let a = f.page(10).await;
    assert!(codes_at(&a, "employmentServiceRecords")
        .iter()
        .all(|(code, _)| code == "CONSENT_REQUIRED"));
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_once_and_no_request_fails() {
    let f = federated(|_| {}).await;
    // Tokens live 2 s; the gateway refreshes 1 s before expiry.
    f.af.set_token_lifetime(Duration::from_secs(2));
    let before = f.af.token_requests();
    let a = f.page(5).await;
    assert!(codes_at(&a, "employmentServiceRecords")
        .iter()
        .all(|(code, _)| code == "CONSENT_REQUIRED"));
    let first = f.af.token_requests();
    assert_eq!(first, before + 1, "first call fetches a token");
    let run_until = Instant::now() + Duration::from_millis(2500);
    let mut requests = 0;
    while Instant::now() < run_until {
        let a = f.page(5).await;
        assert!(
            codes_at(&a, "employmentServiceRecords")
                .iter()
                .all(|(code, _)| code == "CONSENT_REQUIRED"),
            "{:#}",
            a.body
        );
        requests += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Requests every 100 ms when the machine is idle; a busy one serves
    // fewer, but the loop still spans the first token's expiry, which is
    // what is tested (at least one refresh, below).
    assert!(requests >= 3, "{requests} requests");
    assert_eq!(
        f.af.unauthorized(),
        0,
        "no call went out with an expired token"
    );
    // 2.5 s of tokens that are reused for 1 s each: two or three refreshes.
    let refreshes = f.af.token_requests() - first;
    assert!((1..=3).contains(&refreshes), "{refreshes} refreshes");
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once_without_failing_the_request() {
    let f = federated(|_| {}).await;
    f.page(5).await;
    let tokens = f.af.token_requests();
    // The simulator forgets every token it issued (a restart, a key roll).
    f.af.revoke_tokens();
    let a = f.page(5).await;
    assert!(
        codes_at(&a, "employmentServiceRecords")
            .iter()
            .all(|(code, _)| code == "CONSENT_REQUIRED"),
        "{:#}",
        a.body
    );
    assert_eq!(f.af.unauthorized(), 1);
    assert_eq!(f.af.token_requests(), tokens + 1);
}

#[tokio::test]
async fn no_consent_no_question_to_the_agency() {
    let f = federated(|_| {}).await;
    // The region's officer has no consent from AF or FK on any case.
    let token = f.app.token("region", "officer", "region-officer-x");
    let a = f
        .app
        .graphql(Some(&token), PAGE, json!({ "first": 20 }))
        .await;
    assert_eq!(a.status, 200, "{:#}", a.body);
    assert!(!cases(&a).is_empty(), "the region takes part in cases");
    assert!(a.codes().contains(&"CONSENT_REQUIRED".to_string()));
    assert_eq!(
        f.af.lookups(),
        0,
        "AF was asked without a consent: {:#}",
        a.body
    );
    assert_eq!(f.fk.lookups(), 0);
}

#[tokio::test]
async fn an_agency_read_live_cannot_write_its_records_here() {
    let f = federated(|_| {}).await;
    let token = f.app.token("af", "integrator", "af-integration");
    let a = f
        .app
        .graphql(
            Some(&token),
            "mutation($r: EmploymentServiceRecordInput!) { upsertEmploymentServiceRecord(record: $r) { id } }",
            json!({ "r": { "externalId": "AF-X", "personnummer": tests::test_pnr(1) } }),
        )
        .await;
    assert!(a.codes().contains(&"FORBIDDEN".to_string()), "{:#}", a.body);
}

/// The bulkhead: at most `max_concurrency` calls to one agency at once;
/// the others wait for a slot (within their deadline).
#[tokio::test]
async fn at_most_max_concurrency_calls_go_to_an_agency_at_once() {
    use gateway::sources::http::client_credentials::{
        ClientCredentials, ClientCredentialsSettings,
    };
    use gateway::sources::http::HttpSource;
    use std::sync::Arc;
    use tests::simulator::{SimAgency, Simulator, SimulatorConfig};

    let sim = Simulator::start(SimulatorConfig {
        agency: SimAgency::EmploymentService,
        client_id: "c".into(),
        client_secret: "s".into(),
        token_lifetime: Duration::from_secs(3600),
    })
    .await;
    sim.set_mode(Mode::Slow(Duration::from_millis(300)));
    let credentials = ClientCredentials::new(
        "af",
        ClientCredentialsSettings {
            token_url: sim.token_url(),
            client_id: "c".into(),
            client_secret: "s".into(),
            scopes: Vec::new(),
            refresh_margin: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
        },
    )
    .expect("client");
    let mut config = HttpSourceConfig::new(sim.url());
    config.max_concurrency = 2;
    config.timeout_ms = std::time::Duration::from_millis(5_000);
    let source = HttpSource::new(
        "af",
        uuid::Uuid::new_v4(),
        entities::enums::AgencyKind::EmploymentService,
        config,
        Arc::new(credentials),
        Arc::new(gateway::observability::metrics::Metrics::new()),
    )
    .expect("source");
    let body = json!({ "personnummer": [tests::test_pnr(1)] });
    let started = Instant::now();
    let calls = (0..6).map(|_| source.post("/v1/employment-service-records/lookup", &body));
    let results = futures::future::join_all(calls).await;
    let took = started.elapsed();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(sim.lookups(), 6);
    // Six calls of 300 ms, two at a time: three waves.
    assert!(
        took >= Duration::from_millis(850),
        "six slow calls took {took:?}: more than two ran at once"
    );
    assert!(took < Duration::from_millis(2000), "{took:?}");
}

/// `gateway demo --af-source URL --fk-source URL`: the agencies become
/// http sources called as the simulators' client, and the data files the
/// simulators serve are the demo database's records, in the contract.
#[tokio::test]
async fn the_demo_points_agencies_at_simulators_and_writes_their_data() {
    use gateway::demo::Upstreams;
    use tests::simulator::{contract::read_data_file, SimAgency};

    let app = TestApp::start().await;
    app.seed(40, 3).await;
    let upstreams = Upstreams {
        employment_service: Some("http://af-simulator:8091".into()),
        social_insurance: Some("http://fk-simulator:8092/".into()),
        client_secret: Some("demo-secret".into()),
    };
    let mut config = app.config.clone();
    upstreams.configure(&mut config).expect("configure");
    config.validate().expect("a valid config");
    let af = &config.agencies["af"];
    assert!(
        matches!(&af.source, gateway::config::SourceConfig::Http(h) if h.base_url == "http://af-simulator:8091")
    );
    assert_eq!(
        af.client.as_ref().map(|c| c.token_url.as_str()),
        Some("http://af-simulator:8091/oauth/token")
    );
    let fk = &config.agencies["fk"];
    assert!(
        matches!(&fk.source, gateway::config::SourceConfig::Http(h) if h.base_url == "http://fk-simulator:8092")
    );

    let dir = tempfile::tempdir().expect("temp dir");
    seed::export::write_simulator_data(&app.db, &app.keys, upstreams.simulators(), dir.path())
        .await
        .expect("write the simulators' data");
    let af_records = read_data_file(
        SimAgency::EmploymentService,
        &dir.path().join("upstream/employment-service.json"),
    )
    .expect("AF's file is in the contract");
    let fk_records = read_data_file(
        SimAgency::SocialInsurance,
        &dir.path().join("upstream/social-insurance.json"),
    )
    .expect("FK's file is in the contract");
    assert_eq!(
        af_records.len() as i64,
        app.count("employment_service_record").await
    );
    assert_eq!(
        fk_records.len() as i64,
        app.count("social_insurance_record").await
    );

    // Without the secret the demo refuses to start rather than guess one.
    let mut config = app.config.clone();
    let err = Upstreams {
        client_secret: None,
        ..upstreams
    }
    .configure(&mut config)
    .unwrap_err();
    assert!(err.to_string().contains("SIMULATOR_CLIENT_SECRET"), "{err}");
}

/// The prefetch asks only for fields the policy lets the caller read: a
/// placement coordinator may not read FK's records, so FK is not asked,
/// even with a consent from FK to the municipality.
#[tokio::test]
async fn no_grant_no_question_to_the_agency() {
    let f = federated(|_| {}).await;
    let token = f.app.token(
        "lund",
        "placement_coordinator",
        gateway::demo::DEMO_PLACEMENT_COORDINATOR,
    );
    let a = f
        .app
        .graphql(
            Some(&token),
            "{ cases(first: 30) { edges { node { id socialInsuranceRecords { benefit } } } } }",
            json!({}),
        )
        .await;
    assert!(
        a.codes().contains(&"FORBIDDEN_FIELD".to_string()),
        "{:#}",
        a.body
    );
    assert_eq!(
        f.fk.lookups(),
        0,
        "FK was asked for a field the caller may not read"
    );
}

/// Two pages in one query: each person is asked about once, and an agency
/// that failed is not asked again in the same request.
#[tokio::test]
async fn two_pages_in_one_request_ask_once_and_a_failure_is_not_repeated() {
    let f = federated(|s| s.max_retries = 0).await;
    let officer = f
        .app
        .token("lund", "officer", gateway::demo::DEMO_LUND_OFFICER);
    let q = "{ a: cases(first: 20) { edges { node { employmentServiceRecords { externalId } } } }
               b: cases(first: 30) { edges { node { employmentServiceRecords { externalId } } } } }";
    let a = f.app.graphql(Some(&officer), q, json!({})).await;
    assert_eq!(a.status, 200, "{:#}", a.body);
    let asked: usize = f.af.lookup_sizes().iter().sum();
    let distinct = 30; // the second page holds the first one's 20 cases
    assert!(asked <= distinct, "{:?} people asked", f.af.lookup_sizes());
    assert!(f.af.lookups() <= 2, "{} calls", f.af.lookups());

    f.af.set_mode(Mode::Fail(503));
    let (calls, sizes) = (f.af.lookups(), f.af.lookup_sizes().len());
    let a = f.app.graphql(Some(&officer), q, json!({})).await;
    assert!(a
        .errors()
        .iter()
        .any(|e| e["extensions"]["reason"] == "unavailable"));
    // Each page's prefetch asks about its own new people: on an idle
    // machine the first call has failed before the second page would ask,
    // and the failure stops it; on a busy one both may be on their way at
    // once. What never happens is a third call: the records fields, which
    // would ask through the loader, take the failure as their answer, and
    // nobody is asked about twice.
    let failed = &f.af.lookup_sizes()[sizes..];
    assert!(
        f.af.lookups() - calls <= 2,
        "the failed agency was asked again: {failed:?}"
    );
    assert!(
        failed.iter().sum::<usize>() <= distinct,
        "{failed:?} people asked"
    );
}

/// The same, step by step and without depending on timing: once a call
/// to an agency failed, neither a later prefetch (another page's new
/// people) nor a records field's load asks it again in that request.
#[tokio::test]
async fn after_a_failed_call_the_agency_is_not_asked_again_in_the_request() {
    use gateway::sources::upstream::{loaders, EmploymentService, Subject};
    use pii::personnummer::Personnummer;

    let f = federated(|s| s.max_retries = 0).await;
    f.af.set_mode(Mode::Fail(503));
    let subject = |n: u32| Subject {
        participant: uuid::Uuid::new_v4(),
        personnummer: tests::test_pnr(n)
            .parse::<Personnummer>()
            .expect("a test personnummer"),
    };
    // One request's loader for AF, as the request context makes it.
    let af = loaders::<EmploymentService>(&f.app.services.upstreams)
        .into_iter()
        .next()
        .expect("AF is read live");
    let first = subject(1);
    af.prefetch(vec![first.clone(), subject(2)]);
    assert!(af.load(first).await.is_err(), "AF is failing");
    assert_eq!(f.af.lookups(), 1);

    af.prefetch(vec![subject(3), subject(4)]);
    assert!(af.load(subject(3)).await.is_err());
    assert!(af.load(subject(5)).await.is_err());
    assert_eq!(f.af.lookups(), 1, "{:?}", f.af.lookup_sizes());
}

/// More people than the contract's batch allows are split into calls of
/// at most `max_batch`.
#[tokio::test]
async fn lookups_stay_within_the_contracts_batch_size() {
    let f = federated(|s| s.max_batch = 4).await;
    let a = f.page(40).await;
    assert_eq!(a.status, 200, "{:#}", a.body);
    let sizes = f.af.lookup_sizes();
    assert!(sizes.len() > 1, "{sizes:?}");
    assert!(sizes.iter().all(|n| *n <= 4), "{sizes:?}");
    assert!(codes_at(&a, "employmentServiceRecords")
        .iter()
        .all(|(code, _)| code == "CONSENT_REQUIRED"));
}
