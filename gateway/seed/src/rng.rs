//! Deterministic randomness for the generator.
//!
//! Every table gets its own ChaCha stream derived from the run's seed, so a
//! change in how one table is generated does not reshuffle the rows of every
//! table after it, and the same `(seed, today)` always gives the same ids and
//! timestamps. Nothing here reads the clock or the operating system's RNG.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

/// The generator's random number generator.
pub(crate) type SeedRng = ChaCha8Rng;

/// One independent stream per generation step (the discriminant is the
/// ChaCha stream number, so the values must never be reused or renumbered).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Reference = 1,
    People = 2,
    Cases = 3,
    Members = 4,
    Consents = 5,
    Plans = 6,
    Ladder = 7,
    Interventions = 8,
    Records = 9,
    Enrolments = 10,
    FollowUps = 11,
    ParticipantRows = 12,
    CaseRows = 13,
    Slots = 14,
}

/// A fresh generator for `stream` of the run seeded with `seed`.
pub(crate) fn stream(seed: u64, which: Stream) -> SeedRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(which as u64);
    rng
}

/// A random (version 4 layout) uuid drawn from the generator, never from the OS.
pub(crate) fn uuid(rng: &mut SeedRng) -> Uuid {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// An instant during office hours (07:00-16:59 UTC) on `date`: rows look as
/// if someone entered them at work that day.
pub(crate) fn at(rng: &mut SeedRng, date: NaiveDate) -> DateTime<Utc> {
    let secs = rng.random_range(7 * 3600..17 * 3600);
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists on every date")
        .and_utc()
        + Duration::seconds(secs)
}

/// `date` moved by `days` (negative = earlier).
pub(crate) fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    date + Duration::days(days)
}

/// A uniformly drawn date in `from..=to` (`from` when the range is empty).
pub(crate) fn date_between(rng: &mut SeedRng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days();
    if span <= 0 {
        return from;
    }
    add_days(from, rng.random_range(0..=span))
}

/// 1 January of `year`.
pub(crate) fn jan1(year: i32) -> NaiveDate {
    ymd(year, 1, 1)
}

/// A calendar date the generator knows to exist (fixed month/day constants).
pub(crate) fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("generator dates are valid calendar dates")
}

/// The first day of `date`'s month.
pub(crate) fn month_start(date: NaiveDate) -> NaiveDate {
    ymd(date.year(), date.month(), 1)
}

/// Picks one element; the slices passed here are non-empty constants.
pub(crate) fn pick<'a, T>(rng: &mut SeedRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Picks one value of a non-empty constant list of `Copy` values.
pub(crate) fn choose<T: Copy>(rng: &mut SeedRng, items: &[T]) -> T {
    *pick(rng, items)
}

/// Picks a value with the given relative weights.
pub(crate) fn weighted<T: Copy>(rng: &mut SeedRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for (item, w) in items {
        if roll < *w {
            return *item;
        }
        roll -= w;
    }
    items[items.len() - 1].0
}

/// 64 lowercase hex characters, shaped like a SHA-256 digest.
pub(crate) fn hex64(rng: &mut SeedRng) -> String {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<Uuid> = (0..4)
            .map({
                let mut r = stream(7, Stream::People);
                move |_| uuid(&mut r)
            })
            .collect();
        let b: Vec<Uuid> = (0..4)
            .map({
                let mut r = stream(7, Stream::People);
                move |_| uuid(&mut r)
            })
            .collect();
        let c = uuid(&mut stream(7, Stream::Cases));
        assert_eq!(a, b);
        assert_ne!(a[0], c);
        assert_eq!(a[0].get_version_num(), 4);
    }

    #[test]
    fn office_hours_and_dates() {
        let mut r = stream(1, Stream::Reference);
        let d = ymd(2025, 3, 4);
        for _ in 0..100 {
            let t = at(&mut r, d);
            assert_eq!(t.date_naive(), d);
            let x = date_between(&mut r, d, add_days(d, 10));
            assert!(x >= d && x <= add_days(d, 10));
        }
        assert_eq!(date_between(&mut r, d, add_days(d, -3)), d);
        assert_eq!(month_start(d), ymd(2025, 3, 1));
    }
}
