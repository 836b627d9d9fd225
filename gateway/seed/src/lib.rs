//! Synthetic data generator for the demo, tests and load measurements.
//!
//! Generates a whole municipality's worth of collaboration data from one
//! seed: reference data (org units, staff, ladder tracks, projects,
//! allocation models, agreements, procurement contracts), then participants
//! and their cases with members, consents, plans and goals, ladder moves,
//! placements, interventions, AF and FK records, project enrolments and
//! follow-ups.
//!
//! Everything is derived from a ChaCha generator seeded with
//! [`SeedOptions::seed`] and from [`SeedOptions::today`]; the same options
//! give the same rows, ids and timestamps. Every personnummer is a test
//! number (birth number 980-999) and every participant is flagged
//! `synthetic`: this data must never be mistaken for real people.
//!
//! Rows are generated table by table (parents first) and written in bulk in
//! one transaction (see [`insert`]), so a failed run leaves nothing behind.

mod cases;
mod catalog;
mod consents;
mod context;
mod enrolments;
pub mod export;
mod followups;
mod insert;
mod interventions;
mod ladder;
mod members;
mod names;
mod people;
mod plans;
mod records;
mod reference;
mod rng;
mod slots;

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use entities::enums::AgencyKind;
use entities::prelude::*;
use entities::{org_unit, participant, staff};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, Statement,
};
use uuid::Uuid;

use context::{Agencies, Ctx, Existing};
use insert::{Counts, Sink};
use pii::crypto::PiiKeys;

pub use people::MAX_PARTICIPANTS;

// Staff subjects are `<agency>-<role>-NNN`, numbered from 001 in each pool
// (`reference.rs`); the demo's users are the first of their pools, which
// is all the demo relies on (`gateway::demo::DEMO_USERS`).

/// What to generate.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// Number of participants (each with one or two cases).
    pub participants: usize,
    /// Seed of the random generator; same seed and `today`, same data.
    pub seed: u64,
    /// The reference date: cases are opened over the four years before it.
    pub today: chrono::NaiveDate,
}

/// What was generated.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SeedReport {
    /// Rows written per table.
    pub counts: BTreeMap<&'static str, u64>,
    /// Wall-clock time of the whole run, in milliseconds.
    pub elapsed_ms: u128,
}

/// Why seeding failed. Nothing is written when it fails.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// Synthetic participants exist already; seeding twice would duplicate
    /// everything but the participants themselves.
    #[error("{0}")]
    AlreadySeeded(String),
    /// A demo agency is missing from the `agency` table or has the wrong kind.
    #[error("{0}")]
    Agency(String),
    /// More participants than there are distinct synthetic personnummer.
    #[error("cannot generate {requested} participants; at most {max}")]
    TooMany { requested: usize, max: usize },
    /// A bug in the generator (e.g. a column type the bulk writer lacks).
    #[error("seed generator: {0}")]
    Internal(String),
}

/// Every table the generator writes (all but `agency` and `audit_event`).
const TABLES: &[&str] = &[
    "org_unit",
    "staff",
    "ladder_step",
    "project",
    "sub_project",
    "procurement_contract",
    "allocation_model",
    "allocation",
    "agreement",
    "participant",
    "shared_case",
    "case_member",
    "consent",
    "plan",
    "goal",
    "step_history",
    "placement_slot",
    "placement",
    "intervention",
    "employment_service_record",
    "social_insurance_record",
    "enrolment",
    "follow_up",
];

/// Generates and writes the synthetic data set.
///
/// `agencies`: agency code -> (agency row id, kind) for the agencies already
/// in the `agency` table; the six demo agencies (lund, af, fk, region,
/// finsam, audit) must be among them.
pub async fn seed(
    db: &DatabaseConnection,
    keys: &PiiKeys,
    agencies: &HashMap<String, (Uuid, AgencyKind)>,
    opts: &SeedOptions,
) -> Result<SeedReport, SeedError> {
    let started = Instant::now();
    let agencies = Agencies::resolve(agencies)?;
    let synthetic = Participant::find()
        .filter(participant::Column::Synthetic.eq(true))
        .count(db)
        .await?;
    if synthetic > 0 {
        return Err(SeedError::AlreadySeeded(format!(
            "the database already holds {synthetic} synthetic participants; \
             seed an empty database"
        )));
    }
    let ctx = Ctx::new(opts.seed, opts.today, opts.participants, agencies);
    let existing = existing(db, &agencies).await?;

    let mut counts = Counts::new();
    let mut sink = Sink::begin(db, TABLES).await?;
    write_all(&mut sink, &mut counts, &ctx, keys, &existing).await?;
    sink.commit().await?;
    analyze(db, &counts).await?;

    Ok(SeedReport {
        counts,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

/// Generates table by table, parents before children, and writes each
/// table as soon as it is generated so the big ones are never all in memory.
async fn write_all(
    sink: &mut Sink,
    counts: &mut Counts,
    ctx: &Ctx,
    keys: &PiiKeys,
    existing: &Existing,
) -> Result<(), SeedError> {
    let mut r = reference::build(ctx, existing);
    sink.write::<OrgUnit>(counts, "org_unit", std::mem::take(&mut r.org_units))
        .await?;
    sink.write::<Staff>(counts, "staff", std::mem::take(&mut r.staff))
        .await?;
    sink.write::<LadderStep>(counts, "ladder_step", std::mem::take(&mut r.ladder_steps))
        .await?;
    sink.write::<Project>(counts, "project", std::mem::take(&mut r.projects))
        .await?;
    sink.write::<SubProject>(counts, "sub_project", std::mem::take(&mut r.sub_projects))
        .await?;
    sink.write::<ProcurementContract>(
        counts,
        "procurement_contract",
        std::mem::take(&mut r.contracts),
    )
    .await?;
    sink.write::<AllocationModel>(
        counts,
        "allocation_model",
        std::mem::take(&mut r.allocation_models),
    )
    .await?;
    sink.write::<Allocation>(counts, "allocation", std::mem::take(&mut r.allocations))
        .await?;
    sink.write::<Agreement>(counts, "agreement", std::mem::take(&mut r.agreements))
        .await?;

    let people = people::draw(ctx)?;
    let (cases, registered) = cases::draw(ctx, &people, &r);
    let rows = people::rows(ctx, keys, &people, &registered, r.arbetsmarknad);
    sink.write::<Participant>(counts, "participant", rows)
        .await?;
    let case_rows = cases::rows(ctx, &cases, &people, &registered, r.arbetsmarknad);
    drop(registered);
    sink.write::<SharedCase>(counts, "shared_case", case_rows)
        .await?;
    sink.write::<CaseMember>(counts, "case_member", members::rows(ctx, &cases, &r))
        .await?;
    sink.write::<Consent>(
        counts,
        "consent",
        consents::rows(ctx, &cases, &people, &r.pools),
    )
    .await?;

    let (plans, goals) = plans::rows(ctx, &cases, &people);
    sink.write::<Plan>(counts, "plan", plans).await?;
    sink.write::<Goal>(counts, "goal", goals).await?;

    let ladder = ladder::rows(ctx, &cases, &people, &r);
    sink.write::<StepHistory>(counts, "step_history", ladder.step_history)
        .await?;
    sink.write::<PlacementSlot>(counts, "placement_slot", ladder.slots)
        .await?;
    sink.write::<Placement>(counts, "placement", ladder.placements)
        .await?;

    sink.write::<Intervention>(
        counts,
        "intervention",
        interventions::rows(ctx, &cases, &people),
    )
    .await?;
    let (af, fk) = records::rows(ctx, &cases, &people, &r);
    sink.write::<EmploymentServiceRecord>(counts, "employment_service_record", af)
        .await?;
    sink.write::<SocialInsuranceRecord>(counts, "social_insurance_record", fk)
        .await?;
    sink.write::<Enrolment>(
        counts,
        "enrolment",
        enrolments::rows(ctx, &cases, &people, &r),
    )
    .await?;
    sink.write::<FollowUp>(counts, "follow_up", followups::rows(ctx, &cases))
        .await?;
    Ok(())
}

/// Org units and staff of the demo agencies that already exist.
async fn existing(db: &DatabaseConnection, a: &Agencies) -> Result<Existing, SeedError> {
    let ids = [a.lund, a.af, a.fk, a.region, a.finsam, a.audit];
    let units = OrgUnit::find()
        .filter(org_unit::Column::AgencyId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| ((u.agency_id, u.code), u.id))
        .collect();
    let staff = Staff::find()
        .filter(staff::Column::AgencyId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| ((s.agency_id, s.subject), s.id))
        .collect();
    Ok(Existing { units, staff })
}

/// Refreshes the planner statistics of the seeded tables after the bulk
/// load, so the demo's first queries do not run on plans made for empty
/// tables. Only the seeded tables: a shared PostgreSQL may hold other schemas.
async fn analyze(db: &DatabaseConnection, counts: &Counts) -> Result<(), SeedError> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            let tables: Vec<String> = counts.keys().map(|t| format!("\"{t}\"")).collect();
            format!("ANALYZE {}", tables.join(", "))
        }
        DbBackend::Sqlite => "ANALYZE".to_owned(),
        DbBackend::MySql => return Ok(()),
    };
    db.execute(Statement::from_string(backend, sql)).await?;
    Ok(())
}

#[cfg(test)]
mod tests;
