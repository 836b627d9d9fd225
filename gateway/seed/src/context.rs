//! What every generation step needs to know: the run's parameters, the ids of
//! the demo agencies, and the rows that already exist and must be reused.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use entities::enums::AgencyKind;
use uuid::Uuid;

use super::SeedError;

/// Ids of the six demo agencies, resolved once from the caller's map.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Agencies {
    pub lund: Uuid,
    pub af: Uuid,
    pub fk: Uuid,
    pub region: Uuid,
    pub finsam: Uuid,
    pub audit: Uuid,
}

impl Agencies {
    /// Looks up every demo agency and checks its kind, so that a config that
    /// names, say, `af` as a municipality fails here with a clear message
    /// rather than producing nonsense rows.
    pub fn resolve(map: &HashMap<String, (Uuid, AgencyKind)>) -> Result<Self, SeedError> {
        let get = |code: &'static str, kind: AgencyKind| -> Result<Uuid, SeedError> {
            match map.get(code) {
                Some((id, k)) if *k == kind => Ok(*id),
                Some((_, k)) => Err(SeedError::Agency(format!(
                    "agency `{code}` has kind {k:?}, the seed expects {kind:?}"
                ))),
                None => Err(SeedError::Agency(format!(
                    "agency `{code}` is missing; sync the demo agencies before seeding"
                ))),
            }
        };
        Ok(Agencies {
            lund: get("lund", AgencyKind::Municipality)?,
            af: get("af", AgencyKind::EmploymentService)?,
            fk: get("fk", AgencyKind::SocialInsurance)?,
            region: get("region", AgencyKind::Region)?,
            finsam: get("finsam", AgencyKind::CoordinationAssociation)?,
            audit: get("audit", AgencyKind::Oversight)?,
        })
    }
}

/// Org units and staff that are already in the database (e.g. a staff row the
/// authenticator upserted when someone signed in before the seed ran). The
/// generator reuses their ids instead of inserting a duplicate.
#[derive(Debug, Default)]
pub(crate) struct Existing {
    /// (agency id, unit code) -> unit id.
    pub units: HashMap<(Uuid, String), Uuid>,
    /// (agency id, subject) -> staff id.
    pub staff: HashMap<(Uuid, String), Uuid>,
}

/// The run's fixed parameters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub seed: u64,
    pub today: NaiveDate,
    /// `today`'s year.
    pub year: i32,
    pub participants: usize,
    pub agencies: Agencies,
}

impl Ctx {
    pub fn new(seed: u64, today: NaiveDate, participants: usize, agencies: Agencies) -> Self {
        Ctx {
            seed,
            today,
            year: today.year(),
            participants,
            agencies,
        }
    }

    /// How much bigger than Lund's real caseload (about 1,500 people a year)
    /// this run is; yearly targets scale with it so that "target vs filled"
    /// stays meaningful at any size.
    pub fn scale(&self) -> f64 {
        (self.participants as f64 / 1500.0).max(1.0)
    }
}
