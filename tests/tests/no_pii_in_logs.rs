//! Personnummer and names never reach the logs or spans, even at TRACE: a
//! workflow that writes and reads personal data (cases, consents, another
//! agency's records, refused fields, the auditor's queries) runs with every
//! log line and span field captured, and the capture is searched for them.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tests::{test_pnr, TestApp};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_full_workflow_logs_no_personnummer_and_no_names() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .json()
        // Every span's opening and closing with all its fields, not only events.
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        // The filter the gateway installs, at its most verbose: what an
        // operator who turns logging all the way up would see.
        .with_env_filter(gateway::observability::telemetry::filter("trace"))
        .with_writer(move || writer.clone())
        .init();

    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "c1");
    let pnr = test_pnr(11);
    let (given, family) = ("Zlatana", "Ekvallsdotter");
    let open = r#"mutation($input: OpenCaseInput!) { openCase(input: $input) { id version participant { personnummer givenName } } }"#;
    let a = app
        .graphql(Some(&coach), open, json!({"input": {"personnummer": pnr, "givenName": given, "familyName": family, "district": "Dalby"}}))
        .await;
    let case = a.ok()["openCase"].clone();
    // Reads by personnummer (both forms), a bad one, and an internal error path.
    app.graphql(
        Some(&coach),
        "query($p: String!) { participantByPersonnummer(personnummer: $p) { familyName } }",
        json!({"p": pnr}),
    )
    .await
    .ok();
    let ten = format!("{}-{}", &pnr[2..8], &pnr[8..]);
    app.graphql(
        Some(&coach),
        "query($p: String!) { participantByPersonnummer(personnummer: $p) { familyName } }",
        json!({"p": ten}),
    )
    .await
    .ok();
    app.graphql(
        Some(&coach),
        "query($p: String!) { participantByPersonnummer(personnummer: $p) { id } }",
        json!({"p": format!("{pnr}0")}),
    )
    .await;
    let af = app.token("af", "integrator", "af-system");
    app.graphql(
        Some(&af),
        r#"mutation($r: [EmploymentServiceRecordInput!]!) { upsertEmploymentServiceRecords(records: $r) { id } }"#,
        json!({"r": [{"externalId": "AF-1", "personnummer": pnr}, {"externalId": "AF-2", "personnummer": test_pnr(12)}]}),
    )
    .await;
    app.graphql(
        Some(&coach),
        r#"mutation($id: ID!) { addFollowUp(input: {caseId: $id, idempotencyKey: "k1", occurredAt: "2026-11-01T10:00:00Z", kind: NOTE, note: "Zlatana mår bättre"}) { id } }"#,
        json!({"id": case["id"]}),
    )
    .await
    .ok();

    // Consent, another agency's records, a refused field, and the auditor
    // reading the person's access log: every path that records decisions.
    app.graphql(
        Some(&coach),
        r#"mutation($id: ID!) { addCaseMember(input: {caseId: $id, agency: "af", role: "officer"}) { id } }"#,
        json!({"id": case["id"]}),
    )
    .await
    .ok();
    app.graphql(
        Some(&app.token("af", "officer", "af-officer")),
        r#"mutation($id: ID!) { recordConsent(input: {caseId: $id, sourceAgency: "af", recipientAgency: "lund", categories: [LABOUR_MARKET], purpose: "Samverkan", signedOn: "2026-01-10", collectedAt: "Lund", formVersion: "1", documentRef: "Akt 1"}) { id } }"#,
        json!({"id": case["id"]}),
    )
    .await
    .ok();
    app.graphql(
        Some(&coach),
        "query($id: ID!) { case(id: $id) { participant { personnummer givenName familyName } employmentServiceRecords { programme } followUps { note } } }",
        json!({"id": case["id"]}),
    )
    .await
    .ok();
    let pc = app.token("lund", "placement_coordinator", "pc1");
    app.graphql(
        Some(&pc),
        "query($id: ID!) { case(id: $id) { participant { personnummer givenName } } }",
        json!({"id": case["id"]}),
    )
    .await;
    let participant = app
        .graphql(
            Some(&coach),
            "query($id: ID!) { case(id: $id) { participant { id } } }",
            json!({"id": case["id"]}),
        )
        .await
        .ok()["case"]["participant"]["id"]
        .clone();
    let auditor = app.token("audit", "auditor", "dpo");
    app.graphql(
        Some(&auditor),
        "query($p: ID!) { auditTrail(participantId: $p) { operation fields decision } }",
        json!({"p": participant}),
    )
    .await
    .ok();

    let logs = String::from_utf8(capture.0.lock().expect("capture").clone()).expect("utf8");
    assert!(
        logs.len() > 1000,
        "the capture saw the requests ({} bytes)",
        logs.len()
    );
    for secret in [pnr.as_str(), &pnr[2..], &ten, given, family, &test_pnr(12)] {
        let line = logs
            .lines()
            .find(|l| l.contains(secret))
            .unwrap_or_default();
        assert!(
            !logs.contains(secret),
            "{secret:?} appears in the logs: {line}"
        );
    }
}
