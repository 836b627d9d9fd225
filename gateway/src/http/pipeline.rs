//! One request to `/graphql`, top to bottom, in the order of DESIGN.md's
//! "One request, end to end" (the middleware in `router` did step 1). Each
//! step either hands the next one what it needs or refuses the request
//! with the answer it gets; [`handle`] reads as the list of steps.

use std::time::Instant;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::GraphQLRequest;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use tracing::Instrument;

use super::dashboard_cache::{Answer, DashboardCache, Scope};
use super::persisted::{PersistedError, Registration};
use super::response::{executed_status, graphql_json, Refusal};
use super::AppState;
use crate::auth::{AuthError, CallerError};
use crate::graphql::RequestContext;
use crate::observability::outcome::{self, Observed, Operation};
use crate::vocabulary::error::ErrorCode;
use crate::vocabulary::Principal;

type Body = Result<GraphQLRequest, GraphQLRejection>;

/// A step's refusal: the answer the request gets instead (boxed: refusals
/// are rare, and a `Response` is large).
type Refused = Box<Response>;

/// `GET /graphql`: GraphiQL for a browser (when enabled), else a query.
pub async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Body,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html && state.graphiql {
        return Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response();
    }
    observed(state, headers, request, Method::GET).await
}

pub async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Body,
) -> Response {
    observed(state, headers, request, Method::POST).await
}

/// [`handle`], counted in the metrics by what it turned out to be.
async fn observed(state: AppState, headers: HeaderMap, request: Body, method: Method) -> Response {
    let started = Instant::now();
    let mut observed = Observed::default();
    let response = match handle(&state, &headers, request, &method, &mut observed).await {
        Ok(response) => response,
        Err(refused) => *refused,
    };
    observed.record(&state.services.metrics, started.elapsed().as_secs_f64());
    response
}

/// The steps; `Err` is a refusal, answered as it is.
async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    request: Body,
    method: &Method,
    observed: &mut Observed,
) -> Result<Response, Refused> {
    let mut request = read(request, observed)?;
    let principal = authenticate(state, method, headers, observed).await?;
    let registration = admit(state, &mut request, principal.as_ref(), observed).await?;
    bound(state, &request, observed)?;
    refuse_mutation_by_get(method, &request, observed)?;
    let operation = name(&mut request, observed);
    let ctx = context(state, principal, headers);
    // Named by the operation's (sanitized) name, never by its text.
    let span = tracing::info_span!(
        "graphql",
        otel.name = %operation.span_name(),
        graphql.operation.name = %operation.name,
        graphql.operation.type = operation.kind,
    );
    let (response, outcome) = answer(state, ctx, request).instrument(span).await;
    observed.outcome = outcome;
    // Step 9: a new persisted document is kept once it ran as a valid
    // request (it parsed and validated: the answer is not a request error).
    if let Some(registration) = registration {
        if response.status() == StatusCode::OK {
            state.persisted.register(registration).await;
        }
    }
    Ok(response)
}

/// Step 1 (what axum could not): a body that is a GraphQL request.
fn read(request: Body, observed: &mut Observed) -> Result<async_graphql::Request, Refused> {
    request
        .map(GraphQLRequest::into_inner)
        .map_err(|rejection| {
            observed.outcome = "bad_input";
            Refusal::new(ErrorCode::BadUserInput, format!("request: {}", rejection.0))
                .into_response()
                .into()
        })
}

/// Step 2: who is calling (bearer token, else session cookie, else nobody).
async fn authenticate(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    observed: &mut Observed,
) -> Result<Option<Principal>, Refused> {
    match state.auth.authenticate_request(method, headers).await {
        Ok(principal) => {
            if let Some(p) = &principal {
                observed.agency = p.agency.clone();
                observed.named = true;
            }
            Ok(principal)
        }
        Err(CallerError::Token(e)) => {
            observed.outcome = "unauthenticated";
            Err(unauthorized(&e).into())
        }
        Err(CallerError::Session(e)) => {
            observed.outcome = "unauthenticated";
            Err(super::login::graphql_refusal(&e, state.browser.sessions()).into())
        }
    }
}

/// Step 3: the document, from the persisted queries where the request
/// names one by hash, and only a safelisted one for callers held to it.
async fn admit(
    state: &AppState,
    request: &mut async_graphql::Request,
    principal: Option<&Principal>,
    observed: &mut Observed,
) -> Result<Option<Registration>, Refused> {
    state
        .persisted
        .resolve(request, principal)
        .await
        .map_err(|e| {
            observed.outcome = outcome::outcome_of_code(e.code().as_str());
            persisted_refusal(&e).into()
        })
}

/// Step 3b: nothing that parses or walks the document (the next steps
/// do) sees one nested deeper than the limit: the parser is recursive, and
/// a stack overflow would end the process for every caller.
fn bound(
    state: &AppState,
    request: &async_graphql::Request,
    observed: &mut Observed,
) -> Result<(), Refused> {
    let max = state.services.limits.max_nesting;
    crate::graphql::limits::Limits::check_nesting(max, &request.query, &request.variables).map_err(
        |e| {
            observed.outcome = outcome::outcome_of_code(ErrorCode::QueryTooComplex.as_str());
            graphql_json(
                ErrorCode::QueryTooComplex.http_status(),
                &serde_json::json!({ "errors": [e] }),
            )
            .into()
        },
    )
}

/// Step 4: a GET may not change anything (a link or a prefetch must not
/// write).
fn refuse_mutation_by_get(
    method: &Method,
    request: &async_graphql::Request,
    observed: &mut Observed,
) -> Result<(), Refused> {
    if method == Method::GET && is_mutation(request) {
        observed.outcome = "bad_input";
        return Err(
            Refusal::new(ErrorCode::BadUserInput, "mutations must be sent with POST")
                .status(StatusCode::METHOD_NOT_ALLOWED)
                .into_response()
                .into(),
        );
    }
    Ok(())
}

/// Step 5: what the operation is called in spans and metrics.
fn name(request: &mut async_graphql::Request, observed: &mut Observed) -> Operation {
    let operation = Operation::of(request);
    observed.operation = operation.name.clone();
    observed.kind = operation.kind;
    operation
}

/// Step 6: the request's context. It takes the request's one policy
/// snapshot, so a cached answer's key names the policy version the answer
/// is decided by. The audit events name the W3C trace of this request;
/// the client's request id only when there is no trace.
fn context(state: &AppState, principal: Option<Principal>, headers: &HeaderMap) -> RequestContext {
    let trace_id = crate::observability::telemetry::current_trace_id().or_else(|| {
        headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    RequestContext::new(principal, state.services.clone(), trace_id)
}

/// Step 7: the answer, from the dashboard cache where the document is a
/// cacheable dashboard query, else executed. Returns the response and the
/// outcome the metrics count.
async fn answer(
    state: &AppState,
    ctx: RequestContext,
    request: async_graphql::Request,
) -> (Response, &'static str) {
    let Some(plan) = DashboardCache::plan(&request) else {
        let (response, status) = execute(state, ctx, request).await;
        let outcome = outcome::outcome_of_response(&response);
        return (graphql_json(status, &response), outcome);
    };
    let scope = Scope::of(&ctx);
    let (answer, cache) = state
        .dashboard_cache
        .serve(plan, scope, || async {
            let (response, status) = execute(state, ctx, request).await;
            Answer {
                cacheable: response.errors.is_empty() && status == StatusCode::OK,
                body: serde_json::to_value(&response).unwrap_or_default(),
                status,
            }
        })
        .await;
    let mut body = answer.body;
    if let Some(ext) = body
        .as_object_mut()
        .map(|obj| {
            obj.entry("extensions")
                .or_insert_with(|| serde_json::json!({}))
        })
        .and_then(serde_json::Value::as_object_mut)
    {
        ext.insert("cache".into(), cache.as_str().into());
    }
    let outcome = outcome::outcome_of_json(&body);
    (graphql_json(answer.status, &body), outcome)
}

/// Step 8: execution (limits, policy, resolvers, audit: the schema's one
/// extension), every error coded, and the status the answer implies.
async fn execute(
    state: &AppState,
    ctx: RequestContext,
    request: async_graphql::Request,
) -> (async_graphql::Response, StatusCode) {
    let query = request.query.clone();
    let mut response = state.schema.execute(request.data(ctx)).await;
    crate::graphql::errors::classify(&mut response, &query);
    let status = executed_status(&response);
    (response, status)
}

/// Apollo clients expect PERSISTED_QUERY_NOT_FOUND with HTTP 200 (they
/// then send the document); the other refusals are client errors.
fn persisted_refusal(e: &PersistedError) -> Response {
    let mut refusal = Refusal::new(e.code(), e.to_string());
    if matches!(e, PersistedError::NotFound | PersistedError::NotSupported) {
        refusal = refusal.status(StatusCode::OK);
    }
    if let Some(field) = e.field() {
        refusal = refusal.field(field);
    }
    refusal.into_response()
}

/// HTTP 401 with an RFC 6750 challenge; the message says what was wrong
/// without echoing the token.
fn unauthorized(e: &AuthError) -> Response {
    let description = e.to_string().replace('"', "'");
    let mut refusal = Refusal::new(ErrorCode::Unauthenticated, description.clone());
    if let Ok(value) = HeaderValue::from_str(&format!(
        "Bearer realm=\"samverkan\", error=\"invalid_token\", error_description=\"{description}\""
    )) {
        refusal = refusal.header(header::WWW_AUTHENTICATE, value);
    }
    refusal.into_response()
}

fn is_mutation(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::OperationType;
    match async_graphql::parser::parse_query(&request.query) {
        Ok(doc) => doc.operations.iter().any(|(name, op)| {
            let selected = match (&request.operation_name, name) {
                (Some(wanted), Some(name)) => wanted.as_str() == name.as_str(),
                _ => true,
            };
            selected && op.node.ty == OperationType::Mutation
        }),
        Err(_) => false,
    }
}
