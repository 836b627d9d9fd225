//! Errors of the API layer and the one place that maps them to GraphQL
//! `extensions.code` and HTTP status. Resolvers return [`ApiError`]; nothing
//! else builds error codes by hand.

use serde::Serialize;

/// Every GraphQL error carries one of these in `extensions.code` (DESIGN.md, "Errors").
/// serde and strum spell it the same (a test holds them to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::EnumIter)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
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
        self.into()
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

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn codes_are_spelled_as_clients_know_them_by_strum_and_serde_alike() {
        let names: Vec<&str> = ErrorCode::iter().map(ErrorCode::as_str).collect();
        assert_eq!(
            names,
            [
                "UNAUTHENTICATED",
                "FORBIDDEN_FIELD",
                "FORBIDDEN",
                "CONSENT_REQUIRED",
                "NOT_FOUND",
                "BAD_USER_INPUT",
                "CONFLICT",
                "UPSTREAM_UNAVAILABLE",
                "QUERY_TOO_COMPLEX",
                "PERSISTED_QUERY_NOT_FOUND",
                "INTERNAL",
            ]
        );
        for code in ErrorCode::iter() {
            assert_eq!(
                serde_json::to_value(code).expect("a code serializes"),
                code.as_str(),
                "{code:?}"
            );
        }
    }
}
