//! A lookup is no oracle (issue 14, class 4): looking a person up, or
//! writing by personnummer, answers alike for a person the gateway does not
//! know and for one only other agencies' cases hold; a caller denied the
//! personnummer cannot look people up by it; and every attempt on personal
//! data, refused or failed, leaves an audit event.

use serde_json::{json, Value};
use tests::{test_pnr, TestApp};

const BY_PNR: &str =
    r#"query Lookup($p: String!) { participantByPersonnummer(personnummer: $p) { id } }"#;

async fn open_case(app: &TestApp, token: &str, n: u32) -> Value {
    app.open_case(token, n, "Orakel").await
}

/// The audit events of `agency`, as the auditor sees them.
async fn audit_of(app: &TestApp, agency: &str) -> Vec<Value> {
    app.audit_events(json!({ "agency": agency })).await
}

fn has_event(events: &[Value], decision: &str, field: &str) -> bool {
    events.iter().any(|e| {
        e["decision"] == decision
            && e["fields"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| f == field))
    })
}

#[tokio::test]
async fn a_lookup_answers_alike_for_nobody_and_for_someone_outside_scope() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    open_case(&app, &coach, 301).await;
    let af = app.token("af", "officer", "af-1");

    // Warm the caller's staff row, so both lookups below do the same work.
    app.graphql(Some(&af), "{ me { subject } }", json!({}))
        .await;
    app.reset_statements();
    let outside = app
        .graphql(Some(&af), BY_PNR, json!({"p": test_pnr(301)}))
        .await;
    let outside_cost = app.statements();
    app.reset_statements();
    let nobody = app
        .graphql(Some(&af), BY_PNR, json!({"p": test_pnr(302)}))
        .await;
    // The same statements, not one more for a person who exists: a lookup
    // that first finds the person and then checks scope takes measurably
    // longer for someone registered elsewhere.
    assert_eq!(outside_cost, app.statements(), "statements differ");
    assert_eq!(outside.codes(), vec!["NOT_FOUND"], "{:#}", outside.body);
    assert_eq!(outside.status, nobody.status);
    assert_eq!(outside.body, nobody.body, "the answers differ");

    // Each guess is an attempt on personal data: audited as failed.
    let events = audit_of(&app, "af").await;
    assert!(
        has_event(&events, "FAILED", "Query.participantByPersonnummer"),
        "{events:#?}"
    );
    // And the coach, whose case it is, finds the person.
    let a = app
        .graphql(Some(&coach), BY_PNR, json!({"p": test_pnr(301)}))
        .await;
    assert!(a.ok()["participantByPersonnummer"]["id"].is_string());
}

#[tokio::test]
async fn a_caller_denied_the_personnummer_cannot_look_people_up_by_it() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    open_case(&app, &coach, 311).await;
    // The placement coordinator sees the municipality's cases but not the
    // personnummer: thirty aliased guesses a request would recover it.
    let pc = app.token("lund", "placement_coordinator", "pc1");
    let guesses: String = (0..3)
        .map(|i| {
            format!(
                "g{i}: participantByPersonnummer(personnummer: \"{}\") {{ id }} ",
                test_pnr(310 + i)
            )
        })
        .collect();
    let a = app
        .graphql(
            Some(&pc),
            &format!("query Guess {{ {guesses} }}"),
            json!({}),
        )
        .await;
    assert_eq!(a.codes(), vec!["FORBIDDEN_FIELD"; 3], "{:#}", a.body);
    for i in 0..3 {
        assert!(a.data()[format!("g{i}")].is_null(), "{:#}", a.body);
    }
    let events = audit_of(&app, "lund").await;
    assert!(
        has_event(&events, "DENIED", "Query.participantByPersonnummer"),
        "{events:#?}"
    );
}

#[tokio::test]
async fn a_failed_write_of_personal_data_is_audited() {
    let app = TestApp::start().await;
    let af = app.token("af", "integrator", "af-system");
    // Allowed by the policy, but the person is in none of AF's cases.
    let a = app
        .graphql(
            Some(&af),
            r#"mutation Push($r: EmploymentServiceRecordInput!) { upsertEmploymentServiceRecord(record: $r) { id } }"#,
            json!({"r": {"externalId": "AF-F1", "personnummer": test_pnr(321), "programme": "Jobbgarantin"}}),
        )
        .await;
    assert_eq!(a.codes(), vec!["BAD_USER_INPUT"], "{:#}", a.body);
    let events = audit_of(&app, "af").await;
    let failed = events
        .iter()
        .find(|e| e["decision"] == "FAILED")
        .unwrap_or_else(|| panic!("no failed event: {events:#?}"));
    assert_eq!(
        failed["fields"],
        json!(["Mutation.upsertEmploymentServiceRecord"])
    );
    assert_eq!(
        failed["operation"],
        "mutation Push (upsertEmploymentServiceRecord)"
    );
    // No personnummer in what the audit keeps of it.
    assert!(!failed.to_string().contains(&test_pnr(321)[2..]));
}
