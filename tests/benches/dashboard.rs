//! Load script: the project overview uncached vs. cached over loopback
//! HTTP, then a mixed load of dashboard viewers with one write a second.
//!
//!   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!   TEST_REDIS_URL=redis://127.0.0.1:6379/ \
//!   BENCH_PARTICIPANTS=100000 cargo bench -p tests --bench dashboard
//!
//! Env: BENCH_PARTICIPANTS (default 10000), BENCH_REQUESTS (default 200
//! per side), BENCH_VIEWERS (default 100), BENCH_SECONDS (default 30).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gateway::cache::versions::Domain;
use serde_json::json;
use tests::TestApp;

const OVERVIEW: &str = include_str!("../queries/project_overview.graphql");
const FLOW: &str = "query Flow { dashboard { caseFlow { openedTotal { value suppressed } closedTotal { value suppressed } } } }";
const SPINNING: &str = "query Spinning { dashboard { spinningAround { spinning { value suppressed } bySex { categories { key count { value } } } } } }";
const ALLOCATION: &str = "query Allocation { dashboard { placementAllocation { filledTotal { value suppressed } rows { department filled { value } fillRate } } } }";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let participants = env_usize("BENCH_PARTICIPANTS", 10_000);
    let requests = env_usize("BENCH_REQUESTS", 200);
    let viewers = env_usize("BENCH_VIEWERS", 100);
    let seconds = env_usize("BENCH_SECONDS", 30) as u64;
    let backend = match (tests::postgres_url(), tests::redis_url()) {
        (Some(_), Some(_)) => "PostgreSQL + Redis",
        (Some(_), None) => "PostgreSQL + in-process cache",
        _ => "SQLite + in-process cache",
    };
    let app = Arc::new(
        TestApp::builder()
            .configure(tests::bench::unmetered)
            .start()
            .await,
    );
    app.seed(participants, 1).await;
    let analyst = app.token("finsam", "analyst", "bench-analyst");
    let vars = json!({});
    for _ in 0..5 {
        app.graphql(Some(&analyst), OVERVIEW, vars.clone()).await;
    }

    // 1. Uncached vs cached, alternating: a bump makes the next read a miss.
    // The project overview covers the projects' few hundred participations;
    // the case flow and "spinning around" scan every case and intervention.
    for (what, query, domain) in [
        ("project overview", OVERVIEW, Domain::Enrolments),
        ("case flow", FLOW, Domain::Cases),
        ("spinning around", SPINNING, Domain::Interventions),
    ] {
        let domains = BTreeSet::from([domain]);
        let (mut cold, mut warm) = (Vec::new(), Vec::new());
        for _ in 0..requests {
            app.services.versions.bump(&domains).await;
            let t = Instant::now();
            let a = app.graphql(Some(&analyst), query, vars.clone()).await;
            cold.push(t.elapsed());
            assert_eq!(a.body["extensions"]["cache"], "MISS", "{:#}", a.body);
            let t = Instant::now();
            let b = app.graphql(Some(&analyst), query, vars.clone()).await;
            warm.push(t.elapsed());
            assert_eq!(b.body["extensions"]["cache"], "HIT");
            assert_eq!(a.body["data"], b.body["data"]);
        }
        cold.sort();
        warm.sort();
        let (c, w) = (pct(&cold, 0.5), pct(&warm, 0.5));
        println!(
            "{what}, {participants} participants ({backend}), {requests} each: \
             uncached median {:.2} ms (p95 {:.2}), cached median {:.3} ms (p95 {:.3}), {:.0}x faster",
            ms(c),
            ms(pct(&cold, 0.95)),
            ms(w),
            ms(pct(&warm, 0.95)),
            c.as_secs_f64() / w.as_secs_f64()
        );
    }
    // The floor: the cheapest authenticated request over the same HTTP.
    let mut floor = Vec::new();
    for _ in 0..requests {
        let t = Instant::now();
        app.graphql(Some(&analyst), "{ __typename }", vars.clone())
            .await;
        floor.push(t.elapsed());
    }
    floor.sort();
    println!(
        "loopback floor ({{ __typename }}): median {:.3} ms",
        ms(pct(&floor, 0.5))
    );

    // 2. Mixed load: viewers loop over three dashboards; a coach opens a
    // case every second (each write invalidates the case flow).
    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicU32::new(0));
    let writer = {
        let (app, stop, writes) = (app.clone(), stop.clone(), writes.clone());
        tokio::spawn(async move {
            let coach = app.token("lund", "coach", "bench-coach");
            let q = "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }";
            let mut n = 0u32;
            while !stop.load(Ordering::SeqCst) {
                let input = json!({
                    "personnummer": tests::test_pnr(500 + n), "givenName": "Last", "familyName": "Test",
                    "district": "Norr", "targetGroups": ["INCOME_SUPPORT"],
                    "educationLevel": "COMPULSORY", "incomeSource": "INCOME_SUPPORT",
                });
                let a = app.graphql(Some(&coach), q, json!({ "i": input })).await;
                assert!(a.errors().is_empty(), "{:#}", a.body);
                writes.fetch_add(1, Ordering::SeqCst);
                n += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    };
    let started = Instant::now();
    let tasks: Vec<_> = (0..viewers)
        .map(|i| {
            let (app, stop, token) = (app.clone(), stop.clone(), analyst.clone());
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut hits = 0usize;
                let queries = [OVERVIEW, FLOW, ALLOCATION];
                let mut k = i;
                while !stop.load(Ordering::SeqCst) {
                    let t = Instant::now();
                    let a = app.graphql(Some(&token), queries[k % 3], json!({})).await;
                    lat.push(t.elapsed());
                    assert_eq!(a.status, 200);
                    hits += usize::from(a.body["extensions"]["cache"] == "HIT");
                    k += 1;
                }
                (lat, hits)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::SeqCst);
    let mut all = Vec::new();
    let mut hits = 0;
    for t in tasks {
        let (lat, h) = t.await.expect("viewer");
        all.extend(lat);
        hits += h;
    }
    writer.await.expect("writer");
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    println!(
        "mixed load: {viewers} viewers + 1 write/s for {seconds} s: {} requests, {:.0} req/s, \
         p50 {:.2} ms, p99 {:.2} ms, hit ratio {:.1} %, {} writes, {} dashboard computations",
        all.len(),
        all.len() as f64 / elapsed,
        ms(pct(&all, 0.5)),
        ms(pct(&all, 0.99)),
        hits as f64 * 100.0 / all.len() as f64,
        writes.load(Ordering::SeqCst),
        app.services.metrics.dashboard_computations()
    );
}
