//! The contract's field types. Each one reads any JSON value and checks it
//! itself, so a wrong value is refused with a message of this file's own
//! that never repeats the value (serde's default messages quote it).

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// Reads any value and turns it into `T`, or refuses it with `expected`.
fn read<'de, D, T>(
    d: D,
    expected: &str,
    parse: impl FnOnce(Value) -> Option<T>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Value::deserialize(d)?;
    parse(value).ok_or_else(|| D::Error::custom(expected))
}

/// Defines a field type over `$inner` that serializes as `$inner` and is
/// read by `$parse`, refusing anything else with `$expected`.
macro_rules! field {
    ($(#[$doc:meta])* $name:ident($inner:ty), $expected:expr, $parse:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub $inner);

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let parse: fn(Value) -> Option<$inner> = $parse;
                read(d, &$expected, parse).map($name)
            }
        }
    };
}

/// A string of at most this many characters and no control characters.
fn text(value: Value, max: usize) -> Option<String> {
    match value {
        Value::String(s) if s.chars().count() <= max && !s.chars().any(char::is_control) => Some(s),
        _ => None,
    }
}

field!(
    /// The agency's own id of a record: 1 to 100 characters.
    ExternalId(String),
    "not a string of 1 to 100 characters without control characters",
    |v| text(v, 100).filter(|s| !s.trim().is_empty())
);

field!(
    /// A personnummer as the contract spells it: exactly 12 digits.
    Personnummer(String),
    "not a string of exactly 12 digits",
    |v| match v {
        Value::String(s) if is_personnummer(&s) => Some(s),
        _ => None,
    }
);

field!(
    /// A calendar date, `YYYY-MM-DD`.
    Date(NaiveDate),
    "not a date (YYYY-MM-DD)",
    |v| match v {
        Value::String(s) if s.len() == 10 => NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok(),
        _ => None,
    }
);

field!(
    /// A point in time, RFC 3339.
    Timestamp(DateTime<Utc>),
    "not an RFC 3339 time",
    |v| match v {
        Value::String(s) => DateTime::parse_from_rfc3339(&s)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    }
);

field!(
    /// A record's version: a positive 32-bit integer.
    Version(i32),
    "not a positive integer",
    |v| v
        .as_i64()
        .filter(|n| (1..=i64::from(i32::MAX)).contains(n))
        .map(|n| n as i32)
);

field!(
    /// FK's sick-leave degree: 25, 50, 75 or 100 per cent.
    SickLeaveDegree(i32),
    "not 25, 50, 75 or 100",
    |v| v
        .as_i64()
        .filter(|d| [25, 50, 75, 100].contains(d))
        .map(|d| d as i32)
);

field!(
    /// A yes or no.
    Flag(bool),
    "not a boolean",
    |v| v.as_bool()
);

/// Whether `s` is a personnummer as the contract spells it: 12 digits.
pub fn is_personnummer(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Free text of at most `MAX` characters, without control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<const MAX: usize>(pub String);

impl<const MAX: usize> Serialize for Text<MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let expected =
            format!("not a string of at most {MAX} characters without control characters");
        read(d, &expected, |v| text(v, MAX)).map(Text)
    }
}

/// FK's benefit, in the contract's codes (the same codes the gateway
/// stores: `entities::enums::Benefit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Benefit(pub entities::enums::Benefit);

impl Serialize for Benefit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use sea_orm::ActiveEnum as _;
        self.0.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Benefit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use sea_orm::ActiveEnum as _;
        read(d, "not one of the contract's values", |v| match v {
            Value::String(s) => entities::enums::Benefit::try_from_value(&s).ok(),
            _ => None,
        })
        .map(Benefit)
    }
}
