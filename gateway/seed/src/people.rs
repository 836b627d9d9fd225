//! Participants (deltagare): synthetic personnummer, names, district, target
//! groups, education and income source.
//!
//! Drawn in two steps: [`draw`] makes a compact [`Person`] per participant
//! (what later steps reason about), and [`rows`] turns them into database rows
//! once the cases have decided when each person was first registered.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use entities::enums::{join_codes, EducationLevel, IncomeSource, Sex, TargetGroup};
use entities::participant;
use rand::Rng;
use uuid::Uuid;

use super::context::Ctx;
use super::names::{district, person_name};
use super::rng::{self, add_days, at, uuid, weighted, SeedRng, Stream};
use super::SeedError;
use pii::crypto::PiiKeys;
use pii::personnummer::{self, Personnummer};

/// Birth numbers reserved for synthetic people (see `Personnummer::is_test_number`).
const FIRST_TEST_BIRTH_NUMBER: u16 = 980;
const TEST_BIRTH_NUMBERS: u16 = 20;
/// Youngest and oldest age (at `today`) of a participant.
const MIN_AGE: i64 = 16;
const MAX_AGE: i64 = 65;
/// About how many distinct test numbers exist for ages 16-66 (20 per day);
/// asking for much more than half of them makes unique draws slow.
pub const MAX_PARTICIPANTS: usize = 300_000;

/// Target groups as a bit set, so a person costs a byte, not a `Vec`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Groups(u8);

impl Groups {
    const ALL: [TargetGroup; 7] = [
        TargetGroup::IncomeSupport,
        TargetGroup::WithChildren,
        TargetGroup::Under20,
        TargetGroup::NewlyArrived,
        TargetGroup::Disability,
        TargetGroup::LongTermSick,
        TargetGroup::Older,
    ];

    fn bit(g: TargetGroup) -> u8 {
        1 << Self::ALL.iter().position(|x| *x == g).unwrap_or(0)
    }

    pub fn has(self, g: TargetGroup) -> bool {
        self.0 & Self::bit(g) != 0
    }

    fn add(&mut self, g: TargetGroup) {
        self.0 |= Self::bit(g);
    }

    pub fn codes(self) -> String {
        let list: Vec<TargetGroup> = Self::ALL.into_iter().filter(|g| self.has(*g)).collect();
        join_codes(&list)
    }
}

/// What later steps need to know about a participant.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub id: Uuid,
    pub birth: NaiveDate,
    birth_number: u16,
    pub female: bool,
    pub given: &'static str,
    pub family: &'static str,
    pub district: &'static str,
    pub groups: Groups,
    pub income: IncomeSource,
    pub education: EducationLevel,
    pub protected: bool,
}

impl Person {
    /// Age in whole years on `date`.
    pub fn age_on(&self, date: NaiveDate) -> i32 {
        date.years_since(self.birth).map_or(0, |y| y as i32)
    }

    fn personnummer(&self) -> Personnummer {
        Personnummer::from_parts(self.birth, self.birth_number, false)
    }
}

/// Draws `ctx.participants` distinct synthetic people.
pub(crate) fn draw(ctx: &Ctx) -> Result<Vec<Person>, SeedError> {
    if ctx.participants > MAX_PARTICIPANTS {
        return Err(SeedError::TooMany {
            requested: ctx.participants,
            max: MAX_PARTICIPANTS,
        });
    }
    let mut rng = rng::stream(ctx.seed, Stream::People);
    let mut taken: HashSet<(NaiveDate, u16)> = HashSet::with_capacity(ctx.participants);
    let mut people = Vec::with_capacity(ctx.participants);
    for _ in 0..ctx.participants {
        let (birth, birth_number) = unique_number(&mut rng, ctx.today, &mut taken);
        people.push(person(&mut rng, ctx.today, birth, birth_number));
    }
    Ok(people)
}

/// A (birth date, birth number) pair not used yet. Ages follow the
/// participants of Lund's labour-market unit: mostly 20-49.
fn unique_number(
    rng: &mut SeedRng,
    today: NaiveDate,
    taken: &mut HashSet<(NaiveDate, u16)>,
) -> (NaiveDate, u16) {
    loop {
        let (lo, hi) = weighted(
            rng,
            &[
                ((16, 19), 8),
                ((20, 24), 16),
                ((25, 29), 15),
                ((30, 39), 24),
                ((40, 49), 18),
                ((50, 59), 13),
                ((60, 65), 6),
            ],
        );
        let age: i64 = rng.random_range(lo..=hi).clamp(MIN_AGE, MAX_AGE);
        // Born between `age + 1` years and `age` years ago (leap days make
        // this approximate by a day, which keeps the age within 16..=66).
        let back = age * 365 + age / 4 + rng.random_range(1..=364);
        let birth = add_days(today, -back);
        let start = rng.random_range(0..TEST_BIRTH_NUMBERS);
        for k in 0..TEST_BIRTH_NUMBERS {
            let n = FIRST_TEST_BIRTH_NUMBER + (start + k) % TEST_BIRTH_NUMBERS;
            if taken.insert((birth, n)) {
                return (birth, n);
            }
        }
    }
}

/// One person; groups, education and income are correlated the way the
/// source documents describe the target groups.
fn person(rng: &mut SeedRng, today: NaiveDate, birth: NaiveDate, birth_number: u16) -> Person {
    // The personnummer decides the legal sex (odd birth number = male).
    let female =
        Personnummer::from_parts(birth, birth_number, false).sex() == personnummer::Sex::Female;
    let age = today.years_since(birth).map_or(0, |y| y as i32);
    let mut g = Groups::default();
    if age <= 20 {
        g.add(TargetGroup::Under20);
    }
    if age >= 55 {
        g.add(TargetGroup::Older);
    }
    let income_support = rng.random_bool(if age <= 20 { 0.35 } else { 0.62 });
    if income_support {
        g.add(TargetGroup::IncomeSupport);
        if (22..=55).contains(&age) && rng.random_bool(0.4) {
            g.add(TargetGroup::WithChildren);
        }
    }
    let newly_arrived = age >= 18 && rng.random_bool(0.2);
    if newly_arrived {
        g.add(TargetGroup::NewlyArrived);
    }
    if rng.random_bool(if age <= 29 { 0.18 } else { 0.1 }) {
        g.add(TargetGroup::Disability);
    }
    let sick = age >= 19 && rng.random_bool(if age >= 40 { 0.2 } else { 0.12 });
    if sick {
        g.add(TargetGroup::LongTermSick);
    }
    if g == Groups::default() {
        // Everyone in a collaboration belongs to at least one priority group.
        g.add(TargetGroup::IncomeSupport);
    }

    let education = if age <= 20 {
        weighted(
            rng,
            &[
                (EducationLevel::CompulsoryIncomplete, 5),
                (EducationLevel::Compulsory, 4),
                (EducationLevel::Unknown, 1),
            ],
        )
    } else if newly_arrived {
        weighted(
            rng,
            &[
                (EducationLevel::CompulsoryIncomplete, 3),
                (EducationLevel::Compulsory, 2),
                (EducationLevel::UpperSecondary, 2),
                (EducationLevel::PostSecondary, 1),
                (EducationLevel::Unknown, 3),
            ],
        )
    } else {
        weighted(
            rng,
            &[
                (EducationLevel::CompulsoryIncomplete, 2),
                (EducationLevel::Compulsory, 3),
                (EducationLevel::UpperSecondary, 4),
                (EducationLevel::PostSecondary, 1),
                (EducationLevel::Unknown, 1),
            ],
        )
    };
    let income = if sick {
        if (19..=29).contains(&age) {
            IncomeSource::ActivityCompensation
        } else {
            IncomeSource::SicknessBenefit
        }
    } else if income_support {
        IncomeSource::IncomeSupport
    } else if age <= 20 {
        weighted(
            rng,
            &[
                (IncomeSource::None, 5),
                (IncomeSource::StudyGrant, 3),
                (IncomeSource::Other, 1),
            ],
        )
    } else {
        weighted(
            rng,
            &[
                (IncomeSource::UnemploymentBenefit, 4),
                (IncomeSource::ActivitySupport, 3),
                (IncomeSource::None, 2),
                (IncomeSource::Salary, 1),
                (IncomeSource::Other, 1),
            ],
        )
    };
    let abroad = if newly_arrived { 0.9 } else { 0.25 };
    let (given, family) = person_name(rng, female, abroad);
    Person {
        id: uuid(rng),
        birth,
        birth_number,
        female,
        given,
        family,
        district: district(rng),
        groups: g,
        income,
        education,
        protected: rng.random_bool(0.01),
    }
}

/// Participant rows. `registered[i]` is the day person `i` was first
/// registered (their earliest case), which dates the row, and the agency
/// that registered them.
pub(crate) fn rows(
    ctx: &Ctx,
    keys: &PiiKeys,
    people: &[Person],
    registered: &[(NaiveDate, Uuid)],
    owning_unit: Uuid,
) -> Vec<participant::Model> {
    // Timestamps get their own stream so drawing them cannot shift the people.
    let mut rng = rng::stream(ctx.seed, Stream::ParticipantRows);
    people
        .iter()
        .zip(registered)
        .map(|(p, (day, registrar))| {
            let pnr = p.personnummer();
            let created_at = at(&mut rng, *day);
            participant::Model {
                id: p.id,
                personnummer_enc: keys.encrypt_personnummer_deterministic(&pnr),
                personnummer_hash: keys.lookup_hash(&pnr),
                given_name: p.given.to_owned(),
                family_name: p.family.to_owned(),
                birth_year: p.birth.year(),
                sex: if p.female { Sex::Female } else { Sex::Male },
                district: p.district.to_owned(),
                target_groups: p.groups.codes(),
                education_level: p.education,
                income_source: p.income,
                protected_identity: p.protected,
                owning_unit_id: p.protected.then_some(owning_unit),
                registered_by_agency_id: Some(*registrar),
                synthetic: true,
                created_at,
                updated_at: created_at,
                version: 1,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Agencies;
    use crate::rng::ymd;

    fn ctx(n: usize) -> Ctx {
        let id = Uuid::nil();
        let a = Agencies {
            lund: id,
            af: id,
            fk: id,
            region: id,
            finsam: id,
            audit: id,
        };
        Ctx::new(42, ymd(2026, 11, 22), n, a)
    }

    #[test]
    fn people_are_unique_test_numbers_of_working_age() {
        let c = ctx(5000);
        let people = draw(&c).expect("draw");
        let mut seen = HashSet::new();
        for p in &people {
            let pnr = p.personnummer();
            assert!(pnr.is_test_number());
            assert!(seen.insert(pnr.expose_digits().to_owned()));
            let age = p.age_on(c.today);
            assert!((16..=66).contains(&age), "age {age}");
            assert_eq!(p.female, pnr.sex() == personnummer::Sex::Female);
            assert_ne!(p.groups, Groups::default());
        }
        let protected = people.iter().filter(|p| p.protected).count();
        assert!(protected > 10 && protected < 120, "{protected}");
    }

    #[test]
    fn too_many_is_refused() {
        assert!(matches!(
            draw(&ctx(MAX_PARTICIPANTS + 1)),
            Err(SeedError::TooMany { .. })
        ));
    }

    #[test]
    fn group_codes_use_the_list_spelling() {
        let mut g = Groups::default();
        g.add(TargetGroup::IncomeSupport);
        g.add(TargetGroup::Under20);
        assert_eq!(g.codes(), "income_support,under_20");
    }
}
