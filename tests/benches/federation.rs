//! Load script: a page of 50 cases whose AF and FK records come from the
//! agency simulators over loopback, against the same page from the
//! database source. Reports upstream calls per request (at most one per
//! agency) and median latency of both.
//!
//!   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!   TEST_REDIS_URL=redis://127.0.0.1:6379/ \
//!   cargo bench -p tests --bench federation
//!
//! Env: BENCH_PARTICIPANTS (default 2000), BENCH_REQUESTS (default 300).

use std::time::{Duration, Instant};

use serde_json::json;
use tests::bench::{env_usize, percentile};
use tests::federation::Federated;
use tests::TestApp;

const CASE_PAGE: &str = include_str!("../queries/case_page.graphql");

/// Median and p95 of `requests` pages, and how many records they showed.
async fn measure(app: &TestApp, requests: usize) -> (Duration, Duration, usize) {
    let token = app.token("lund", "officer", gateway::demo::DEMO_LUND_OFFICER);
    let page = || app.graphql(Some(&token), CASE_PAGE, json!({ "first": 50 }));
    for _ in 0..20 {
        page().await;
    }
    let mut times = Vec::with_capacity(requests);
    let mut records = 0;
    for _ in 0..requests {
        let started = Instant::now();
        let a = page().await;
        times.push(started.elapsed());
        let edges = a.data()["cases"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(edges.len(), 50, "{:#}", a.body);
        assert!(
            a.codes()
                .iter()
                .all(|c| c == "CONSENT_REQUIRED" || c == "FORBIDDEN_FIELD"),
            "{:#}",
            a.body
        );
        records = edges
            .iter()
            .map(|e| {
                let n = &e["node"];
                n["employmentServiceRecords"].as_array().map_or(0, Vec::len)
                    + n["socialInsuranceRecords"].as_array().map_or(0, Vec::len)
            })
            .sum();
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.95), records)
}

#[tokio::main]
async fn main() {
    let participants = env_usize("BENCH_PARTICIPANTS", 2000);
    let requests = env_usize("BENCH_REQUESTS", 300);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;

    let db = TestApp::builder()
        .configure(tests::bench::unmetered)
        .start()
        .await;
    db.seed(participants, 7).await;
    let (db_median, db_p95, db_records) = measure(&db, requests).await;
    println!(
        "database source: page of 50 (lund officer), {requests} requests: median {:.2} ms, p95 {:.2} ms, {db_records} AF+FK records shown",
        ms(db_median),
        ms(db_p95)
    );
    drop(db);

    let f = Federated::start(participants, |_| {}).await;
    let (af_before, fk_before) = (f.af.lookups(), f.fk.lookups());
    let (median, p95, records) = measure(&f.app, requests).await;
    let warmup = 20;
    let per_request = |n: usize| n as f64 / (requests + warmup) as f64;
    println!(
        "simulator source (AF and FK over loopback): median {:.2} ms, p95 {:.2} ms, {records} AF+FK records shown; upstream calls per request: AF {:.2}, FK {:.2}",
        ms(median),
        ms(p95),
        per_request(f.af.lookups() - af_before),
        per_request(f.fk.lookups() - fk_before),
    );
    assert!(f.af.lookups() - af_before <= requests + warmup);
    assert!(f.fk.lookups() - fk_before <= requests + warmup);
    assert_eq!(records, db_records, "both sources show the same records");
}
