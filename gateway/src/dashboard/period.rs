//! Reporting periods as the agencies report them (SUS): a month, a tertial
//! (January–April, May–August, September–December) or a year.

use chrono::{Datelike, Months, NaiveDate};

use crate::vocabulary::error::ApiError;

/// Years a dashboard may be asked about: wider than any real project, and
/// narrow enough that a typo does not scan a century.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Month,
    Tertial,
    Year,
}

/// A closed date range `[start, end]` with its kind, checked on creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    /// `number` is the month (1–12) or tertial (1–3); ignored for a year.
    /// `field` names the argument in the error.
    pub fn new(
        kind: PeriodKind,
        year: i32,
        number: Option<u32>,
        field: &str,
    ) -> Result<Period, ApiError> {
        let year = check_year(year, &format!("{field}.year"))?;
        let (first_month, months) = match kind {
            PeriodKind::Year => (1, 12),
            PeriodKind::Month => {
                let m = number.ok_or_else(|| bad(field, "number", "a month needs number 1-12"))?;
                if !(1..=12).contains(&m) {
                    return Err(bad(field, "number", "month must be 1-12"));
                }
                (m, 1)
            }
            PeriodKind::Tertial => {
                let t = number.ok_or_else(|| bad(field, "number", "a tertial needs number 1-3"))?;
                if !(1..=3).contains(&t) {
                    return Err(bad(field, "number", "tertial must be 1-3"));
                }
                ((t - 1) * 4 + 1, 4)
            }
        };
        let start = NaiveDate::from_ymd_opt(year, first_month, 1).expect("checked month");
        let end = start + Months::new(months) - chrono::Days::new(1);
        Ok(Period { kind, start, end })
    }

    pub fn year(year: i32, field: &str) -> Result<Period, ApiError> {
        Period::new(PeriodKind::Year, year, None, field)
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end
    }
}

pub fn check_year(year: i32, field: &str) -> Result<i32, ApiError> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::BadInput {
            field: field.to_string(),
            message: format!("year must be {}-{}", YEARS.start(), YEARS.end()),
        })
    }
}

fn bad(field: &str, sub: &str, message: &str) -> ApiError {
    ApiError::BadInput {
        field: format!("{field}.{sub}"),
        message: message.to_string(),
    }
}

/// Whole months between two dates (how long someone has been in a project).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> i32 {
    let mut months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    if to.day() < from.day() {
        months -= 1;
    }
    months
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn tertials_follow_sus() {
        let t2 = Period::new(PeriodKind::Tertial, 2026, Some(2), "p").expect("valid");
        assert_eq!((t2.start, t2.end), (d(2026, 5, 1), d(2026, 8, 31)));
        let t3 = Period::new(PeriodKind::Tertial, 2026, Some(3), "p").expect("valid");
        assert_eq!((t3.start, t3.end), (d(2026, 9, 1), d(2026, 12, 31)));
    }

    #[test]
    fn february_of_a_leap_year() {
        let feb = Period::new(PeriodKind::Month, 2028, Some(2), "p").expect("valid");
        assert_eq!(feb.end, d(2028, 2, 29));
    }

    #[test]
    fn bad_numbers_name_the_field() {
        let e = Period::new(PeriodKind::Month, 2026, Some(13), "period").unwrap_err();
        assert!(matches!(e, ApiError::BadInput { ref field, .. } if field == "period.number"));
        let e = Period::new(PeriodKind::Year, 1800, None, "period").unwrap_err();
        assert!(matches!(e, ApiError::BadInput { ref field, .. } if field == "period.year"));
    }

    #[test]
    fn months_between_counts_whole_months() {
        assert_eq!(months_between(d(2026, 1, 31), d(2026, 2, 28)), 0);
        assert_eq!(months_between(d(2026, 1, 15), d(2026, 7, 15)), 6);
    }
}
