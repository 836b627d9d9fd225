//! Validation at the edge: ids, personnummer, page sizes, cursors and text
//! sizes are checked here, and a failure is BAD_USER_INPUT naming the field.

use async_graphql::ID;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use uuid::Uuid;

use crate::config::LimitsConfig;
use crate::vocabulary::error::{ApiError, ApiResult};
use pii::personnummer::Personnummer;

pub fn id(field: &str, value: &ID) -> ApiResult<Uuid> {
    Uuid::parse_str(value.as_str()).map_err(|_| ApiError::bad_input(field, "not a valid id"))
}

pub fn personnummer(field: &str, value: &str) -> ApiResult<Personnummer> {
    // The error names the rule broken, never the digits given.
    Personnummer::parse_today(value).map_err(|e| ApiError::bad_input(field, e.to_string()))
}

/// `first`: defaults to the configured page size; above the maximum is
/// refused (not silently clamped), so a client learns the limit.
pub fn page_size(limits: &LimitsConfig, first: Option<i32>) -> ApiResult<u64> {
    match first {
        None => Ok(u64::from(limits.default_page_size)),
        Some(n) if n < 1 => Err(ApiError::bad_input("first", "must be at least 1")),
        Some(n) if n as u32 > limits.max_page_size => Err(ApiError::bad_input(
            "first",
            format!("at most {} per page", limits.max_page_size),
        )),
        Some(n) => Ok(n as u64),
    }
}

/// Free text: trimmed, not empty (if required), and bounded.
pub fn text(field: &str, value: &str, max: usize) -> ApiResult<String> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(ApiError::bad_input(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(v.to_string())
}

pub fn required_text(field: &str, value: &str, max: usize) -> ApiResult<String> {
    let v = text(field, value, max)?;
    if v.is_empty() {
        return Err(ApiError::bad_input(field, "must not be empty"));
    }
    Ok(v)
}

/// Opaque cursors: `base64url("<date>|<uuid>")`.
pub fn encode_cursor(date: chrono::NaiveDate, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("{date}|{id}"))
}

pub fn decode_cursor(value: &str) -> ApiResult<(chrono::NaiveDate, Uuid)> {
    let bad = || ApiError::bad_input("after", "not a cursor from this API");
    let raw = URL_SAFE_NO_PAD.decode(value).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let (date, id) = raw.split_once('|').ok_or_else(bad)?;
    Ok((
        date.parse().map_err(|_| bad())?,
        Uuid::parse_str(id).map_err(|_| bad())?,
    ))
}

/// Version numbers come from a read; zero or negative cannot.
pub fn version(field: &str, v: i32) -> ApiResult<i32> {
    if v < 1 {
        return Err(ApiError::bad_input(
            field,
            "a version is 1 or more, as read",
        ));
    }
    Ok(v)
}
