//! Shared cases (samverkansärenden): who leads, which coach, status and
//! dates, and which officers of the other agencies take part.
//!
//! One case per participant, opened over the last four years; about one in
//! eight people also has an older closed case (they came back). Old cases
//! are more often closed; recent ones may still be in assessment. The demo
//! coach gets a fixed-size caseload so the demo always has something to show.

use chrono::NaiveDate;
use entities::enums::{CaseOutcome, CaseStatus, IncomeSource, TargetGroup};
use entities::shared_case;
use rand::seq::index;
use rand::Rng;
use uuid::Uuid;

use super::catalog::TRACKS;
use super::context::Ctx;
use super::people::Person;
use super::reference::Reference;
use super::rng::{self, add_days, at, uuid, weighted, SeedRng, Stream};

/// How far back primary cases are opened (about four years).
const HISTORY_DAYS: i64 = 4 * 365;

/// What later steps need to know about a case.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub id: Uuid,
    /// Index into the people.
    pub person: u32,
    pub status: CaseStatus,
    pub opened: NaiveDate,
    pub assessed: Option<NaiveDate>,
    pub closed: Option<NaiveDate>,
    pub outcome: Option<CaseOutcome>,
    pub lead: Uuid,
    pub coach: Uuid,
    pub lund_officer: Option<Uuid>,
    /// Index into `StaffPools::af_officers`.
    pub af_officer: Option<u32>,
    pub fk_officer: Option<Uuid>,
    pub region_officer: Option<Uuid>,
    /// Index into [`TRACKS`] when the person follows a step ladder.
    pub track: Option<u8>,
    /// Cycles through measure after measure without progress (seed 004).
    pub spinning: bool,
}

impl Case {
    /// The last day the case was (or is, today) running.
    pub fn end(&self, today: NaiveDate) -> NaiveDate {
        self.closed.unwrap_or(today)
    }

    pub fn is_open(&self) -> bool {
        self.status != CaseStatus::Closed
    }

    /// When the work after kartläggning starts.
    pub fn work_starts(&self) -> NaiveDate {
        self.assessed.unwrap_or_else(|| add_days(self.opened, 30))
    }
}

/// Draws every case. Returns the cases (people's order, older case first)
/// and, per person, the day they were first registered and by whom (the
/// lead agency of their earliest case).
pub(crate) fn draw(
    ctx: &Ctx,
    people: &[Person],
    r: &Reference,
) -> (Vec<Case>, Vec<(NaiveDate, Uuid)>) {
    let mut rng = rng::stream(ctx.seed, Stream::Cases);
    let mut cases = Vec::with_capacity(people.len() * 9 / 8);
    let mut registered = Vec::with_capacity(people.len());
    for (i, p) in people.iter().enumerate() {
        let primary = primary_case(&mut rng, ctx, p, i as u32, r);
        if rng.random_bool(0.12) {
            let older = older_case(&mut rng, ctx, p, i as u32, primary.opened, r);
            registered.push((older.opened, older.lead));
            cases.push(older);
        } else {
            registered.push((primary.opened, primary.lead));
        }
        cases.push(primary);
    }
    give_demo_coach_a_caseload(&mut rng, &mut cases, r);
    (cases, registered)
}

fn primary_case(rng: &mut SeedRng, ctx: &Ctx, p: &Person, person: u32, r: &Reference) -> Case {
    let today = ctx.today;
    let age_days = rng.random_range(0..=HISTORY_DAYS);
    let opened = add_days(today, -age_days);
    let status = if age_days < 45 && rng.random_bool(0.75) {
        CaseStatus::Assessment
    } else if age_days >= 60 && rng.random_bool(0.12 + 0.55 * age_days as f64 / HISTORY_DAYS as f64)
    {
        CaseStatus::Closed
    } else {
        weighted(rng, &[(CaseStatus::Active, 85), (CaseStatus::Paused, 15)])
    };
    let mut assessed = match status {
        CaseStatus::Assessment => None,
        _ if rng.random_bool(0.95) => Some(add_days(opened, rng.random_range(10..=60)).min(today)),
        _ => None,
    };
    let (closed, outcome) = if status == CaseStatus::Closed {
        let longest = age_days - 1;
        let duration = rng.random_range(60..=900).min(longest);
        let closed = add_days(opened, duration);
        if assessed.is_some_and(|a| a >= closed) {
            assessed = Some(add_days(opened, duration / 3));
        }
        (Some(closed), Some(outcome(rng, p)))
    } else {
        (None, None)
    };
    let spinning = matches!(status, CaseStatus::Active | CaseStatus::Paused)
        && age_days > 540
        && rng.random_bool(0.3);
    finish(
        rng,
        ctx,
        p,
        person,
        r,
        Draft {
            status,
            opened,
            assessed,
            closed,
            outcome,
            spinning,
        },
    )
}

/// A closed case from an earlier round, ending before the current one opened.
fn older_case(
    rng: &mut SeedRng,
    ctx: &Ctx,
    p: &Person,
    person: u32,
    before: NaiveDate,
    r: &Reference,
) -> Case {
    let closed = add_days(before, -rng.random_range(30..=240));
    let opened = add_days(closed, -rng.random_range(90..=600));
    let assessed = Some(add_days(opened, rng.random_range(14..=45)));
    // They came back, so the first round rarely ended in lasting work.
    let outcome = weighted(
        rng,
        &[
            (CaseOutcome::JobSeeking, 4),
            (CaseOutcome::Other, 3),
            (CaseOutcome::SickLeave, 2),
            (CaseOutcome::Work, 1),
        ],
    );
    finish(
        rng,
        ctx,
        p,
        person,
        r,
        Draft {
            status: CaseStatus::Closed,
            opened,
            assessed,
            closed: Some(closed),
            outcome: Some(outcome),
            spinning: false,
        },
    )
}

/// Outcome at close, shifted by the person's situation.
fn outcome(rng: &mut SeedRng, p: &Person) -> CaseOutcome {
    let sick = p.groups.has(TargetGroup::LongTermSick);
    let young = p.groups.has(TargetGroup::Under20);
    weighted(
        rng,
        &[
            (CaseOutcome::Work, if sick { 18 } else { 34 }),
            (CaseOutcome::Studies, if young { 35 } else { 12 }),
            (CaseOutcome::JobSeeking, 22),
            (CaseOutcome::SickLeave, if sick { 30 } else { 8 }),
            (CaseOutcome::Other, 18),
        ],
    )
}

/// The dated part of a case, before people are attached.
struct Draft {
    status: CaseStatus,
    opened: NaiveDate,
    assessed: Option<NaiveDate>,
    closed: Option<NaiveDate>,
    outcome: Option<CaseOutcome>,
    spinning: bool,
}

/// Lead agency, coach, officers and track.
fn finish(rng: &mut SeedRng, ctx: &Ctx, p: &Person, person: u32, r: &Reference, d: Draft) -> Case {
    let a = &ctx.agencies;
    let pools = &r.pools;
    let sick = p.groups.has(TargetGroup::LongTermSick)
        || matches!(
            p.income,
            IncomeSource::SicknessBenefit | IncomeSource::ActivityCompensation
        );
    let lead = weighted(
        rng,
        &[(a.lund, 80), (a.af, 13), (a.fk, if sick { 25 } else { 4 })],
    );
    // The demo coach (index 0) is handed a caseload separately.
    let coach = pools.coaches[1 + rng.random_range(0..pools.coaches.len() - 1)];
    let af_officer = (lead == a.af || rng.random_bool(0.8))
        .then(|| rng.random_range(0..pools.af_officers.len()) as u32);
    let fk_officer = (lead == a.fk || (sick && rng.random_bool(0.85)) || rng.random_bool(0.06))
        .then(|| pools.fk_officers[rng.random_range(0..pools.fk_officers.len())]);
    let lund_officer = (p.groups.has(TargetGroup::IncomeSupport) && rng.random_bool(0.8))
        .then(|| pools.lund_officers[rng.random_range(0..pools.lund_officers.len())]);
    let region_officer = ((p.groups.has(TargetGroup::Disability)
        || p.groups.has(TargetGroup::LongTermSick))
        && rng.random_bool(0.35))
    .then(|| pools.region_officers[rng.random_range(0..pools.region_officers.len())]);
    let on_ladder = d.status != CaseStatus::Assessment && rng.random_bool(0.7);
    let weights: Vec<(u8, u32)> = TRACKS
        .iter()
        .enumerate()
        .map(|(i, t)| (i as u8, t.weight))
        .collect();
    let track = on_ladder.then(|| weighted(rng, &weights));
    Case {
        id: uuid(rng),
        person,
        status: d.status,
        opened: d.opened,
        assessed: d.assessed,
        closed: d.closed,
        outcome: d.outcome,
        lead,
        coach,
        lund_officer,
        af_officer,
        fk_officer,
        region_officer,
        track,
        spinning: d.spinning,
    }
}

/// Hands the demo coach 30-45 open cases and a share of closed ones: the
/// demo's coach view needs a real caseload whatever the run's size.
fn give_demo_coach_a_caseload(rng: &mut SeedRng, cases: &mut [Case], r: &Reference) {
    let demo = r.pools.coaches[0];
    let open: Vec<usize> = (0..cases.len()).filter(|i| cases[*i].is_open()).collect();
    let closed: Vec<usize> = (0..cases.len()).filter(|i| !cases[*i].is_open()).collect();
    let want_open = rng.random_range(30..=45).min(open.len());
    let want_closed = (want_open * 2 / 3).min(closed.len());
    let mut chosen: Vec<usize> = index::sample(rng, open.len(), want_open)
        .into_iter()
        .map(|k| open[k])
        .chain(
            index::sample(rng, closed.len(), want_closed)
                .into_iter()
                .map(|k| closed[k]),
        )
        .collect();
    chosen.sort_unstable();
    for i in chosen {
        cases[i].coach = demo;
    }
}

/// `shared_case` rows.
/// Each case carries the person's one registration, owned as the
/// participant row's is (`registered`: the registrar of each person), and
/// a protected identity is owned by `owning_unit` as there.
pub(crate) fn rows(
    ctx: &Ctx,
    cases: &[Case],
    people: &[Person],
    registered: &[(NaiveDate, Uuid)],
    owning_unit: Uuid,
) -> Vec<shared_case::Model> {
    let mut rng = rng::stream(ctx.seed, Stream::CaseRows);
    cases
        .iter()
        .map(|c| {
            let created_at = at(&mut rng, c.opened);
            // The last change: closing, assessment, or the opening itself.
            let last = c.closed.or(c.assessed).unwrap_or(c.opened);
            let updated_at = at(&mut rng, last).max(created_at);
            let version = 1 + i32::from(c.assessed.is_some()) + i32::from(c.closed.is_some());
            let person = &people[c.person as usize];
            shared_case::Model {
                id: c.id,
                participant_id: person.id,
                lead_agency_id: c.lead,
                coach_id: Some(c.coach),
                status: c.status,
                opened_on: c.opened,
                assessed_on: c.assessed,
                closed_on: c.closed,
                outcome: c.outcome,
                // The generator registers a person once, the same in every case.
                given_name: person.given.to_owned(),
                family_name: person.family.to_owned(),
                district: person.district.to_owned(),
                target_groups: person.groups.codes(),
                education_level: person.education,
                income_source: person.income,
                registered_by_agency_id: Some(registered[c.person as usize].1),
                registered_unit_id: person.protected.then_some(owning_unit),
                protected_identity: person.protected,
                created_at,
                updated_at,
                version,
            }
        })
        .collect()
}
