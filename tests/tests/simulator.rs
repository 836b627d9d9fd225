//! The agency simulator speaks its contract (`deploy/openapi/`): real HTTP
//! against `Simulator::start`, and the `agency-simulator` binary once.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use tests::simulator::{Mode, SimAgency, Simulator, SimulatorConfig};

const A: &str = "198001019800";
const B: &str = "198001029801";
const C: &str = "198001039802";
const UNKNOWN: &str = "199912319999";
const SECRET: &str = "s3cr:t +ä/%";

fn af(id: &str, pnr: &str, programme: &str) -> Value {
    json!({
        "externalId": id, "personnummer": pnr, "registeredOn": "2024-02-01",
        "programme": programme, "supportDecision": null, "officerRef": "AF-17",
        "lastContactOn": null, "version": 1, "updatedAt": "2024-02-01T09:00:00Z",
    })
}

fn fk(id: &str, pnr: &str, benefit: &str) -> Value {
    json!({
        "externalId": id, "personnummer": pnr, "benefit": benefit,
        "sickLeaveDegree": 50, "periodStart": "2024-03-01", "periodEnd": null,
        "rehabilitationCoordination": true, "diagnosisGroup": null,
        "version": 2, "updatedAt": "2024-03-01T09:00:00+01:00",
    })
}

async fn start(agency: SimAgency) -> Simulator {
    let sim = Simulator::start(SimulatorConfig::new(agency, "gateway", SECRET)).await;
    match agency {
        SimAgency::EmploymentService => sim.load(vec![
            af("af-1", A, "Rusta och matcha"),
            af("af-2", B, "Arbetsträning"),
            af("af-3", A, "Jobbgarantin"),
            af("af-4", C, "Studiemotiverande kurs"),
        ]),
        SimAgency::SocialInsurance => sim.load(vec![
            fk("fk-1", B, "sickness_benefit"),
            fk("fk-2", A, "activity_compensation"),
        ]),
    }
    sim
}

/// RFC 6749 2.3.1: the id and secret are form-urlencoded inside Basic.
fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

fn basic(id: &str, secret: &str) -> String {
    use base64::Engine;
    let pair = format!("{}:{}", form_encode(id), form_encode(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

async fn token(http: &reqwest::Client, sim: &Simulator) -> String {
    let resp = http
        .post(sim.token_url())
        .header("Authorization", basic("gateway", SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("JSON");
    body["access_token"].as_str().expect("a token").to_string()
}

async fn lookup(
    http: &reqwest::Client,
    sim: &Simulator,
    token: Option<&str>,
    body: Value,
) -> reqwest::Result<reqwest::Response> {
    let mut req = http.post(sim.lookup_url()).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await
}

async fn ids(resp: reqwest::Response) -> Vec<String> {
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("JSON");
    body["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["externalId"].as_str().expect("externalId").to_string())
        .collect()
}

#[tokio::test]
async fn token_endpoint_takes_basic_or_form_and_refuses_others() {
    let sim = start(SimAgency::EmploymentService).await;
    let http = reqwest::Client::new();

    let resp = http
        .post(sim.token_url())
        .header("Authorization", basic("gateway", SECRET))
        .form(&[("grant_type", "client_credentials"), ("scope", "records")])
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() >= 32));

    let form = http
        .post(sim.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "gateway"),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(form.status(), StatusCode::OK);

    for auth in [basic("gateway", "wrong"), basic("other", SECRET)] {
        let resp = http
            .post(sim.token_url())
            .header("Authorization", auth)
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token request");
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let body: Value = resp.json().await.expect("JSON");
        assert_eq!(body["error"], "invalid_client");
    }
    let no_client = http
        .post(sim.token_url())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token request");
    assert_eq!(no_client.status(), StatusCode::UNAUTHORIZED);

    let grant = http
        .post(sim.token_url())
        .header("Authorization", basic("gateway", SECRET))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .expect("token request");
    assert_eq!(grant.status(), StatusCode::BAD_REQUEST);
    let body: Value = grant.json().await.expect("JSON");
    assert_eq!(body["error"], "unsupported_grant_type");
    assert_eq!(sim.token_requests(), 6);
}

#[tokio::test]
async fn lookups_need_a_valid_token() {
    let sim = start(SimAgency::EmploymentService).await;
    let http = reqwest::Client::new();
    let body = json!({ "personnummer": [A] });

    for t in [None, Some("not-a-token")] {
        let resp = lookup(&http, &sim, t, body.clone())
            .await
            .expect("response");
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            resp.headers()["www-authenticate"],
            "Bearer error=\"invalid_token\""
        );
        let err: Value = resp.json().await.expect("JSON");
        assert_eq!(err, json!({ "error": "invalid_token" }));
    }

    sim.set_token_lifetime(Duration::from_secs(1));
    let short = token(&http, &sim).await;
    let resp = lookup(&http, &sim, Some(&short), body.clone())
        .await
        .expect("response");
    assert_eq!(ids(resp).await, ["af-1", "af-3"]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let resp = lookup(&http, &sim, Some(&short), body)
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(sim.lookups(), 4);
    assert_eq!(sim.unauthorized(), 3);
    assert_eq!(sim.lookup_sizes(), [1]);
}

#[tokio::test]
async fn lookup_returns_the_asked_persons_records_in_data_order() {
    let sim = start(SimAgency::EmploymentService).await;
    let http = reqwest::Client::new();
    let t = token(&http, &sim).await;

    let resp = lookup(
        &http,
        &sim,
        Some(&t),
        json!({ "personnummer": [C, UNKNOWN, A] }),
    )
    .await
    .expect("response");
    assert_eq!(ids(resp).await, ["af-1", "af-3", "af-4"]);
    let resp = lookup(&http, &sim, Some(&t), json!({ "personnummer": [UNKNOWN] }))
        .await
        .expect("response");
    assert!(ids(resp).await.is_empty());
    assert_eq!(sim.lookup_sizes(), [3, 1]);

    let fk_sim = start(SimAgency::SocialInsurance).await;
    let t = token(&http, &fk_sim).await;
    let resp = lookup(&http, &fk_sim, Some(&t), json!({ "personnummer": [A, B] }))
        .await
        .expect("response");
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["records"][0], fk("fk-1", B, "sickness_benefit"));
    assert_eq!(body["records"][1]["benefit"], "activity_compensation");
    // AF's path does not exist on FK's server.
    let wrong = http
        .post(format!(
            "{}/v1/employment-service-records/lookup",
            fk_sim.url()
        ))
        .bearer_auth(&t)
        .json(&json!({ "personnummer": [A] }))
        .send()
        .await
        .expect("response");
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn lookup_bodies_outside_the_contract_are_400() {
    let sim = start(SimAgency::EmploymentService).await;
    let http = reqwest::Client::new();
    let t = token(&http, &sim).await;

    let many: Vec<String> = (0..501).map(|i| format!("19800101{i:04}")).collect();
    let bad = [
        json!({ "personnummer": many }),
        json!({ "personnummer": [] }),
        json!({ "personnummer": ["19800101980"] }),
        json!({ "personnummer": ["19800101-9800"] }),
        json!({ "personnummer": [198001019800u64] }),
        json!({ "personnummer": [A], "extra": true }),
        json!([A]),
    ];
    for body in bad {
        let resp = lookup(&http, &sim, Some(&t), body).await.expect("response");
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let err: Value = resp.json().await.expect("JSON");
        assert_eq!(err["error"], "bad_request");
        let message = err["message"].as_str().expect("a message");
        assert!(!message.contains("1980"), "echoes input: {message}");
    }
    let not_json = http
        .post(sim.lookup_url())
        .bearer_auth(&t)
        .body("personnummer=198001019800")
        .send()
        .await
        .expect("response");
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);

    let five_hundred: Vec<String> = (0..500).map(|i| format!("19800101{i:04}")).collect();
    let resp = lookup(
        &http,
        &sim,
        Some(&t),
        json!({ "personnummer": five_hundred }),
    )
    .await
    .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(sim.lookup_sizes(), [500]);
}

#[tokio::test]
async fn traceparent_is_recorded_and_healthz_answers() {
    let sim = start(SimAgency::SocialInsurance).await;
    let http = reqwest::Client::new();
    let t = token(&http, &sim).await;
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let resp = http
        .post(sim.lookup_url())
        .bearer_auth(&t)
        .header("traceparent", tp)
        .header("tracestate", "vendor=1")
        .json(&json!({ "personnummer": [B] }))
        .send()
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    lookup(&http, &sim, Some(&t), json!({ "personnummer": [B] }))
        .await
        .expect("response");
    assert_eq!(sim.traceparents(), [tp]);

    let health = http
        .get(format!("{}/healthz", sim.url()))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.text().await.expect("text"), "ok");
}

#[tokio::test]
async fn slow_fail_and_garbage_modes() {
    let sim = start(SimAgency::EmploymentService).await;
    let http = reqwest::Client::new();
    let t = token(&http, &sim).await;
    let body = json!({ "personnummer": [B] });

    sim.set_mode(Mode::Slow(Duration::from_millis(300)));
    let started = Instant::now();
    let resp = lookup(&http, &sim, Some(&t), body.clone())
        .await
        .expect("response");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(ids(resp).await, ["af-2"]);

    for status in [503u16, 429, 500] {
        sim.set_mode(Mode::Fail(status));
        let resp = lookup(&http, &sim, Some(&t), body.clone())
            .await
            .expect("response");
        assert_eq!(resp.status().as_u16(), status);
        assert_eq!(
            resp.headers().get("retry-after").is_some(),
            status != 500,
            "Retry-After on 429 and 503 only"
        );
        let err: Value = resp.json().await.expect("JSON");
        assert_eq!(err, json!({ "error": "unavailable" }));
    }

    sim.set_mode(Mode::Garbage);
    let resp = lookup(&http, &sim, Some(&t), body).await.expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.expect("text");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
}

#[tokio::test]
async fn malformed_mode_breaks_only_the_first_record() {
    let http = reqwest::Client::new();
    let af_sim = start(SimAgency::EmploymentService).await;
    let t = token(&http, &af_sim).await;
    af_sim.set_mode(Mode::Malformed);
    let resp = lookup(&http, &af_sim, Some(&t), json!({ "personnummer": [A] }))
        .await
        .expect("response");
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["records"][0]["registeredOn"], "not-a-date");
    assert_eq!(body["records"][1], af("af-3", A, "Jobbgarantin"));

    let fk_sim = start(SimAgency::SocialInsurance).await;
    let t = token(&http, &fk_sim).await;
    fk_sim.set_mode(Mode::Malformed);
    let resp = lookup(
        &http,
        &fk_sim,
        Some(&t),
        json!({ "personnummer": [UNKNOWN] }),
    )
    .await
    .expect("response");
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["records"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["records"][0]["benefit"], "bogus");
}

#[tokio::test]
async fn huge_mode_streams_at_least_the_size() {
    let sim = start(SimAgency::EmploymentService).await;
    let http = reqwest::Client::new();
    let t = token(&http, &sim).await;
    sim.set_mode(Mode::Huge(3_000_000));
    let resp = lookup(&http, &sim, Some(&t), json!({ "personnummer": [A] }))
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.expect("body");
    assert!(bytes.len() >= 3_000_000, "{} bytes", bytes.len());
    let body: Value = serde_json::from_slice(&bytes).expect("valid JSON");
    assert!(body["records"][0]["programme"]
        .as_str()
        .is_some_and(|p| p.len() > 2_900_000));
}

#[tokio::test]
async fn drop_mode_closes_the_connection_without_a_response() {
    let sim = start(SimAgency::SocialInsurance).await;
    let http = reqwest::Client::new();
    let t = token(&http, &sim).await;
    let body = json!({ "personnummer": [A] });
    // A pooled keep-alive connection exists before the mode changes.
    lookup(&http, &sim, Some(&t), body.clone())
        .await
        .expect("response");

    sim.set_mode(Mode::Drop);
    for _ in 0..2 {
        let err = lookup(&http, &sim, Some(&t), body.clone())
            .await
            .expect_err("no HTTP response in drop mode");
        assert!(err.status().is_none(), "{err}");
    }
    // The token endpoint still answers, and lookups recover.
    token(&http, &sim).await;
    sim.set_mode(Mode::Normal);
    let resp = lookup(&http, &sim, Some(&t), body).await.expect("response");
    assert_eq!(ids(resp).await, ["fk-2"]);
    assert_eq!(sim.lookups(), 4);
}

#[test]
fn modes_read_as_they_print() {
    for mode in [
        Mode::Normal,
        Mode::Slow(Duration::from_millis(2000)),
        Mode::Fail(503),
        Mode::Garbage,
        Mode::Malformed,
        Mode::Huge(10_485_760),
        Mode::Drop,
    ] {
        assert_eq!(mode.to_string().parse::<Mode>(), Ok(mode));
    }
    for bad in ["slow", "fail:200", "huge:ten", "garbage:1", "explode"] {
        assert!(bad.parse::<Mode>().is_err(), "{bad}");
    }
}

#[tokio::test]
#[should_panic(expected = "record 0 has an invalid `benefit`")]
async fn load_refuses_records_outside_the_contract() {
    let sim = Simulator::start(SimulatorConfig::new(
        SimAgency::SocialInsurance,
        "gateway",
        SECRET,
    ))
    .await;
    sim.load(vec![fk("fk-1", A, "parental_benefit")]);
}

/// The binary: data file, secret from the environment, admin endpoints, and
/// logs without personnummer, token or secret.
#[tokio::test]
async fn the_binary_serves_its_data_file_and_admin_endpoints() {
    use tokio::io::AsyncBufReadExt;

    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("employment-service.json");
    std::fs::write(
        &data,
        json!({ "records": [af("af-1", A, "Rusta och matcha")] }).to_string(),
    )
    .expect("write data");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_agency-simulator"))
        .args(["--agency", "employment-service", "--listen", "127.0.0.1:0"])
        .args(["--client-id", "gateway", "--data"])
        .arg(&data)
        .env("SIMULATOR_CLIENT_SECRET", SECRET)
        .env("RUST_LOG", "debug")
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start agency-simulator");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut log = String::new();
    let base = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(line) = lines.next_line().await.expect("stderr line") {
            log.push_str(&line);
            log.push('\n');
            if let Some(rest) = line.split("url=").nth(1) {
                return rest.split_whitespace().next().expect("url").to_string();
            }
        }
        panic!("agency-simulator exited:\n{log}");
    })
    .await
    .expect("agency-simulator starts within 10 s");

    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "gateway"),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .expect("token");
    let tok: Value = resp.json().await.expect("JSON");
    let tok = tok["access_token"].as_str().expect("token").to_string();
    let resp = http
        .post(format!("{base}/v1/employment-service-records/lookup"))
        .bearer_auth(&tok)
        .header(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )
        .json(&json!({ "personnummer": [A, B] }))
        .send()
        .await
        .expect("lookup");
    let body: Value = resp.json().await.expect("JSON");
    assert_eq!(body["records"][0]["externalId"], "af-1");

    let resp = http
        .put(format!("{base}/admin/mode"))
        .json(&json!({ "mode": "fail", "status": 503 }))
        .send()
        .await
        .expect("admin mode");
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = http
        .post(format!("{base}/v1/employment-service-records/lookup"))
        .bearer_auth(&tok)
        .json(&json!({ "personnummer": [A] }))
        .send()
        .await
        .expect("lookup");
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let stats: Value = http
        .get(format!("{base}/admin/stats"))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("JSON");
    assert_eq!(stats["lookups"], 2);
    assert_eq!(stats["token_requests"], 1);
    assert_eq!(stats["mode"], "fail:503");
    assert_eq!(
        stats["last_traceparent"],
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    );

    child.start_kill().expect("stop agency-simulator");
    while let Ok(Some(line)) = lines.next_line().await {
        log.push_str(&line);
        log.push('\n');
    }
    assert!(log.contains("lookup"), "{log}");
    for secret in [A, B, SECRET, tok.as_str()] {
        assert!(!log.contains(secret), "the log holds a secret:\n{log}");
    }
}
