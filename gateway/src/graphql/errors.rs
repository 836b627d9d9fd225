//! Every GraphQL error leaves with an `extensions.code`: resolver errors
//! carry theirs ([`ApiError::code`]); parse and validation errors are
//! classified here.

use crate::vocabulary::error::{ApiError, ErrorCode};

/// Gives every error in a response an `extensions.code`: errors raised by
/// resolvers already carry one; errors from parsing and validation (a bad
/// date, an unknown enum value, a wrong type) are the caller's input, so
/// BAD_USER_INPUT naming the argument when the message names one.
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
        // No source and no code: async-graphql's own word about the
        // request (a syntax error, a failed validation rule, a value that
        // does not coerce to its type), so the caller's input. The limits
        // (`limits.rs`) code their refusals themselves. async-graphql says
        // which argument only in its message, so the field is read there.
        let field = argument_name(&error.message)
            .or_else(|| variable_at(query, &error.locations))
            .or_else(|| quoted_name(&error.message));
        let ext = error.extensions.get_or_insert_with(Default::default);
        ext.set("code", ErrorCode::BadUserInput.as_str());
        if let Some(field) = field {
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
