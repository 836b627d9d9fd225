//! Unprotected endpoints for driving the simulator by hand (the
//! `agency-simulator` binary only): `GET|PUT /admin/mode`, `GET /admin/stats`,
//! `POST /admin/reload`.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::{contract, Mode, Shared};

#[derive(Clone)]
pub(super) struct Admin {
    pub(super) data_file: Option<PathBuf>,
}

/// `{"mode":"slow","delay_ms":2000}`, `{"mode":"fail","status":503}`,
/// `{"mode":"huge","bytes":10485760}`, `{"mode":"drop"}`, … or the
/// command line's spelling, `{"mode":"slow:2000"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeRequest {
    mode: String,
    delay_ms: Option<u64>,
    status: Option<u16>,
    bytes: Option<usize>,
}

impl ModeRequest {
    fn to_mode(&self) -> Result<Mode, String> {
        let arg = match (self.delay_ms, self.status, self.bytes) {
            (None, None, None) => None,
            (Some(n), None, None) => Some(n.to_string()),
            (None, Some(n), None) => Some(n.to_string()),
            (None, None, Some(n)) => Some(n.to_string()),
            _ => return Err("give at most one of delay_ms, status, bytes".into()),
        };
        match arg {
            Some(arg) if !self.mode.contains(':') => format!("{}:{arg}", self.mode).parse(),
            Some(_) => Err("give the argument either after `:` or as a field".into()),
            None => self.mode.parse(),
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": "bad_request", "message": message })),
    )
        .into_response()
}

async fn get_mode(State(s): State<Arc<Shared>>) -> Json<serde_json::Value> {
    let mode = s.mode.lock().expect("mode lock").to_string();
    Json(json!({ "mode": mode }))
}

async fn put_mode(
    State(s): State<Arc<Shared>>,
    body: Result<Json<ModeRequest>, JsonRejection>,
) -> Response {
    let request = match body {
        Ok(Json(request)) => request,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    match request.to_mode() {
        Ok(mode) => {
            s.set_mode(mode.clone());
            Json(json!({ "mode": mode.to_string() })).into_response()
        }
        Err(message) => error(StatusCode::BAD_REQUEST, &message),
    }
}

async fn stats(State(s): State<Arc<Shared>>) -> Json<serde_json::Value> {
    let sizes = s.lookup_sizes.lock().expect("sizes lock").clone();
    let last_traceparent = s
        .traceparents
        .lock()
        .expect("traceparents lock")
        .last()
        .cloned();
    Json(json!({
        "agency": s.agency.as_str(),
        "mode": s.mode.lock().expect("mode lock").to_string(),
        "records": s.records.read().expect("records lock").len(),
        "lookups": s.lookups.load(Ordering::SeqCst),
        "accepted_lookups": sizes.len(),
        "personnummer_asked": sizes.iter().sum::<usize>(),
        "token_requests": s.token_requests.load(Ordering::SeqCst),
        "unauthorized": s.unauthorized.load(Ordering::SeqCst),
        "last_traceparent": last_traceparent,
    }))
}

async fn reload(State(s): State<Arc<Shared>>, admin: Admin) -> Response {
    let Some(path) = &admin.data_file else {
        return error(StatusCode::CONFLICT, "started without --data");
    };
    match contract::read_data_file(s.agency, path) {
        Ok(records) => {
            let n = records.len();
            s.replace(records);
            tracing::info!(records = n, "data reloaded");
            Json(json!({ "records": n })).into_response()
        }
        Err(message) => error(StatusCode::UNPROCESSABLE_ENTITY, &message),
    }
}

pub(super) fn router(admin: Admin) -> Router<Arc<Shared>> {
    Router::new()
        .route("/admin/mode", get(get_mode).put(put_mode))
        .route("/admin/stats", get(stats))
        .route(
            "/admin/reload",
            post(move |state: State<Arc<Shared>>| reload(state, admin.clone())),
        )
}
