//! Load script: median latency of a page of 50 cases with all nested data,
//! over loopback HTTP, against the backends the tests use (PostgreSQL and
//! Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set).
//!
//!   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!   cargo bench -p tests --bench page50
//!
//! Env: BENCH_PARTICIPANTS (default 10000), BENCH_REQUESTS (default 1000).

use std::time::Instant;

use serde_json::json;
use tests::bench::{env_usize, percentile};
use tests::TestApp;

const CASE_PAGE: &str = include_str!("../queries/case_page.graphql");

#[tokio::main]
async fn main() {
    let participants = env_usize("BENCH_PARTICIPANTS", 10_000);
    let requests = env_usize("BENCH_REQUESTS", 1_000);
    let backend = if tests::postgres_url().is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let app = TestApp::builder()
        .configure(tests::bench::unmetered)
        .start()
        .await;
    let seeded = Instant::now();
    app.seed(participants, 1).await;
    println!(
        "seeded {participants} participants into {backend} in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );

    // The widest scope (an officer of the municipality, which takes part in
    // nearly every case) and the narrowest (a coach's own caseload).
    let users = [
        (
            "lund officer, agency-wide scope",
            app.token("lund", "officer", gateway::demo::DEMO_LUND_OFFICER),
        ),
        (
            "coach, own caseload",
            app.token("lund", "coach", gateway::demo::DEMO_COACH),
        ),
    ];
    for (who, token) in users {
        // Warm up: staff row, connection pool, query plans.
        for _ in 0..20 {
            app.graphql(Some(&token), CASE_PAGE, json!({ "first": 50 }))
                .await;
        }
        app.reset_statements();
        let mut times = Vec::with_capacity(requests);
        let mut edges = 0;
        for _ in 0..requests {
            let started = Instant::now();
            let a = app
                .graphql(Some(&token), CASE_PAGE, json!({ "first": 50 }))
                .await;
            times.push(started.elapsed());
            edges = a.data()["cases"]["edges"].as_array().map_or(0, Vec::len);
        }
        let statements = app.statements() as f64 / requests as f64;
        times.sort();
        println!(
            "{who}: page of {edges} cases with nested data, {requests} requests on loopback ({backend}): median {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, {statements:.1} SQL statements per request",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.95).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
        );
    }
}
