//! Errors of the API layer and the one place that maps them to GraphQL
//! `extensions.code` and HTTP status. Resolvers return [`ApiError`]; nothing
//! else builds error codes by hand.

use serde::Serialize;

/// Every GraphQL error carries one of these in `extensions.code` (DESIGN.md, "Errors").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    Unauthenticated,
    ForbiddenField,
    Forbidden,
    ConsentRequired,
    NotFound,
    BadUserInput,
    Conflict,
    UpstreamUnavailable,
    QueryTooComplex,
    PersistedQueryNotFound,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::ForbiddenField => "FORBIDDEN_FIELD",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::ConsentRequired => "CONSENT_REQUIRED",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::UpstreamUnavailable => "UPSTREAM_UNAVAILABLE",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// HTTP status when the error decides the whole response (before execution).
    pub fn http_status(self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::ForbiddenField | ErrorCode::ConsentRequired => {
                StatusCode::FORBIDDEN
            }
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::BadUserInput
            | ErrorCode::QueryTooComplex
            | ErrorCode::PersistedQueryNotFound => StatusCode::BAD_REQUEST,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::UpstreamUnavailable => StatusCode::BAD_GATEWAY,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The errors a resolver can end with. Messages are safe to show to the
/// caller: they never contain personal data or internals.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    /// A field the caller may not read; it resolves to null.
    #[error("{0}")]
    ForbiddenField(String),
    /// Another agency's information without a consent that covers it.
    #[error("{0}")]
    ConsentRequired(String),
    /// Bad input, naming the offending argument or input field (`field`).
    #[error("{field}: {message}")]
    BadInput { field: String, message: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The row changed since the caller read it (optimistic concurrency).
    #[error(
        "{what} was changed by someone else since version {expected}; read it again and retry"
    )]
    Conflict { what: &'static str, expected: i32 },
    /// An agency's API gave no usable answer (down, slow, refused, or
    /// malformed); the rest of the response still comes back.
    #[error("{agency}'s records are unavailable: {message}")]
    Upstream {
        /// The agency's code, also in `extensions.agency`.
        agency: String,
        /// `timeout`, `unavailable`, `circuit_open`, `overloaded`,
        /// `refused` or `invalid_answer`, also in `extensions.reason`.
        reason: &'static str,
        message: String,
    },
    /// Anything the caller cannot act on; the detail is logged, not returned.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ApiError::Internal(detail.to_string())
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::ForbiddenField(_) => ErrorCode::ForbiddenField,
            ApiError::ConsentRequired(_) => ErrorCode::ConsentRequired,
            ApiError::BadInput { .. } => ErrorCode::BadUserInput,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Conflict { .. } => ErrorCode::Conflict,
            ApiError::Upstream { .. } => ErrorCode::UpstreamUnavailable,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        ApiError::Internal(format!("database: {e}"))
    }
}

impl From<sea_orm::TransactionError<ApiError>> for ApiError {
    fn from(e: sea_orm::TransactionError<ApiError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(api) => api,
        }
    }
}

/// Short alias for resolver results.
pub type ApiResult<T> = Result<T, ApiError>;

/// Gives every error in a response an `extensions.code`: errors raised by
/// resolvers already carry one; errors from parsing and validation (a bad
/// date, an unknown enum value, a wrong type) are the caller's input, so
/// BAD_USER_INPUT naming the argument when the message names one; depth
/// limits are QUERY_TOO_COMPLEX.
pub fn classify(response: &mut async_graphql::Response, query: &str) {
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if has_code {
            continue;
        }
        // Resolvers return `ApiError` through `?`; async-graphql keeps it as the source.
        if let Some(api) = error.source::<ApiError>() {
            if let ApiError::Internal(detail) = api {
                // The detail is for the log (SQL errors name constraints, not
                // values); the caller sees no internals.
                tracing::error!(error = %detail, "internal error");
            }
            let code = api.code();
            let field = match api {
                ApiError::BadInput { field, .. } => Some(field.clone()),
                _ => None,
            };
            let upstream = match api {
                ApiError::Upstream { agency, reason, .. } => Some((agency.clone(), *reason)),
                _ => None,
            };
            let ext = error.extensions.get_or_insert_with(Default::default);
            ext.set("code", code.as_str());
            if let Some(field) = field {
                ext.set("field", field);
            }
            if let Some((agency, reason)) = upstream {
                ext.set("agency", agency);
                ext.set("reason", reason);
            }
            continue;
        }
        if error.source.is_some() {
            // Any other error type reaching here is a bug, not the caller's fault.
            tracing::error!(error = %error.message, "uncoded internal error");
            error.message = "internal error".into();
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", ErrorCode::Internal.as_str());
            continue;
        }
        let code = if error.message.contains("too deep") || error.message.contains("too complex") {
            ErrorCode::QueryTooComplex
        } else {
            ErrorCode::BadUserInput
        };
        let field = argument_name(&error.message)
            .or_else(|| variable_at(query, &error.locations))
            .or_else(|| quoted_name(&error.message));
        let ext = error.extensions.get_or_insert_with(Default::default);
        ext.set("code", code.as_str());
        if let (ErrorCode::BadUserInput, Some(field)) = (code, field) {
            ext.set("field", field);
        }
    }
}

/// `Invalid value for argument "filter.openedFrom", ...`: the argument path.
fn argument_name(message: &str) -> Option<String> {
    let rest = &message[message.find("argument \"")? + "argument \"".len()..];
    Some(rest[..rest.find('"')?].to_string())
}

/// A value that failed to parse is reported at its position in the
/// document (`input: $input`, `filter: {...}`); the argument it was given
/// for is the name just before it.
fn variable_at(query: &str, locations: &[async_graphql::Pos]) -> Option<String> {
    let pos = locations.first()?;
    let line = query.lines().nth(pos.line.checked_sub(1)?)?;
    let before = line.get(..pos.column.checked_sub(1)?)?.trim_end();
    let before = before.strip_suffix(':')?.trim_end();
    let name: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The first `"name"` in an async-graphql validation message (it quotes the
/// argument or variable it is about).
fn quoted_name(message: &str) -> Option<String> {
    let start = message.find('"')? + 1;
    let len = message[start..].find('"')?;
    let name = &message[start..start + len];
    (!name.is_empty()).then(|| name.trim_start_matches('$').to_string())
}
