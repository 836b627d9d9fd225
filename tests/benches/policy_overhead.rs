//! Load script: what the field policy and the audit log cost. One seeded
//! database, one build, two servers side by side: the gateway as it runs
//! (the field policy + an audit event per request) and the same schema
//! with the limits only. Requests alternate between the two so both see
//! the same machine state; the ratio of medians is the overhead.
//!
//!   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!   cargo bench -p tests --bench policy_overhead
//!
//! Env: BENCH_PARTICIPANTS (default 10000), BENCH_REQUESTS (default 500 per side).

use std::time::{Duration, Instant};

use serde_json::json;
use tests::TestApp;

const CASE_PAGE: &str = include_str!("../queries/case_page.graphql");

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Seconds spent in audit appends so far, and how many (from `/metrics`).
fn audit_appends(app: &TestApp) -> (f64, f64) {
    let text = app.services.metrics.render();
    let value = |name: &str| -> f64 {
        text.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    (
        value("gateway_audit_append_duration_seconds_sum"),
        value("gateway_audit_append_duration_seconds_count"),
    )
}

#[tokio::main]
async fn main() {
    let participants = env_usize("BENCH_PARTICIPANTS", 10_000);
    let requests = env_usize("BENCH_REQUESTS", 500);
    let backend = if tests::postgres_url().is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let app = TestApp::builder()
        .configure(tests::bench::unmetered)
        .start()
        .await;
    app.seed(participants, 1).await;

    let mut bare = app.state.clone();
    bare.schema = gateway::graphql::build_unenforced_for_benchmarks(bare.services.clone());
    let router = gateway::http::router(bare, &app.config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let bare_addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });

    let audit_before = app.count("audit_event").await;
    for (who, token) in [
        (
            "coach, own caseload",
            app.token("lund", "coach", gateway::demo::DEMO_COACH),
        ),
        (
            "lund officer, agency-wide scope",
            app.token("lund", "officer", gateway::demo::DEMO_LUND_OFFICER),
        ),
    ] {
        let vars = json!({ "first": 50 });
        for _ in 0..20 {
            app.graphql(Some(&token), CASE_PAGE, vars.clone()).await;
            app.graphql_at(bare_addr, Some(&token), CASE_PAGE, vars.clone())
                .await;
        }
        let audit_before = audit_appends(&app);
        let (mut on, mut off) = (Vec::new(), Vec::new());
        for _ in 0..requests {
            let t = Instant::now();
            let a = app.graphql(Some(&token), CASE_PAGE, vars.clone()).await;
            on.push(t.elapsed());
            assert_eq!(a.status, 200);
            let t = Instant::now();
            app.graphql_at(bare_addr, Some(&token), CASE_PAGE, vars.clone())
                .await;
            off.push(t.elapsed());
        }
        let (on, off) = (median(on), median(off));
        let (sum, count) = audit_appends(&app);
        let audit_ms = (sum - audit_before.0) / (count - audit_before.1).max(1.0) * 1e3;
        println!(
            "{who}: page of 50 with all nested fields, {requests} requests each ({backend}): policy+audit on {:.2} ms, off {:.2} ms, overhead {:+.1} % (of which the audit append: mean {audit_ms:.2} ms)",
            on.as_secs_f64() * 1e3,
            off.as_secs_f64() * 1e3,
            (on.as_secs_f64() / off.as_secs_f64() - 1.0) * 100.0
        );
    }
    println!(
        "audit events written by the enforced server: {}",
        app.count("audit_event").await - audit_before
    );
}
