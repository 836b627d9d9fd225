//! The permission matrix: every role of every demo agency against every
//! personal field of one shared case, decided by the shipped policy, the
//! row scope and the participant's consents. Each cell says what the
//! caller gets: the value (A), null with FORBIDDEN_FIELD (R), withheld for
//! want of consent (C), or the whole case refused (X).

use serde_json::{json, Value};
use tests::{test_pnr, TestApp};

const CASE: &str = r#"query($id: ID!) { case(id: $id) {
  status
  participant { personnummer givenName familyName district birthYear incomeSource targetGroups }
  followUps { note }
  plans { title }
  consents { purpose }
  employmentServiceRecords { programme }
  socialInsuranceRecords { benefit diagnosisGroup }
} }"#;

/// (label, JSON path in the answer) of each field in the matrix.
const FIELDS: &[(&str, &str)] = &[
    ("Case.status", "case.status"),
    ("Participant.personnummer", "case.participant.personnummer"),
    ("Participant.givenName", "case.participant.givenName"),
    ("Participant.familyName", "case.participant.familyName"),
    ("Participant.district", "case.participant.district"),
    ("Participant.birthYear", "case.participant.birthYear"),
    ("Participant.incomeSource", "case.participant.incomeSource"),
    ("Participant.targetGroups", "case.participant.targetGroups"),
    ("FollowUp.note", "case.followUps.0.note"),
    ("Plan.title", "case.plans.0.title"),
    ("Consent.purpose", "case.consents.0.purpose"),
    (
        "EmploymentServiceRecord.programme",
        "case.employmentServiceRecords.0.programme",
    ),
    (
        "SocialInsuranceRecord.benefit",
        "case.socialInsuranceRecords.0.benefit",
    ),
    (
        "SocialInsuranceRecord.diagnosisGroup",
        "case.socialInsuranceRecords.0.diagnosisGroup",
    ),
];

/// One row per caller; one letter per field, in the order of `FIELDS`.
/// Lund's coach registered the participant, so income source and target
/// groups are Lund's economic and social information. Consents on the
/// case: AF -> Lund (labour market), FK -> Lund (economic and social, not
/// health), FK -> AF (economic and social, health); none from Lund.
const MATRIX: &[(&str, &str, &str)] = &[
    //                                     st pn gn fn di by is tg fu pl co af fb fd
    ("lund", "coach", "AAAAAAAAAAAAAC"),
    ("lund", "officer", "AAAAAAAAAAAAAC"),
    ("lund", "placement_coordinator", "ARAAAAARRAAARR"),
    ("lund", "integrator", "XXXXXXXXXXXXXX"),
    ("af", "officer", "AAAAAACCRAAAAA"),
    ("af", "integrator", "XXXXXXXXXXXXXX"),
    ("fk", "officer", "AAAAAACCRAACAA"),
    ("fk", "integrator", "XXXXXXXXXXXXXX"),
    ("region", "officer", "AAAAAACCRAACCC"),
    ("finsam", "analyst", "XXXXXXXXXXXXXX"),
    ("audit", "auditor", "XXXXXXXXXXXXXX"),
];

async fn shared_case(app: &TestApp) -> Value {
    let coach = app.token("lund", "coach", "c1");
    let open = r#"mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }"#;
    let case = app
        .graphql(
            Some(&coach),
            open,
            json!({"i": {"personnummer": test_pnr(40), "givenName": "Matris", "familyName": "Testsson", "district": "Norra Fäladen", "targetGroups": ["INCOME_SUPPORT"], "incomeSource": "INCOME_SUPPORT"}}),
        )
        .await
        .ok()["openCase"]
        .clone();
    let id = case["id"].clone();
    for agency in ["af", "fk", "region"] {
        app.graphql(
            Some(&coach),
            r#"mutation($id: ID!, $a: String!) { addCaseMember(input: {caseId: $id, agency: $a, role: "officer"}) { id } }"#,
            json!({"id": id, "a": agency}),
        )
        .await
        .ok();
    }
    app.graphql(
        Some(&coach),
        r#"mutation($id: ID!) { addFollowUp(input: {caseId: $id, idempotencyKey: "m-1", occurredAt: "2026-11-01T10:00:00Z", kind: MEETING, note: "Samtal om praktik"}) { id } }"#,
        json!({"id": id}),
    )
    .await
    .ok();
    app.graphql(
        Some(&coach),
        r#"mutation($id: ID!) { createPlan(input: {caseId: $id, title: "Väg till arbete"}) { id } }"#,
        json!({"id": id}),
    )
    .await
    .ok();
    for (source, recipient, cats) in [
        ("af", "lund", json!(["LABOUR_MARKET"])),
        ("fk", "lund", json!(["ECONOMIC_SOCIAL"])),
        ("fk", "af", json!(["ECONOMIC_SOCIAL", "HEALTH"])),
    ] {
        // The agency whose information a consent releases records it.
        let officer = app.token(source, "officer", &format!("{source}-officer"));
        app.graphql(
            Some(&officer),
            r#"mutation($id: ID!, $s: String!, $r: String!, $c: [ConsentCategory!]!) { recordConsent(input: {caseId: $id, sourceAgency: $s, recipientAgency: $r, categories: $c, purpose: "Samverkan kring arbete", signedOn: "2026-01-10", collectedAt: "Arbetsmarknadsenheten, Lund", formVersion: "2026:1", documentRef: "Akt 40, pärm 2"}) { id } }"#,
            json!({"id": id, "s": source, "r": recipient, "c": cats}),
        )
        .await
        .ok();
    }
    let af = app.token("af", "integrator", "af-system");
    app.graphql(
        Some(&af),
        r#"mutation($r: EmploymentServiceRecordInput!) { upsertEmploymentServiceRecord(record: $r) { id } }"#,
        json!({"r": {"externalId": "AF-40", "personnummer": test_pnr(40), "programme": "Jobb- och utvecklingsgarantin"}}),
    )
    .await
    .ok();
    let fk = app.token("fk", "integrator", "fk-system");
    app.graphql(
        Some(&fk),
        r#"mutation($r: SocialInsuranceRecordInput!) { upsertSocialInsuranceRecord(record: $r) { id } }"#,
        json!({"r": {"externalId": "FK-40", "personnummer": test_pnr(40), "benefit": "SICKNESS_BENEFIT", "sickLeaveDegree": 50, "periodStart": "2026-02-01", "diagnosisGroup": "F32"}}),
    )
    .await
    .ok();
    id
}

fn at<'a>(body: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(&body["data"], |v, key| match key.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[key],
        })
}

fn error_at(body: &Value, path: &str) -> Option<String> {
    let want: Vec<String> = path.split('.').map(str::to_string).collect();
    body["errors"].as_array()?.iter().find_map(|e| {
        let p: Vec<String> = e["path"]
            .as_array()?
            .iter()
            .map(|s| match s {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        (p == want).then(|| e["extensions"]["code"].as_str().unwrap_or("").to_string())
    })
}

/// What the caller got for the field at `path`.
fn outcome(body: &Value, path: &str) -> char {
    if error_at(body, "case").as_deref() == Some("FORBIDDEN_FIELD") {
        return 'X';
    }
    match error_at(body, path).as_deref() {
        Some("FORBIDDEN_FIELD") => return 'R',
        Some("CONSENT_REQUIRED") => return 'C',
        Some(other) => panic!("{path}: unexpected {other}: {body:#}"),
        None => {}
    }
    // A list withheld whole or in part carries its error at the list.
    let list = path.rsplitn(3, '.').nth(2).unwrap_or("");
    match error_at(body, list).as_deref() {
        Some("FORBIDDEN_FIELD") => return 'R',
        Some("CONSENT_REQUIRED") if at(body, path).is_null() => return 'C',
        _ => {}
    }
    assert!(
        !at(body, path).is_null(),
        "{path}: no value and no error: {body:#}"
    );
    'A'
}

#[tokio::test]
async fn every_role_of_every_agency_gets_what_the_policy_and_consents_allow() {
    let app = TestApp::start().await;
    let case = shared_case(&app).await;
    let mut mismatches = Vec::new();
    for (agency, role, expected) in MATRIX {
        // The coach is the one who opened the case (a coach sees only their own).
        let sub = match (*agency, *role) {
            ("lund", "coach") => "c1".to_string(),
            _ => format!("{agency}-{role}"),
        };
        let token = app.token(agency, role, &sub);
        let a = app.graphql(Some(&token), CASE, json!({"id": case})).await;
        assert_eq!(a.status, 200, "{:#}", a.body);
        let got: String = FIELDS.iter().map(|(_, p)| outcome(&a.body, p)).collect();
        if got != *expected {
            mismatches.push(format!("{agency} {role}: expected {expected}, got {got}"));
        }
        // Every withheld field is listed in `extensions.redacted`, so
        // "denied" reads differently from "no data".
        let redacted = a.body["extensions"]["redacted"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (i, (name, path)) in FIELDS.iter().enumerate() {
            let cell = got.as_bytes()[i];
            if cell == b'R' || cell == b'C' {
                let listed = redacted.iter().any(|r| {
                    let p: Vec<String> = r["path"]
                        .as_array()
                        .map(|p| {
                            p.iter()
                                .map(|s| s.as_str().map(str::to_string).unwrap_or(s.to_string()))
                                .collect()
                        })
                        .unwrap_or_default();
                    path.starts_with(&p.join("."))
                });
                assert!(
                    listed,
                    "{agency} {role}: {name} withheld but not in redacted: {:#}",
                    a.body
                );
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[tokio::test]
async fn a_coach_of_another_unit_does_not_see_a_case_they_are_not_on() {
    let app = TestApp::start().await;
    let case = shared_case(&app).await;
    let other = app.token("lund", "coach", "c2");
    let a = app.graphql(Some(&other), CASE, json!({"id": case})).await;
    assert_eq!(a.codes(), vec!["NOT_FOUND"]);
    let list = app
        .graphql(Some(&other), "{ cases { totalCount } }", json!({}))
        .await;
    assert_eq!(list.ok()["cases"]["totalCount"], 0);
}

#[tokio::test]
async fn an_analyst_asking_for_a_name_gets_no_person() {
    let app = TestApp::start().await;
    let case = shared_case(&app).await;
    let analyst = app.token("finsam", "analyst", "analyst-1");
    let a = app
        .graphql(
            Some(&analyst),
            "query($id: ID!) { case(id: $id) { participant { givenName } } }",
            json!({"id": case}),
        )
        .await;
    assert_eq!(a.codes(), vec!["FORBIDDEN_FIELD"]);
    assert!(!a.body.to_string().contains("Matris"));
    let a = app
        .graphql(
            Some(&analyst),
            "{ projects { code subProjects { code enrolments { participantId } } } }",
            json!({}),
        )
        .await;
    assert!(
        a.codes().iter().all(|c| c == "FORBIDDEN_FIELD"),
        "{:#}",
        a.body
    );
}

#[tokio::test]
async fn relations_do_not_bypass_field_rules() {
    let app = TestApp::start().await;
    let case = shared_case(&app).await;
    let coach = app.token("lund", "coach", "c1");
    let slot = app
        .graphql(
            Some(&app.token("lund", "officer", "o1")),
            r#"mutation { createPlacementSlot(input: {kind: INTERNSHIP, title: "Kök", employerName: "Restaurang Lund", periodStart: "2026-01-01", periodEnd: "2026-12-31", capacity: 2}) { id } }"#,
            json!({}),
        )
        .await
        .ok()["createPlacementSlot"]["id"]
        .clone();
    app.graphql(
        Some(&coach),
        "mutation($s: ID!, $c: ID!) { startPlacement(input: {slotId: $s, caseId: $c, startedOn: \"2026-03-01\"}) { id } }",
        json!({"s": slot, "c": case}),
    )
    .await
    .ok();
    // The placement coordinator may not read personnummer: not on the case,
    // not through a placement, not through a slot's placements.
    let pc = app.token("lund", "placement_coordinator", "pc1");
    for (query, path) in [
        (
            "query($id: ID!) { case(id: $id) { placements { participant { personnummer givenName } } } }",
            vec![json!("case"), json!("placements"), json!(0), json!("participant"), json!("personnummer")],
        ),
        (
            "{ placementSlots(first: 10) { nodes { placements { participant { personnummer givenName } } } } }",
            vec![json!("placementSlots"), json!("nodes"), json!(0), json!("placements"), json!(0), json!("participant"), json!("personnummer")],
        ),
        (
            "query($id: ID!) { case(id: $id) { participant { cases { participant { personnummer givenName } } } } }",
            vec![json!("case"), json!("participant"), json!("cases"), json!(0), json!("participant"), json!("personnummer")],
        ),
    ] {
        let a = app.graphql(Some(&pc), query, json!({"id": case})).await;
        let errors = a.errors();
        assert_eq!(errors.len(), 1, "{:#}", a.body);
        assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN_FIELD");
        assert_eq!(errors[0]["path"], Value::Array(path), "{:#}", a.body);
        // The name (allowed) still comes back beside the refused number.
        assert!(a.body.to_string().contains("Matris"), "{:#}", a.body);
        assert!(!a.body.to_string().contains(&test_pnr(40)[2..8]), "{:#}", a.body);
    }
}

#[tokio::test]
async fn an_integrator_writes_only_its_own_agencys_records() {
    let app = TestApp::start().await;
    shared_case(&app).await;
    let af = app.token("af", "integrator", "af-system");
    let a = app
        .graphql(
            Some(&af),
            r#"mutation($r: SocialInsuranceRecordInput!) { upsertSocialInsuranceRecord(record: $r) { id } }"#,
            json!({"r": {"externalId": "FK-40", "personnummer": test_pnr(40), "benefit": "NONE", "periodStart": "2026-02-01"}}),
        )
        .await;
    assert_eq!(a.codes(), vec!["FORBIDDEN"]);
    let fk = app.token("fk", "integrator", "fk-system");
    let check = app
        .graphql(
            Some(&app.token("fk", "officer", "fk-1")),
            r#"{ cases { nodes { socialInsuranceRecords { benefit sickLeaveDegree } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        check.ok()["cases"]["nodes"][0]["socialInsuranceRecords"][0]["benefit"],
        "SICKNESS_BENEFIT",
        "AF's refused write changed nothing"
    );
    // Nor may FK's own integrator read the shared cases.
    let a = app
        .graphql(Some(&fk), "{ cases { totalCount } }", json!({}))
        .await;
    assert_eq!(a.codes(), vec!["FORBIDDEN_FIELD"]);
}

#[tokio::test]
async fn a_protected_identity_is_shown_only_to_the_owning_unit() {
    let app = TestApp::start().await;
    for code in ["skyddad", "annan"] {
        app.create_unit("lund", code).await;
    }
    let owner = app.token_in_unit("lund", "coach", "c-owner", "skyddad");
    let open = r#"mutation($i: OpenCaseInput!) { openCase(input: $i) { id participant { givenName personnummer } } }"#;
    let a = app
        .graphql(
            Some(&owner),
            open,
            json!({"i": {"personnummer": test_pnr(41), "givenName": "Hemlig", "familyName": "Person", "district": "Okänt", "protectedIdentity": true}}),
        )
        .await;
    let case = a.ok()["openCase"].clone();
    assert_eq!(case["participant"]["givenName"], "Hemlig");
    let id = case["id"].clone();
    app.graphql(
        Some(&owner),
        r#"mutation($id: ID!) { addCaseMember(input: {caseId: $id, agency: "af", role: "officer"}) { id } }"#,
        json!({"id": id}),
    )
    .await
    .ok();
    let q = "query($id: ID!) { case(id: $id) { participant { protectedIdentity givenName familyName personnummer district birthYear } } }";
    for token in [
        app.token_in_unit("lund", "officer", "o-annan", "annan"),
        app.token("lund", "officer", "o-none"),
        app.token("af", "officer", "af-1"),
    ] {
        let a = app.graphql(Some(&token), q, json!({"id": id})).await;
        let p = &a.data()["case"]["participant"];
        assert_eq!(p["protectedIdentity"], true);
        for f in ["givenName", "familyName", "personnummer", "district"] {
            assert!(p[f].is_null(), "{f}: {:#}", a.body);
        }
        assert!(p["birthYear"].is_number(), "non-identifying fields remain");
        assert_eq!(a.codes(), vec!["FORBIDDEN_FIELD"; 4], "{:#}", a.body);
    }
    let a = app.graphql(Some(&owner), q, json!({"id": id})).await;
    assert_eq!(a.ok()["case"]["participant"]["familyName"], "Person");
}

/// A protected identity registered by someone without a unit in their
/// token has no owning unit: nobody sees it, least of all others without
/// a unit (no unit is not a unit).
#[tokio::test]
async fn a_protected_identity_registered_without_a_unit_is_shown_to_nobody() {
    let app = TestApp::start().await;
    let registrar = app.token("lund", "coach", "c-no-unit");
    let open = r#"mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }"#;
    let id = app
        .graphql(
            Some(&registrar),
            open,
            json!({"i": {"personnummer": test_pnr(42), "givenName": "Hemlig", "familyName": "Utanenhet", "district": "Okänt", "protectedIdentity": true}}),
        )
        .await
        .ok()["openCase"]["id"]
        .clone();
    let q = "query($id: ID!) { case(id: $id) { participant { givenName familyName personnummer district } } }";
    for token in [registrar.clone(), app.token("lund", "officer", "o-no-unit")] {
        let a = app.graphql(Some(&token), q, json!({"id": id})).await;
        let p = &a.data()["case"]["participant"];
        for f in ["givenName", "familyName", "personnummer", "district"] {
            assert!(p[f].is_null(), "{f}: {:#}", a.body);
        }
        assert_eq!(a.codes(), vec!["FORBIDDEN_FIELD"; 4], "{:#}", a.body);
    }
}

/// Refused writes are attempts on personal data: the auditor sees them as
/// denied, whether the policy refused the operation or the data's own rule
/// did (a consent only the source agency records).
#[tokio::test]
async fn refused_writes_are_audited_as_denied() {
    let app = TestApp::start().await;
    let af = app.token("af", "integrator", "af-system");
    let a = app
        .graphql(
            Some(&af),
            r#"mutation($r: SocialInsuranceRecordInput!) { upsertSocialInsuranceRecord(record: $r) { id } }"#,
            json!({"r": {"externalId": "FK-9", "personnummer": test_pnr(43), "benefit": "SICKNESS_BENEFIT", "periodStart": "2026-02-01"}}),
        )
        .await;
    assert_eq!(a.codes(), vec!["FORBIDDEN"]);
    let coach = app.token("lund", "coach", "c1");
    let case = app
        .graphql(
            Some(&coach),
            r#"mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }"#,
            json!({"i": {"personnummer": test_pnr(43), "givenName": "Neka", "familyName": "Skrivsson", "district": "Väster"}}),
        )
        .await
        .ok()["openCase"]["id"]
        .clone();
    let a = app
        .graphql(
            Some(&coach),
            r#"mutation($id: ID!) { recordConsent(input: {caseId: $id, sourceAgency: "fk", recipientAgency: "lund", categories: [HEALTH], purpose: "Samverkan", signedOn: "2026-01-10", collectedAt: "Lund", formVersion: "1", documentRef: "Akt 1"}) { id } }"#,
            json!({"id": case}),
        )
        .await;
    assert_eq!(a.codes(), vec!["FORBIDDEN"]);

    let auditor = app.token("audit", "auditor", "dpo");
    let a = app
        .graphql(
            Some(&auditor),
            "{ auditEvents(filter: {decision: DENIED}) { nodes { agency subject operation fields } } }",
            json!({}),
        )
        .await;
    let events = a.ok()["auditEvents"]["nodes"].clone();
    let denied = |agency: &str, field: &str| {
        events.as_array().expect("events").iter().any(|e| {
            e["agency"] == agency
                && e["fields"]
                    .as_array()
                    .is_some_and(|f| f.iter().any(|f| f == field))
        })
    };
    assert!(
        denied("af", "Mutation.upsertSocialInsuranceRecord"),
        "{events:#}"
    );
    assert!(denied("lund", "Mutation.recordConsent"), "{events:#}");
}

/// A document whose root selections all sit in fragments (spread or
/// inline) is audited under the operation's real root fields, not as an
/// operation that read nothing.
#[tokio::test]
async fn an_operation_whose_root_is_a_fragment_is_audited_by_what_it_reads() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let case = app.open_case(&coach, 44, "Frida").await["id"].clone();
    let a = app
        .graphql(
            Some(&coach),
            r#"query Hidden($id: ID!) { ...Root ... on Query { me { subject } } }
               fragment Root on Query { ...Deeper }
               fragment Deeper on Query { case(id: $id) { participant { givenName } } }"#,
            json!({"id": case}),
        )
        .await;
    assert_eq!(a.ok()["case"]["participant"]["givenName"], "Frida");

    let events = app.audit_events(json!({ "agency": "lund" })).await;
    let read = events
        .iter()
        .find(|e| {
            e["fields"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| f == "Participant.givenName"))
                && e["operation"]
                    .as_str()
                    .is_some_and(|o| o.starts_with("query Hidden"))
        })
        .unwrap_or_else(|| panic!("no audited read by Hidden: {events:#?}"));
    assert_eq!(read["operation"], "query Hidden (case, me)", "{read:#}");
}
