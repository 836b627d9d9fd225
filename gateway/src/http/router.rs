//! The router and its middleware, in the order DESIGN.md gives: request id,
//! trace span (continuing the client's W3C trace), body limit, timeout,
//! panic catcher, then the routes.

use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, OnResponse, TraceLayer};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{dev_issuer, health, login, pipeline, AppState};
use crate::config::Config;

/// The router with its middleware, in the order DESIGN.md gives.
pub fn router(state: AppState, config: &Config) -> Router {
    let mut app = Router::new()
        .route(
            "/graphql",
            get(pipeline::graphql_get).post(pipeline::graphql_post),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/auth/{agency}/login", get(login::login))
        .route("/auth/{agency}/callback", get(login::callback))
        .route("/auth/session", get(login::session))
        .route("/auth/logout", post(login::logout));
    if state.dev_issuer.is_some() {
        app = app
            .route(
                "/dev-issuer/{agency}/.well-known/openid-configuration",
                get(dev_issuer::discovery),
            )
            .route("/dev-issuer/{agency}/jwks.json", get(dev_issuer::jwks));
    }
    app.with_state(state)
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.server.request_timeout_secs,
        ))
        .layer(RequestBodyLimitLayer::new(config.server.body_limit_bytes))
        .layer(axum::middleware::map_response(traceparent))
        .layer(
            // Span per request with method and route only: the query string
            // may carry GraphQL variables, and those may be personal data; an
            // unrouted path is whatever the client sent. It continues the
            // client's W3C trace (`traceparent`).
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    let request_id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .map(crate::observability::outcome::request_id)
                        .unwrap_or("");
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map(MatchedPath::as_str)
                        .unwrap_or("unmatched");
                    let span = tracing::info_span!(
                        "http",
                        otel.name = %format_args!("{} {route}", req.method()),
                        otel.kind = "server",
                        method = %req.method(),
                        path = route,
                        request_id,
                        http.response.status_code = tracing::field::Empty,
                    );
                    span.set_parent(crate::observability::telemetry::extract_trace_context(
                        req.headers(),
                    ));
                    span
                })
                .on_response(|res: &Response, latency: Duration, span: &tracing::Span| {
                    span.record("http.response.status_code", res.status().as_u16());
                    DefaultOnResponse::default().on_response(res, latency, span);
                }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Tells the client which trace its request became (our `http` span).
async fn traceparent(mut response: Response) -> Response {
    crate::observability::telemetry::inject_trace_context(response.headers_mut());
    response
}
