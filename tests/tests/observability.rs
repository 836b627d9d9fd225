//! What operators see: spans (through the gateway's own subscriber, with
//! an in-memory exporter) and `/metrics`. A request continues the client's
//! W3C trace from its HTTP span down to each statement and Redis call, the
//! audit event names that trace, and no span, attribute, event or metric
//! carries a personnummer, a name, a token or the document's text.
//!
//! nextest runs each test in a process of its own, so each may install the
//! global subscriber ([`install`]).

use std::collections::BTreeSet;
use std::time::Duration;

use entities::audit_event;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry::Value as OtelValue;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use sea_orm::EntityTrait;
use serde_json::{json, Value};
use tests::{test_pnr, TestApp};

const CASE_PAGE: &str = include_str!("../queries/case_page.graphql");

const CLIENT_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN: &str = "00f067aa0ba902b7";

fn client_traceparent() -> String {
    format!("00-{CLIENT_TRACE}-{CLIENT_SPAN}-01")
}

/// The gateway's subscriber (logs at `warn`, spans to the returned
/// exporter as each ends). Keep the [`gateway::observability::telemetry::Telemetry`] alive.
pub fn install() -> (
    InMemorySpanExporter,
    gateway::observability::telemetry::Telemetry,
) {
    let exporter = InMemorySpanExporter::default();
    let config = gateway::config::TelemetryConfig {
        log_level: "warn".into(),
        ..Default::default()
    };
    let telemetry =
        gateway::observability::telemetry::init_with_exporter(&config, exporter.clone())
            .expect("install the gateway's subscriber");
    (exporter, telemetry)
}

/// The spans exported so far, once `done` holds for them (a request's
/// `http` span ends only after its body is sent, so it may trail the
/// answer). Panics after five seconds with what was there.
pub async fn collect_spans(
    exporter: &InMemorySpanExporter,
    done: impl Fn(&[SpanData]) -> bool,
) -> Vec<SpanData> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let spans = exporter.get_finished_spans().expect("exported spans");
        if done(&spans) {
            return spans;
        }
        if tokio::time::Instant::now() > deadline {
            let names: Vec<_> = spans.iter().map(|s| s.name.to_string()).collect();
            panic!("the expected spans did not arrive; have {names:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A span's attribute as a string.
pub fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

/// Everything a span says that is not an id: its name, attributes,
/// events with theirs, and status.
pub fn span_text(span: &SpanData) -> String {
    let mut text = format!("{} {:?}", span.name, span.status);
    let mut add = |key: &str, value: &OtelValue| text.push_str(&format!(" {key}={value}"));
    for kv in &span.attributes {
        // A generated request id is a UUID: hex that may hold ten digits in a row.
        let value = kv.value.to_string();
        if kv.key.as_str() == "request_id" && uuid::Uuid::parse_str(&value).is_ok() {
            continue;
        }
        add(kv.key.as_str(), &kv.value);
    }
    for event in span.events.iter() {
        add("event", &OtelValue::from(event.name.to_string()));
        for kv in &event.attributes {
            add(kv.key.as_str(), &kv.value);
        }
    }
    text
}

/// A GraphQL POST with extra headers; the answer's headers and body.
async fn post(
    app: &TestApp,
    token: Option<&str>,
    body: &Value,
    headers: &[(&str, &str)],
) -> (reqwest::header::HeaderMap, Value) {
    let mut req = app.http().post(app.url("/graphql")).json(body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let resp = req.send().await.expect("the gateway answers");
    let headers = resp.headers().clone();
    (headers, resp.json().await.expect("a JSON body"))
}

fn sha256_hex(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

async fn metrics_text(app: &TestApp) -> String {
    app.http()
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("/metrics answers")
        .text()
        .await
        .expect("text")
}

#[tokio::test]
async fn a_request_continues_the_clients_trace_down_to_statements_and_the_audit() {
    let (exporter, _telemetry) = install();
    // Every resolver is "slow": the spans for them are made, and capped.
    let app = TestApp::builder()
        .configure(|c| c.telemetry.resolver_span_threshold_ms = std::time::Duration::from_millis(0))
        .start()
        .await;
    app.seed(30, 3).await;
    let coach = app.token("lund", "coach", gateway::demo::DEMO_COACH);
    exporter.reset();

    // Sent as an automatic persisted query with its document, so the
    // gateway registers it in the cache (a Redis call when Redis is used).
    let body = json!({
        "query": CASE_PAGE,
        "variables": { "first": 20 },
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(CASE_PAGE) } },
    });
    let traceparent = client_traceparent();
    let (headers, answer) = post(
        &app,
        Some(&coach),
        &body,
        &[("traceparent", traceparent.as_str())],
    )
    .await;
    assert!(answer["data"]["cases"]["edges"].is_array(), "{answer:#}");

    let spans = collect_spans(&exporter, |s| s.iter().any(|s| s.name == "POST /graphql")).await;
    let trace = TraceId::from_hex(CLIENT_TRACE).expect("trace id");
    let strays: Vec<_> = spans
        .iter()
        .filter(|s| s.span_context.trace_id() != trace)
        .map(|s| s.name.to_string())
        .collect();
    assert!(
        strays.is_empty(),
        "spans outside the client's trace: {strays:?}"
    );

    let http = spans
        .iter()
        .find(|s| s.name == "POST /graphql")
        .expect("an http span");
    assert_eq!(
        http.parent_span_id,
        SpanId::from_hex(CLIENT_SPAN).expect("span id")
    );
    assert_eq!(
        attr(http, "http.response.status_code").as_deref(),
        Some("200")
    );
    // The answer names our span in the client's trace.
    let ours = format!("00-{CLIENT_TRACE}-{}-01", http.span_context.span_id());
    assert_eq!(
        headers.get("traceparent").and_then(|v| v.to_str().ok()),
        Some(ours.as_str())
    );

    let operation = spans
        .iter()
        .find(|s| s.name == "query CasePage")
        .expect("an operation span named by the operation");
    assert_eq!(operation.parent_span_id, http.span_context.span_id());
    assert_eq!(
        attr(operation, "graphql.operation.name").as_deref(),
        Some("CasePage")
    );
    assert_eq!(
        attr(operation, "graphql.operation.type").as_deref(),
        Some("query")
    );

    let statements: Vec<_> = spans
        .iter()
        .filter(|s| attr(s, "db.operation").as_deref() == Some("SELECT"))
        .filter(|s| attr(s, "db.system").as_deref() != Some("redis"))
        .collect();
    assert!(!statements.is_empty(), "SQL spans");
    assert!(
        statements
            .iter()
            .any(|s| attr(s, "db.sql.table").as_deref() == Some("shared_case")),
        "{:?}",
        statements.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
    for s in &statements {
        assert!(s.start_time <= s.end_time);
        assert!(s.start_time >= http.start_time && s.end_time <= http.end_time);
    }

    let redis: Vec<_> = spans
        .iter()
        .filter(|s| attr(s, "db.system").as_deref() == Some("redis"))
        .collect();
    if tests::redis_url().is_some() {
        assert!(!redis.is_empty(), "Redis spans");
        assert!(redis.iter().any(|s| s.name == "redis SETEX"));
    } else {
        // The in-process cache makes no spans.
        assert!(redis.is_empty());
    }

    // Slow resolvers: backdated into the request, named by coordinate, capped.
    let resolvers: Vec<_> = spans
        .iter()
        .filter(|s| attr(s, "graphql.field.name").is_some())
        .collect();
    let cases = resolvers
        .iter()
        .find(|s| s.name == "Query.cases")
        .expect("a span for the top field");
    assert!(cases.start_time >= operation.start_time && cases.end_time <= operation.end_time);
    assert!(
        cases
            .end_time
            .duration_since(cases.start_time)
            .expect("ordered")
            > Duration::from_micros(1),
        "the span kept the resolver's real start"
    );
    // At most 200 for fields inside lists, plus one per field outside any.
    assert!(resolvers.len() <= 250, "{} resolver spans", resolvers.len());
    let per_name = resolvers
        .iter()
        .filter(|s| s.name == "Participant.givenName")
        .count();
    assert!(per_name <= 5, "{per_name} spans for one field");

    // The audit event of this read names the trace.
    let events = audit_event::Entity::find()
        .all(&app.db)
        .await
        .expect("audit events");
    assert!(
        events
            .iter()
            .any(|e| e.trace_id.as_deref() == Some(CLIENT_TRACE)),
        "{:?}",
        events.iter().map(|e| &e.trace_id).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn without_a_client_trace_the_request_starts_one_and_answers_with_it() {
    let (exporter, _telemetry) = install();
    let app = TestApp::start().await;
    let (headers, _) = post(&app, None, &json!({ "query": "{ __typename }" }), &[]).await;
    let spans = collect_spans(&exporter, |s| s.iter().any(|s| s.name == "POST /graphql")).await;
    let http = spans
        .iter()
        .find(|s| s.name == "POST /graphql")
        .expect("http span");
    assert_eq!(http.parent_span_id, SpanId::INVALID);
    let want = format!(
        "00-{}-{}-01",
        http.span_context.trace_id(),
        http.span_context.span_id()
    );
    assert_eq!(
        headers.get("traceparent").and_then(|v| v.to_str().ok()),
        Some(want.as_str())
    );
    assert!(spans.iter().any(|s| s.name == "query anonymous"));
}

/// Runs text through `check`: no secret, and no run of ten or more digits
/// (a personnummer in either form) outside the ids.
fn assert_clean(what: &str, text: &str, secrets: &BTreeSet<String>) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} contains {secret:?}: {}",
            text.lines()
                .find(|l| l.contains(secret.as_str()))
                .unwrap_or_default()
        );
    }
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        assert!(run < 10, "{what} has a run of ten digits: {text}");
    }
}

#[tokio::test]
async fn no_span_or_metric_carries_a_personnummer_a_name_or_a_token() {
    let (exporter, _telemetry) = install();
    let app = TestApp::builder()
        .configure(|c| c.telemetry.resolver_span_threshold_ms = std::time::Duration::from_millis(0))
        .start()
        .await;
    app.seed(20, 5).await;
    let coach = app.token("lund", "coach", gateway::demo::DEMO_COACH);
    let officer = app.token("lund", "officer", gateway::demo::DEMO_LUND_OFFICER);
    exporter.reset();

    let mut secrets = BTreeSet::new();
    secrets.insert(coach.clone());
    secrets.insert(officer.clone());
    // The token's signature alone, in case something logs a part of it.
    secrets.insert(coach.rsplit('.').next().expect("signature").to_string());

    // Whatever personal data the gateway answers with must not be in the telemetry.
    let mut collect = |data: &Value| {
        let mut stack = vec![data.clone()];
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(map) => {
                    for (k, v) in map {
                        let personal = [
                            "personnummer",
                            "givenName",
                            "familyName",
                            "displayName",
                            "note",
                        ];
                        match v {
                            Value::String(s) if personal.contains(&k.as_str()) && s.len() >= 3 => {
                                secrets.insert(s);
                            }
                            other => stack.push(other),
                        }
                    }
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
    };
    for token in [&coach, &officer] {
        let (_, page) = post(
            &app,
            Some(token),
            &json!({ "query": CASE_PAGE, "variables": { "first": 20 } }),
            &[],
        )
        .await;
        collect(&page["data"]);
    }

    // A new person by personnummer and name, read back and looked up.
    let pnr = test_pnr(41);
    let (given, family) = ("Zlatana", "Ekvallsdotter");
    let (_, opened) = post(
        &app,
        Some(&coach),
        &json!({
            "query": "mutation Open($input: OpenCaseInput!) { openCase(input: $input) { id participant { personnummer givenName } } }",
            "variables": { "input": { "personnummer": pnr, "givenName": given, "familyName": family, "district": "Dalby" } },
        }),
        &[],
    )
    .await;
    assert!(opened["errors"].is_null(), "{opened:#}");
    collect(&opened["data"]);
    let ten = format!("{}-{}", &pnr[2..8], &pnr[8..]);
    for p in [pnr.as_str(), ten.as_str(), "19121212-1212"] {
        post(
            &app,
            Some(&coach),
            &json!({
                "query": "query Lookup($p: String!) { participantByPersonnummer(personnummer: $p) { id givenName } }",
                "variables": { "p": p },
            }),
            &[],
        )
        .await;
    }
    // A personnummer as the operation's name, and as the request id.
    let named = format!("P{pnr}");
    post(
        &app,
        Some(&coach),
        &json!({
            "query": format!("query {named}($p: String!) {{ participantByPersonnummer(personnummer: $p) {{ id }} }}"),
            "operationName": named,
            "variables": { "p": pnr },
        }),
        &[("x-request-id", pnr.as_str())],
    )
    .await;
    // A refused token and a name in an unrouted path.
    let bad = format!("{coach}x");
    post(&app, Some(&bad), &json!({ "query": "{ __typename }" }), &[]).await;
    app.http()
        .get(app.url(&format!("/graphql/{pnr}/{given}")))
        .send()
        .await
        .expect("answer");
    secrets.insert(pnr.clone());
    secrets.insert(pnr[2..].to_string());
    secrets.insert(ten);
    secrets.insert(given.to_string());
    secrets.insert(family.to_string());
    secrets.insert(bad);
    assert!(secrets.len() > 20, "the pages gave names to look for");

    let spans = collect_spans(&exporter, |s| {
        s.iter().filter(|s| s.name.starts_with("POST ")).count() >= 8
            && s.iter().any(|s| s.name == "GET unmatched")
    })
    .await;
    assert!(
        spans.iter().any(|s| s.name == "query invalid"),
        "the refused name"
    );
    assert!(spans.iter().any(|s| s.name.starts_with("SELECT")));
    for span in &spans {
        assert_clean(&format!("span {}", span.name), &span_text(span), &secrets);
    }
    let metrics = metrics_text(&app).await;
    assert!(metrics.contains("operation=\"invalid\""), "{metrics}");
    for line in metrics.lines().filter(|l| !l.starts_with('#')) {
        // Sample values are numbers; only labels could carry a person.
        let labels = line.rsplit_once(' ').map(|(l, _)| l).unwrap_or(line);
        assert_clean("/metrics", labels, &secrets);
    }
}

#[tokio::test]
async fn metrics_count_requests_latency_pool_and_statements() {
    let app = TestApp::start().await;
    app.seed(10, 9).await;
    let coach = app.token("lund", "coach", gateway::demo::DEMO_COACH);
    let a = app
        .graphql(Some(&coach), CASE_PAGE, json!({ "first": 5 }))
        .await;
    assert_eq!(a.status, 200, "{:#}", a.body);
    app.graphql(Some("not-a-token"), "{ __typename }", json!({}))
        .await;
    app.graphql(None, "query Health { __typename }", json!({}))
        .await;
    app.graphql(Some(&coach), "query Broken { nosuchfield }", json!({}))
        .await;

    let text = metrics_text(&app).await;
    let has = |prefix: &str| text.lines().any(|l| l.starts_with(prefix));
    for prefix in [
        "gateway_graphql_requests_total{operation=\"CasePage\",agency=\"lund\",outcome=\"",
        "gateway_graphql_requests_total{operation=\"unknown\",agency=\"anonymous\",outcome=\"unauthenticated\"} 1",
        // Callers without a token do not get names of their own.
        "gateway_graphql_requests_total{operation=\"other\",agency=\"anonymous\",outcome=\"ok\"} 1",
        "gateway_graphql_requests_total{operation=\"Broken\",agency=\"lund\",outcome=\"bad_input\"} 1",
        "gateway_graphql_request_duration_seconds_bucket{le=\"0.005\",operation_type=\"query\"}",
        "gateway_graphql_request_duration_seconds_count{operation_type=\"query\"} 3",
        "gateway_db_pool_connections{state=\"idle\"}",
        "gateway_db_pool_connections{state=\"in_use\"}",
        "gateway_db_statements_total{operation=\"SELECT\",outcome=\"ok\"}",
        "gateway_db_statement_duration_seconds_count{outcome=\"ok\"}",
        "gateway_audit_append_duration_seconds_count{outcome=\"ok\"}",
    ] {
        assert!(has(prefix), "no line starts with {prefix}\n{text}");
    }
    assert!(app.services.metrics.db_statements_total() > 0);
}

/// The whole path of one request in one trace: gateway, database, Redis
/// and the agencies' APIs, and the agency received the same trace id (with
/// the upstream call's span as its parent).
#[tokio::test]
async fn one_trace_runs_from_the_client_through_the_database_redis_and_the_agencies() {
    let (exporter, _telemetry) = install();
    let f = tests::federation::Federated::start(60, |_| {}).await;
    let officer = f
        .app
        .token("lund", "officer", gateway::demo::DEMO_LUND_OFFICER);
    exporter.reset();
    let query = "query FederatedTrace { cases(first: 30) { edges { node { id employmentServiceRecords { externalId } socialInsuranceRecords { benefit } } } } }";
    // As an automatic persisted query, so the cache (Redis) is used too.
    let body = json!({
        "query": query,
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(query) } },
    });
    let traceparent = client_traceparent();
    let (_, answer) = post(
        &f.app,
        Some(&officer),
        &body,
        &[("traceparent", traceparent.as_str())],
    )
    .await;
    assert!(answer["data"]["cases"]["edges"].is_array(), "{answer:#}");

    let spans = collect_spans(&exporter, |s| s.iter().any(|s| s.name == "POST /graphql")).await;
    let trace = TraceId::from_hex(CLIENT_TRACE).expect("trace id");
    assert!(spans.iter().all(|s| s.span_context.trace_id() == trace));
    let named = |name: &str| spans.iter().filter(|s| s.name == name).count();
    assert_eq!(named("query FederatedTrace"), 1);
    assert!(spans
        .iter()
        .any(|s| attr(s, "db.sql.table").as_deref() == Some("shared_case")));
    if tests::redis_url().is_some() {
        assert!(spans
            .iter()
            .any(|s| attr(s, "db.system").as_deref() == Some("redis")));
    }
    for (simulator, path) in [
        (&f.af, "POST /v1/employment-service-records/lookup"),
        (&f.fk, "POST /v1/social-insurance-records/lookup"),
    ] {
        let upstream: Vec<_> = spans.iter().filter(|s| s.name == path).collect();
        assert_eq!(upstream.len(), 1, "one call: {path}");
        let span = upstream[0];
        assert_eq!(attr(span, "upstream.outcome").as_deref(), Some("ok"));
        // The agency got our trace id, and our upstream span as its parent.
        let sent = format!("00-{CLIENT_TRACE}-{}-01", span.span_context.span_id());
        assert_eq!(simulator.traceparents(), vec![sent]);
        // No personal data in the upstream span either.
        let text = span_text(span);
        let longest_digit_run = text
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(longest_digit_run < 10, "{text}");
    }
}
