//! Consent (samtycke) decides, request by request, whether another
//! agency's records flow: revocation and expiry take effect on the very
//! next request, and a consent serves the case it was given for.

use serde_json::{json, Value};
use tests::{test_pnr, TestApp};

const RECORDS: &str =
    r#"query($id: ID!) { case(id: $id) { employmentServiceRecords { programme } } }"#;

async fn case_with_af_record(app: &TestApp, coach: &str, n: u32) -> Value {
    let open = r#"mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }"#;
    let id = app
        .graphql(
            Some(coach),
            open,
            json!({"i": {"personnummer": test_pnr(n), "givenName": "Sam", "familyName": "Tycke", "district": "Centrum"}}),
        )
        .await
        .ok()["openCase"]["id"]
        .clone();
    // AF takes part, so its officer sees the case and can record the
    // consent that releases AF's records.
    app.graphql(
        Some(coach),
        r#"mutation($id: ID!) { addCaseMember(input: {caseId: $id, agency: "af", role: "officer"}) { id } }"#,
        json!({"id": id}),
    )
    .await
    .ok();
    let af = app.token("af", "integrator", "af-system");
    app.graphql(
        Some(&af),
        r#"mutation($r: EmploymentServiceRecordInput!) { upsertEmploymentServiceRecord(record: $r) { id } }"#,
        json!({"r": {"externalId": format!("AF-{n}"), "personnummer": test_pnr(n), "programme": "Rusta och matcha"}}),
    )
    .await
    .ok();
    id
}

/// AF's officer records the participant's consent releasing AF's
/// labour-market records to Lund.
async fn record_consent(app: &TestApp, case: &Value, valid_to: Option<&str>) -> Value {
    let af = app.token("af", "officer", "af-officer");
    app.graphql(
        Some(&af),
        r#"mutation($id: ID!, $to: NaiveDate) { recordConsent(input: {caseId: $id, sourceAgency: "af", recipientAgency: "lund", categories: [LABOUR_MARKET], purpose: "Samverkan kring arbete", signedOn: "2026-01-10", validTo: $to, collectedAt: "Arbetsmarknadsenheten, Lund", formVersion: "2026:1", documentRef: "Akt 7, pärm 1"}) { id version collectedAt formVersion documentRef recordedBy { id } } }"#,
        json!({"id": case, "to": valid_to}),
    )
    .await
    .ok()["recordConsent"]
        .clone()
}

fn shown(a: &tests::Answer) -> usize {
    a.data()["case"]["employmentServiceRecords"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0)
}

#[tokio::test]
async fn a_revoked_consent_stops_the_flow_on_the_next_request() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let case = case_with_af_record(&app, &coach, 50).await;

    let a = app
        .graphql(Some(&coach), RECORDS, json!({"id": case}))
        .await;
    assert_eq!(shown(&a), 0);
    assert_eq!(a.codes(), vec!["CONSENT_REQUIRED"]);
    assert_eq!(
        a.body["extensions"]["redacted"][0]["code"], "CONSENT_REQUIRED",
        "{:#}",
        a.body
    );

    let consent = record_consent(&app, &case, None).await;
    // Who collected it, where, the form and where the paper is kept are recorded.
    assert_eq!(consent["collectedAt"], "Arbetsmarknadsenheten, Lund");
    assert_eq!(consent["formVersion"], "2026:1");
    assert_eq!(consent["documentRef"], "Akt 7, pärm 1");
    assert!(consent["recordedBy"]["id"].is_string());

    let a = app
        .graphql(Some(&coach), RECORDS, json!({"id": case}))
        .await;
    assert_eq!(
        a.ok()["case"]["employmentServiceRecords"][0]["programme"],
        "Rusta och matcha"
    );

    app.graphql(
        Some(&coach),
        "mutation($id: ID!, $v: Int!) { revokeConsent(input: {id: $id, version: $v}) { revokedAt } }",
        json!({"id": consent["id"], "v": consent["version"]}),
    )
    .await
    .ok();
    let a = app
        .graphql(Some(&coach), RECORDS, json!({"id": case}))
        .await;
    assert_eq!(shown(&a), 0, "{:#}", a.body);
    assert_eq!(a.codes(), vec!["CONSENT_REQUIRED"]);
}

#[tokio::test]
async fn a_consent_valid_to_a_date_ends_at_swedish_midnight() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let case = case_with_af_record(&app, &coach, 51).await;
    record_consent(&app, &case, Some("2026-11-30")).await;

    // 23:59:59 in Stockholm on the last valid day (UTC+1 in November).
    app.services
        .clock
        .set(Some("2026-11-30T22:59:59Z".parse().expect("time")));
    let a = app
        .graphql(Some(&coach), RECORDS, json!({"id": case}))
        .await;
    assert_eq!(shown(&a), 1, "{:#}", a.body);

    // One second later it is 1 December in Sweden: nothing flows.
    app.services
        .clock
        .set(Some("2026-11-30T23:00:00Z".parse().expect("time")));
    let a = app
        .graphql(Some(&coach), RECORDS, json!({"id": case}))
        .await;
    assert_eq!(shown(&a), 0, "{:#}", a.body);
    assert_eq!(a.codes(), vec!["CONSENT_REQUIRED"]);
}

#[tokio::test]
async fn a_consent_serves_the_case_it_was_given_for() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let first = case_with_af_record(&app, &coach, 52).await;
    record_consent(&app, &first, None).await;
    app.graphql(
        Some(&coach),
        "mutation($id: ID!) { closeCase(input: {id: $id, version: 1, outcome: OTHER}) { id } }",
        json!({"id": first}),
    )
    .await
    .ok();
    // A new collaboration for the same person: the old case's consent does not carry over.
    let second = app
        .graphql(
            Some(&coach),
            r#"mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }"#,
            json!({"i": {"personnummer": test_pnr(52), "givenName": "Sam", "familyName": "Tycke", "district": "Centrum"}}),
        )
        .await
        .ok()["openCase"]["id"]
        .clone();
    let a = app
        .graphql(Some(&coach), RECORDS, json!({"id": second}))
        .await;
    assert_eq!(shown(&a), 0, "{:#}", a.body);
    // AF takes no part in the new case: its records are not the case's,
    // and nothing says they exist.
    assert!(a.codes().is_empty(), "{:#}", a.body);
    let a = app
        .graphql(Some(&coach), RECORDS, json!({"id": first}))
        .await;
    assert_eq!(shown(&a), 1, "{:#}", a.body);
}

/// `recordConsent` as `token`: `source` releases `category` to `recipient`.
async fn consent_as(
    app: &TestApp,
    token: &str,
    case: &Value,
    source: &str,
    recipient: &str,
    category: &str,
) -> tests::Answer {
    app.graphql(
        Some(token),
        r#"mutation($id: ID!, $s: String!, $r: String!, $c: ConsentCategory!) { recordConsent(input: {caseId: $id, sourceAgency: $s, recipientAgency: $r, categories: [$c], purpose: "Samverkan", signedOn: "2026-01-10", collectedAt: "Lund", formVersion: "1", documentRef: "Akt 1"}) { id } }"#,
        json!({"id": case, "s": source, "r": recipient, "c": category}),
    )
    .await
}

/// A consent releases the source agency's information, so only that
/// agency records it: the municipality cannot grant itself AF's records.
#[tokio::test]
async fn only_the_agency_whose_information_is_released_records_the_consent() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let case = case_with_af_record(&app, &coach, 53).await;
    let before = app.count("consent").await;
    let a = consent_as(&app, &coach, &case, "af", "lund", "LABOUR_MARKET").await;
    assert_eq!(a.codes(), vec!["FORBIDDEN"], "{:#}", a.body);
    assert!(a.errors()[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("sourceAgency")));
    assert_eq!(app.count("consent").await, before, "nothing written");
    let a = app
        .graphql(Some(&coach), RECORDS, json!({"id": case}))
        .await;
    assert_eq!(shown(&a), 0);
    assert_eq!(a.codes(), vec!["CONSENT_REQUIRED"]);

    // The municipality releases its own information the same way.
    let a = consent_as(&app, &coach, &case, "lund", "af", "ECONOMIC_SOCIAL").await;
    assert!(a.ok()["recordConsent"]["id"].is_string());
}

/// What the registering agency recorded about a person (income source,
/// target groups) is its information: another agency sees it under a
/// consent for the case, not before, and a person whose registrar is
/// unknown has it shown to nobody.
#[tokio::test]
async fn what_the_registering_agency_recorded_flows_only_under_its_consent() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let case = case_with_af_record(&app, &coach, 54).await;
    let af = app.token("af", "officer", "af-officer");
    let q =
        "query($id: ID!) { case(id: $id) { participant { givenName incomeSource targetGroups } } }";
    let a = app.graphql(Some(&af), q, json!({"id": case})).await;
    assert_eq!(a.data()["case"]["participant"]["givenName"], "Sam");
    assert_eq!(a.codes(), vec!["CONSENT_REQUIRED"; 2], "{:#}", a.body);
    assert_eq!(a.data()["case"]["participant"]["incomeSource"], Value::Null);

    consent_as(&app, &coach, &case, "lund", "af", "ECONOMIC_SOCIAL")
        .await
        .ok();
    let a = app.graphql(Some(&af), q, json!({"id": case})).await;
    assert!(a.ok()["case"]["participant"]["incomeSource"].is_string());

    // The case holds the opener's registration: AF, in a case of its own
    // for the same person, sees what it entered, not what Lund recorded.
    let afs_case = app
        .graphql(
            Some(&af),
            r#"mutation($i: OpenCaseInput!) { openCase(input: $i) { id participant { givenName incomeSource } } }"#,
            json!({"i": {"personnummer": test_pnr(54), "givenName": "Samuel", "familyName": "Tycke", "district": "Norr", "incomeSource": "SALARY"}}),
        )
        .await;
    let p = &afs_case.ok()["openCase"]["participant"];
    assert_eq!(p["givenName"], "Samuel");
    assert_eq!(p["incomeSource"], "SALARY");
    let a = app.graphql(Some(&coach), q, json!({"id": case})).await;
    assert_eq!(a.ok()["case"]["participant"]["givenName"], "Sam");
}

/// The migration that added the registrar dates existing people by the
/// lead agency of their earliest case.
#[tokio::test]
async fn existing_people_get_the_lead_agency_of_their_earliest_case_as_registrar() {
    use migration::MigratorTrait;
    use sea_orm::{EntityTrait, QueryOrder};
    let app = TestApp::start().await;
    app.seed(60, 3).await;
    let registrars = async || -> Vec<(uuid::Uuid, Option<uuid::Uuid>)> {
        entities::participant::Entity::find()
            .order_by_asc(entities::participant::Column::Id)
            .all(&app.db)
            .await
            .expect("participants")
            .into_iter()
            .map(|p| (p.id, p.registered_by_agency_id))
            .collect()
    };
    let seeded = registrars().await;
    assert_eq!(seeded.len(), 60);
    assert!(seeded.iter().all(|(_, r)| r.is_some()));
    migration::Migrator::down(&app.db, Some(2))
        .await
        .expect("down to before the registrar");
    migration::Migrator::up(&app.db, None).await.expect("up");
    assert_eq!(registrars().await, seeded);
}

/// Filtering by target group must not tell what `targetGroups` withholds:
/// another agency finds the person by it only once the registering agency
/// released that information by consent, and a caller the policy never
/// lets read target groups cannot filter by them.
#[tokio::test]
async fn a_target_group_filter_finds_only_people_whose_groups_you_may_see() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let case = app
        .graphql(
            Some(&coach),
            r#"mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }"#,
            json!({"i": {"personnummer": test_pnr(55), "givenName": "Filt", "familyName": "Rering", "district": "Norr", "targetGroups": ["INCOME_SUPPORT"]}}),
        )
        .await
        .ok()["openCase"]["id"]
        .clone();
    app.graphql(
        Some(&coach),
        r#"mutation($id: ID!) { addCaseMember(input: {caseId: $id, agency: "af", role: "officer"}) { id } }"#,
        json!({"id": case}),
    )
    .await
    .ok();
    let af = app.token("af", "officer", "af-officer");
    let count = async |token: &str| {
        app.graphql(
            Some(token),
            "{ cases(filter: {targetGroup: INCOME_SUPPORT}) { totalCount } }",
            json!({}),
        )
        .await
        .ok()["cases"]["totalCount"]
            .as_i64()
            .expect("a count")
    };
    assert_eq!(count(&coach).await, 1, "the registrar finds its own");
    assert_eq!(count(&af).await, 0, "nothing released to AF yet");
    let all = app
        .graphql(Some(&af), "{ cases { totalCount } }", json!({}))
        .await;
    assert_eq!(all.ok()["cases"]["totalCount"], 1, "AF does see the case");

    consent_as(&app, &coach, &case, "lund", "af", "ECONOMIC_SOCIAL")
        .await
        .ok();
    assert_eq!(count(&af).await, 1, "released by consent");

    let pc = app.token("lund", "placement_coordinator", "pc1");
    let a = app
        .graphql(
            Some(&pc),
            "{ cases(filter: {targetGroup: INCOME_SUPPORT}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(a.codes(), vec!["FORBIDDEN_FIELD"], "{:#}", a.body);
}

/// The migration that gave each case its own registration fills existing
/// cases from the participant row (what they showed until then).
#[tokio::test]
async fn existing_cases_get_the_participants_registration() {
    use migration::MigratorTrait;
    use sea_orm::{EntityTrait, QueryOrder};
    let app = TestApp::start().await;
    app.seed(40, 5).await;
    type Registration = (uuid::Uuid, String, String, String, Option<uuid::Uuid>, bool);
    let registrations = async || -> Vec<Registration> {
        entities::shared_case::Entity::find()
            .order_by_asc(entities::shared_case::Column::Id)
            .all(&app.db)
            .await
            .expect("cases")
            .into_iter()
            .map(|c| {
                (
                    c.id,
                    c.given_name,
                    c.district,
                    c.target_groups,
                    c.registered_by_agency_id,
                    c.protected_identity,
                )
            })
            .collect()
    };
    let seeded = registrations().await;
    assert!(seeded.iter().all(|r| !r.1.is_empty() && r.4.is_some()));
    migration::Migrator::down(&app.db, Some(1))
        .await
        .expect("down one");
    migration::Migrator::up(&app.db, None).await.expect("up");
    assert_eq!(registrations().await, seeded);
}
