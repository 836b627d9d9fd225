//! The gateway's error answers as a client sees them, status and body, in
//! one snapshot (`snapshots/error_bodies__error_answers.snap`): a changed
//! message, code, path or status shows as a diff in review. Other tests
//! check what each error must and must not say; this one keeps the whole
//! of what is said.
//!
//! To accept a deliberate change: `INSTA_UPDATE=always cargo nextest run
//! -p tests --test error_bodies` (or `cargo insta review`), then review
//! and commit the `.snap` file. With `CI=true` a changed or missing
//! snapshot fails instead of being written.

use serde_json::{json, Value};
use tests::{test_pnr, Answer, TestApp};

const OPEN_CASE: &str = r#"mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }"#;

/// A case id no case has.
const NO_SUCH_CASE: &str = "00000000-0000-4000-8000-000000000001";

/// What a client gets: the status, the headers that tell it what to do,
/// and the body.
fn seen(name: &str, a: &Answer) -> Value {
    let header = |h: &str| {
        a.headers
            .get(h)
            .map(|v| v.to_str().expect("an ASCII header").to_string())
    };
    json!({
        "case": name,
        "status": a.status,
        "content-type": header("content-type"),
        "www-authenticate": header("www-authenticate"),
        "body": a.body,
    })
}

#[tokio::test]
async fn error_answers() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let coordinator = app.token(
        "lund",
        "placement_coordinator",
        gateway::demo::DEMO_PLACEMENT_COORDINATOR,
    );
    let opened = app
        .graphql(
            Some(&coach),
            OPEN_CASE,
            json!({ "input": { "personnummer": test_pnr(1), "givenName": "Testa", "familyName": "Testsson", "district": "Norr" } }),
        )
        .await;
    let case_id = opened.ok()["openCase"]["id"]
        .as_str()
        .expect("a case id")
        .to_string();

    let mut answers = Vec::new();

    let tampered = format!("{coach}x");
    let a = app
        .graphql(Some(&tampered), "{ me { subject } }", json!({}))
        .await;
    answers.push(seen("a bad token", &a));

    let a = app
        .graphql(Some(&coach), "{ me { subject }", json!({}))
        .await;
    answers.push(seen("a syntax error", &a));

    let a = app
        .graphql(Some(&coach), "{ me { subject nickname } }", json!({}))
        .await;
    answers.push(seen("an unknown field", &a));

    let a = app
        .graphql(
            Some(&coach),
            "query($p: String!) { participantByPersonnummer(personnummer: $p) { id } }",
            json!({ "p": "19800101+0000" }),
        )
        .await;
    answers.push(seen("a personnummer that is not one", &a));

    let a = app
        .graphql(
            Some(&coach),
            "query($first: Int) { cases(first: $first) { totalCount } }",
            json!({ "first": "ten" }),
        )
        .await;
    answers.push(seen("a variable of the wrong type", &a));

    let a = app
        .graphql(
            Some(&coordinator),
            "query($id: ID!) { case(id: $id) { status participant { givenName personnummer } } }",
            json!({ "id": case_id }),
        )
        .await;
    answers.push(seen(
        "a field the policy denies (placement coordinator, personnummer)",
        &a,
    ));

    let aliases: String = (0..31)
        .map(|i| format!("a{i}: me {{ subject }} "))
        .collect();
    let a = app
        .graphql(Some(&coach), &format!("{{ {aliases} }}"), json!({}))
        .await;
    answers.push(seen("too many aliases", &a));

    let a = app
        .post(
            Some(&coach),
            json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "ab".repeat(32) } } }),
        )
        .await;
    answers.push(seen("a persisted query the gateway does not know", &a));

    let a = app
        .graphql(
            Some(&coach),
            "query($id: ID!) { case(id: $id) { id } }",
            json!({ "id": NO_SUCH_CASE }),
        )
        .await;
    answers.push(seen("a case that does not exist", &a));

    insta::assert_json_snapshot!(answers);
}
