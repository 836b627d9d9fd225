//! Row scope (who sees which cases) and consent (whose records flow where),
//! enforced in SQL and in the one consent rule.

use serde_json::{json, Value};
use tests::{test_pnr, Answer, TestApp};

const OPEN_CASE: &str =
    r#"mutation($input: OpenCaseInput!) { openCase(input: $input) { id version } }"#;
const CASE_RECORDS: &str = r#"query($id: ID!) { case(id: $id) {
  employmentServiceRecords { externalId programme }
  socialInsuranceRecords { benefit diagnosisGroup }
} }"#;

async fn open_case(app: &TestApp, token: &str, n: u32) -> Value {
    app.graphql(
        Some(token),
        OPEN_CASE,
        json!({ "input": { "personnummer": test_pnr(n), "givenName": "Testa", "familyName": "Testsson", "district": "Norr" } }),
    )
    .await
    .ok()["openCase"]
        .clone()
}

/// The source agency's officer records the consent (it releases that
/// agency's information); the agency must take part in the case.
async fn record_consent(
    app: &TestApp,
    case: &Value,
    from: &str,
    to: &str,
    cats: &[&str],
    valid_to: Option<&str>,
) -> Value {
    let q =
        r#"mutation($input: RecordConsentInput!) { recordConsent(input: $input) { id version } }"#;
    let officer = app.token(from, "officer", &format!("{from}-officer"));
    app.graphql(
        Some(&officer),
        q,
        json!({ "input": {
            "caseId": case["id"], "sourceAgency": from, "recipientAgency": to, "categories": cats,
            "purpose": "Samverkan kring arbete", "signedOn": "2026-01-10", "validFrom": "2026-01-10", "validTo": valid_to,
            "collectedAt": "Arbetsmarknadsenheten, Lund", "formVersion": "2024:1", "documentRef": "Akt 2026-0042"
        } }),
    )
    .await
    .ok()["recordConsent"]
        .clone()
}

fn codes_at(a: &Answer, field: &str) -> Vec<String> {
    a.errors()
        .iter()
        .filter(|e| {
            e["path"]
                .as_array()
                .is_some_and(|p| p.iter().any(|s| s == field))
        })
        .map(|e| {
            e["extensions"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn agency_staff_see_only_the_cases_their_agency_takes_part_in() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let af = app.token("af", "officer", "af-1");
    let analyst = app.token("finsam", "analyst", "an-1");
    let case = open_case(&app, &coach, 1).await;
    let total = "{ cases { totalCount } }";
    assert_eq!(
        app.graphql(Some(&af), total, json!({})).await.ok()["cases"]["totalCount"],
        0
    );

    let add = r#"mutation($id: ID!) { addCaseMember(input: {caseId: $id, agency: "af", role: "officer"}) { agency { code } } }"#;
    app.graphql(Some(&coach), add, json!({"id": case["id"]}))
        .await
        .ok();
    assert_eq!(
        app.graphql(Some(&af), total, json!({})).await.ok()["cases"]["totalCount"],
        1
    );
    // Another coach of the municipality cannot add members to a case they
    // are not on: it is not in their scope. (AF may not add members at all.)
    let other_coach = app.token("lund", "coach", "c2");
    let a = app
        .graphql(Some(&other_coach), add, json!({"id": case["id"]}))
        .await;
    assert_eq!(a.codes(), vec!["NOT_FOUND"]);
    let a = app.graphql(Some(&af), add, json!({"id": case["id"]})).await;
    assert_eq!(a.codes(), vec!["FORBIDDEN"]);

    // Analysts see no personal rows at all: the policy refuses the field,
    // and the row scope would return nothing anyway.
    let a = app.graphql(Some(&analyst), total, json!({})).await;
    assert_eq!(a.codes(), vec!["FORBIDDEN_FIELD"]);
    assert_eq!(a.data()["cases"], serde_json::Value::Null);
    let a = app
        .graphql(
            Some(&analyst),
            "query($id: ID!) { case(id: $id) { id } }",
            json!({"id": case["id"]}),
        )
        .await;
    assert_eq!(a.codes(), vec!["FORBIDDEN_FIELD"]);
}

#[tokio::test]
async fn another_agencys_records_flow_only_under_a_covering_consent() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let af = app.token("af", "integrator", "af-system");
    let fk = app.token("fk", "integrator", "fk-system");
    let case = open_case(&app, &coach, 5).await;
    for agency in ["af", "fk"] {
        app.graphql(
            Some(&coach),
            r#"mutation($id: ID!, $a: String!) { addCaseMember(input: {caseId: $id, agency: $a, role: "officer"}) { id } }"#,
            json!({"id": case["id"], "a": agency}),
        )
        .await
        .ok();
    }
    app.graphql(
        Some(&af),
        r#"mutation($r: EmploymentServiceRecordInput!) { upsertEmploymentServiceRecord(record: $r) { id } }"#,
        json!({"r": {"externalId": "AF-500", "personnummer": test_pnr(5), "programme": "Jobb- och utvecklingsgarantin"}}),
    )
    .await
    .ok();
    app.graphql(
        Some(&fk),
        r#"mutation($r: SocialInsuranceRecordInput!) { upsertSocialInsuranceRecord(record: $r) { id } }"#,
        json!({"r": {"externalId": "FK-500", "personnummer": test_pnr(5), "benefit": "SICKNESS_BENEFIT", "sickLeaveDegree": 50, "periodStart": "2026-02-01", "diagnosisGroup": "F32"}}),
    )
    .await
    .ok();

    // No consent: nothing of AF's or FK's reaches the municipality.
    let a = app
        .graphql(Some(&coach), CASE_RECORDS, json!({"id": case["id"]}))
        .await;
    assert_eq!(
        codes_at(&a, "employmentServiceRecords"),
        vec!["CONSENT_REQUIRED"]
    );
    assert_eq!(
        codes_at(&a, "socialInsuranceRecords"),
        vec!["CONSENT_REQUIRED"]
    );
    assert!(!a.body.to_string().contains("AF-500"));

    // A consent AF -> lund for labour-market information opens AF's records only.
    let consent = record_consent(&app, &case, "af", "lund", &["LABOUR_MARKET"], None).await;
    let a = app
        .graphql(Some(&coach), CASE_RECORDS, json!({"id": case["id"]}))
        .await;
    assert_eq!(
        a.data()["case"]["employmentServiceRecords"][0]["externalId"],
        "AF-500"
    );
    assert_eq!(
        codes_at(&a, "socialInsuranceRecords"),
        vec!["CONSENT_REQUIRED"]
    );

    // FK's records with economic consent, but the diagnosis needs HEALTH.
    record_consent(&app, &case, "fk", "lund", &["ECONOMIC_SOCIAL"], None).await;
    let a = app
        .graphql(Some(&coach), CASE_RECORDS, json!({"id": case["id"]}))
        .await;
    assert_eq!(
        a.data()["case"]["socialInsuranceRecords"][0]["benefit"],
        "SICKNESS_BENEFIT"
    );
    assert_eq!(
        a.data()["case"]["socialInsuranceRecords"][0]["diagnosisGroup"],
        Value::Null
    );
    assert_eq!(codes_at(&a, "diagnosisGroup"), vec!["CONSENT_REQUIRED"]);

    // Revocation takes effect on the very next request.
    let revoke = r#"mutation($id: ID!, $v: Int!) { revokeConsent(input: {id: $id, version: $v}) { revokedAt } }"#;
    app.graphql(
        Some(&coach),
        revoke,
        json!({"id": consent["id"], "v": consent["version"]}),
    )
    .await
    .ok();
    let a = app
        .graphql(Some(&coach), CASE_RECORDS, json!({"id": case["id"]}))
        .await;
    assert_eq!(
        codes_at(&a, "employmentServiceRecords"),
        vec!["CONSENT_REQUIRED"]
    );

    // An expired consent covers nothing.
    record_consent(
        &app,
        &case,
        "af",
        "lund",
        &["LABOUR_MARKET"],
        Some("2026-01-31"),
    )
    .await;
    let a = app
        .graphql(Some(&coach), CASE_RECORDS, json!({"id": case["id"]}))
        .await;
    assert_eq!(
        codes_at(&a, "employmentServiceRecords"),
        vec!["CONSENT_REQUIRED"]
    );
}
