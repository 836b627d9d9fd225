//! The lookup endpoint and what each `Mode` makes of it.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::conn::Connection;
use super::contract::is_personnummer;
use super::{Mode, Shared, SimAgency, MAX_LOOKUP};

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": "bad_request", "message": message })),
    )
        .into_response()
}

/// The asked personnummer, or why the body breaks the contract. Messages
/// name positions, never values.
fn parse_body(body: &[u8]) -> Result<Vec<String>, String> {
    let doc: Value =
        serde_json::from_slice(body).map_err(|_| "the body is not JSON".to_string())?;
    let Some(obj) = doc.as_object() else {
        return Err("the body must be an object {\"personnummer\": [...]}".into());
    };
    if let Some(other) = obj.keys().find(|k| *k != "personnummer") {
        return Err(format!("unknown field `{other}`"));
    }
    let Some(list) = obj.get("personnummer").and_then(Value::as_array) else {
        return Err("`personnummer` must be an array of strings".into());
    };
    if list.is_empty() || list.len() > MAX_LOOKUP {
        return Err(format!(
            "`personnummer` must hold 1 to {MAX_LOOKUP} items, not {}",
            list.len()
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, v)| match v.as_str() {
            Some(s) if is_personnummer(s) => Ok(s.to_string()),
            _ => Err(format!(
                "`personnummer[{i}]` must be a string of exactly 12 digits"
            )),
        })
        .collect()
}

pub(super) async fn lookup(
    State(s): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<Connection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    s.lookups.fetch_add(1, Ordering::SeqCst);
    if let Some(tp) = headers.get("traceparent").and_then(|v| v.to_str().ok()) {
        s.traceparents
            .lock()
            .expect("traceparents lock")
            .push(tp.to_string());
    }
    let mode = s.mode.lock().expect("mode lock").clone();
    if mode == Mode::Drop {
        tracing::info!("lookup: dropping the connection (mode drop)");
        conn.cut();
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    if !s.bearer_ok(&headers) {
        s.unauthorized.fetch_add(1, Ordering::SeqCst);
        tracing::info!("lookup refused: invalid_token");
        return super::auth::invalid_token();
    }
    let asked = match parse_body(&body) {
        Ok(asked) => asked,
        Err(message) => {
            tracing::info!(%message, "lookup refused: bad_request");
            return bad_request(&message);
        }
    };
    s.lookup_sizes
        .lock()
        .expect("lookup sizes lock")
        .push(asked.len());
    if let Mode::Slow(delay) = mode {
        tokio::time::sleep(delay).await;
    }
    let records = s.records_for(&asked);
    tracing::info!(
        asked = asked.len(),
        records = records.len(),
        mode = %mode,
        "lookup"
    );
    match mode {
        Mode::Normal | Mode::Slow(_) | Mode::Drop => {
            Json(json!({ "records": records })).into_response()
        }
        Mode::Fail(status) => fail(status),
        Mode::Garbage => (
            [(header::CONTENT_TYPE, "application/json")],
            "{\"records\": [{\"externalId\": ",
        )
            .into_response(),
        Mode::Malformed => {
            Json(json!({ "records": malformed(s.agency, records, &asked[0]) })).into_response()
        }
        Mode::Huge(bytes) => huge(s.agency, bytes, &asked[0]),
    }
}

/// `status` with `{"error":"unavailable"}` (and `Retry-After` on 429/503).
fn fail(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut response = (status, Json(json!({ "error": "unavailable" }))).into_response();
    if matches!(status.as_u16(), 429 | 503) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    response
}

/// A correct record for `pnr` (the template of Malformed and Huge).
pub(super) fn sample_record(agency: SimAgency, pnr: &str, external_id: &str) -> Value {
    match agency {
        SimAgency::EmploymentService => json!({
            "externalId": external_id,
            "personnummer": pnr,
            "registeredOn": "2024-01-15",
            "programme": "Rusta och matcha",
            "supportDecision": null,
            "officerRef": null,
            "lastContactOn": null,
            "version": 1,
            "updatedAt": "2024-01-15T08:00:00Z",
        }),
        SimAgency::SocialInsurance => json!({
            "externalId": external_id,
            "personnummer": pnr,
            "benefit": "sickness_benefit",
            "sickLeaveDegree": 50,
            "periodStart": "2024-01-15",
            "periodEnd": null,
            "rehabilitationCoordination": false,
            "diagnosisGroup": null,
            "version": 1,
            "updatedAt": "2024-01-15T08:00:00Z",
        }),
    }
}

/// The records with the first one broken (one made up for the first asked
/// person when none match).
fn malformed(agency: SimAgency, mut records: Vec<Value>, first_asked: &str) -> Vec<Value> {
    if records.is_empty() {
        records.push(sample_record(agency, first_asked, "malformed-1"));
    }
    match agency {
        SimAgency::EmploymentService => records[0]["registeredOn"] = json!("not-a-date"),
        SimAgency::SocialInsurance => records[0]["benefit"] = json!("bogus"),
    }
    records
}

/// A 200 whose JSON body is `bytes` long (or the shortest such body when
/// `bytes` is smaller): one record whose free-text field is padded, sent in
/// chunks as it is produced.
fn huge(agency: SimAgency, bytes: usize, first_asked: &str) -> Response {
    const PAD: &str = "@@PAD@@";
    let field = match agency {
        SimAgency::EmploymentService => "programme",
        SimAgency::SocialInsurance => "diagnosisGroup",
    };
    let mut record = sample_record(agency, first_asked, "huge-1");
    record[field] = json!(PAD);
    let text = json!({ "records": [record] }).to_string();
    let (head, tail) = text.split_once(PAD).expect("the pad marker is in the text");
    let (head, tail) = (Bytes::from(head.to_string()), Bytes::from(tail.to_string()));
    let mut pad = bytes.saturating_sub(head.len() + tail.len());
    const CHUNK: usize = 64 * 1024;
    let filler = Bytes::from(vec![b'x'; CHUNK]);
    let mut stage = 0;
    let stream = futures::stream::poll_fn(move |_| {
        let next = match stage {
            0 => {
                stage = 1;
                Some(head.clone())
            }
            1 if pad > 0 => {
                let n = pad.min(CHUNK);
                pad -= n;
                Some(filler.slice(..n))
            }
            1 => {
                stage = 2;
                Some(tail.clone())
            }
            _ => None,
        };
        std::task::Poll::Ready(next.map(Ok::<_, Infallible>))
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

impl Shared {
    /// Every record of the asked persons, in the order of the data.
    fn records_for(&self, asked: &[String]) -> Vec<Value> {
        let asked: HashSet<&str> = asked.iter().map(String::as_str).collect();
        let records = self.records.read().expect("records lock").clone();
        records
            .iter()
            .filter(|r| {
                r.get("personnummer")
                    .and_then(Value::as_str)
                    .is_some_and(|p| asked.contains(p))
            })
            .cloned()
            .collect()
    }
}
