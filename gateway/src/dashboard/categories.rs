//! The categories dashboards count in, in the order boards read them.
//! Keys are the stored enum values, so numbers line up with SUS exports.

use chrono::NaiveDate;
use entities::enums::{ExitReason, IncomeSource, Sex};
use sea_orm::ActiveEnum;

use super::model::ANONYMOUS;
use super::period::months_between;

pub const SEX: &[(&str, &str)] = &[("female", "Kvinnor"), ("male", "Män")];

pub fn sex(s: Sex) -> String {
    s.to_value()
}

/// The key of a stored value (sea-orm's `ActiveEnum` spells it), or
/// `not_recorded` when there is none.
pub fn recorded<E: ActiveEnum<Value = String>>(value: Option<E>) -> String {
    value.map_or_else(|| "not_recorded".to_string(), |v| v.to_value())
}

pub const AGE_BANDS: &[(&str, &str)] = &[
    ("under_20", "Under 20 år"),
    ("20_24", "20-24 år"),
    ("25_29", "25-29 år"),
    ("30_39", "30-39 år"),
    ("40_49", "40-49 år"),
    ("50_59", "50-59 år"),
    ("60_plus", "60 år och äldre"),
    ANONYMOUS,
];

/// Age band from the birth year at a reference date (a year's precision is
/// what the register holds).
pub fn age_band(birth_year: i32, at: NaiveDate) -> &'static str {
    use chrono::Datelike;
    match at.year() - birth_year {
        ..=19 => "under_20",
        20..=24 => "20_24",
        25..=29 => "25_29",
        30..=39 => "30_39",
        40..=49 => "40_49",
        50..=59 => "50_59",
        _ => "60_plus",
    }
}

pub const INCOME: &[(&str, &str)] = &[
    ("income_support", "Försörjningsstöd"),
    ("sickness_benefit", "Sjukpenning"),
    ("activity_compensation", "Aktivitetsersättning"),
    ("unemployment_benefit", "A-kassa"),
    ("activity_support", "Aktivitetsstöd"),
    ("salary", "Lön"),
    ("study_grant", "Studiemedel"),
    ("none", "Ingen försörjning"),
    ("other", "Annan"),
    ("not_recorded", "Ej registrerad"),
    ANONYMOUS,
];

pub fn income(i: Option<IncomeSource>) -> String {
    recorded(i)
}

/// SUS's outcome categories at exit.
pub const OUTCOMES: &[(&str, &str)] = &[
    ("paid_work", "Arbete"),
    ("studies", "Studier"),
    ("job_seeking", "Aktivt arbetssökande"),
    ("other", "Övrigt"),
    ("not_recorded", "Ej registrerad"),
    ANONYMOUS,
];

pub fn outcome(r: Option<ExitReason>) -> String {
    recorded(r)
}

pub const TIME_IN_PROJECT: &[(&str, &str)] = &[
    ("under_3_months", "Under 3 månader"),
    ("3_6_months", "3-6 månader"),
    ("6_12_months", "6-12 månader"),
    ("over_12_months", "Över 12 månader"),
];

pub fn time_in_project(from: NaiveDate, to: NaiveDate) -> &'static str {
    match months_between(from, to) {
        ..=2 => "under_3_months",
        3..=5 => "3_6_months",
        6..=11 => "6_12_months",
        _ => "over_12_months",
    }
}

pub const TARGET_GROUPS: &[(&str, &str)] = &[
    ("income_support", "Försörjningsstöd"),
    ("with_children", "Med barn"),
    ("under_20", "Under 20 år (KAA)"),
    ("newly_arrived", "Nyanlända"),
    ("disability", "Funktionsnedsättning"),
    ("long_term_sick", "Långvarigt sjukskrivna"),
    ("older", "Äldre"),
    ANONYMOUS,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn bands_cover_every_age() {
        for age in 0..120 {
            let band = age_band(2026 - age, d(2026, 6, 1));
            assert!(AGE_BANDS.iter().any(|(k, _)| *k == band));
        }
    }

    #[test]
    fn every_stored_value_has_a_category() {
        use sea_orm::Iterable;
        for i in IncomeSource::iter() {
            assert!(INCOME.iter().any(|(k, _)| *k == income(Some(i))));
        }
        for r in ExitReason::iter() {
            assert!(OUTCOMES.iter().any(|(k, _)| *k == outcome(Some(r))));
        }
        for t in entities::enums::TargetGroup::iter() {
            let code = sea_orm::ActiveEnum::to_value(&t);
            assert!(TARGET_GROUPS.iter().any(|(k, _)| *k == code));
        }
    }

    #[test]
    fn time_buckets() {
        assert_eq!(
            time_in_project(d(2026, 1, 1), d(2026, 3, 31)),
            "under_3_months"
        );
        assert_eq!(time_in_project(d(2026, 1, 1), d(2026, 4, 1)), "3_6_months");
        assert_eq!(
            time_in_project(d(2025, 1, 1), d(2026, 1, 1)),
            "over_12_months"
        );
    }
}
