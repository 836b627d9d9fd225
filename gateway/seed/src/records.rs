//! The state agencies' own records: Arbetsförmedlingen's
//! (employment_service_record, most participants) and Försäkringskassan's
//! (social_insurance_record, a minority, with the sensitive diagnosis group
//! for some). They are owned by AF and FK and reach the municipality only
//! through consent, which is why the consent tests need them.

use chrono::NaiveDate;
use entities::enums::{Benefit, IncomeSource, TargetGroup};
use entities::{employment_service_record as af_record, social_insurance_record as fk_record};
use rand::Rng;

use super::cases::Case;
use super::context::Ctx;
use super::people::Person;
use super::reference::Reference;
use super::rng::{self, add_days, at, date_between, pick, uuid, weighted, SeedRng, Stream};

/// ICD-10 chapter-level groups common in long sick leave (F = mental,
/// M = musculoskeletal, G/I = neurological and stroke).
const DIAGNOSIS_GROUPS: &[&str] = &[
    "F32", "F33", "F41", "F43", "F90", "F84", "M54", "M79", "G35", "I63",
];

/// The records of both agencies, one per person at most.
pub(crate) fn rows(
    ctx: &Ctx,
    cases: &[Case],
    people: &[Person],
    r: &Reference,
) -> (Vec<af_record::Model>, Vec<fk_record::Model>) {
    let mut rng = rng::stream(ctx.seed, Stream::Records);
    // Each person's latest case (cases come older first per person).
    let mut latest = vec![usize::MAX; people.len()];
    for (i, c) in cases.iter().enumerate() {
        latest[c.person as usize] = i;
    }
    let mut af = Vec::with_capacity(people.len());
    let mut fk = Vec::with_capacity(people.len() / 3);
    for (pi, p) in people.iter().enumerate() {
        let Some(c) = cases.get(latest[pi]) else {
            continue;
        };
        if c.af_officer.is_some() || rng.random_bool(0.4) {
            af.push(af_row(&mut rng, ctx, pi, p, c, r));
        }
        let sick_income = matches!(
            p.income,
            IncomeSource::SicknessBenefit | IncomeSource::ActivityCompensation
        );
        if c.fk_officer.is_some() || sick_income {
            fk.push(fk_row(&mut rng, ctx, pi, p, c));
        }
    }
    (af, fk)
}

fn af_row(
    rng: &mut SeedRng,
    ctx: &Ctx,
    pi: usize,
    p: &Person,
    c: &Case,
    r: &Reference,
) -> af_record::Model {
    let end = c.end(ctx.today);
    let registered_on = rng
        .random_bool(0.9)
        .then(|| add_days(c.opened, -rng.random_range(0..=365)));
    let age = p.age_on(c.opened);
    let programme = if p.groups.has(TargetGroup::NewlyArrived) && rng.random_bool(0.5) {
        Some("Etableringsprogrammet")
    } else if age < 25 && rng.random_bool(0.5) {
        Some("Jobbgarantin för ungdomar")
    } else {
        weighted(
            rng,
            &[
                (Some("Jobb- och utvecklingsgarantin"), 4),
                (Some("Rusta och matcha"), 3),
                (Some("Arbetsmarknadsutbildning"), 1),
                (Some("Förberedande utbildning"), 1),
                (None, 2),
            ],
        )
    };
    let support_decision = rng.random_bool(0.4).then(|| {
        *pick(
            rng,
            &[
                "Lönebidrag",
                "Introduktionsjobb",
                "Nystartsjobb",
                "Särskilt anställningsstöd",
                "Stöd och matchning",
            ],
        )
    });
    let officer_ref = c
        .af_officer
        .map(|i| r.pools.af_officers[i as usize].1.clone());
    let recent = add_days(end, -120).max(c.opened);
    let last_contact_on = rng.random_bool(0.9).then(|| date_between(rng, recent, end));
    let created_at = at(rng, registered_on.unwrap_or(c.opened));
    let updated_at = at(rng, last_contact_on.unwrap_or(c.opened)).max(created_at);
    af_record::Model {
        id: uuid(rng),
        owner_agency_id: ctx.agencies.af,
        external_id: format!("AF-{}", 1_000_001 + pi),
        participant_id: p.id,
        registered_on,
        programme: programme.map(str::to_owned),
        support_decision: support_decision.map(str::to_owned),
        officer_ref,
        last_contact_on,
        created_at,
        updated_at,
        version: 1,
    }
}

fn fk_row(rng: &mut SeedRng, ctx: &Ctx, pi: usize, p: &Person, c: &Case) -> fk_record::Model {
    let period_start = add_days(c.opened, -rng.random_range(0..=400));
    let age = p.age_on(period_start);
    let benefit = if (19..=29).contains(&age)
        && (p.income == IncomeSource::ActivityCompensation || rng.random_bool(0.3))
    {
        Benefit::ActivityCompensation
    } else if age >= 30 && p.groups.has(TargetGroup::Disability) && rng.random_bool(0.3) {
        Benefit::SicknessCompensation
    } else {
        weighted(
            rng,
            &[
                (Benefit::SicknessBenefit, 12),
                (Benefit::RehabilitationBenefit, 2),
                (Benefit::None, 1),
            ],
        )
    };
    let sick_leave_degree =
        (benefit != Benefit::None).then(|| *pick(rng, &[25, 50, 50, 75, 100, 100]));
    let period_end: Option<NaiveDate> = match c.closed {
        Some(d) if rng.random_bool(0.7) => Some(d),
        _ if rng.random_bool(0.2) => {
            Some(add_days(period_start, rng.random_range(90..=365))).filter(|d| *d <= ctx.today)
        }
        _ => None,
    };
    let diagnosis_group = (benefit != Benefit::None && rng.random_bool(0.6))
        .then(|| (*pick(rng, DIAGNOSIS_GROUPS)).to_owned());
    let created_at = at(rng, period_start);
    let updated_at = at(rng, period_end.unwrap_or(period_start)).max(created_at);
    fk_record::Model {
        id: uuid(rng),
        owner_agency_id: ctx.agencies.fk,
        external_id: format!("FK-{}", 5_000_001 + pi),
        participant_id: p.id,
        benefit,
        sick_leave_degree,
        period_start,
        period_end,
        rehabilitation_coordination: rng.random_bool(0.4),
        diagnosis_group,
        created_at,
        updated_at,
        version: 1,
    }
}
