//! Dashboards: aggregates only for analysts, no small count ever shown,
//! numbers that match the database, and a cache shared per scope that a
//! write, a consent revocation or a policy reload invalidates at once.

use std::sync::Arc;

use chrono::Datelike;
use futures::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};
use tests::{test_pnr, Answer, TestApp};

const ALL: &str = include_str!("../queries/dashboard_all.graphql");
const OVERVIEW: &str = include_str!("../queries/project_overview.graphql");
const FLOW: &str = "query { dashboard { caseFlow { openedTotal { value suppressed } } } }";

fn cache_status(a: &Answer) -> &str {
    a.body["extensions"]["cache"].as_str().unwrap_or("(none)")
}

fn year() -> i32 {
    chrono::Local::now().year()
}

/// Every `{value, suppressed}` object anywhere in `v`.
fn counts(v: &Value, out: &mut Vec<(Option<i64>, bool)>) {
    match v {
        Value::Object(m) => {
            if let (Some(value), Some(Value::Bool(s))) = (m.get("value"), m.get("suppressed")) {
                out.push((value.as_i64(), *s));
            }
            m.values().for_each(|x| counts(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| counts(x, out)),
        _ => {}
    }
}

/// Every breakdown (`total` + `categories`) anywhere in `v`.
fn breakdowns<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            if m.contains_key("categories") && m.contains_key("total") {
                out.push(v);
            }
            m.values().for_each(|x| breakdowns(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| breakdowns(x, out)),
        _ => {}
    }
}

async fn open_case(app: &TestApp, coach: &str, n: u32) -> Value {
    let q =
        r#"mutation($i: OpenCaseInput!) { openCase(input: $i) { id version participant { id } } }"#;
    let input = json!({
        "personnummer": test_pnr(n), "givenName": "Dash", "familyName": "Board",
        "district": "Norr", "targetGroups": ["INCOME_SUPPORT"],
        "educationLevel": "COMPULSORY", "incomeSource": "INCOME_SUPPORT",
    });
    app.graphql(Some(coach), q, json!({ "i": input }))
        .await
        .ok()["openCase"]
        .clone()
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one(Statement::from_string(backend, sql.to_string()))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a count")
}

#[tokio::test]
async fn an_analyst_reads_every_dashboard_and_no_person() {
    let app = TestApp::start().await;
    app.seed(300, 7).await;
    let analyst = app.token("finsam", "analyst", "an-1");
    let a = app.graphql(Some(&analyst), ALL, json!({})).await;
    assert!(a.errors().is_empty(), "{:#}", a.body);
    let d = &a.data()["dashboard"];
    assert_eq!(d["caseFlow"]["year"], year());
    assert_eq!(d["caseFlow"]["opened"].as_array().map(Vec::len), Some(12));
    assert!(d["projectOverview"]["budgetSek"].as_i64().unwrap_or(0) > 0);
    assert!(!d["skillsNeeds"]["tracks"]
        .as_array()
        .expect("tracks")
        .is_empty());

    for q in [
        "{ projects { code } }",
        "{ cases { totalCount } }",
        "{ allocationModel(year: 2026) { year } }",
        "{ placementSlots { totalCount } }",
    ] {
        let a = app.graphql(Some(&analyst), q, json!({})).await;
        assert_eq!(a.codes(), vec!["FORBIDDEN_FIELD"], "{q}: {:#}", a.body);
    }
    // A coach works with persons, not dashboards.
    let coach = app.token("lund", "coach", "c1");
    let a = app.graphql(Some(&coach), FLOW, json!({})).await;
    assert_eq!(a.codes(), vec!["FORBIDDEN_FIELD"]);
}

#[tokio::test]
async fn no_count_from_one_to_the_threshold_is_ever_shown() {
    let app = TestApp::start().await;
    app.seed(200, 11).await;
    let analyst = app.token("finsam", "analyst", "an-1");
    let mut suppressed_somewhere = false;
    for y in [year() - 2, year() - 1, year()] {
        let a = app.graphql(Some(&analyst), ALL, json!({ "year": y })).await;
        assert!(a.errors().is_empty(), "{:#}", a.body);
        let mut all = Vec::new();
        counts(a.data(), &mut all);
        assert!(all.len() > 100, "{} counts", all.len());
        for (value, suppressed) in &all {
            assert_eq!(value.is_none(), *suppressed);
            if let Some(v) = value {
                assert!(*v == 0 || *v > 4, "published small count {v}");
            }
            suppressed_somewhere |= *suppressed;
        }
        let mut bs = Vec::new();
        breakdowns(a.data(), &mut bs);
        for b in bs.iter().filter(|b| b["additive"] == true) {
            let cats: Vec<Option<i64>> = b["categories"]
                .as_array()
                .expect("categories")
                .iter()
                .map(|c| c["count"]["value"].as_i64())
                .collect();
            let hidden = cats.iter().filter(|c| c.is_none()).count();
            if let Some(total) = b["total"]["value"].as_i64() {
                // A single hidden category would be total minus the others.
                assert_ne!(hidden, 1, "one hidden cell under a shown total: {b:#}");
                if hidden == 0 {
                    assert_eq!(cats.iter().flatten().sum::<i64>(), total, "{b:#}");
                }
            }
        }
    }
    assert!(
        suppressed_somewhere,
        "200 people should produce some small cells"
    );
}

#[tokio::test]
async fn numbers_match_the_database() {
    let app = TestApp::builder()
        .configure(|c| c.dashboard.suppression_threshold = 0)
        .start()
        .await;
    app.seed(300, 3).await;
    let y = year() - 1;
    let analyst = app.token("finsam", "analyst", "an-1");
    let a = app.graphql(Some(&analyst), ALL, json!({ "year": y })).await;
    assert!(a.errors().is_empty(), "{:#}", a.body);
    let d = &a.data()["dashboard"];
    let opened = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM shared_case WHERE opened_on BETWEEN '{y}-01-01' AND '{y}-12-31'"
        ),
    )
    .await;
    assert_eq!(d["caseFlow"]["openedTotal"]["value"], opened);
    let active = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM enrolment WHERE enrolled_on <= '{y}-12-31' \
             AND (exited_on IS NULL OR exited_on >= '{y}-01-01')"
        ),
    )
    .await;
    assert!(active > 0);
    let o = &d["projectOverview"];
    assert_eq!(o["active"]["value"], active);
    let exited = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM enrolment WHERE exited_on BETWEEN '{y}-01-01' AND '{y}-12-31'"
        ),
    )
    .await;
    assert_eq!(o["exited"]["value"], exited);
    let mut bs = Vec::new();
    breakdowns(d, &mut bs);
    for b in bs.iter().filter(|b| b["additive"] == true) {
        let sum: i64 = b["categories"]
            .as_array()
            .expect("categories")
            .iter()
            .map(|c| c["count"]["value"].as_i64().expect("unsuppressed"))
            .sum();
        assert_eq!(Some(sum), b["total"]["value"].as_i64(), "{b:#}");
    }
}

#[tokio::test]
async fn one_entry_per_scope_and_a_write_is_seen_at_once() {
    let app = TestApp::builder()
        .configure(|c| c.dashboard.suppression_threshold = 0)
        .start()
        .await;
    app.seed(50, 5).await;
    let analyst = app.token("finsam", "analyst", "an-1");
    let colleague = app.token("finsam", "analyst", "an-2");
    let af = app.token("af", "officer", "af-1");

    let first = app.graphql(Some(&analyst), FLOW, json!({})).await;
    assert_eq!(cache_status(&first), "MISS", "{:#}", first.body);
    let again = app.graphql(Some(&analyst), FLOW, json!({})).await;
    assert_eq!(cache_status(&again), "HIT");
    assert_eq!(again.data(), first.data());
    // Same scope (agency and roles), another person: the same entry.
    let shared = app.graphql(Some(&colleague), FLOW, json!({})).await;
    assert_eq!(cache_status(&shared), "HIT");
    // Another scope never gets the analysts' entry.
    let other = app.graphql(Some(&af), FLOW, json!({})).await;
    assert_eq!(cache_status(&other), "MISS");
    // Formatting does not matter; variables do.
    let spaced =
        "query {\n  dashboard {\n    caseFlow { openedTotal { value suppressed } }\n  }\n}";
    assert_eq!(
        cache_status(&app.graphql(Some(&analyst), spaced, json!({})).await),
        "HIT"
    );

    let before = first.data()["dashboard"]["caseFlow"]["openedTotal"]["value"]
        .as_i64()
        .expect("a count");
    // AF's officer opens it: AF then writes records of the person.
    open_case(&app, &af, 901).await;
    let after = app.graphql(Some(&analyst), FLOW, json!({})).await;
    assert_eq!(cache_status(&after), "MISS");
    assert_eq!(
        after.data()["dashboard"]["caseFlow"]["openedTotal"]["value"],
        before + 1
    );
    // A write elsewhere (AF's records) leaves the case flow's entry alone.
    let af_system = app.token("af", "integrator", "af-system");
    app.graphql(
        Some(&af_system),
        r#"mutation($r: EmploymentServiceRecordInput!) { upsertEmploymentServiceRecord(record: $r) { id } }"#,
        json!({"r": {"externalId": "AF-D1", "personnummer": test_pnr(901), "programme": "Jobbgarantin"}}),
    )
    .await
    .ok();
    assert_eq!(
        cache_status(&app.graphql(Some(&analyst), FLOW, json!({})).await),
        "HIT"
    );
}

#[tokio::test]
async fn a_revoked_consent_changes_the_key() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let case = open_case(&app, &coach, 902).await;
    let consent = app
        .graphql(
            Some(&coach),
            r#"mutation($i: RecordConsentInput!) { recordConsent(input: $i) { id version } }"#,
            json!({"i": {
                "caseId": case["id"], "sourceAgency": "lund", "recipientAgency": "af",
                "categories": ["LABOUR_MARKET"], "purpose": "Samverkan",
                "signedOn": "2026-01-10", "validFrom": "2026-01-10",
                "collectedAt": "Möte", "formVersion": "2024:1", "documentRef": "Akt 1"
            }}),
        )
        .await;
    let consent = consent.ok()["recordConsent"].clone();
    let analyst = app.token("finsam", "analyst", "an-1");
    assert_eq!(
        cache_status(&app.graphql(Some(&analyst), OVERVIEW, json!({})).await),
        "MISS"
    );
    assert_eq!(
        cache_status(&app.graphql(Some(&analyst), OVERVIEW, json!({})).await),
        "HIT"
    );
    app.graphql(
        Some(&coach),
        r#"mutation($id: ID!, $v: Int!) { revokeConsent(input: {id: $id, version: $v}) { id } }"#,
        json!({"id": consent["id"], "v": consent["version"]}),
    )
    .await
    .ok();
    assert_eq!(
        cache_status(&app.graphql(Some(&analyst), OVERVIEW, json!({})).await),
        "MISS"
    );
}

#[tokio::test]
async fn a_policy_reload_changes_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("policy.toml");
    let shipped = include_str!("../../deploy/policy.toml");
    std::fs::write(&path, shipped).expect("write policy");
    let file = path.clone();
    let app = TestApp::builder()
        .configure(move |c| {
            c.policy.file = Some(file);
            c.policy.reload_interval_secs = std::time::Duration::from_secs(0);
        })
        .start()
        .await;
    let analyst = app.token("finsam", "analyst", "an-1");
    assert_eq!(
        cache_status(&app.graphql(Some(&analyst), FLOW, json!({})).await),
        "MISS"
    );
    assert_eq!(
        cache_status(&app.graphql(Some(&analyst), FLOW, json!({})).await),
        "HIT"
    );
    std::fs::write(&path, format!("{shipped}\n# reviewed\n")).expect("rewrite policy");
    app.services.policy.reload().expect("valid policy");
    assert_eq!(
        cache_status(&app.graphql(Some(&analyst), FLOW, json!({})).await),
        "MISS"
    );
}

/// Consents end at Swedish midnight, and with them who is counted in
/// detail: yesterday's entry is not served after midnight.
#[tokio::test]
async fn a_new_day_changes_the_key() {
    let app = TestApp::start().await;
    let analyst = app.token("finsam", "analyst", "an-1");
    let ask =
        async || cache_status(&app.graphql(Some(&analyst), OVERVIEW, json!({})).await).to_string();
    app.services
        .clock
        .set(Some("2026-11-30T22:59:59Z".parse().expect("time")));
    assert_eq!(ask().await, "MISS");
    assert_eq!(ask().await, "HIT");
    app.services
        .clock
        .set(Some("2026-11-30T23:00:00Z".parse().expect("time")));
    assert_eq!(ask().await, "MISS");
}

#[tokio::test]
async fn two_hundred_concurrent_misses_compute_once() {
    // What is tested is the single flight, not the bypass of a slow cache:
    // on a busy machine 200 requests on one test thread can keep a cache call
    // waiting past the default 100 ms, and each such request is rightly
    // computed on its own (BYPASS). A generous timeout keeps them waiting.
    let app = TestApp::builder()
        .configure(|c| c.cache.timeout_ms = std::time::Duration::from_millis(30_000))
        .start()
        .await;
    app.seed(100, 9).await;
    let analyst = app.token("finsam", "analyst", "an-1");
    let before = app.services.metrics.dashboard_computations();
    let answers =
        join_all((0..200).map(|_| app.graphql(Some(&analyst), OVERVIEW, json!({})))).await;
    let statuses: Vec<&str> = answers.iter().map(cache_status).collect();
    assert_eq!(
        app.services.metrics.dashboard_computations() - before,
        1,
        "{statuses:?}"
    );
    for a in &answers {
        assert_eq!(a.status, 200);
        assert_eq!(a.data(), answers[0].data());
        assert!(["MISS", "HIT"].contains(&cache_status(a)));
    }
}

/// The cache goes away mid-test: answers are still right, and say BYPASS.
#[tokio::test]
async fn a_cache_that_is_down_or_silent_is_bypassed() {
    let (app, outage) = app_with_breakable_cache().await;
    app.seed(60, 4).await;
    let analyst = app.token("finsam", "analyst", "an-1");
    let good = app.graphql(Some(&analyst), OVERVIEW, json!({})).await;
    assert_eq!(cache_status(&good), "MISS");
    assert_eq!(
        cache_status(&app.graphql(Some(&analyst), OVERVIEW, json!({})).await),
        "HIT"
    );

    outage.silent();
    let t = std::time::Instant::now();
    let slow = app.graphql(Some(&analyst), OVERVIEW, json!({})).await;
    assert_eq!(cache_status(&slow), "BYPASS", "{:#}", slow.body);
    assert_eq!(slow.data(), good.data());
    assert!(
        t.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        t.elapsed()
    );

    outage.down();
    let down = app.graphql(Some(&analyst), OVERVIEW, json!({})).await;
    assert_eq!(down.status, 200);
    assert_eq!(cache_status(&down), "BYPASS");
    assert_eq!(down.data(), good.data());
    // Writes still work while the cache is down, and are not lost on it.
    let coach = app.token("lund", "coach", "c1");
    open_case(&app, &coach, 903).await;
    assert!(app.services.metrics.cache_results("bypass") >= 2);
    let metrics = app
        .http()
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("gateway_dashboard_cache_requests_total{result=\"bypass\"}"),
        "{metrics}"
    );
}

/// What the outage test can do to its cache.
enum Outage {
    Redis(tests::proxy::Proxy),
    Memory(Arc<tests::FlakyCache>),
}

impl Outage {
    fn silent(&self) {
        match self {
            Outage::Redis(p) => p.hang(),
            Outage::Memory(c) => c.set_mode(tests::FlakyMode::Silent),
        }
    }
    fn down(&self) {
        match self {
            Outage::Redis(p) => p.stop(),
            Outage::Memory(c) => c.set_mode(tests::FlakyMode::Down),
        }
    }
}

/// With TEST_REDIS_URL: real Redis behind a proxy the test can cut. Without
/// it: the in-process cache behind a switch that fails or stalls its calls.
async fn app_with_breakable_cache() -> (TestApp, Outage) {
    match tests::redis_url() {
        Some(url) => {
            let info = redis::Client::open(url.as_str()).expect("redis url");
            let addr = match info.get_connection_info().addr() {
                redis::ConnectionAddr::Tcp(host, port) => {
                    tokio::net::lookup_host((host.as_str(), *port))
                        .await
                        .expect("resolve redis")
                        .next()
                        .expect("an address")
                }
                other => panic!("TEST_REDIS_URL must be TCP, not {other:?}"),
            };
            let proxy = tests::proxy::Proxy::start(addr).await;
            let cache = gateway::cache::redis::RedisCache::connect(
                &format!("redis://{}/", proxy.addr),
                &format!("test:{}:", uuid::Uuid::new_v4().simple()),
            )
            .await
            .expect("redis through the proxy");
            let app = TestApp::builder().cache(Arc::new(cache)).start().await;
            (app, Outage::Redis(proxy))
        }
        None => {
            let cache = Arc::new(tests::FlakyCache::default());
            let app = TestApp::builder().cache(cache.clone()).start().await;
            (app, Outage::Memory(cache))
        }
    }
}

/// Windows are the calendar's: arbitrary dates (two windows a day apart
/// differ by one day's people) are not accepted.
#[tokio::test]
async fn spinning_around_counts_calendar_periods_only() {
    let app = TestApp::start().await;
    let analyst = app.token("finsam", "analyst", "an-1");
    let a = app
        .graphql(
            Some(&analyst),
            r#"{ dashboard { spinningAround(from: "2026-01-01", to: "2026-06-30") { spinning { value } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(a.status, 400, "{:#}", a.body);
    let a = app
        .graphql(
            Some(&analyst),
            "{ dashboard { spinningAround(period: {kind: TERTIAL, number: 1}) { from to spinning { value suppressed } } } }",
            json!({}),
        )
        .await;
    let s = &a.ok()["dashboard"]["spinningAround"];
    let y = year();
    assert_eq!(s["from"], format!("{y}-01-01"));
    assert_eq!(s["to"], format!("{y}-04-30"));
}
