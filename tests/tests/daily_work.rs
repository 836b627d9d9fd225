//! The coach's, officer's and placement coordinator's daily work, end to
//! end over HTTP on seeded synthetic data.

use serde_json::{json, Value};
use tests::{test_pnr, TestApp};

async fn seeded(participants: usize) -> TestApp {
    let app = TestApp::start().await;
    app.seed(participants, 3).await;
    app
}

async fn open_case(app: &TestApp, token: &str, n: u32) -> Value {
    let q = r#"mutation($input: OpenCaseInput!) { openCase(input: $input) { id version } }"#;
    app.graphql(Some(token), q, json!({ "input": { "personnummer": test_pnr(n), "givenName": "Testa", "familyName": "Testsson", "district": "Norr" } }))
        .await
        .ok()["openCase"]
        .clone()
}

#[tokio::test]
async fn plan_goals_and_the_ladder() {
    let app = seeded(20).await;
    let coach = app.token("lund", "coach", "coach-x");
    let case = open_case(&app, &coach, 1).await;
    let plan = app
        .graphql(Some(&coach), r#"mutation($c: ID!) { createPlan(input: {caseId: $c, title: "Väg till arbete"}) { id } }"#, json!({"c": case["id"]}))
        .await;
    let plan_id = plan.ok()["createPlan"]["id"].clone();
    let goal = app
        .graphql(Some(&coach), r#"mutation($p: ID!) { addGoal(input: {planId: $p, description: "Klara praktik i köket", dueOn: "2027-03-01"}) { id version status } }"#, json!({"p": plan_id}))
        .await;
    let goal = goal.ok()["addGoal"].clone();
    assert_eq!(goal["status"], "NOT_STARTED");
    let sub = app
        .graphql(Some(&coach), r#"mutation($p: ID!, $g: ID!) { addGoal(input: {planId: $p, parentGoalId: $g, description: "Hygienutbildning"}) { parentGoalId } }"#, json!({"p": plan_id, "g": goal["id"]}))
        .await;
    assert_eq!(sub.ok()["addGoal"]["parentGoalId"], goal["id"]);
    let set = r#"mutation($id: ID!, $v: Int!) { setGoalStatus(input: {id: $id, version: $v, status: ACHIEVED}) { status version } }"#;
    let done = app
        .graphql(Some(&coach), set, json!({"id": goal["id"], "v": 1}))
        .await;
    assert_eq!(done.ok()["setGoalStatus"]["version"], 2);
    let stale = app
        .graphql(Some(&coach), set, json!({"id": goal["id"], "v": 1}))
        .await;
    assert_eq!(stale.codes(), vec!["CONFLICT"]);

    let steps = app
        .graphql(
            Some(&coach),
            r#"{ ladderSteps(track: "kitchen_assistant") { id ordinal name } }"#,
            json!({}),
        )
        .await;
    let steps = steps.ok()["ladderSteps"].as_array().expect("steps").clone();
    assert!(steps.len() >= 3, "{steps:?}");
    let mv = r#"mutation($c: ID!, $v: Int!, $s: ID!) { moveToLadderStep(input: {caseId: $c, caseVersion: $v, stepId: $s}) { step { ordinal } leftOn } }"#;
    app.graphql(
        Some(&coach),
        mv,
        json!({"c": case["id"], "v": 1, "s": steps[0]["id"]}),
    )
    .await
    .ok();
    app.graphql(
        Some(&coach),
        mv,
        json!({"c": case["id"], "v": 2, "s": steps[1]["id"]}),
    )
    .await
    .ok();
    // Another device still at version 2.
    let stale = app
        .graphql(
            Some(&coach),
            mv,
            json!({"c": case["id"], "v": 2, "s": steps[2]["id"]}),
        )
        .await;
    assert_eq!(stale.codes(), vec!["CONFLICT"]);
    let history = app
        .graphql(Some(&coach), r#"query($c: ID!) { case(id: $c) { ladderSteps { leftOn step { ordinal } } plans { goals { description } } } }"#, json!({"c": case["id"]}))
        .await;
    let entries = history.ok()["case"]["ladderSteps"]
        .as_array()
        .expect("entries")
        .clone();
    assert_eq!(entries.len(), 2);
    assert!(
        entries[0]["leftOn"].is_string(),
        "the earlier step was closed"
    );
    assert!(entries[1]["leftOn"].is_null(), "the current step is open");
}

#[tokio::test]
async fn slots_placements_and_the_allocation_model() {
    let app = seeded(60).await;
    let coordinator = app.token(
        "lund",
        "placement_coordinator",
        gateway::demo::DEMO_PLACEMENT_COORDINATOR,
    );
    let coach = app.token("lund", "coach", "coach-y");
    let year = chrono::Local::now()
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .expect("year");

    let model = app
        .graphql(Some(&coordinator), "query($y: Int!) { allocationModel(year: $y) { year status departments { department { id name } kind target filled endedEarly fillRate } } }", json!({"y": year}))
        .await;
    let departments = model.ok()["allocationModel"]["departments"]
        .as_array()
        .expect("departments")
        .clone();
    assert!(!departments.is_empty());
    let dept_id = departments[0]["department"]["id"].clone();

    // The coordinator creates a slot with room for one, the coach fills it.
    let create = r#"mutation($d: ID!, $s: NaiveDate!, $e: NaiveDate!) { createPlacementSlot(input: {kind: INTERNSHIP, title: "Praktik kök", departmentId: $d, periodStart: $s, periodEnd: $e, supervisorName: "Handledare H", supervisorTrained: true, capacity: 1}) { id capacity } }"#;
    let (start, end) = (format!("{year}-01-01"), format!("{year}-12-31"));
    let slot = app
        .graphql(
            Some(&coordinator),
            create,
            json!({"d": dept_id, "s": start, "e": end}),
        )
        .await;
    let slot = slot.ok()["createPlacementSlot"].clone();
    let refused = app
        .graphql(
            Some(&coach),
            create,
            json!({"d": dept_id, "s": start, "e": end}),
        )
        .await;
    assert_eq!(
        refused.codes(),
        vec!["FORBIDDEN"],
        "coaches do not create slots"
    );
    let bad = app
        .graphql(
            Some(&coordinator),
            create,
            json!({"d": dept_id, "s": end, "e": start}),
        )
        .await;
    assert_eq!(bad.codes(), vec!["BAD_USER_INPUT"]);

    let (a, b) = (
        open_case(&app, &coach, 1).await,
        open_case(&app, &coach, 2).await,
    );
    let place = r#"mutation($s: ID!, $c: ID!, $d: NaiveDate!) { startPlacement(input: {slotId: $s, caseId: $c, startedOn: $d}) { id version status } }"#;
    let placed = app
        .graphql(
            Some(&coach),
            place,
            json!({"s": slot["id"], "c": a["id"], "d": format!("{year}-02-01")}),
        )
        .await;
    let placement = placed.ok()["startPlacement"].clone();
    let full = app
        .graphql(
            Some(&coach),
            place,
            json!({"s": slot["id"], "c": b["id"], "d": format!("{year}-02-01")}),
        )
        .await;
    assert_eq!(full.codes(), vec!["BAD_USER_INPUT"], "the slot is full");
    assert_eq!(full.errors()[0]["extensions"]["field"], "slotId");

    let end_q = r#"mutation($id: ID!, $v: Int!, $d: NaiveDate!) { endPlacement(input: {id: $id, version: $v, endedOn: $d, status: ENDED_EARLY, outcome: "Sjukdom"}) { status version } }"#;
    let ended = app
        .graphql(
            Some(&coach),
            end_q,
            json!({"id": placement["id"], "v": placement["version"], "d": format!("{year}-03-01")}),
        )
        .await;
    assert_eq!(ended.ok()["endPlacement"]["status"], "ENDED_EARLY");

    // The allocation model counts it as filled and ended early in its department and kind.
    let after = app
        .graphql(Some(&coordinator), "query($y: Int!) { allocationModel(year: $y) { departments { department { id } kind filled endedEarly } } }", json!({"y": year}))
        .await;
    let find = |v: &Value| {
        v["allocationModel"]["departments"]
            .as_array()
            .expect("departments")
            .iter()
            .find(|d| d["department"]["id"] == dept_id && d["kind"] == "INTERNSHIP")
            .map(|d| {
                (
                    d["filled"].as_i64().unwrap_or(0),
                    d["endedEarly"].as_i64().unwrap_or(0),
                )
            })
            .unwrap_or((0, 0))
    };
    let (before_filled, before_early) = find(model.data());
    let (filled, early) = find(after.ok());
    assert_eq!((filled, early), (before_filled + 1, before_early + 1));

    let slots = app
        .graphql(Some(&coordinator), "query($y: Int!) { placementSlots(first: 100, filter: {year: $y, kind: [INTERNSHIP]}) { totalCount edges { node { id kind } } } }", json!({"y": year}))
        .await;
    let slots = slots.ok()["placementSlots"].clone();
    assert!(slots["totalCount"].as_u64().expect("count") >= 1);
    assert!(slots["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .all(|e| e["node"]["kind"] == "INTERNSHIP"));

    let projects = app
        .graphql(
            Some(&coordinator),
            "{ projects { code subProjects { code plannedParticipants } } }",
            json!({}),
        )
        .await;
    let codes: Vec<String> = projects.ok()["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .flat_map(|p| p["subProjects"].as_array().cloned().unwrap_or_default())
        .filter_map(|s| s["code"].as_str().map(str::to_string))
        .collect();
    assert!(
        codes.iter().any(|c| c.to_lowercase().contains("usb")),
        "{codes:?}"
    );
}

#[tokio::test]
async fn concurrent_placements_never_overbook_a_slot() {
    let app = seeded(20).await;
    let coordinator = app.token(
        "lund",
        "placement_coordinator",
        gateway::demo::DEMO_PLACEMENT_COORDINATOR,
    );
    let coach = app.token("lund", "coach", "coach-z");
    let year = chrono::Local::now().format("%Y").to_string();
    let create = r#"mutation($s: NaiveDate!, $e: NaiveDate!) { createPlacementSlot(input: {kind: EMPLOYER_PLACEMENT, title: "APP lager", employerName: "Lagerbolaget AB", periodStart: $s, periodEnd: $e, capacity: 1}) { id } }"#;
    let slot = app
        .graphql(
            Some(&coordinator),
            create,
            json!({"s": format!("{year}-01-01"), "e": format!("{year}-12-31")}),
        )
        .await
        .ok()["createPlacementSlot"]["id"]
        .clone();
    let mut cases = Vec::new();
    for n in 0..8 {
        cases.push(open_case(&app, &coach, 100 + n).await["id"].clone());
    }
    let place = r#"mutation($s: ID!, $c: ID!, $d: NaiveDate!) { startPlacement(input: {slotId: $s, caseId: $c, startedOn: $d}) { id } }"#;
    let attempts = cases.iter().map(|c| {
        app.graphql(
            Some(&coach),
            place,
            json!({"s": slot, "c": c, "d": format!("{year}-06-01")}),
        )
    });
    let answers = futures::future::join_all(attempts).await;
    let placed = answers.iter().filter(|a| a.errors().is_empty()).count();
    assert_eq!(placed, 1, "exactly one of eight gets the last seat");
    let rows = app.count("placement").await;
    let before: i64 = rows; // includes the seeded placements
    let again = app
        .graphql(
            Some(&coach),
            place,
            json!({"s": slot, "c": cases[0], "d": format!("{year}-06-02")}),
        )
        .await;
    assert_eq!(again.codes(), vec!["BAD_USER_INPUT"]);
    assert_eq!(
        app.count("placement").await,
        before,
        "nothing more was written"
    );
}
