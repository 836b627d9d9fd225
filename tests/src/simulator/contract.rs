//! The contract's record shapes (`deploy/openapi/*.yaml`, as the
//! `agency-api` crate types them), checked on the
//! data the simulator is given so that it never serves records its own
//! contract forbids (except in `Mode::Malformed`). Messages name the record's
//! index and field, never a value: the values are personal data.

use std::path::Path;

use serde_json::Value;

use super::SimAgency;

pub use agency_api::is_personnummer;

/// Checks one record against the agency's contract (the `agency-api`
/// types the gateway reads it with): every field present and of its type.
/// Fields beyond the contract's are allowed (clients ignore them, so the
/// agency may add some).
pub fn check_record(agency: SimAgency, record: &Value) -> Result<(), String> {
    let checked = match agency {
        SimAgency::EmploymentService => {
            agency_api::decode::<agency_api::EmploymentServiceRecord>(record).map(drop)
        }
        SimAgency::SocialInsurance => {
            agency_api::decode::<agency_api::SocialInsuranceRecord>(record).map(drop)
        }
    };
    checked.map_err(|problem| {
        if problem == "not an object" {
            "is not a JSON object".to_string()
        } else if let Some(field) = problem.strip_prefix("missing field ") {
            format!("lacks {field}")
        } else {
            let field = problem.split(':').next().unwrap_or(&problem);
            format!("has an invalid `{field}`")
        }
    })
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
