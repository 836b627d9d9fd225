//! Automatic persisted queries (Apollo's protocol), the safelist for the
//! coaches' app, and the limits on depth, aliases and cost.

use std::path::PathBuf;

use gateway::http::persisted::sha256_hex;
use serde_json::{json, Value};
use tests::TestApp;

fn apq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

fn safelist() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/safelist.json")
}

#[tokio::test]
async fn a_persisted_query_round_trip_as_apollo_clients_do_it() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let query = "query Who { me { subject roles } }";
    let hash = sha256_hex(query);

    // 1. Hash only: unknown yet.
    let a = app
        .post(Some(&coach), json!({ "extensions": apq(&hash) }))
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.codes(), vec!["PERSISTED_QUERY_NOT_FOUND"]);
    assert_eq!(a.errors()[0]["message"], "PersistedQueryNotFound");
    // 2. Hash and document: runs and registers.
    let a = app
        .post(
            Some(&coach),
            json!({ "query": query, "extensions": apq(&hash) }),
        )
        .await;
    assert_eq!(a.ok()["me"]["subject"], "c1");
    // 3. Hash only again: runs the registered document.
    let a = app
        .post(Some(&coach), json!({ "extensions": apq(&hash) }))
        .await;
    assert_eq!(a.ok()["me"]["subject"], "c1");
    // GET works too (what CDNs cache).
    let url = format!(
        "{}?extensions={}",
        app.url("/graphql"),
        urlencode(&apq(&hash).to_string())
    );
    let a: Value = app
        .http()
        .get(url)
        .bearer_auth(&coach)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(a["data"]["me"]["subject"], "c1", "{a:#}");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn unknown_and_mismatched_hashes_are_refused() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let a = app
        .post(Some(&coach), json!({ "extensions": apq(&"ab".repeat(32)) }))
        .await;
    assert_eq!(a.codes(), vec!["PERSISTED_QUERY_NOT_FOUND"]);
    let a = app
        .post(
            Some(&coach),
            json!({ "query": "{ me { subject } }", "extensions": apq(&"ab".repeat(32)) }),
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.codes(), vec!["BAD_USER_INPUT"]);
    assert_eq!(
        a.errors()[0]["extensions"]["field"],
        "extensions.persistedQuery.sha256Hash"
    );
    let a = app
        .post(Some(&coach), json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": "ab".repeat(32) } } }))
        .await;
    assert_eq!(a.codes(), vec!["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn the_coaches_app_runs_only_safelisted_documents() {
    let app = TestApp::builder()
        .configure(|c| {
            c.persisted_queries.safelist_file = Some(safelist());
            c.persisted_queries.safelist_only = vec!["lund:coach-app".into()];
        })
        .start()
        .await;
    let phone = app.token_for_client("lund", "coach", "c1", "coach-app");
    let listed = include_str!("../../deploy/safelist/CoachLadderSteps.graphql").trim();

    // By hash, without ever sending the document.
    let a = app
        .post(
            Some(&phone),
            json!({ "extensions": apq(&sha256_hex(listed)) }),
        )
        .await;
    assert!(a.ok()["ladderSteps"].is_array(), "{:#}", a.body);
    // By full text.
    let a = app.graphql(Some(&phone), listed, json!({})).await;
    assert!(a.ok()["ladderSteps"].is_array());
    // Anything else is refused before it runs, also as an APQ registration.
    let other = "{ cases(first: 100) { totalCount } }";
    let a = app.graphql(Some(&phone), other, json!({})).await;
    assert_eq!(a.status, 403);
    assert_eq!(a.codes(), vec!["FORBIDDEN"]);
    let a = app
        .post(
            Some(&phone),
            json!({ "query": other, "extensions": apq(&sha256_hex(other)) }),
        )
        .await;
    assert_eq!(a.codes(), vec!["FORBIDDEN"]);
    let a = app
        .post(
            Some(&phone),
            json!({ "extensions": apq(&sha256_hex(other)) }),
        )
        .await;
    assert_eq!(a.codes(), vec!["FORBIDDEN"]);
    // The same coach on the web client is not restricted.
    let web = app.token("lund", "coach", "c1");
    assert!(app.graphql(Some(&web), other, json!({})).await.ok()["cases"].is_object());
}

#[tokio::test]
async fn depth_aliases_and_cost_have_limits() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let analyst = app.token("finsam", "analyst", "an-1");

    let aliases: String = (0..31)
        .map(|i| format!("a{i}: me {{ subject }} "))
        .collect();
    let a = app
        .graphql(Some(&coach), &format!("{{ {aliases} }}"), json!({}))
        .await;
    assert_eq!(a.codes(), vec!["QUERY_TOO_COMPLEX"]);
    assert_eq!(a.errors()[0]["extensions"]["limit"], "aliases");

    // 14 levels: a case's participant's cases' participant's ...
    let deep = format!(
        "{{ cases {{ edges {{ node {{ {}id{} }} }} }} }}",
        "participant { cases { ".repeat(5),
        " } }".repeat(5)
    );
    let a = app.graphql(Some(&coach), &deep, json!({})).await;
    assert_eq!(a.codes(), vec!["QUERY_TOO_COMPLEX"], "{:#}", a.body);
    assert_eq!(a.errors()[0]["extensions"]["limit"], "depth");

    // A board's five dashboards are fine; twenty-five of them are not.
    let one = "caseFlow { openedTotal { value } }";
    let fine = app
        .graphql(
            Some(&analyst),
            &format!("{{ dashboard {{ {one} }} }}"),
            json!({}),
        )
        .await;
    assert!(fine.errors().is_empty(), "{:#}", fine.body);
    let many: String = (0..25).map(|i| format!("d{i}: {one} ")).collect();
    let a = app
        .graphql(
            Some(&analyst),
            &format!("{{ dashboard {{ {many} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(a.codes(), vec!["QUERY_TOO_COMPLEX"], "{:#}", a.body);
    assert_eq!(a.errors()[0]["extensions"]["limit"], "cost");
    assert_eq!(a.status, 400);

    // The heaviest real page (100 cases with every relation) is within the cost limit.
    let page = include_str!("../queries/case_page.graphql");
    let a = app
        .graphql(Some(&coach), page, json!({ "first": 100 }))
        .await;
    assert!(a.errors().is_empty(), "{:#}", a.body);
}

/// A short document whose fragments each spread the next twice expands
/// to 2^n fields: it is refused from its size as written out, at once,
/// before anything (validation included) walks it.
#[tokio::test]
async fn a_fragment_bomb_is_refused_at_once() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let n = 28;
    let mut doc = String::from("{ ...F0 }\n");
    for i in 0..n {
        doc.push_str(&format!(
            "fragment F{i} on Query {{ ...F{} ...F{} }}\n",
            i + 1,
            i + 1
        ));
    }
    doc.push_str(&format!("fragment F{n} on Query {{ me {{ subject }} }}\n"));
    let t = std::time::Instant::now();
    let a = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        app.graphql(Some(&coach), &doc, json!({})),
    )
    .await
    .expect("answered within 10 s");
    assert!(
        t.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(a.codes(), vec!["QUERY_TOO_COMPLEX"], "{:#}", a.body);
}

/// Nothing an anonymous caller sends is stored, nor a document that does
/// not parse and validate, nor one over `apq_max_bytes`: a registration
/// would otherwise be a way to fill the cache (2 MB a request, kept a day).
#[tokio::test]
async fn only_a_signed_in_callers_valid_bounded_document_is_registered() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let registered = |query: &str| {
        let hash = sha256_hex(query);
        let body = json!({ "extensions": apq(&hash) });
        let app = &app;
        let coach = coach.clone();
        async move {
            let a = app.post(Some(&coach), body).await;
            a.codes() != vec!["PERSISTED_QUERY_NOT_FOUND"]
        }
    };
    let send = |token: Option<String>, query: String| {
        let app = &app;
        async move {
            let hash = sha256_hex(&query);
            app.post(
                token.as_deref(),
                json!({ "query": query, "extensions": apq(&hash) }),
            )
            .await
        }
    };

    // Anonymous: it runs, and is not kept.
    let anonymous = "query Anonymous { __typename }";
    send(None, anonymous.into()).await.ok();
    assert!(
        !registered(anonymous).await,
        "an anonymous document was stored"
    );

    // Not GraphQL, or not valid against the schema: refused and not kept.
    for bad in ["not graphql {", "{ noSuchField }"] {
        let a = send(Some(coach.clone()), bad.into()).await;
        assert_eq!(a.status, 400, "{:#}", a.body);
        assert!(!registered(bad).await, "{bad} was stored");
    }

    // Over the size bound: it runs, and is not kept.
    let big = format!("query Big {{ __typename }} # {}", "x".repeat(20_000));
    send(Some(coach.clone()), big.clone()).await.ok();
    assert!(!registered(&big).await, "an oversized document was stored");

    // A signed-in caller's valid document is kept.
    let fine = "query Fine { me { subject } }";
    send(Some(coach.clone()), fine.into()).await.ok();
    assert!(registered(fine).await, "a valid document was not stored");
}

/// A list without `first` is costed at its bound: a document that asks
/// little per row but fans out through lists into thousands of rows is
/// refused before it runs (each such list used to cost 1).
#[tokio::test]
async fn lists_without_first_cost_what_they_can_return() {
    let app = TestApp::start().await;
    let officer = app.token("lund", "officer", "o1");
    let fan_out = "{ placementSlots(first: 100) { nodes { placements { id participant { cases { members { id agency { code } } } } } } } }";
    let a = app.graphql(Some(&officer), fan_out, json!({})).await;
    assert_eq!(a.codes(), vec!["QUERY_TOO_COMPLEX"], "{:#}", a.body);
    assert_eq!(a.errors()[0]["extensions"]["limit"], "cost");
    // A page of them, asking the same per row, runs.
    let page = "{ placementSlots(first: 5) { nodes { placements { id participant { cases { members { id agency { code } } } } } } } }";
    let a = app.graphql(Some(&officer), page, json!({})).await;
    assert!(a.errors().is_empty(), "{:#}", a.body);
}

/// Each caller has a budget of estimated cost per minute, counted in the
/// cache the replicas share: the costliest operation cannot be repeated
/// without end, and spreading requests over replicas does not help.
#[tokio::test]
async fn a_callers_cost_budget_is_shared_by_every_replica() {
    let cache: std::sync::Arc<dyn gateway::cache::Cache> =
        std::sync::Arc::new(gateway::cache::memory::MemoryCache::default());
    let tight = |c: &mut gateway::config::Config| {
        c.limits.max_cost = 1_000;
        c.limits.cost_per_minute = 1_000;
    };
    let one = TestApp::builder()
        .cache(cache.clone())
        .configure(tight)
        .start()
        .await;
    let two = TestApp::builder()
        .cache(cache.clone())
        .configure(tight)
        .start()
        .await;
    // About 300 each: three fit in the minute's budget, the fourth does not.
    let q = "{ cases(first: 60) { nodes { id status openedOn version } } }";
    let (coach_one, coach_two) = (
        one.token("lund", "coach", "c1"),
        two.token("lund", "coach", "c1"),
    );
    let mut statuses = Vec::new();
    for i in 0..4 {
        let (app, token) = if i % 2 == 0 {
            (&one, &coach_one)
        } else {
            (&two, &coach_two)
        };
        statuses.push(app.graphql(Some(token), q, json!({})).await);
    }
    for a in &statuses[..3] {
        assert!(a.errors().is_empty(), "{:#}", a.body);
    }
    let refused = &statuses[3];
    assert_eq!(refused.status, 429, "{:#}", refused.body);
    assert_eq!(refused.codes(), vec!["QUERY_TOO_COMPLEX"]);
    assert_eq!(refused.errors()[0]["extensions"]["limit"], "budget");
    assert!(refused.errors()[0]["extensions"]["retryAfterSecs"].as_u64() > Some(0));
    // Another caller has a budget of their own.
    let other = one.token("lund", "coach", "c2");
    assert!(one
        .graphql(Some(&other), q, json!({}))
        .await
        .errors()
        .is_empty());
}

/// A signed-in caller sending a new document with every request registers
/// at most `apq_per_hour` of them (across replicas); the rest run, unstored.
#[tokio::test]
async fn a_caller_registers_at_most_its_hourly_quota_of_documents() {
    let app = TestApp::builder()
        .configure(|c| c.persisted_queries.apq_per_hour = 3)
        .start()
        .await;
    let coach = app.token("lund", "coach", "c1");
    let mut hashes = Vec::new();
    for i in 0..5 {
        let query = format!("query Q{i} {{ me {{ subject }} }}");
        let hash = sha256_hex(&query);
        let a = app
            .post(
                Some(&coach),
                json!({ "query": query, "extensions": apq(&hash) }),
            )
            .await;
        assert!(a.errors().is_empty(), "{:#}", a.body);
        hashes.push(hash);
    }
    let mut known = 0;
    for hash in &hashes {
        let a = app
            .post(Some(&coach), json!({ "extensions": apq(hash) }))
            .await;
        if a.errors().is_empty() {
            known += 1;
        }
    }
    assert_eq!(known, 3, "registered beyond the quota");
}
