//! The contract's record shapes (`deploy/openapi/*.yaml`), checked on the
//! data the simulator is given so that it never serves records its own
//! contract forbids (except in `Mode::Malformed`). Messages name the record's
//! index and field, never a value: the values are personal data.

use std::path::Path;

use serde_json::Value;

use super::SimAgency;

/// FK's benefit codes.
pub const BENEFITS: &[&str] = &[
    "sickness_benefit",
    "activity_compensation",
    "sickness_compensation",
    "rehabilitation_benefit",
    "none",
];

/// Whether `s` is a personnummer as the contract spells it: 12 digits.
pub fn is_personnummer(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A check of one field's value.
type Check = fn(&Value) -> bool;

fn date(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok())
}

fn date_time(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok())
}

fn date_or_null(v: &Value) -> bool {
    v.is_null() || date(v)
}

fn text_or_null(v: &Value) -> bool {
    v.is_null() || v.is_string()
}

fn external_id(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| (1..=100).contains(&s.chars().count()))
}

fn personnummer(v: &Value) -> bool {
    v.as_str().is_some_and(is_personnummer)
}

fn version(v: &Value) -> bool {
    v.as_i64().is_some_and(|n| n >= 1)
}

fn benefit(v: &Value) -> bool {
    v.as_str().is_some_and(|s| BENEFITS.contains(&s))
}

fn sick_leave_degree(v: &Value) -> bool {
    v.is_null() || v.as_i64().is_some_and(|d| [25, 50, 75, 100].contains(&d))
}

const EMPLOYMENT_SERVICE: &[(&str, Check)] = &[
    ("externalId", external_id),
    ("personnummer", personnummer),
    ("registeredOn", date_or_null),
    ("programme", text_or_null),
    ("supportDecision", text_or_null),
    ("officerRef", text_or_null),
    ("lastContactOn", date_or_null),
    ("version", version),
    ("updatedAt", date_time),
];

const SOCIAL_INSURANCE: &[(&str, Check)] = &[
    ("externalId", external_id),
    ("personnummer", personnummer),
    ("benefit", benefit),
    ("sickLeaveDegree", sick_leave_degree),
    ("periodStart", date),
    ("periodEnd", date_or_null),
    ("rehabilitationCoordination", Value::is_boolean),
    ("diagnosisGroup", text_or_null),
    ("version", version),
    ("updatedAt", date_time),
];

/// Checks one record against the agency's schema: every field present and
/// of its type. Fields beyond the contract's are allowed (clients ignore
/// them, so the agency may add some).
pub fn check_record(agency: SimAgency, record: &Value) -> Result<(), String> {
    let Some(obj) = record.as_object() else {
        return Err("is not a JSON object".into());
    };
    let fields = match agency {
        SimAgency::EmploymentService => EMPLOYMENT_SERVICE,
        SimAgency::SocialInsurance => SOCIAL_INSURANCE,
    };
    for (name, check) in fields {
        match obj.get(*name) {
            None => return Err(format!("lacks `{name}`")),
            Some(v) if !check(v) => return Err(format!("has an invalid `{name}`")),
            Some(_) => {}
        }
    }
    Ok(())
}

/// Checks every record; the error names the first bad record by index.
pub fn check_records(agency: SimAgency, records: &[Value]) -> Result<(), String> {
    for (i, record) in records.iter().enumerate() {
        check_record(agency, record).map_err(|e| format!("record {i} {e}"))?;
    }
    Ok(())
}

/// Reads a data file `{"records": [...]}` and checks it against the contract.
pub fn read_data_file(agency: SimAgency, path: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // Only the position of a syntax error: a message could quote a value.
    let mut doc: Value = serde_json::from_slice(&text).map_err(|e| {
        format!(
            "{}: not JSON (line {}, column {})",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    let records = match doc.get_mut("records").map(Value::take) {
        Some(Value::Array(records)) => records,
        _ => return Err(format!("{}: lacks a `records` array", path.display())),
    };
    check_records(agency, &records).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(records)
}
