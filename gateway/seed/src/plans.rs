//! Genomförandeplaner with goals and sub-goals (mål och delmål).
//!
//! Every case past kartläggning has one plan. Goals are drawn from themes
//! that fit the person (language for the newly arrived, health contacts for
//! the long-term sick, the track's occupation for those on a ladder), and
//! their status follows the case: achieved or abandoned when it closed,
//! mostly in progress while it runs, and stuck for the "spinning" group.

use chrono::NaiveDate;
use entities::enums::{CaseOutcome, CaseStatus, GoalStatus, PlanStatus, TargetGroup};
use entities::{goal, plan};
use rand::Rng;
use uuid::Uuid;

use super::cases::Case;
use super::catalog::TRACKS;
use super::context::Ctx;
use super::people::Person;
use super::rng::{self, add_days, at, pick, uuid, weighted, SeedRng, Stream};

/// Goals anyone may have.
const GENERAL_GOALS: &[&str] = &[
    "Skapa struktur i vardagen med fasta tider tre dagar i veckan",
    "Ta fram CV och personligt brev",
    "Söka minst fem arbeten i veckan",
    "Skaffa körkort B",
    "Påbörja studier inom vuxenutbildningen",
    "Egen försörjning genom anställning",
    "Få en anställning med stöd",
];
const LANGUAGE_GOALS: &[&str] = &[
    "Nå svenska på nivå B1 enligt CEFR",
    "Genomföra språkpraktik med språkhandledare",
    "Slutföra SFI kurs D",
];
const HEALTH_GOALS: &[&str] = &[
    "Utreda arbetsförmågan tillsammans med Försäkringskassan",
    "Regelbunden kontakt med vuxenpsykiatrin",
    "Öka aktivitetsgraden stegvis till 50 procent",
];
const YOUNG_GOALS: &[&str] = &[
    "Slutföra gymnasieutbildning",
    "Pröva på två yrkesområden genom praktik",
];
const SUB_GOALS: &[&str] = &[
    "Delta i språkcafé en gång i veckan",
    "Boka möte med studie- och yrkesvägledare",
    "Närvaro minst 80 procent under praktiken",
    "Genomföra yrkeskompetensbedömning",
    "Besöka arbetsplatsen tillsammans med coachen",
    "Ansöka om anställningsstöd via Arbetsförmedlingen",
    "Uppdatera CV efter praktiken",
    "Följa upp läkarkontakt inför nästa avstämning",
];

/// `plan` rows and their `goal` rows (top-level goals first, so a sub-goal
/// never arrives before its parent, whatever the insert batching).
pub(crate) fn rows(
    ctx: &Ctx,
    cases: &[Case],
    people: &[Person],
) -> (Vec<plan::Model>, Vec<goal::Model>) {
    let mut rng = rng::stream(ctx.seed, Stream::Plans);
    let mut plans = Vec::with_capacity(cases.len());
    let mut goals = Vec::with_capacity(cases.len() * 3);
    let mut sub_goals = Vec::with_capacity(cases.len());
    for c in cases.iter().filter(|c| c.status != CaseStatus::Assessment) {
        let end = c.end(ctx.today);
        let day = c.work_starts().min(end);
        let status = if c.closed.is_some() {
            PlanStatus::Completed
        } else if (ctx.today - day).num_days() < 30 && rng.random_bool(0.3) {
            PlanStatus::Draft
        } else {
            PlanStatus::Active
        };
        let title = match c.track {
            Some(t) => format!(
                "Genomförandeplan – väg mot arbete som {}",
                TRACKS[t as usize].occupation
            ),
            None => "Genomförandeplan".to_owned(),
        };
        let created_at = at(&mut rng, day);
        let updated_at = at(&mut rng, end).max(created_at);
        let plan_id = uuid(&mut rng);
        plans.push(plan::Model {
            id: plan_id,
            case_id: c.id,
            title,
            status,
            created_by_id: Some(c.coach),
            created_at,
            updated_at,
            version: 1 + i32::from(status == PlanStatus::Completed),
        });
        let person = &people[c.person as usize];
        for _ in 0..rng.random_range(2..=4) {
            let description = goal_text(&mut rng, c, person);
            let parent = goal_row(&mut rng, ctx, c, plan_id, None, description, day);
            let parent_id = parent.id;
            goals.push(parent);
            if rng.random_bool(0.4) {
                for _ in 0..rng.random_range(1..=2) {
                    let text = (*pick(&mut rng, SUB_GOALS)).to_owned();
                    sub_goals.push(goal_row(
                        &mut rng,
                        ctx,
                        c,
                        plan_id,
                        Some(parent_id),
                        text,
                        day,
                    ));
                }
            }
        }
    }
    goals.append(&mut sub_goals);
    (plans, goals)
}

fn goal_text(rng: &mut SeedRng, c: &Case, p: &Person) -> String {
    let g = p.groups;
    let theme = rng.random_range(0..4);
    let text = match theme {
        0 if g.has(TargetGroup::NewlyArrived) => *pick(rng, LANGUAGE_GOALS),
        0 | 1 if g.has(TargetGroup::LongTermSick) || g.has(TargetGroup::Disability) => {
            *pick(rng, HEALTH_GOALS)
        }
        1 if g.has(TargetGroup::Under20) => *pick(rng, YOUNG_GOALS),
        2 if c.track.is_some() => {
            let occupation = TRACKS[c.track.map_or(0, usize::from)].occupation;
            return format!("Genomföra arbetspraktik som {occupation}");
        }
        _ => *pick(rng, GENERAL_GOALS),
    };
    text.to_owned()
}

fn goal_row(
    rng: &mut SeedRng,
    ctx: &Ctx,
    c: &Case,
    plan_id: Uuid,
    parent_goal_id: Option<Uuid>,
    description: String,
    day: NaiveDate,
) -> goal::Model {
    let status = status(rng, c);
    let due_on = rng
        .random_bool(0.85)
        .then(|| add_days(day, rng.random_range(60..=400)));
    let created_at = at(rng, day);
    let changed = match status {
        GoalStatus::NotStarted => day,
        _ => c.end(ctx.today),
    };
    let updated_at = at(rng, changed).max(created_at);
    goal::Model {
        id: uuid(rng),
        plan_id,
        parent_goal_id,
        description,
        status,
        due_on,
        created_at,
        updated_at,
        version: if status == GoalStatus::NotStarted {
            1
        } else {
            2
        },
    }
}

fn status(rng: &mut SeedRng, c: &Case) -> GoalStatus {
    use GoalStatus::*;
    if c.spinning {
        return weighted(rng, &[(NotStarted, 3), (InProgress, 5), (Abandoned, 2)]);
    }
    match c.outcome {
        Some(CaseOutcome::Work | CaseOutcome::Studies) => {
            weighted(rng, &[(Achieved, 8), (Abandoned, 2)])
        }
        Some(_) => weighted(rng, &[(Achieved, 4), (Abandoned, 6)]),
        None => weighted(
            rng,
            &[
                (NotStarted, 3),
                (InProgress, 5),
                (Achieved, 2),
                (Abandoned, 1),
            ],
        ),
    }
}
