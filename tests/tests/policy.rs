//! The policy file: reloaded when it changes or on SIGHUP (a broken new
//! file keeps the old policy), the `reject` mode, and introspection that
//! shows each caller only what they may use.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use tests::{test_pnr, TestApp};

const SHIPPED: &str = include_str!("../../deploy/policy.toml");

async fn app_with_policy(path: &Path, interval_secs: u64) -> TestApp {
    let file = path.to_path_buf();
    TestApp::builder()
        .configure(move |c| {
            c.policy.file = Some(file);
            c.policy.reload_interval_secs = std::time::Duration::from_secs(interval_secs);
        })
        .start()
        .await
}

async fn open(app: &TestApp, coach: &str) {
    app.graphql(
        Some(coach),
        r#"mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }"#,
        json!({"i": {"personnummer": test_pnr(60), "givenName": "Poli", "familyName": "Cy", "district": "Väster"}}),
    )
    .await
    .ok();
}

const PNR: &str = "{ cases { nodes { participant { personnummer } } } }";

/// Waits until `check` holds, up to `secs` seconds.
async fn eventually(secs: u64, mut check: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..secs * 10 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The policy `version` is still in force: the coach reads personnummer.
async fn still_in_force(app: &TestApp, coach: &str, version: &str) {
    assert_eq!(app.services.policy.snapshot().version, version);
    let a = app.graphql(Some(coach), PNR, json!({})).await;
    assert!(a.errors().is_empty(), "{:#}", a.body);
}

#[tokio::test]
async fn a_changed_file_is_reloaded_and_a_broken_one_keeps_the_policy_in_force() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("policy.toml");
    std::fs::write(&path, SHIPPED).expect("write");
    let app = app_with_policy(&path, 1).await;
    let coach = app.token("lund", "coach", "c1");
    open(&app, &coach).await;
    let version = app.services.policy.snapshot().version.clone();
    assert!(app
        .graphql(Some(&coach), PNR, json!({}))
        .await
        .errors()
        .is_empty());

    // A policy naming a field the schema lacks is refused; the old one stays.
    let broken = SHIPPED.replace(
        "\"Participant.personnummer\" = \"identity\"",
        "\"Participant.shoeSize\" = \"identity\"",
    );
    std::fs::write(&path, &broken).expect("write");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    still_in_force(&app, &coach, &version).await;
    let err = app.services.policy.reload().expect_err("broken policy");
    assert!(
        err.to_string()
            .contains("Participant has no field shoeSize"),
        "{err}"
    );

    // A valid change takes effect without a restart.
    let stricter = SHIPPED.replace(
        "# Other agencies' officers",
        "[[grant]]\nagencies = [\"lund\"]\nroles = [\"coach\"]\ndeny = [\"Participant.personnummer\"]\n\n# Other agencies' officers",
    );
    std::fs::write(&path, stricter).expect("write");
    assert!(
        eventually(5, async || app
            .graphql(Some(&coach), PNR, json!({}))
            .await
            .codes()
            == vec!["FORBIDDEN_FIELD"])
        .await,
        "the changed policy took effect"
    );
    assert_ne!(app.services.policy.snapshot().version, version);
}

#[cfg(unix)]
#[tokio::test]
async fn sighup_reloads_the_policy() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("policy.toml");
    std::fs::write(&path, SHIPPED).expect("write");
    // Interval 0: only SIGHUP reloads.
    let app = app_with_policy(&path, 0).await;
    let coach = app.token("lund", "coach", "c1");
    open(&app, &coach).await;
    let stricter = SHIPPED.replace(
        "# Other agencies' officers",
        "[[grant]]\nagencies = [\"lund\"]\nroles = [\"coach\"]\ndeny = [\"Participant.personnummer\"]\n\n# Other agencies' officers",
    );
    let version = app.services.policy.snapshot().version.clone();

    // A broken file on SIGHUP: refused, the policy in force stays.
    std::fs::write(
        &path,
        SHIPPED.replace("\"Participant.*\" = ", "\"Participant.shoeSize\" = "),
    )
    .expect("write");
    hangup();
    tokio::time::sleep(Duration::from_millis(500)).await;
    still_in_force(&app, &coach, &version).await;

    std::fs::write(&path, stricter).expect("write");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app
        .graphql(Some(&coach), PNR, json!({}))
        .await
        .errors()
        .is_empty());
    hangup();
    assert!(
        eventually(5, async || app
            .graphql(Some(&coach), PNR, json!({}))
            .await
            .codes()
            == vec!["FORBIDDEN_FIELD"])
        .await
    );
}

/// SIGHUP to this process (the gateway under test runs in it).
#[cfg(unix)]
fn hangup() {
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// Without a policy file (the shipped policy) there is nothing to reload,
/// but an operator's SIGHUP must not end the gateway: its default action
/// would. (Each test runs in a process of its own under nextest.)
#[cfg(unix)]
#[tokio::test]
async fn sighup_without_a_policy_file_leaves_the_gateway_running() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    tokio::time::sleep(Duration::from_millis(100)).await;
    hangup();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let a = app
        .graphql(Some(&coach), "{ me { subject } }", json!({}))
        .await;
    assert_eq!(a.ok()["me"]["subject"], "c1");
}

#[tokio::test]
async fn reject_mode_refuses_the_whole_operation() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("policy.toml");
    std::fs::write(
        &path,
        SHIPPED.replace("on_denied = \"redact\"", "on_denied = \"reject\""),
    )
    .expect("write");
    let app = app_with_policy(&path, 0).await;
    open(&app, &app.token("lund", "coach", "c1")).await;
    let pc = app.token("lund", "placement_coordinator", "pc1");
    let a = app
        .graphql(
            Some(&pc),
            "{ cases { totalCount nodes { participant { givenName personnummer } } } }",
            json!({}),
        )
        .await;
    assert_eq!(a.codes(), vec!["FORBIDDEN_FIELD"]);
    assert!(a.data().is_null(), "{:#}", a.body);
    assert!(a.errors()[0]["message"]
        .as_str()
        .expect("message")
        .contains("Participant.personnummer"));
    // Fields the caller may read still run.
    let a = app
        .graphql(
            Some(&pc),
            "{ cases { nodes { participant { givenName } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        a.ok()["cases"]["nodes"][0]["participant"]["givenName"],
        "Poli"
    );
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_string())
        .collect()
}

#[tokio::test]
async fn introspection_shows_each_caller_only_what_they_may_use() {
    let app = TestApp::start().await;
    let q = r#"{ __schema { queryType { name } mutationType { name } types { name fields { name } } } p: __type(name: "Participant") { fields { name } } }"#;
    let coach = app
        .graphql(Some(&app.token("lund", "coach", "c1")), q, json!({}))
        .await;
    let pc = app
        .graphql(
            Some(&app.token("lund", "placement_coordinator", "pc1")),
            q,
            json!({}),
        )
        .await;
    let analyst = app
        .graphql(Some(&app.token("finsam", "analyst", "a1")), q, json!({}))
        .await;
    let af = app
        .graphql(
            Some(&app.token("af", "integrator", "af-system")),
            q,
            json!({}),
        )
        .await;

    assert!(names(&coach.ok()["p"]["fields"]).contains(&"personnummer".to_string()));
    assert!(!names(&pc.ok()["p"]["fields"]).contains(&"personnummer".to_string()));
    assert!(names(&pc.ok()["p"]["fields"]).contains(&"givenName".to_string()));
    // An analyst is not offered a participant at all.
    assert!(analyst.ok()["p"].is_null(), "{:#}", analyst.body);
    let types = |a: &tests::Answer| -> Vec<String> { names(&a.data()["__schema"]["types"]) };
    let query_fields = |a: &tests::Answer| -> Vec<String> {
        let t = a.data()["__schema"]["types"]
            .as_array()
            .expect("types")
            .iter()
            .find(|t| t["name"] == "Query")
            .expect("Query")
            .clone();
        names(&t["fields"])
    };
    assert!(query_fields(&coach).contains(&"cases".to_string()));
    assert!(!query_fields(&analyst).contains(&"cases".to_string()));
    assert!(query_fields(&analyst).contains(&"dashboard".to_string()));
    assert!(!query_fields(&analyst).contains(&"projects".to_string()));
    assert!(!types(&analyst).contains(&"Participant".to_string()));
    // AF's system may run only its own upserts.
    let mutation = af.data()["__schema"]["types"]
        .as_array()
        .expect("types")
        .iter()
        .find(|t| t["name"] == "Mutation")
        .expect("Mutation")
        .clone();
    let mut m = names(&mutation["fields"]);
    m.sort();
    assert_eq!(
        m,
        vec![
            "upsertEmploymentServiceRecord",
            "upsertEmploymentServiceRecords"
        ]
    );
    // The analyst may run nothing: no mutation type.
    assert!(analyst.data()["__schema"]["mutationType"].is_null());
}

/// The answer's keys are the client's: aliases, fragments and the paths
/// from one type to another (`ofType`, a field's `type`) do not get round
/// the filter, and an entry that does not say which field it is stays out.
#[tokio::test]
async fn introspection_cannot_be_talked_round() {
    let app = TestApp::start().await;
    let pc = app.token("lund", "placement_coordinator", "pc1");
    let analyst = app.token("finsam", "analyst", "a1");
    // Every field name anywhere in an answer (any key holding a list of
    // objects with a string under some key naming fields).
    let all_strings = |v: &serde_json::Value| v.to_string();

    // Aliases on every level.
    let q = r#"{ s: __schema { t: types { n: name f: fields { n: name } } }
                 p: __type(name: "Participant") { f: fields { n: name } } }"#;
    let a = app.graphql(Some(&pc), q, json!({})).await;
    assert!(
        !all_strings(a.ok()).contains("personnummer"),
        "{:#}",
        a.body
    );
    assert!(all_strings(a.ok()).contains("givenName"));
    let a = app.graphql(Some(&analyst), q, json!({})).await;
    assert!(
        !all_strings(a.ok()).contains("personnummer"),
        "{:#}",
        a.body
    );
    assert!(a.ok()["p"].is_null());

    // Fragments, as the usual introspection query writes it, and the type
    // name in a variable.
    let q = r#"query($t: String!) { __type(name: $t) { ...T } }
               fragment T on __Type { name fields { ...F } }
               fragment F on __Field { name }"#;
    let a = app.graphql(Some(&pc), q, json!({"t": "Participant"})).await;
    assert!(names(&a.ok()["__type"]["fields"]).contains(&"givenName".to_string()));
    assert!(!names(&a.ok()["__type"]["fields"]).contains(&"personnummer".to_string()));

    // Through a field's type: Case.participant's type lists its fields.
    let q = r#"{ __type(name: "Case") { name fields { name type { name fields { name } ofType { name fields { name } } } } } }"#;
    let a = app.graphql(Some(&pc), q, json!({})).await;
    assert!(
        !all_strings(a.ok()).contains("personnummer"),
        "{:#}",
        a.body
    );
    assert!(all_strings(a.ok()).contains("givenName"), "{:#}", a.body);

    // The root types, asked for directly.
    let q = "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }";
    let a = app.graphql(Some(&analyst), q, json!({})).await;
    assert!(a.ok()["__schema"]["mutationType"].is_null(), "{:#}", a.body);
    let query = names(&a.ok()["__schema"]["queryType"]["fields"]);
    assert!(query.contains(&"dashboard".to_string()));
    assert!(!query.contains(&"cases".to_string()), "{query:?}");
    let af = app.token("af", "integrator", "af-system");
    let a = app.graphql(Some(&af), q, json!({})).await;
    let mut m = names(&a.ok()["__schema"]["mutationType"]["fields"]);
    m.sort();
    assert_eq!(
        m,
        vec![
            "upsertEmploymentServiceRecord",
            "upsertEmploymentServiceRecords"
        ]
    );

    // The query GraphiQL and code generators send still describes what
    // the caller may use, and only that.
    let q = r#"query IntrospectionQuery { __schema {
        queryType { name } mutationType { name } subscriptionType { name }
        types { ...FullType }
        directives { name locations args { ...InputValue } } } }
      fragment FullType on __Type { kind name description
        fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
        inputFields { ...InputValue } interfaces { ...TypeRef }
        enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
        possibleTypes { ...TypeRef } }
      fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
      fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }"#;
    let a = app.graphql(Some(&pc), q, json!({})).await;
    let schema = &a.ok()["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query");
    let participant = schema["types"]
        .as_array()
        .expect("types")
        .iter()
        .find(|t| t["name"] == "Participant")
        .expect("Participant");
    let fields = names(&participant["fields"]);
    assert!(fields.contains(&"givenName".to_string()), "{fields:?}");
    assert!(!fields.contains(&"personnummer".to_string()), "{fields:?}");
    assert!(!names(&schema["types"]).contains(&"AuditEvent".to_string()));

    // Two fields under one key, one of them skipped: the key cannot be
    // trusted to name the type. Such a document is refused whole (it
    // was answered with what the key vouched for left out until one
    // response key per field was required: issue 14).
    let q = r#"{ __schema { types { ...A ... { name: __typename } fields { name } } }
                 __type(name: "Mutation") { ...A ... { name: __typename } fields { name } } }
               fragment A on __Type { name @skip(if: true) }"#;
    let a = app.graphql(Some(&analyst), q, json!({})).await;
    assert_eq!(a.status, 400, "{:#}", a.body);
    assert_eq!(a.codes(), vec!["BAD_USER_INPUT"], "{:#}", a.body);
    assert!(!all_strings(&a.body).contains("openCase"), "{:#}", a.body);

    // Fields without their names cannot be told apart: none are shown.
    let q = r#"{ __type(name: "Participant") { fields { description } } }"#;
    let a = app.graphql(Some(&pc), q, json!({})).await;
    assert_eq!(a.ok()["__type"]["fields"], json!([]), "{:#}", a.body);
}

/// One response key for two fields (one inside an inline fragment) passed
/// validation, and the introspection filter then vouched for the whole
/// schema by the key: an anonymous caller read every type. Refused now.
#[tokio::test]
async fn one_response_key_for_two_fields_is_refused() {
    let app = TestApp::start().await;
    let answer = app
        .graphql(
            None,
            "{ a: __typename ... on Query { a: __schema { types { name fields { name } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(answer.status, 400, "{:#}", answer.body);
    assert_eq!(answer.codes(), vec!["BAD_USER_INPUT"]);
    assert!(answer.data().is_null(), "{:#}", answer.body);
}
