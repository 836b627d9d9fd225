//! Interventions (insatser): 1-6 per case, one after the other, starting
//! with the kartläggning. The "spinning" group (seed 004: people who cycle
//! through measure after measure without progress) gets many short
//! interventions that end without result, so the dashboard can find them.

use chrono::NaiveDate;
use entities::enums::{CaseStatus, InterventionKind as Kind, TargetGroup};
use entities::intervention;
use rand::Rng;
use uuid::Uuid;

use super::cases::Case;
use super::context::Ctx;
use super::people::Person;
use super::rng::{self, add_days, at, choose, uuid, weighted, SeedRng, Stream};

/// `intervention` rows for every case.
pub(crate) fn rows(ctx: &Ctx, cases: &[Case], people: &[Person]) -> Vec<intervention::Model> {
    let mut rng = rng::stream(ctx.seed, Stream::Interventions);
    let mut out = Vec::with_capacity(cases.len() * 4);
    for c in cases {
        let p = &people[c.person as usize];
        let end = c.end(ctx.today);
        // The kartläggning itself.
        let (done, note) = match (c.status, c.assessed, c.closed) {
            (CaseStatus::Assessment, _, _) => (None, None),
            (_, Some(d), _) => (Some(d), Some("Kartläggning genomförd")),
            (_, None, Some(d)) => (Some(d), Some("Avbruten")),
            (_, None, None) => (None, None),
        };
        push(
            &mut rng,
            &mut out,
            ctx,
            c,
            Kind::Assessment,
            c.opened,
            done,
            note,
        );
        if c.status == CaseStatus::Assessment {
            continue;
        }
        let count = if c.spinning {
            rng.random_range(7..=12)
        } else {
            weighted(&mut rng, &[(0, 1), (1, 3), (2, 4), (3, 3), (4, 2), (5, 1)])
        };
        let mut cursor = c.work_starts();
        for _ in 0..count {
            let start = add_days(cursor, rng.random_range(0..=30));
            if start > end {
                break;
            }
            let length = if c.spinning {
                rng.random_range(20..=90)
            } else {
                rng.random_range(30..=180)
            };
            let stop = add_days(start, length);
            let (ended, outcome) = if stop < end {
                (Some(stop), Some(outcome(&mut rng, c.spinning)))
            } else if c.closed.is_some() {
                (c.closed, Some(outcome(&mut rng, c.spinning)))
            } else {
                (None, None)
            };
            let kind = kind(&mut rng, p);
            push(&mut rng, &mut out, ctx, c, kind, start, ended, outcome);
            // The next one may overlap the end of this one.
            cursor = add_days(start, length * rng.random_range(5..=10) / 10);
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn push(
    rng: &mut SeedRng,
    out: &mut Vec<intervention::Model>,
    ctx: &Ctx,
    c: &Case,
    kind: Kind,
    started_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    outcome: Option<&str>,
) {
    let a = ctx.agencies;
    let provider_agency_id: Uuid = match kind {
        Kind::JobMatching => a.af,
        Kind::Health => a.region,
        Kind::Rehabilitation => {
            if c.fk_officer.is_some() {
                a.fk
            } else {
                a.region
            }
        }
        Kind::Other if c.af_officer.is_some() => a.af,
        _ => a.lund,
    };
    let created_at = at(rng, started_on);
    let updated_at = match ended_on {
        Some(d) => at(rng, d).max(created_at),
        None => created_at,
    };
    out.push(intervention::Model {
        id: uuid(rng),
        case_id: c.id,
        kind,
        provider_agency_id,
        started_on,
        ended_on,
        outcome: outcome.map(str::to_owned),
        created_at,
        updated_at,
        version: 1 + i32::from(ended_on.is_some()),
    });
}

/// The kind of measure, by what the person needs.
fn kind(rng: &mut SeedRng, p: &Person) -> Kind {
    let g = p.groups;
    let newly = g.has(TargetGroup::NewlyArrived);
    let sick = g.has(TargetGroup::LongTermSick) || g.has(TargetGroup::Disability);
    let young = g.has(TargetGroup::Under20);
    weighted(
        rng,
        &[
            (Kind::Guidance, 4),
            (Kind::WorkTraining, 5),
            (Kind::Language, if newly { 6 } else { 0 }),
            (Kind::Education, if young { 5 } else { 2 }),
            (Kind::Rehabilitation, if sick { 5 } else { 1 }),
            (Kind::JobMatching, 4),
            (Kind::Health, if sick { 3 } else { 1 }),
            (Kind::Other, 1),
        ],
    )
}

/// Outcomes of the "spinning" group's interventions.
const NO_PROGRESS: &[&str] = &[
    "Avbruten",
    "Ingen förändring",
    "Avslutad utan resultat",
    "Avbruten – uteblev",
];

/// Outcomes of everyone else's.
const OUTCOMES: &[&str] = &[
    "Genomförd",
    "Genomförd – mål uppnått",
    "Genomförd – vidare till praktik",
    "Avbruten – sjukdom",
    "Avbruten – flytt",
];

fn outcome(rng: &mut SeedRng, spinning: bool) -> &'static str {
    choose(rng, if spinning { NO_PROGRESS } else { OUTCOMES })
}
