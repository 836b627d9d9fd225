//! Every answer of `/graphql` leaves through here: the one builder of a
//! refusal's GraphQL error body, and the one rule for the HTTP status
//! (`ErrorCode::http_status`, with the protocol's few exceptions named
//! where they apply).

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::vocabulary::error::ErrorCode;

/// The media type of every GraphQL answer (GraphQL over HTTP).
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// A GraphQL answer with its status.
pub fn graphql_json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(GRAPHQL_RESPONSE),
            )],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// A request refused before it runs: one error with its code, the status
/// the code implies unless the protocol says otherwise.
#[must_use]
pub struct Refusal {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    field: Option<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Refusal {
            status: code.http_status(),
            code,
            message: message.into(),
            field: None,
            headers: Vec::new(),
        }
    }

    /// An exception to the code's status, which the caller names (e.g.
    /// APQ's PERSISTED_QUERY_NOT_FOUND is answered 200).
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The input field at fault (`extensions.field`).
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut extensions = serde_json::json!({ "code": self.code.as_str() });
        if let Some(field) = self.field {
            extensions["field"] = field.into();
        }
        let body = serde_json::json!({
            "errors": [{ "message": self.message, "extensions": extensions }]
        });
        let mut response = graphql_json(self.status, &body);
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// The status of an executed operation: 200 whenever there is data (errors
/// then sit at their paths); without data, 500 if the gateway failed (the
/// audit log could not be written, say), 429 over the caller's cost budget,
/// else 400: the caller's request.
pub fn executed_status(response: &async_graphql::Response) -> StatusCode {
    let refused_whole = response.data == async_graphql::Value::Null && !response.errors.is_empty();
    let internal = |e: &async_graphql::ServerError| {
        e.extensions.as_ref().and_then(|x| x.get("code"))
            == Some(&async_graphql::Value::from(ErrorCode::Internal.as_str()))
    };
    let over_budget = |e: &async_graphql::ServerError| {
        e.extensions.as_ref().and_then(|x| x.get("limit"))
            == Some(&async_graphql::Value::from("budget"))
    };
    if refused_whole && response.errors.iter().any(internal) {
        StatusCode::INTERNAL_SERVER_ERROR
    } else if refused_whole && response.errors.iter().any(over_budget) {
        // The caller's budget, not its request: the same request later works.
        StatusCode::TOO_MANY_REQUESTS
    } else if refused_whole && response.errors.iter().all(|e| e.path.is_empty()) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}
