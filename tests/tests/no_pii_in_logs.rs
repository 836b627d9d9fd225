//! Personnummer and names never reach the logs, even at TRACE: a workflow
//! that writes and reads personal data runs with every log captured, and
//! the capture is searched for them.

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
        .with_max_level(tracing::Level::TRACE)
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

    let logs = String::from_utf8(capture.0.lock().expect("capture").clone()).expect("utf8");
    assert!(
        logs.len() > 1000,
        "the capture saw the requests ({} bytes)",
        logs.len()
    );
    for secret in [pnr.as_str(), &pnr[2..], &ten, given, family, &test_pnr(12)] {
        assert!(!logs.contains(secret), "{secret:?} appears in the logs");
    }
}
