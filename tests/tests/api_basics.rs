//! Health, authentication at the HTTP edge, the checked-in schema, and the
//! coach's everyday reads and writes.

use serde_json::json;
use tests::{test_pnr, TestApp};

const OPEN_CASE: &str = r#"mutation($input: OpenCaseInput!) { openCase(input: $input) { id version status participant { id personnummer givenName } } }"#;

fn open_input(pnr: &str) -> serde_json::Value {
    json!({ "input": { "personnummer": pnr, "givenName": "Testa", "familyName": "Testsson", "district": "Norr", "targetGroups": ["INCOME_SUPPORT"] } })
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::start().await;
    let live = app
        .http()
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(live.status(), 200);
    let ready = app
        .http()
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["cache"], "ok");
    let expected = if tests::redis_url().is_some() {
        "redis"
    } else {
        "memory"
    };
    assert_eq!(body["cache_backend"], expected);
}

#[tokio::test]
async fn no_token_means_no_personal_data() {
    let app = TestApp::start().await;
    let a = app
        .graphql(None, "{ __typename cases { totalCount } }", json!({}))
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.data()["__typename"], "Query");
    assert_eq!(a.codes(), vec!["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn a_bad_token_is_refused_with_an_rfc6750_challenge_that_does_not_echo_it() {
    let app = TestApp::start().await;
    let token = app.token("lund", "coach", "c1");
    let tampered = format!("{}x", token);
    let a = app
        .graphql(Some(&tampered), "{ me { subject } }", json!({}))
        .await;
    assert_eq!(a.status, 401);
    assert_eq!(a.codes(), vec!["UNAUTHENTICATED"]);
    let challenge = a.headers["www-authenticate"].to_str().expect("ascii");
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(!a.body.to_string().contains(&token[..20]), "token echoed");

    // Expired, but otherwise genuine.
    let mut claims = gateway::auth::claims::Claims {
        iss: app.issuer.issuer_for("lund"),
        sub: "c1".into(),
        aud: gateway::auth::claims::Audience::One("samverkan-gateway".into()),
        exp: chrono::Utc::now().timestamp() - 3600,
        nbf: None,
        iat: None,
        agency: Some("lund".into()),
        roles: vec!["coach".into()],
        unit: None,
        scope: None,
        name: None,
        azp: None,
    };
    let expired = app.issuer.sign("lund", &claims).expect("sign");
    let a = app
        .graphql(Some(&expired), "{ me { subject } }", json!({}))
        .await;
    assert_eq!(a.status, 401);
    assert!(a.errors()[0]["message"]
        .as_str()
        .expect("msg")
        .contains("expired"));

    // Signed by lund's key but claiming to be AF: the issuer binds the agency.
    claims.exp = chrono::Utc::now().timestamp() + 600;
    claims.agency = Some("af".into());
    let forged = app.issuer.sign("lund", &claims).expect("sign");
    let a = app
        .graphql(Some(&forged), "{ me { subject } }", json!({}))
        .await;
    assert_eq!(a.status, 401);
}

#[tokio::test]
async fn me_reflects_the_token() {
    let app = TestApp::start().await;
    let t = app.token("af", "officer", "af-77");
    let a = app
        .graphql(
            Some(&t),
            "{ me { subject roles agency { code kind } staff { id } } }",
            json!({}),
        )
        .await;
    let me = &a.ok()["me"];
    assert_eq!(me["subject"], "af-77");
    assert_eq!(me["roles"], json!(["officer"]));
    assert_eq!(me["agency"]["code"], "af");
    assert_eq!(me["agency"]["kind"], "EMPLOYMENT_SERVICE");
    assert!(
        me["staff"]["id"].is_string(),
        "staff row created on first sight"
    );
}

#[tokio::test]
async fn a_coach_opens_a_case_and_sees_it_in_the_caseload_but_another_coach_does_not() {
    let app = TestApp::start().await;
    let coach = app.token("lund", "coach", "coach-a");
    let other = app.token("lund", "coach", "coach-b");
    let pnr = test_pnr(1);
    let a = app.graphql(Some(&coach), OPEN_CASE, open_input(&pnr)).await;
    let case = &a.ok()["openCase"];
    assert_eq!(case["status"], "ASSESSMENT");
    assert_eq!(case["participant"]["personnummer"], pnr);

    let load = "{ me { caseload { totalCount edges { node { id participant { givenName } } } } } }";
    let mine = app.graphql(Some(&coach), load, json!({})).await;
    assert_eq!(mine.ok()["me"]["caseload"]["totalCount"], 1);
    let theirs = app.graphql(Some(&other), load, json!({})).await;
    assert_eq!(theirs.ok()["me"]["caseload"]["totalCount"], 0);
    let direct = app
        .graphql(
            Some(&other),
            "query($id: ID!) { case(id: $id) { id } }",
            json!({"id": case["id"]}),
        )
        .await;
    assert_eq!(
        direct.codes(),
        vec!["NOT_FOUND"],
        "a case out of scope is not revealed"
    );
    let by_pnr = app
        .graphql(
            Some(&other),
            "query($p: String!) { participantByPersonnummer(personnummer: $p) { id } }",
            json!({"p": pnr}),
        )
        .await;
    assert_eq!(by_pnr.codes(), vec!["NOT_FOUND"]);
    let mine_by_pnr = app
        .graphql(
            Some(&coach),
            "query($p: String!) { participantByPersonnummer(personnummer: $p) { id } }",
            json!({"p": pnr.replace("1980", "80")[..6].to_string() + "-" + &pnr[8..]}),
        )
        .await;
    assert_eq!(
        mine_by_pnr.ok()["participantByPersonnummer"]["id"],
        case["participant"]["id"],
        "10-digit form finds the same person"
    );
}

#[tokio::test]
async fn the_checked_in_schema_matches_the_code() {
    let checked_in = include_str!("../../gateway/schema.graphql");
    let current = gateway::graphql::sdl();
    assert!(
        checked_in == current,
        "gateway/schema.graphql is out of date: run `cargo run -p gateway -- print-schema > gateway/schema.graphql` and review the diff"
    );
}

#[tokio::test]
async fn mutations_over_get_are_refused() {
    let app = TestApp::start().await;
    let t = app.token("lund", "coach", "c1");
    let resp = app
        .http()
        .get(app.url("/graphql"))
        .query(&[(
            "query",
            "mutation { closeCase(input: {id: \"x\", version: 1, outcome: WORK}) { id } }",
        )])
        .bearer_auth(&t)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 405);
    let ok = app
        .http()
        .get(app.url("/graphql"))
        .query(&[("query", "{ me { subject } }")])
        .bearer_auth(&t)
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status(), 200);
}
