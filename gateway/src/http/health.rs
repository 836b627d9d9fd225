//! Liveness, readiness and metrics for the platform that runs the gateway.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Prometheus text format. Aggregate counters only: no label carries a
/// person, a token or a query's text.
pub async fn metrics(State(state): State<AppState>) -> Response {
    if let Some((size, idle)) = crate::db::pool_usage(&state.services.db) {
        state.services.metrics.db_pool(size, idle);
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.services.metrics.render(),
    )
        .into_response()
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    let db = state.services.db.ping().await;
    let cache = state.cache.ping().await;
    let body = serde_json::json!({
        "database": if db.is_ok() { "ok" } else { "unreachable" },
        "cache": if cache.is_ok() { "ok" } else { "unreachable" },
        "cache_backend": state.cache.backend(),
    });
    let status = if db.is_ok() && cache.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
