//! Enrolments in the Finsam/ESF sub-projects (USB, Kompetenstrappan, Insam,
//! AKTIV, ...), with the SUS-style exit reason and income source before and
//! after, so the board's dashboard has participants in and out per project.
//!
//! Each sub-project recruits from the people it is meant for and takes about
//! as many as it planned (the real projects are small: USB 128, Insam 43).

use chrono::NaiveDate;
use entities::enrolment;
use entities::enums::{CaseOutcome, CaseStatus, ExitReason, IncomeSource, TargetGroup};
use rand::seq::index;
use rand::Rng;

use super::cases::Case;
use super::catalog::{Eligibility, TRACKS};
use super::context::Ctx;
use super::people::Person;
use super::reference::{Reference, SubProjectInfo};
use super::rng::{self, add_days, at, uuid, weighted, SeedRng, Stream};

/// `enrolment` rows for every sub-project.
pub(crate) fn rows(
    ctx: &Ctx,
    cases: &[Case],
    people: &[Person],
    r: &Reference,
) -> Vec<enrolment::Model> {
    let mut rng = rng::stream(ctx.seed, Stream::Enrolments);
    // Only a person's latest case recruits, so nobody is enrolled twice.
    let mut latest = vec![false; cases.len()];
    let mut last_of_person = vec![usize::MAX; people.len()];
    for (i, c) in cases.iter().enumerate() {
        last_of_person[c.person as usize] = i;
    }
    for i in last_of_person.into_iter().filter(|i| *i != usize::MAX) {
        latest[i] = true;
    }
    let mut out = Vec::new();
    for sub in &r.subs {
        let eligible: Vec<usize> = cases
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                latest[*i]
                    && c.status != CaseStatus::Assessment
                    && c.opened <= sub.period_end.min(ctx.today)
                    && c.end(ctx.today) >= sub.period_start
                    && fits(sub.who, c, &people[c.person as usize])
            })
            .map(|(i, _)| i)
            .collect();
        let want =
            ((f64::from(sub.planned) * rng.random_range(0.85..1.02)) as usize).min(eligible.len());
        let mut chosen: Vec<usize> = index::sample(&mut rng, eligible.len(), want)
            .into_iter()
            .map(|k| eligible[k])
            .collect();
        chosen.sort_unstable();
        for ci in chosen {
            let c = &cases[ci];
            if let Some(row) = one(&mut rng, ctx, sub, c, &people[c.person as usize]) {
                out.push(row);
            }
        }
    }
    out
}

fn fits(who: Eligibility, c: &Case, p: &Person) -> bool {
    let g = p.groups;
    let age = p.age_on(c.opened);
    match who {
        Eligibility::YoungSpecialNeeds => {
            age <= 29 && (g.has(TargetGroup::Disability) || g.has(TargetGroup::Under20))
        }
        Eligibility::IncomeSupportCare => {
            g.has(TargetGroup::IncomeSupport)
                && c.track
                    .is_some_and(|t| TRACKS[usize::from(t)].code == "care_assistant")
        }
        Eligibility::FarFromLabourMarket => c.spinning || g.has(TargetGroup::LongTermSick),
        Eligibility::ActivityCompensation => (19..=29).contains(&age) && c.region_officer.is_some(),
        Eligibility::Apprentices => (18..=25).contains(&age) && c.track.is_some(),
        Eligibility::NewlyArrived => g.has(TargetGroup::NewlyArrived),
    }
}

fn one(
    rng: &mut SeedRng,
    ctx: &Ctx,
    sub: &SubProjectInfo,
    c: &Case,
    p: &Person,
) -> Option<enrolment::Model> {
    let last = c.end(ctx.today).min(sub.period_end).min(ctx.today);
    let enrolled_on = add_days(c.work_starts(), rng.random_range(0..=45)).max(sub.period_start);
    if enrolled_on > last {
        return None;
    }
    let exit: Option<(NaiveDate, ExitReason)> = match c.closed {
        Some(d) if d <= sub.period_end => Some((d.max(enrolled_on), reason(c.outcome))),
        _ if sub.period_end < ctx.today => Some((
            sub.period_end,
            weighted(rng, &[(ExitReason::JobSeeking, 3), (ExitReason::Other, 2)]),
        )),
        _ if rng.random_bool(0.2) => {
            let d = add_days(enrolled_on, rng.random_range(60..=300));
            (d < last).then(|| {
                (
                    d,
                    weighted(
                        rng,
                        &[
                            (ExitReason::PaidWork, 3),
                            (ExitReason::Studies, 2),
                            (ExitReason::JobSeeking, 2),
                            (ExitReason::Other, 2),
                        ],
                    ),
                )
            })
        }
        _ => None,
    };
    let income_source_after = exit.map(|(_, why)| after(rng, why, p.income));
    let created_at = at(rng, enrolled_on);
    let updated_at = match exit {
        Some((d, _)) => at(rng, d).max(created_at),
        None => created_at,
    };
    Some(enrolment::Model {
        id: uuid(rng),
        sub_project_id: sub.id,
        participant_id: p.id,
        case_id: Some(c.id),
        enrolled_on,
        exited_on: exit.map(|(d, _)| d),
        exit_reason: exit.map(|(_, why)| why),
        income_source_before: p.income,
        income_source_after,
        created_at,
        updated_at,
        version: 1 + i32::from(exit.is_some()),
    })
}

/// SUS end reason from the case outcome.
fn reason(outcome: Option<CaseOutcome>) -> ExitReason {
    match outcome {
        Some(CaseOutcome::Work) => ExitReason::PaidWork,
        Some(CaseOutcome::Studies) => ExitReason::Studies,
        Some(CaseOutcome::JobSeeking) => ExitReason::JobSeeking,
        _ => ExitReason::Other,
    }
}

/// Income source after leaving, consistent with the reason.
fn after(rng: &mut SeedRng, why: ExitReason, before: IncomeSource) -> IncomeSource {
    match why {
        ExitReason::PaidWork => IncomeSource::Salary,
        ExitReason::Studies => IncomeSource::StudyGrant,
        ExitReason::JobSeeking => weighted(
            rng,
            &[
                (IncomeSource::ActivitySupport, 3),
                (IncomeSource::UnemploymentBenefit, 2),
                (IncomeSource::IncomeSupport, 2),
            ],
        ),
        ExitReason::Other => {
            if rng.random_bool(0.6) {
                before
            } else {
                IncomeSource::Other
            }
        }
    }
}
