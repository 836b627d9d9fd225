//! A case gives only what the case holds (issue 14, class 3): an agency
//! that opens a case for a person another agency already works with learns
//! nothing, through its case, of the other collaboration: not its consents
//! (which agencies take part, psychiatric care among them), not its
//! enrolments, not how many records another agency holds, and it cannot
//! revoke a consent given there.

use entities::{enrolment, project, sub_project};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{json, Value};
use tests::{test_pnr, TestApp};

async fn open_case(app: &TestApp, token: &str, n: u32) -> Value {
    app.open_case(token, n, "Hemlig").await
}

/// `agency` joins `case` (as `token`, who is on it).
async fn add_member(app: &TestApp, token: &str, case: &Value, agency: &str) {
    app.graphql(
        Some(token),
        r#"mutation($id: ID!, $a: String!) { addCaseMember(input: {caseId: $id, agency: $a, role: "officer"}) { id } }"#,
        json!({"id": case["id"], "a": agency}),
    )
    .await
    .ok();
}

/// Lund's own collaboration with the person: a consent releasing Lund's
/// health information to the region (psychiatric care) and an enrolment in
/// one of Lund's projects. Returns (Lund's case id, the consent's id).
async fn lunds_collaboration(app: &TestApp, n: u32) -> (Value, Value) {
    let coach = app.token("lund", "coach", "c1");
    let case = open_case(app, &coach, n).await;
    let consent = app
        .graphql(
            Some(&coach),
            r#"mutation($id: ID!) { recordConsent(input: {caseId: $id, sourceAgency: "lund", recipientAgency: "region", categories: [HEALTH], purpose: "Psykiatrisk samverkan", signedOn: "2026-01-10", collectedAt: "Möte", formVersion: "2026:1", documentRef: "Akt 3"}) { id } }"#,
            json!({"id": case["id"]}),
        )
        .await
        .ok()["recordConsent"]["id"]
        .clone();
    let now = chrono::Utc::now();
    let today = now.date_naive();
    let project = project::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        code: Set(format!("P-{n}")),
        name: Set("Insam".into()),
        funder: Set("finsam".into()),
        budget_sek: Set(1_000_000),
        period_start: Set(today),
        period_end: Set(today),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&app.db)
    .await
    .expect("project");
    let sub = sub_project::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        project_id: Set(project.id),
        code: Set(format!("SP-{n}")),
        name: Set("Insam psykiatri".into()),
        target_group: Set("psykisk ohälsa".into()),
        budget_sek: Set(100_000),
        spend_sek: Set(0),
        planned_participants: Set(10),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&app.db)
    .await
    .expect("sub-project");
    let participant: uuid::Uuid = case["participant"]["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let case_id: uuid::Uuid = case["id"].as_str().expect("id").parse().expect("uuid");
    enrolment::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        sub_project_id: Set(sub.id),
        participant_id: Set(participant),
        case_id: Set(Some(case_id)),
        enrolled_on: Set(today),
        exited_on: Set(None),
        exit_reason: Set(None),
        income_source_before: Set(entities::enums::IncomeSource::Other),
        income_source_after: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&app.db)
    .await
    .expect("enrolment");
    (case["id"].clone(), consent)
}

#[tokio::test]
async fn a_case_an_agency_opens_shows_it_nothing_of_another_collaboration() {
    let app = TestApp::start().await;
    let (lunds_case, _) = lunds_collaboration(&app, 401).await;
    let coach = app.token("lund", "coach", "c1");
    let mine = r#"query($id: ID!) { case(id: $id) { consents { recipientAgency { code } } enrolments { id } } }"#;
    let a = app
        .graphql(Some(&coach), mine, json!({"id": lunds_case}))
        .await;
    assert_eq!(a.ok()["case"]["consents"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        a.ok()["case"]["enrolments"].as_array().map(Vec::len),
        Some(1)
    );

    // AF knows only the personnummer and opens its own case.
    let af = app.token("af", "officer", "af-1");
    let afs_case = open_case(&app, &af, 401).await;
    let a = app
        .graphql(Some(&af), mine, json!({"id": afs_case["id"]}))
        .await;
    assert_eq!(a.ok()["case"]["consents"], json!([]), "{:#}", a.body);
    assert_eq!(a.ok()["case"]["enrolments"], json!([]), "{:#}", a.body);
    assert!(!a.body.to_string().contains("region"));
    // Nor through the projects: enrolments of cases in AF's scope only.
    let a = app
        .graphql(
            Some(&af),
            "{ projects { subProjects { code enrolments { id } } } }",
            json!({}),
        )
        .await;
    let projects = a.ok()["projects"].as_array().expect("projects").clone();
    let enrolments: usize = projects
        .iter()
        .flat_map(|p| p["subProjects"].as_array().cloned().unwrap_or_default())
        .map(|s| s["enrolments"].as_array().map(Vec::len).unwrap_or(0))
        .sum();
    assert_eq!(enrolments, 0, "{:#}", a.body);
}

#[tokio::test]
async fn only_those_on_a_consents_case_revoke_it() {
    let app = TestApp::start().await;
    let (_, consent) = lunds_collaboration(&app, 402).await;
    let af = app.token("af", "officer", "af-1");
    open_case(&app, &af, 402).await;
    let revoke =
        r#"mutation($id: ID!) { revokeConsent(input: {id: $id, version: 1}) { id revokedAt } }"#;
    let a = app.graphql(Some(&af), revoke, json!({"id": consent})).await;
    assert_eq!(a.codes(), vec!["NOT_FOUND"], "{:#}", a.body);
    // Unchanged: Lund's coach still sees it in force.
    let coach = app.token("lund", "coach", "c1");
    let a = app
        .graphql(Some(&coach), revoke, json!({"id": consent}))
        .await;
    assert!(
        a.ok()["revokeConsent"]["revokedAt"].is_string(),
        "{:#}",
        a.body
    );
}

#[tokio::test]
async fn a_consent_refusal_does_not_count_another_agencys_records() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let case = open_case(&app, &coach, 403).await;
    add_member(&app, &coach, &case, "af").await;
    let af = app.token("af", "integrator", "af-system");
    let rows: Vec<Value> = (0..3)
        .map(|i| json!({"externalId": format!("AF-C{i}"), "personnummer": test_pnr(403), "programme": "Rusta och matcha"}))
        .collect();
    app.graphql(
        Some(&af),
        r#"mutation($r: [EmploymentServiceRecordInput!]!) { upsertEmploymentServiceRecords(records: $r) { id } }"#,
        json!({"r": rows}),
    )
    .await
    .ok();
    let a = app
        .graphql(
            Some(&coach),
            r#"query($id: ID!) { case(id: $id) { employmentServiceRecords { programme } } }"#,
            json!({"id": case["id"]}),
        )
        .await;
    assert_eq!(a.codes(), vec!["CONSENT_REQUIRED"], "{:#}", a.body);
    let message = a.errors()[0]["message"].as_str().unwrap_or("").to_string();
    assert!(
        !message.chars().any(|c| c.is_ascii_digit()),
        "the refusal counts AF's records: {message}"
    );
}

const OPEN_AND_SHOW: &str = r#"mutation($i: OpenCaseInput!) { openCase(input: $i) {
    status consents { id } enrolments { id } members { role agency { code } }
    participant { givenName familyName district targetGroups incomeSource educationLevel protectedIdentity cases { status } }
} }"#;

fn registration(n: u32, name: &str, district: &str, groups: &[&str]) -> Value {
    json!({"i": {"personnummer": test_pnr(n), "givenName": name, "familyName": "Dubbelsson", "district": district, "targetGroups": groups}})
}

#[tokio::test]
async fn opening_a_case_for_a_known_person_answers_as_for_a_new_one() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    app.graphql(
        Some(&coach),
        OPEN_AND_SHOW,
        registration(404, "Kommunal", "Väster", &["INCOME_SUPPORT"]),
    )
    .await
    .ok();
    let af = app.token("af", "officer", "af-1");
    let known = app
        .graphql(
            Some(&af),
            OPEN_AND_SHOW,
            registration(404, "Arbets", "Norr", &[]),
        )
        .await;
    let new = app
        .graphql(
            Some(&af),
            OPEN_AND_SHOW,
            registration(405, "Arbets", "Norr", &[]),
        )
        .await;
    assert_eq!(known.body, new.body, "a known person is told apart");
    let p = &known.ok()["openCase"]["participant"];
    assert_eq!(p["givenName"], "Arbets", "what AF entered, not Lund's");
    assert_eq!(p["targetGroups"], json!([]));
    // Lund's case still shows Lund's registration.
    let a = app
        .graphql(
            Some(&coach),
            "{ cases { nodes { participant { givenName district targetGroups } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        a.ok()["cases"]["nodes"][0]["participant"],
        json!({"givenName": "Kommunal", "district": "Väster", "targetGroups": ["INCOME_SUPPORT"]})
    );
}

#[tokio::test]
async fn protected_identity_is_raised_by_anyone_and_never_lowered() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let q = r#"mutation($i: OpenCaseInput!) { openCase(input: $i) { participant { protectedIdentity } } }"#;
    let open = |protected: bool| {
        let mut i = registration(406, "Skyddad", "Norr", &[]);
        i["i"]["protectedIdentity"] = json!(protected);
        i
    };
    let a = app.graphql(Some(&coach), q, open(false)).await;
    assert_eq!(
        a.ok()["openCase"]["participant"]["protectedIdentity"],
        false
    );
    // AF learns of the protection and says so: raised for everyone.
    app.create_unit("af", "af-malmo").await;
    let af = app.token_in_unit("af", "officer", "af-1", "af-malmo");
    let a = app.graphql(Some(&af), q, open(true)).await;
    assert_eq!(a.ok()["openCase"]["participant"]["protectedIdentity"], true);
    // A later registration that does not know of it does not lower it,
    // and is not told of it either: FK's own case answers as for a new
    // person (its protection is FK's to set), while the others stay raised.
    let fk = app.token("fk", "officer", "fk-1");
    let a = app.graphql(Some(&fk), q, open(false)).await;
    assert_eq!(
        a.data()["openCase"]["participant"]["protectedIdentity"],
        false,
        "{:#}",
        a.body
    );
    let a = app
        .graphql(
            Some(&af),
            "{ cases { nodes { participant { protectedIdentity givenName } } } }",
            json!({}),
        )
        .await;
    let p = &a.data()["cases"]["nodes"][0]["participant"];
    assert_eq!(p["protectedIdentity"], true, "{:#}", a.body);
    assert_eq!(
        p["givenName"], "Skyddad",
        "the raiser's unit sees its own case"
    );
    let a = app
        .graphql(
            Some(&coach),
            "{ cases { nodes { participant { protectedIdentity givenName } } } }",
            json!({}),
        )
        .await;
    let p = &a.data()["cases"]["nodes"][0]["participant"];
    assert_eq!(p["protectedIdentity"], true, "{:#}", a.body);
    assert!(
        p["givenName"].is_null(),
        "only the owning unit sees the name"
    );
}

#[tokio::test]
async fn a_known_protected_person_is_no_different_to_a_new_one_for_an_opener() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let mut protected = registration(410, "Skyddad", "Norr", &[]);
    protected["i"]["protectedIdentity"] = json!(true);
    // Opened by a coach without a unit: a protected person nobody sees.
    let a = app.graphql(Some(&coach), OPEN_AND_SHOW, protected).await;
    assert_eq!(
        a.data()["openCase"]["participant"]["protectedIdentity"],
        true
    );
    let region = app.token("region", "officer", "r-1");
    let known = app
        .graphql(
            Some(&region),
            OPEN_AND_SHOW,
            registration(410, "Ny", "Öster", &[]),
        )
        .await;
    let new = app
        .graphql(
            Some(&region),
            OPEN_AND_SHOW,
            registration(411, "Ny", "Öster", &[]),
        )
        .await;
    assert_eq!(known.body, new.body, "protection told to an opener");
    // Nor can the region, which sees the person's id in its case, look the
    // protected person up by number.
    let by_pnr = "query($p: String!) { participantByPersonnummer(personnummer: $p) { id } }";
    let a = app
        .graphql(Some(&coach), by_pnr, json!({"p": test_pnr(410)}))
        .await;
    assert_eq!(
        a.codes(),
        vec!["NOT_FOUND"],
        "outside the owning unit: {:#}",
        a.body
    );
}

#[tokio::test]
async fn an_agency_outside_a_case_is_not_reported_as_holding_records() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let lunds = open_case(&app, &coach, 412).await;
    add_member(&app, &coach, &lunds, "fk").await;
    let fk = app.token("fk", "integrator", "fk-system");
    app.graphql(
        Some(&fk),
        r#"mutation($r: SocialInsuranceRecordInput!) { upsertSocialInsuranceRecord(record: $r) { id } }"#,
        json!({"r": {"externalId": "FK-H1", "personnummer": test_pnr(412), "benefit": "SICKNESS_BENEFIT", "periodStart": "2026-02-01"}}),
    )
    .await
    .ok();
    // The region opens its own case: whether FK holds anything about the
    // person is not the region's case's to tell.
    let region = app.token("region", "officer", "r-1");
    let own = open_case(&app, &region, 412).await;
    let fresh = open_case(&app, &region, 413).await;
    let q = r#"query($id: ID!) { case(id: $id) { socialInsuranceRecords { id } employmentServiceRecords { id } } }"#;
    let a = app
        .graphql(Some(&region), q, json!({"id": own["id"]}))
        .await;
    let b = app
        .graphql(Some(&region), q, json!({"id": fresh["id"]}))
        .await;
    assert!(a.codes().is_empty(), "{:#}", a.body);
    assert_eq!(a.body, b.body);
}
