//! No request, however malformed, stops or stalls the gateway: documents
//! and variables nested thousands of levels deep are refused before
//! anything recursive reads them (a stack overflow aborts the process, and
//! every caller of every agency with it), and a bounded fuzz pass sends
//! random and deeply nested documents through the HTTP edge.

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::{json, Value};
use tests::{Answer, TestApp};

fn refused_as_nesting(answer: &Answer) {
    assert_eq!(answer.status, 400, "{:#}", answer.body);
    assert_eq!(
        answer.codes(),
        vec!["QUERY_TOO_COMPLEX"],
        "{:#}",
        answer.body
    );
    assert_eq!(answer.errors()[0]["extensions"]["limit"], "nesting");
}

async fn still_serving(app: &TestApp) {
    let answer = app.graphql(None, "{ __typename }", json!({})).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.ok()["__typename"], "Query");
}

#[tokio::test]
async fn values_nested_thousands_deep_are_refused_and_the_gateway_keeps_serving() {
    let app = TestApp::start().await;
    let deep_list = format!(
        "{{ cases(first: {}1{}) {{ totalCount }} }}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let deep_object = format!(
        "{{ cases(filter: {}) {{ totalCount }} }}",
        "{a: ".repeat(5000) + "1" + &"}".repeat(5000)
    );
    let deep_selection = format!("{}{}", "{ me ".repeat(5000), "}".repeat(5000));
    let deep_type = format!(
        "query Q($v: {}Int{}) {{ __typename }}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    for document in [deep_list, deep_object, deep_selection, deep_type] {
        // Anonymous, as the attack was.
        refused_as_nesting(&app.graphql(None, &document, json!({})).await);
        still_serving(&app).await;
    }
}

#[tokio::test]
async fn a_chain_of_thousands_of_fragments_is_refused() {
    let app = TestApp::start().await;
    let mut chain = String::from("{ ...F0 }");
    for i in 0..3000 {
        chain.push_str(&format!(" fragment F{i} on Query {{ ...F{} }}", i + 1));
    }
    chain.push_str(" fragment F3000 on Query { __typename }");
    refused_as_nesting(&app.graphql(None, &chain, json!({})).await);
    still_serving(&app).await;
}

#[tokio::test]
async fn variables_nested_deeper_than_the_limit_are_refused() {
    let app = TestApp::start().await;
    let mut value = json!(1);
    for _ in 0..100 {
        value = json!([value]);
    }
    let answer = app
        .graphql(
            None,
            "query Q($v: Int) { __typename }",
            json!({ "v": value }),
        )
        .await;
    refused_as_nesting(&answer);
    still_serving(&app).await;
}

/// A random document: a nesting construct repeated up to thousands of
/// times, balanced (so that it parses and reaches what walks it) or not,
/// then random GraphQL tokens (brackets among them) or nothing.
fn document() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        "query",
        "mutation",
        "fragment",
        "on",
        "...",
        "me",
        "cases",
        "first:",
        "filter:",
        "$v",
        ":",
        "Int",
        "!",
        "\"s\"",
        "\"\"\"",
        "#",
        "\n",
        "@skip",
        "1",
        "1.5",
        "null",
        "true",
        ",",
        "__typename",
        "__schema",
        "A",
        "=",
    ]);
    let tail = prop_oneof![
        Just(String::new()),
        prop::collection::vec(token, 0..200).prop_map(|t| t.join(" ")),
    ];
    // (before, open, middle, close, after)
    let shape = prop::sample::select(vec![
        ("{ cases(first: ", "[", "1", "]", ") { totalCount } }"),
        ("{ cases(filter: ", "{a: ", "1", "}", ") { totalCount } }"),
        ("", "{ me ", "", "}", ""),
        ("{ me { ", "... on Staff { ", "subject", "}", " } }"),
        ("query Q($v: ", "[", "Int", "]", ") { __typename }"),
        ("{ __typename }", "", "", "", ""),
    ]);
    (shape, 0usize..6000, any::<bool>(), tail).prop_map(
        |((before, open, middle, close, after), n, balanced, tail)| {
            let closes = if balanced { n } else { n / 2 };
            format!(
                "{before}{}{middle}{}{after}{tail}",
                open.repeat(n),
                close.repeat(closes)
            )
        },
    )
}

/// Random variables, nested up to 120 levels (serde_json refuses 128).
fn variables() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![Just(json!(1)), Just(json!("x")), Just(json!(null))];
    (leaf, 0usize..120, any::<bool>()).prop_map(|(leaf, depth, lists)| {
        (0..depth).fold(
            leaf,
            |v, _| if lists { json!([v]) } else { json!({ "a": v }) },
        )
    })
}

/// A short fuzz pass (CI's): `PROPTEST_CASES` sets how many.
#[test]
fn random_and_deeply_nested_requests_get_an_answer_and_the_process_survives() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let app = rt.block_on(TestApp::start());
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(48);
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&(document(), variables()), |(query, v)| {
            let answer =
                rt.block_on(app.post(None, json!({ "query": query, "variables": { "v": v } })));
            prop_assert!(
                [200, 400, 401, 403].contains(&answer.status),
                "status {} for a request of {} bytes",
                answer.status,
                query.len()
            );
            prop_assert!(answer.body.get("errors").is_some() || answer.body.get("data").is_some());
            Ok(())
        })
        .expect("every request is answered");
    rt.block_on(still_serving(&app));
}
