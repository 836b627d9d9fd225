//! Bad input gets BAD_USER_INPUT (or CONFLICT) naming the offending field,
//! and writes nothing.

use serde_json::{json, Value};
use tests::{test_pnr, Answer, TestApp};

const OPEN_CASE: &str = r#"mutation($input: OpenCaseInput!) { openCase(input: $input) { id version participant { id } } }"#;

fn open_input(pnr: &str) -> Value {
    json!({ "input": { "personnummer": pnr, "givenName": "Testa", "familyName": "Testsson", "district": "Norr" } })
}

fn assert_bad_input(a: &Answer, field: &str) {
    assert_eq!(a.codes(), vec!["BAD_USER_INPUT"], "{:#}", a.body);
    assert_eq!(a.errors()[0]["extensions"]["field"], field, "{:#}", a.body);
}

async fn open_case(app: &TestApp, token: &str, n: u32) -> Value {
    app.graphql(Some(token), OPEN_CASE, open_input(&test_pnr(n)))
        .await
        .ok()["openCase"]
        .clone()
}

#[tokio::test]
async fn malformed_and_wrong_checksum_personnummer_are_refused_and_nothing_is_written() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let good = test_pnr(7);
    let mut wrong_checksum = good.clone();
    let last = wrong_checksum
        .pop()
        .expect("digit")
        .to_digit(10)
        .expect("digit");
    wrong_checksum.push(char::from_digit((last + 1) % 10, 10).expect("digit"));
    for bad in [
        "19800101-98",
        "abcdefghijkl",
        "000000000000",
        "19801301-9801",
        &wrong_checksum,
    ] {
        let a = app.graphql(Some(&coach), OPEN_CASE, open_input(bad)).await;
        assert_bad_input(&a, "input.personnummer");
        let message = a.errors()[0]["message"]
            .as_str()
            .expect("message")
            .to_string();
        assert!(!message.contains(bad), "the input is not echoed: {message}");
    }
    assert_eq!(app.count("participant").await, 0);
    assert_eq!(app.count("shared_case").await, 0);

    let a = app
        .graphql(
            Some(&coach),
            "query($p: String!) { participantByPersonnummer(personnummer: $p) { id } }",
            json!({"p": "19800101+0000"}),
        )
        .await;
    assert_bad_input(&a, "personnummer");
}

#[tokio::test]
async fn a_date_in_the_wrong_format_is_refused() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let mut input = open_input(&test_pnr(1));
    input["input"]["openedOn"] = json!("2024/01/31");
    let a = app.graphql(Some(&coach), OPEN_CASE, input).await;
    assert_eq!(a.codes(), vec!["BAD_USER_INPUT"], "{:#}", a.body);
    assert_eq!(
        a.errors()[0]["extensions"]["field"],
        "input",
        "{:#}",
        a.body
    );
    assert_eq!(app.count("participant").await, 0);

    let a = app
        .graphql(
            Some(&coach),
            "{ cases(filter: {openedFrom: \"31-01-2024\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(a.codes(), vec!["BAD_USER_INPUT"], "{:#}", a.body);
    assert_eq!(
        a.errors()[0]["extensions"]["field"],
        "filter",
        "{:#}",
        a.body
    );
}

#[tokio::test]
async fn an_unknown_enum_value_is_refused() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let a = app
        .graphql(
            Some(&coach),
            "{ cases(filter: {status: [SLEEPING]}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(a.codes(), vec!["BAD_USER_INPUT"], "{:#}", a.body);
    let mut input = open_input(&test_pnr(1));
    input["input"]["targetGroups"] = json!(["RICH"]);
    let a = app.graphql(Some(&coach), OPEN_CASE, input).await;
    assert_eq!(a.codes(), vec!["BAD_USER_INPUT"], "{:#}", a.body);
    assert_bad_input(&a, "input.targetGroups.0");
    assert_eq!(app.count("participant").await, 0);
}

#[tokio::test]
async fn a_page_of_ten_thousand_is_refused_naming_first() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let a = app
        .graphql(
            Some(&coach),
            "{ cases(first: 10000) { totalCount } }",
            json!({}),
        )
        .await;
    assert_bad_input(&a, "first");
    assert!(a.errors()[0]["message"]
        .as_str()
        .expect("msg")
        .contains("100"));
    let a = app
        .graphql(
            Some(&coach),
            "{ cases(first: 0) { totalCount } }",
            json!({}),
        )
        .await;
    assert_bad_input(&a, "first");
    let a = app
        .graphql(
            Some(&coach),
            "{ cases(first: 100) { totalCount } }",
            json!({}),
        )
        .await;
    a.ok();
    let a = app
        .graphql(
            Some(&coach),
            "{ cases(after: \"garbage\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_bad_input(&a, "after");
    let a = app
        .graphql(
            Some(&coach),
            "{ case(id: \"not-a-uuid\") { id } }",
            json!({}),
        )
        .await;
    assert_bad_input(&a, "id");
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let case = open_case(&app, &coach, 3).await;
    let close = r#"mutation($id: ID!, $v: Int!, $o: CaseOutcome!) { closeCase(input: {id: $id, version: $v, outcome: $o}) { version status outcome } }"#;
    let first = app
        .graphql(
            Some(&coach),
            close,
            json!({"id": case["id"], "v": case["version"], "o": "WORK"}),
        )
        .await;
    let closed = &first.ok()["closeCase"];
    assert_eq!(closed["status"], "CLOSED");
    assert_eq!(closed["version"], 2);
    // A second device still holds version 1.
    let stale = app
        .graphql(
            Some(&coach),
            close,
            json!({"id": case["id"], "v": case["version"], "o": "STUDIES"}),
        )
        .await;
    assert_eq!(stale.codes(), vec!["CONFLICT"], "{:#}", stale.body);
    let now = app
        .graphql(
            Some(&coach),
            "query($id: ID!) { case(id: $id) { version outcome } }",
            json!({"id": case["id"]}),
        )
        .await;
    assert_eq!(now.ok()["case"]["outcome"], "WORK");
    assert_eq!(now.ok()["case"]["version"], 2);
}

#[tokio::test]
async fn a_replayed_follow_up_returns_the_first_result_and_a_changed_body_is_refused() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let case = open_case(&app, &coach, 4).await;
    let add = r#"mutation($input: AddFollowUpInput!) { addFollowUp(input: $input) { id note } }"#;
    let input = json!({"input": {"caseId": case["id"], "idempotencyKey": "phone-0001", "occurredAt": "2026-11-20T09:30:00Z", "kind": "MEETING", "note": "Talade om praktik i köket."}});
    let first = app.graphql(Some(&coach), add, input.clone()).await;
    let again = app.graphql(Some(&coach), add, input.clone()).await;
    assert_eq!(
        first.ok()["addFollowUp"]["id"],
        again.ok()["addFollowUp"]["id"]
    );
    assert_eq!(app.count("follow_up").await, 1);

    let mut changed = input.clone();
    changed["input"]["note"] = json!("Something else entirely.");
    let refused = app.graphql(Some(&coach), add, changed).await;
    assert_bad_input(&refused, "idempotencyKey");
    assert_eq!(app.count("follow_up").await, 1);

    // The same key from another author is another request.
    let other = app.token("lund", "officer", "o1");
    app.graphql(Some(&other), add, input).await.ok();
    assert_eq!(app.count("follow_up").await, 2);
}

#[tokio::test]
async fn a_bulk_upsert_with_one_bad_row_writes_nothing() {
    let app = TestApp::start().await;
    // AF writes records of the people in the cases it takes part in.
    let officer = app.token("af", "officer", "af-officer-1");
    for n in 0..3 {
        open_case(&app, &officer, n).await;
    }
    let af = app.token("af", "integrator", "af-system");
    let upsert = r#"mutation($rows: [EmploymentServiceRecordInput!]!) { upsertEmploymentServiceRecords(records: $rows) { externalId version } }"#;
    let row = |n: u32, ext: &str| json!({"externalId": ext, "personnummer": test_pnr(n), "programme": "Jobbgarantin", "registeredOn": "2025-03-01"});
    let mut rows = vec![row(0, "AF-1"), row(1, "AF-2"), row(2, "AF-3")];
    rows[1]["registeredOn"] = json!("2025-02-30");
    let a = app.graphql(Some(&af), upsert, json!({"rows": rows})).await;
    assert_eq!(a.codes(), vec!["BAD_USER_INPUT"], "{:#}", a.body);
    assert_eq!(app.count("employment_service_record").await, 0);

    let mut rows = vec![row(0, "AF-1"), row(1, "AF-2"), row(2, "AF-3")];
    rows[2]["personnummer"] = json!(test_pnr(99)); // valid, but nobody we know
    let a = app.graphql(Some(&af), upsert, json!({"rows": rows})).await;
    assert_bad_input(&a, "records[2].personnummer");
    assert_eq!(app.count("employment_service_record").await, 0);
    let unknown = a.body["errors"].clone();

    // A person only the municipality's case holds: the same answer, word
    // for word, as for nobody at all (a write tells AF nothing of who else
    // is registered).
    let coach = app.token("lund", "coach", "c1");
    open_case(&app, &coach, 98).await;
    let mut rows = vec![row(0, "AF-1"), row(1, "AF-2"), row(2, "AF-3")];
    rows[2]["personnummer"] = json!(test_pnr(98));
    let a = app.graphql(Some(&af), upsert, json!({"rows": rows})).await;
    assert_eq!(a.body["errors"], unknown, "{:#}", a.body);
    assert_eq!(app.count("employment_service_record").await, 0);

    let rows = vec![row(0, "AF-1"), row(1, "AF-2"), row(2, "AF-3")];
    let a = app
        .graphql(Some(&af), upsert, json!({"rows": rows.clone()}))
        .await;
    assert_eq!(
        a.ok()["upsertEmploymentServiceRecords"]
            .as_array()
            .expect("list")
            .len(),
        3
    );
    let again = app.graphql(Some(&af), upsert, json!({"rows": rows})).await;
    assert_eq!(
        again.ok()["upsertEmploymentServiceRecords"][0]["version"],
        2,
        "an update bumps the version"
    );
    assert_eq!(app.count("employment_service_record").await, 3);

    let too_many: Vec<Value> = (0..1001).map(|i| row(0, &format!("AF-X{i}"))).collect();
    let a = app
        .graphql(Some(&af), upsert, json!({"rows": too_many}))
        .await;
    assert_bad_input(&a, "records");
}

#[tokio::test]
async fn an_agency_writes_only_its_own_kind_of_records() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    open_case(&app, &coach, 0).await;
    let af = app.token("af", "integrator", "af-system");
    let upsert_fk = r#"mutation($r: SocialInsuranceRecordInput!) { upsertSocialInsuranceRecord(record: $r) { id } }"#;
    let a = app
        .graphql(Some(&af), upsert_fk, json!({"r": {"externalId": "FK-1", "personnummer": test_pnr(0), "benefit": "SICKNESS_BENEFIT", "periodStart": "2025-01-01"}}))
        .await;
    assert_eq!(a.codes(), vec!["FORBIDDEN"]);
    assert_eq!(app.count("social_insurance_record").await, 0);
}
