//! What operators see of a request, without personal data: the operation's
//! name as a span name and metric label (sanitized, since clients choose
//! it) and the request's outcome. Never the document, its variables or its
//! aliases.

use async_graphql::parser::types::{DocumentOperations, OperationType};

/// Names that stand in for a missing or refused operation name.
pub const RESERVED_NAMES: [&str; 4] = ["anonymous", "invalid", "unknown", "other"];

/// Longest operation name kept; longer ones are `invalid`.
pub const MAX_NAME_LEN: usize = 64;

/// A client-chosen operation name as it may appear in a span or a label:
/// `anonymous` when there is none; `invalid` unless it is a GraphQL name
/// (`[_A-Za-z][_0-9A-Za-z]*`) of at most [`MAX_NAME_LEN`] characters with
/// no run of six or more digits (a personnummer, a phone number, an id
/// that could point at a person).
pub fn operation_name(name: Option<&str>) -> &str {
    match name {
        None => "anonymous",
        Some(name) if is_safe_name(name) => name,
        Some(_) => "invalid",
    }
}

/// True for a GraphQL name that cannot carry a personnummer (see [`operation_name`]).
pub fn is_safe_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let Some(first) = bytes.first() else {
        return false;
    };
    if bytes.len() > MAX_NAME_LEN || !(first.is_ascii_alphabetic() || *first == b'_') {
        return false;
    }
    let mut digits = 0;
    for b in bytes {
        if b.is_ascii_digit() {
            digits += 1;
            if digits >= 6 {
                return false;
            }
        } else if b.is_ascii_alphabetic() || *b == b'_' {
            digits = 0;
        } else {
            return false;
        }
    }
    true
}

/// The operation a request selects, as far as telemetry needs it.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Sanitized ([`operation_name`]).
    pub name: String,
    /// `query`, `mutation`, `subscription`, or `unknown` (unparsable, or
    /// no operation matches).
    pub kind: &'static str,
}

impl Operation {
    /// Parses the request's document once: async-graphql executes the
    /// parsed document it keeps, so the request is not parsed twice.
    pub fn of(request: &mut async_graphql::Request) -> Operation {
        let wanted = request.operation_name.clone();
        let selected = match request.parsed_query() {
            Ok(doc) => match (&doc.operations, wanted.as_deref()) {
                (DocumentOperations::Single(op), None) => Some((None, op.node.ty)),
                (DocumentOperations::Single(_), Some(_)) => None,
                (DocumentOperations::Multiple(ops), Some(w)) => ops
                    .iter()
                    .find(|(name, _)| name.as_str() == w)
                    .map(|(name, op)| (Some(name.to_string()), op.node.ty)),
                (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops
                    .iter()
                    .next()
                    .map(|(name, op)| (Some(name.to_string()), op.node.ty)),
                (DocumentOperations::Multiple(_), None) => None,
            },
            Err(_) => None,
        };
        match selected {
            Some((name, ty)) => Operation {
                name: operation_name(name.as_deref()).to_string(),
                kind: match ty {
                    OperationType::Query => "query",
                    OperationType::Mutation => "mutation",
                    OperationType::Subscription => "subscription",
                },
            },
            None => Operation {
                name: operation_name(wanted.as_deref()).to_string(),
                kind: "unknown",
            },
        }
    }

    /// `query CaseList`: the operation span's name.
    pub fn span_name(&self) -> String {
        format!("{} {}", self.kind, self.name)
    }
}

/// The outcome label of a request from the `extensions.code` of its
/// errors: the gravest one wins (`ok` without errors).
pub fn outcome_of_codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> &'static str {
    codes
        .into_iter()
        .map(outcome_of_code)
        .max_by_key(|o| rank(o))
        .unwrap_or("ok")
}

/// One error code's outcome label.
pub fn outcome_of_code(code: &str) -> &'static str {
    match code {
        "UNAUTHENTICATED" => "unauthenticated",
        "FORBIDDEN" | "FORBIDDEN_FIELD" | "CONSENT_REQUIRED" => "forbidden",
        "BAD_USER_INPUT" | "QUERY_TOO_COMPLEX" | "PERSISTED_QUERY_NOT_FOUND" => "bad_input",
        "NOT_FOUND" => "not_found",
        "CONFLICT" => "conflict",
        "UPSTREAM_UNAVAILABLE" => "upstream_unavailable",
        _ => "error",
    }
}

fn rank(outcome: &str) -> u8 {
    match outcome {
        "ok" => 0,
        "not_found" => 1,
        "conflict" => 2,
        "forbidden" => 3,
        "bad_input" => 4,
        "unauthenticated" => 5,
        "upstream_unavailable" => 6,
        _ => 7,
    }
}

/// The outcome of an executed request.
pub fn outcome_of_response(response: &async_graphql::Response) -> &'static str {
    outcome_of_codes(response.errors.iter().filter_map(|e| {
        match e.extensions.as_ref()?.get("code")? {
            async_graphql::Value::String(code) => Some(code.as_str()),
            _ => None,
        }
    }))
}

/// The outcome of a response already turned into JSON (a cached dashboard).
pub fn outcome_of_json(body: &serde_json::Value) -> &'static str {
    let errors = body["errors"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    outcome_of_codes(
        errors
            .iter()
            .map(|e| e["extensions"]["code"].as_str().unwrap_or("INTERNAL")),
    )
}

/// What one request is counted as in the metrics.
#[derive(Debug)]
pub struct Observed {
    pub operation: String,
    /// Whether the name may take a label of its own (a signed-in caller's).
    pub named: bool,
    pub kind: &'static str,
    /// The caller's agency code, `anonymous` without a token.
    pub agency: String,
    pub outcome: &'static str,
}

impl Default for Observed {
    fn default() -> Self {
        Observed {
            operation: "unknown".into(),
            named: false,
            kind: "unknown",
            agency: "anonymous".into(),
            outcome: "ok",
        }
    }
}

impl Observed {
    pub fn record(&self, metrics: &crate::observability::metrics::Metrics, seconds: f64) {
        metrics.graphql_request(
            &self.operation,
            self.named,
            self.kind,
            &self.agency,
            self.outcome,
            seconds,
        );
    }
}

/// A client's `x-request-id` as it may appear in a span: a UUID, or up to
/// 64 of `[A-Za-z0-9._-]` without a run of six digits; else `invalid`.
pub fn request_id(value: &str) -> &str {
    if uuid::Uuid::parse_str(value).is_ok() {
        return value;
    }
    let mut digits = 0;
    for b in value.bytes() {
        if b.is_ascii_digit() {
            digits += 1;
            if digits >= 6 {
                return "invalid";
            }
        } else if b.is_ascii_alphabetic() || matches!(b, b'.' | b'_' | b'-') {
            digits = 0;
        } else {
            return "invalid";
        }
    }
    if value.len() > 64 {
        "invalid"
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_sanitized() {
        assert_eq!(operation_name(None), "anonymous");
        assert_eq!(operation_name(Some("CaseList")), "CaseList");
        assert_eq!(operation_name(Some("page_2")), "page_2");
        assert_eq!(operation_name(Some("Q12345")), "Q12345");
        for bad in [
            "P198501011234",
            "a123456",
            "",
            "1abc",
            "with space",
            "Zlatana-Ekvall",
            &"x".repeat(65),
        ] {
            assert_eq!(operation_name(Some(bad)), "invalid", "{bad}");
        }
    }

    #[test]
    fn the_selected_operation_names_the_span() {
        let mut r = async_graphql::Request::new("query CaseList { __typename }");
        let op = Operation::of(&mut r);
        assert_eq!(op.span_name(), "query CaseList");
        let mut r = async_graphql::Request::new("{ __typename }");
        assert_eq!(Operation::of(&mut r).span_name(), "query anonymous");
        let mut r =
            async_graphql::Request::new("query A { a } mutation B { b }").operation_name("B");
        assert_eq!(Operation::of(&mut r).span_name(), "mutation B");
        let mut r = async_graphql::Request::new("query A { a }").operation_name("P19850101");
        assert_eq!(Operation::of(&mut r).span_name(), "unknown invalid");
        let mut r = async_graphql::Request::new("query {");
        assert_eq!(Operation::of(&mut r).kind, "unknown");
    }

    #[test]
    fn the_gravest_error_decides_the_outcome() {
        assert_eq!(outcome_of_codes([]), "ok");
        assert_eq!(outcome_of_codes(["FORBIDDEN_FIELD"]), "forbidden");
        assert_eq!(
            outcome_of_codes(["CONSENT_REQUIRED", "INTERNAL", "BAD_USER_INPUT"]),
            "error"
        );
        assert_eq!(
            outcome_of_json(
                &serde_json::json!({"errors": [{"extensions": {"code": "NOT_FOUND"}}]})
            ),
            "not_found"
        );
    }

    #[test]
    fn request_ids_carry_no_numbers_that_could_be_a_person() {
        let uuid = "550e8400-e29b-41d4-a716-446655440000";
        assert_eq!(request_id(uuid), uuid);
        assert_eq!(request_id("req-abc-12"), "req-abc-12");
        assert_eq!(request_id("19850101-1234"), "invalid");
        assert_eq!(request_id("a b"), "invalid");
    }
}
