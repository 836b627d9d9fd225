//! The agencies' record APIs as `deploy/openapi/` describes them:
//! `POST /v1/employment-service-records/lookup` (AF) and
//! `POST /v1/social-insurance-records/lookup` (FK), each asked with
//! [`Lookup`] and answering [`Records`]. One set of types, so the gateway's
//! client, the synthetic data export and the agency simulator cannot drift
//! apart.
//!
//! Every field type checks its value as it is read and says what was wrong
//! without repeating it: an answer gone wrong may hold anyone's personal
//! data, and serde's own messages quote values. [`decode`] names the path.

mod field;

pub use field::{
    is_personnummer, Benefit, Date, ExternalId, Flag, Personnummer, SickLeaveDegree, Text,
    Timestamp, Version,
};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Most personnummer one lookup may ask about (`maxItems` in the contract).
pub const MAX_LOOKUP: usize = 500;

/// A lookup: the people asked about, as 12-digit personnummer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    pub personnummer: Vec<Personnummer>,
}

/// An answer, or a simulator's data file: `{"records": [...]}`. Records are
/// kept as JSON here and decoded one by one ([`decode`]): one record that
/// breaks the contract is an error for its person, not for the answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Records<T = serde_json::Value> {
    pub records: Vec<T>,
}

/// One of AF's records about a job seeker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmploymentServiceRecord {
    pub external_id: ExternalId,
    pub personnummer: Personnummer,
    #[serde(default)]
    pub registered_on: Option<Date>,
    #[serde(default)]
    pub programme: Option<Text<200>>,
    #[serde(default)]
    pub support_decision: Option<Text<200>>,
    #[serde(default)]
    pub officer_ref: Option<Text<100>>,
    #[serde(default)]
    pub last_contact_on: Option<Date>,
    pub version: Version,
    pub updated_at: Timestamp,
}

/// One of FK's records about an insured person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SocialInsuranceRecord {
    pub external_id: ExternalId,
    pub personnummer: Personnummer,
    pub benefit: Benefit,
    #[serde(default)]
    pub sick_leave_degree: Option<SickLeaveDegree>,
    pub period_start: Date,
    #[serde(default)]
    pub period_end: Option<Date>,
    pub rehabilitation_coordination: Flag,
    #[serde(default)]
    pub diagnosis_group: Option<Text<100>>,
    pub version: Version,
    pub updated_at: Timestamp,
}

/// A record the contract describes: how it is read and checked.
pub trait Record: Serialize + DeserializeOwned {
    /// Checks that span fields (each field checks itself as it is read).
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
    fn external_id(&self) -> &ExternalId;
    fn personnummer(&self) -> &Personnummer;
}

impl Record for EmploymentServiceRecord {
    fn external_id(&self) -> &ExternalId {
        &self.external_id
    }
    fn personnummer(&self) -> &Personnummer {
        &self.personnummer
    }
}

impl Record for SocialInsuranceRecord {
    fn check(&self) -> Result<(), String> {
        match &self.period_end {
            Some(end) if end.0 < self.period_start.0 => Err("periodEnd: before periodStart".into()),
            _ => Ok(()),
        }
    }
    fn external_id(&self) -> &ExternalId {
        &self.external_id
    }
    fn personnummer(&self) -> &Personnummer {
        &self.personnummer
    }
}

/// Reads one record and checks it. The error names the field and what was
/// wrong (`benefit: not one of the contract's values`), never a value.
pub fn decode<T: Record>(record: &serde_json::Value) -> Result<T, String> {
    if !record.is_object() {
        return Err("not an object".into());
    }
    let decoded: T = serde_path_to_error::deserialize(record).map_err(|e| {
        let path = e.path().to_string();
        let reason = e.into_inner().to_string();
        // The field types' own messages hold no values; serde's messages
        // for a missing field name only the field.
        if path == "." {
            reason
        } else {
            format!("{path}: {reason}")
        }
    })?;
    decoded.check()?;
    Ok(decoded)
}

#[cfg(test)]
mod tests;
