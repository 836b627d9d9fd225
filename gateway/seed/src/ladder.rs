//! Moves on the step ladder (step_history) and the placements that realise
//! the steps.
//!
//! A participant on a track enters at the step that fits (the newly arrived
//! often at the language step) and moves up; people whose case closed with
//! work usually reached a subsidised or regular job. Language and work
//! placements are internships, the subsidised-job step a municipal job, an
//! APP employer placement or a procurement place. The "spinning" group stays
//! on one step and its placements tend to end early.

use chrono::{Datelike, NaiveDate};
use entities::enums::{CaseOutcome, CaseStatus, PlacementKind, PlacementStatus, TargetGroup};
use entities::{placement, placement_slot, step_history};
use rand::Rng;
use uuid::Uuid;

use super::cases::Case;
use super::context::Ctx;
use super::people::Person;
use super::reference::Reference;
use super::rng::{self, add_days, at, pick, uuid, weighted, SeedRng, Stream};
use super::slots::{max_days, SlotPool};

/// The rows this step produces (slots before placements when inserting).
pub(crate) struct LadderRows {
    pub step_history: Vec<step_history::Model>,
    pub slots: Vec<placement_slot::Model>,
    pub placements: Vec<placement::Model>,
}

/// A placement waiting for a slot.
struct Request {
    case: u32,
    kind: PlacementKind,
    track: u8,
    start: NaiveDate,
    end: NaiveDate,
    /// Still running today.
    ongoing: bool,
    /// Starts after today.
    planned: bool,
}

pub(crate) fn rows(ctx: &Ctx, cases: &[Case], people: &[Person], r: &Reference) -> LadderRows {
    let mut rng = rng::stream(ctx.seed, Stream::Ladder);
    let mut step_history = Vec::with_capacity(cases.len() * 2);
    let mut requests = Vec::with_capacity(cases.len() / 2);
    for (ci, c) in cases.iter().enumerate() {
        let Some(track) = c.track else { continue };
        if c.status == CaseStatus::Assessment {
            continue;
        }
        let person = &people[c.person as usize];
        for (ordinal, entered, left) in moves(&mut rng, ctx, c, person) {
            let step_id = r.steps[usize::from(track)][ordinal as usize - 1];
            let created_at = at(&mut rng, entered);
            let updated_at = match left {
                Some(d) => at(&mut rng, d).max(created_at),
                None => created_at,
            };
            step_history.push(step_history::Model {
                id: uuid(&mut rng),
                participant_id: person.id,
                case_id: c.id,
                step_id,
                entered_on: entered,
                left_on: left,
                moved_by_id: Some(c.coach),
                created_at,
                updated_at,
                version: 1 + i32::from(left.is_some()),
            });
            if let Some(req) = request(&mut rng, ctx, ci as u32, c, track, ordinal, entered, left) {
                requests.push(req);
            }
        }
    }
    // Fill slots in date order so seats are reused as the year goes on.
    requests.sort_by_key(|q| (q.start, q.case));
    let mut pool = SlotPool::new(ctx, r);
    let mut placements = Vec::with_capacity(requests.len());
    for q in &requests {
        let c = &cases[q.case as usize];
        let seat = pool
            .seat(q.kind, usize::from(q.track), q.start, q.end)
            .or_else(|| {
                pool.seat(
                    PlacementKind::MunicipalJob,
                    usize::from(q.track),
                    q.start,
                    q.end,
                )
            });
        let Some(seat) = seat else { continue };
        placements.push(placement_row(
            &mut rng,
            ctx.today,
            q,
            c,
            people[c.person as usize].id,
            seat.slot_id,
            seat.end,
        ));
    }
    LadderRows {
        step_history,
        slots: pool.into_rows(),
        placements,
    }
}

/// The (ordinal, entered, left) moves of one case.
fn moves(
    rng: &mut SeedRng,
    ctx: &Ctx,
    c: &Case,
    p: &Person,
) -> Vec<(i32, NaiveDate, Option<NaiveDate>)> {
    let end = c.end(ctx.today);
    let entry = if p.groups.has(TargetGroup::NewlyArrived) {
        weighted(rng, &[(1, 6), (2, 4)])
    } else {
        weighted(rng, &[(1, 4), (2, 1), (3, 3), (4, 1)])
    };
    let top = if c.spinning {
        entry
    } else {
        match c.outcome {
            Some(CaseOutcome::Work) => rng.random_range(4..=5),
            _ => (entry + rng.random_range(0..=2)).min(5),
        }
        .max(entry)
    };
    let mut out = Vec::with_capacity(4);
    let mut ordinal = entry;
    let mut entered = c.work_starts().min(end);
    loop {
        let next = add_days(entered, rng.random_range(45..=220));
        let last = ordinal >= top || next >= end;
        let left = if last { c.closed } else { Some(next) };
        out.push((ordinal, entered, left));
        if last {
            return out;
        }
        ordinal += 1;
        entered = next;
    }
}

/// Whether this step had a placement, and of which kind and dates.
#[allow(clippy::too_many_arguments)]
fn request(
    rng: &mut SeedRng,
    ctx: &Ctx,
    case: u32,
    c: &Case,
    track: u8,
    ordinal: i32,
    entered: NaiveDate,
    left: Option<NaiveDate>,
) -> Option<Request> {
    let chance = match ordinal {
        2 => 0.45,
        3 => 0.7,
        4 => 0.75,
        _ => return None,
    };
    if !rng.random_bool(if c.spinning { 0.3 } else { chance }) {
        return None;
    }
    let kind = if ordinal < 4 {
        PlacementKind::Internship
    } else {
        // Extratjänster were phased out: only in the oldest years.
        let extra = if entered.year() <= ctx.year - 3 { 3 } else { 0 };
        weighted(
            rng,
            &[
                (PlacementKind::MunicipalJob, 6),
                (PlacementKind::EmployerPlacement, 3),
                (PlacementKind::ProcurementPlacement, 1),
                (PlacementKind::ExtraJob, extra),
            ],
        )
    };
    let longest = max_days(kind) - 1;
    if left.is_none() && c.is_open() && rng.random_bool(0.06) {
        let start = add_days(ctx.today, rng.random_range(7..=40));
        return Some(Request {
            case,
            kind,
            track,
            start,
            end: add_days(start, longest),
            ongoing: false,
            planned: true,
        });
    }
    let mut start = add_days(entered, rng.random_range(0..=14));
    let until = left.unwrap_or(ctx.today);
    if start > until {
        start = entered;
    }
    let cap = add_days(start, longest);
    Some(Request {
        case,
        kind,
        track,
        start,
        end: until.min(cap),
        ongoing: left.is_none() && until <= cap,
        planned: false,
    })
}

fn placement_row(
    rng: &mut SeedRng,
    today: NaiveDate,
    q: &Request,
    c: &Case,
    participant_id: Uuid,
    slot_id: Uuid,
    end: NaiveDate,
) -> placement::Model {
    let (status, ended_on, outcome) = if q.planned {
        (PlacementStatus::Planned, None, None)
    } else if q.ongoing {
        (PlacementStatus::Active, None, None)
    } else if rng.random_bool(if c.spinning { 0.6 } else { 0.15 }) {
        let days = (end - q.start).num_days();
        let stop = add_days(q.start, (days as f64 * rng.random_range(0.2..0.8)) as i64);
        let why = *pick(
            rng,
            &[
                "Avbruten – sjukdom",
                "Avbruten – matchningen fungerade inte",
                "Avbruten – fick annat arbete",
                "Avbruten – flytt från kommunen",
            ],
        );
        (PlacementStatus::EndedEarly, Some(stop), Some(why))
    } else {
        let how = *pick(
            rng,
            &[
                "Genomförd",
                "Genomförd – vidare till nästa steg",
                "Genomförd – erbjuden fortsatt anställning",
            ],
        );
        (PlacementStatus::Completed, Some(end), Some(how))
    };
    // Booked a week ahead, never before the case or after today.
    let booked = add_days(q.start, -7).max(c.opened).min(today);
    let created_at = at(rng, booked);
    let updated_at = match ended_on {
        Some(d) => at(rng, d).max(created_at),
        None => created_at,
    };
    placement::Model {
        id: uuid(rng),
        slot_id,
        participant_id,
        case_id: c.id,
        started_on: q.start,
        ended_on,
        status,
        outcome: outcome.map(str::to_owned),
        created_at,
        updated_at,
        version: 1 + i32::from(ended_on.is_some()),
    }
}
