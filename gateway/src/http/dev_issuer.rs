//! The demo's development issuer publishes its discovery document and keys
//! here, as a real provider would (only where the state has one: `demo`
//! and tests; `serve` never does).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::AppState;

pub async fn discovery(State(state): State<AppState>, Path(agency): Path<String>) -> Response {
    match state.dev_issuer.as_ref().map(|i| i.discovery(&agency)) {
        Some(Ok(doc)) => Json(doc).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn jwks(State(state): State<AppState>, Path(agency): Path<String>) -> Response {
    match state.dev_issuer.as_ref().map(|i| i.jwks(&agency)) {
        Some(Ok(jwks)) => Json(jwks).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
