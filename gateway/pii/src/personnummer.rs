//! Swedish personnummer and samordningsnummer (coordination numbers).
//!
//! A personnummer identifies a person for life and is personal data that the
//! gateway must never leak into logs, error messages or JSON. The type in this
//! module is therefore deliberately awkward to print: it has a redacting
//! `Debug`, no `Display` and no `Serialize`, and the only way to the digits is
//! [`Personnummer::expose_digits`], so that every use shows up in review.
//! For the same reason no error message in this module contains input digits.
//!
//! Rules (see `shared/DOMAIN.md`, section "Personnummer"):
//! - Accepted forms: `YYMMDD-NNNC`, `YYMMDD+NNNC`, `YYMMDDNNNC`,
//!   `YYYYMMDDNNNC`, `YYYYMMDD-NNNC`, with surrounding whitespace trimmed.
//!   Nothing else: no inner spaces, no other separators, `+` only in the
//!   10-digit form.
//! - The check digit `C` is Luhn (weights 2,1) over `YYMMDDNNN`, never over the
//!   12-digit form, so the century is *not* protected by the checksum; it has to
//!   be validated separately (year >= 1850, birth date not in the future).
//! - 10-digit form: the century is the latest one that puts the birth *year* at
//!   or before today's year; `+` (used from the year a person turns 100) moves
//!   it back another 100 years. A birth date that then lies in the future is
//!   rejected rather than silently moved a century back, because the separator
//!   rule is year based: someone born 1926-05-01 is written with `+` during all
//!   of 2026.
//! - Samordningsnummer: day + 60 (days 61..=91), same checksum.
//! - All zeros and birth number `000` are rejected (the all-zero string even
//!   has a "valid" Luhn check digit, which is why it needs its own check).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// The earliest birth year accepted. Nobody alive was born earlier, and a
/// floor is what stops a typo in the century digits of a 12-digit number
/// (which the Luhn check does not cover) from being accepted.
pub const MIN_BIRTH_YEAR: i32 = 1850;

/// Samordningsnummer add this to the day of month.
const COORDINATION_DAY_OFFSET: u32 = 60;

/// Birth numbers this project reserves for synthetic people.
const TEST_BIRTH_NUMBERS: std::ops::RangeInclusive<u16> = 980..=999;

/// A valid Swedish personnummer or samordningsnummer, normalised to 12 digits
/// (`YYYYMMDDNNNC`).
///
/// Every value of this type is valid: it can only be built by [`parse`]
/// (which checks format, date, century range and check digit) or by
/// [`from_parts`] / [`try_from_parts`] (which compute the check digit).
///
/// [`parse`]: Personnummer::parse
/// [`from_parts`]: Personnummer::from_parts
/// [`try_from_parts`]: Personnummer::try_from_parts
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Personnummer {
    /// 12 ASCII digits, `YYYYMMDDNNNC`. A fixed array, not a `String`, so that
    /// cloning and parsing never allocate.
    digits: [u8; 12],
}

/// Legal sex as encoded in the birth number (its last digit: odd = male).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Female,
    Male,
}

/// Why a string is not a valid personnummer.
///
/// The messages describe the *kind* of problem only. They never contain the
/// input, because these errors end up in logs and GraphQL error responses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonnummerError {
    /// The number of digits is neither 10 nor 12.
    #[error("personnummer must have 10 or 12 digits, got {digits}")]
    WrongLength {
        /// How many digits the input had (a count, not the digits themselves).
        digits: usize,
    },
    /// A character other than a digit, or a separator in the wrong place.
    #[error("personnummer has a bad format: {reason}")]
    BadFormat { reason: &'static str },
    /// Every digit is zero. The Luhn check alone would accept this.
    #[error("personnummer must not be all zeros")]
    AllZeros,
    /// The birth number (`NNN`) is `000`, which is never issued.
    #[error("personnummer birth number must not be zero")]
    ZeroBirthNumber,
    /// The check digit does not match the Luhn checksum.
    #[error("personnummer check digit is wrong")]
    BadChecksum,
    /// Month or day is not a real calendar date (samordningsnummer days are
    /// 61..=91, and the day minus 60 must exist in that month and year).
    #[error("personnummer does not contain a valid date")]
    InvalidDate,
    /// The birth date lies after the reference date.
    #[error("personnummer birth date is in the future")]
    FutureDate,
    /// The birth year is before [`MIN_BIRTH_YEAR`] (or beyond four digits).
    #[error("personnummer birth year is out of range")]
    YearOutOfRange,
    /// The birth number passed to [`Personnummer::try_from_parts`] is not in
    /// 1..=999.
    #[error("birth number must be in 1..=999")]
    BirthNumberOutOfRange,
}

/// The digits of an input in one of the accepted shapes, separator removed.
/// Fixed-size arrays so that parsing never allocates.
enum Shape {
    /// `YYMMDDNNNC`; `plus` = the `+` separator was used.
    Ten { digits: [u8; 10], plus: bool },
    /// `YYYYMMDDNNNC`.
    Twelve { digits: [u8; 12] },
}

impl Personnummer {
    /// Parses and validates `input` against the reference date `today`.
    ///
    /// `today` is a parameter (rather than read from the clock) because the
    /// century of a 10-digit number, and whether a birth date is "in the
    /// future", depend on it; tests and batch jobs need to pin it.
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, PersonnummerError> {
        let digits12 = match split_shape(input.trim())? {
            Shape::Ten { digits, plus } => {
                check_ten(&digits)?;
                let yy = i32::from(two_digits(&digits[0..2]));
                let year = resolve_century(yy, plus, today.year());
                let mut out = [0u8; 12];
                write_year(&mut out, year)?;
                out[2..].copy_from_slice(&digits);
                out
            }
            Shape::Twelve { digits } => {
                check_ten(&digits[2..])?;
                digits
            }
        };
        let pnr = Personnummer { digits: digits12 };
        let date = pnr.validate_date()?;
        if date > today {
            return Err(PersonnummerError::FutureDate);
        }
        Ok(pnr)
    }

    /// [`parse`](Personnummer::parse) against the current date.
    ///
    /// "Today" is the later of the local and the UTC calendar date. A server
    /// running in UTC is up to two hours behind Sweden, and a child born just
    /// after midnight Swedish time must not be rejected as "born in the
    /// future"; being a few hours lenient is harmless.
    pub fn parse_today(input: &str) -> Result<Self, PersonnummerError> {
        Self::parse(input, today())
    }

    /// Builds a valid number from its parts, computing the check digit.
    ///
    /// Meant for the synthetic data generator and for tests, where the parts
    /// are known to be in range.
    ///
    /// # Panics
    /// If `birth_number` is not in 1..=999 or the year is not in
    /// [`MIN_BIRTH_YEAR`]..=9999: such a value could never be parsed back, so
    /// constructing it is a programming error. Use
    /// [`try_from_parts`](Personnummer::try_from_parts) for untrusted parts.
    pub fn from_parts(birth_date: NaiveDate, birth_number: u16, coordination: bool) -> Self {
        match Self::try_from_parts(birth_date, birth_number, coordination) {
            Ok(p) => p,
            // The message names the rule, not the value, to keep digits out of
            // panic output too.
            Err(e) => panic!("Personnummer::from_parts called with out-of-range parts: {e}"),
        }
    }

    /// Fallible [`from_parts`](Personnummer::from_parts): rejects a birth
    /// number outside 1..=999 and a year outside [`MIN_BIRTH_YEAR`]..=9999.
    /// The birth date is not compared with today.
    pub fn try_from_parts(
        birth_date: NaiveDate,
        birth_number: u16,
        coordination: bool,
    ) -> Result<Self, PersonnummerError> {
        if !(1..=999).contains(&birth_number) {
            return Err(PersonnummerError::BirthNumberOutOfRange);
        }
        let mut digits = [0u8; 12];
        write_year(&mut digits, birth_date.year())?;
        let day = birth_date.day()
            + if coordination {
                COORDINATION_DAY_OFFSET
            } else {
                0
            };
        write_two(&mut digits[4..6], birth_date.month());
        write_two(&mut digits[6..8], day);
        digits[8] = b'0' + (birth_number / 100) as u8;
        digits[9] = b'0' + (birth_number / 10 % 10) as u8;
        digits[10] = b'0' + (birth_number % 10) as u8;
        digits[11] = b'0' + luhn_check_digit(&digits[2..11]);
        Ok(Personnummer { digits })
    }

    /// The 12 digits `YYYYMMDDNNNC`.
    ///
    /// Named "expose" so that every place that takes the raw number out of
    /// its protective type is easy to find in review (encryption, hashing,
    /// the owning unit's view).
    pub fn expose_digits(&self) -> &str {
        std::str::from_utf8(&self.digits).expect("digits are ASCII by construction")
    }

    /// The real birth date (for a samordningsnummer, the day minus 60).
    pub fn birth_date(&self) -> NaiveDate {
        self.validate_date()
            .expect("the date was validated when the value was constructed")
    }

    /// The four-digit birth year.
    pub fn birth_year(&self) -> i32 {
        i32::from(two_digits(&self.digits[0..2])) * 100 + i32::from(two_digits(&self.digits[2..4]))
    }

    /// Whether this is a samordningsnummer (day of month + 60), issued to
    /// people who are not, or not yet, registered in Sweden.
    pub fn is_coordination_number(&self) -> bool {
        u32::from(two_digits(&self.digits[6..8])) > COORDINATION_DAY_OFFSET
    }

    /// Legal sex from the last digit of the birth number: odd = male.
    pub fn sex(&self) -> Sex {
        if (self.digits[10] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The 10-digit form `YYMMDD-NNNC`, with `+` instead of `-` from the year
    /// the person turns 100 (compared with `today`'s year), as Skatteverket
    /// writes it. The 10-digit form is only unambiguous together with that
    /// reference date, hence the parameter.
    pub fn to_ten_digit(&self, today: NaiveDate) -> String {
        let sep = if today.year() - self.birth_year() >= 100 {
            '+'
        } else {
            '-'
        };
        let d = self.expose_digits();
        let mut s = String::with_capacity(11);
        s.push_str(&d[2..8]);
        s.push(sep);
        s.push_str(&d[8..12]);
        s
    }

    /// Whether the birth number is in 980..=999, the range this project uses
    /// for synthetic people, so that generated data can be recognised even
    /// outside the database flag.
    pub fn is_test_number(&self) -> bool {
        let n = u16::from(self.digits[8] - b'0') * 100
            + u16::from(self.digits[9] - b'0') * 10
            + u16::from(self.digits[10] - b'0');
        TEST_BIRTH_NUMBERS.contains(&n)
    }

    /// Checks month and day (samordningsnummer: day 61..=91) and the year
    /// floor; returns the real birth date.
    fn validate_date(&self) -> Result<NaiveDate, PersonnummerError> {
        let year = self.birth_year();
        if year < MIN_BIRTH_YEAR {
            return Err(PersonnummerError::YearOutOfRange);
        }
        let month = u32::from(two_digits(&self.digits[4..6]));
        let raw_day = u32::from(two_digits(&self.digits[6..8]));
        let day = match raw_day {
            1..=31 => raw_day,
            61..=91 => raw_day - COORDINATION_DAY_OFFSET,
            _ => return Err(PersonnummerError::InvalidDate),
        };
        NaiveDate::from_ymd_opt(year, month, day).ok_or(PersonnummerError::InvalidDate)
    }
}

/// Redacts the digits: a `{:?}` in a log line or a derived `Debug` of a
/// containing struct must not leak the number.
impl fmt::Debug for Personnummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Personnummer(<redacted>)")
    }
}

impl FromStr for Personnummer {
    type Err = PersonnummerError;

    /// Same as [`Personnummer::parse_today`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_today(s)
    }
}

/// The reference date for [`Personnummer::parse_today`]: the later of the
/// local and the UTC date (see there for why).
fn today() -> NaiveDate {
    let local = chrono::Local::now().date_naive();
    let utc = chrono::Utc::now().date_naive();
    local.max(utc)
}

/// Classifies the trimmed input into one of the accepted shapes, or says why
/// it is none of them.
fn split_shape(s: &str) -> Result<Shape, PersonnummerError> {
    let b = s.as_bytes();
    if !b
        .iter()
        .all(|c| c.is_ascii_digit() || *c == b'-' || *c == b'+')
    {
        return Err(PersonnummerError::BadFormat {
            reason: "only digits and one '-' or '+' separator are allowed",
        });
    }
    let digit_count = b.iter().filter(|c| c.is_ascii_digit()).count();
    if digit_count != 10 && digit_count != 12 {
        return Err(PersonnummerError::WrongLength {
            digits: digit_count,
        });
    }
    // With the digit count right, the byte length tells how many separators
    // there are; each shape allows at most one, at one fixed position.
    match (digit_count, b.len()) {
        (10, 10) => Ok(Shape::Ten {
            digits: copy_without(b, None),
            plus: false,
        }),
        (10, 11) if b[6] == b'-' || b[6] == b'+' => Ok(Shape::Ten {
            digits: copy_without(b, Some(6)),
            plus: b[6] == b'+',
        }),
        (12, 12) => Ok(Shape::Twelve {
            digits: copy_without(b, None),
        }),
        (12, 13) if b[8] == b'-' => Ok(Shape::Twelve {
            digits: copy_without(b, Some(8)),
        }),
        (12, 13) if b[8] == b'+' => Err(PersonnummerError::BadFormat {
            reason: "'+' is only allowed in the 10-digit form",
        }),
        _ => Err(PersonnummerError::BadFormat {
            reason: "separator repeated or misplaced",
        }),
    }
}

/// Copies `b` into an `N`-byte array, skipping the byte at `skip`. The caller
/// has checked that `b.len()` is `N` (no skip) or `N + 1` (one skip), and
/// that the byte at `skip` is the only non-digit.
fn copy_without<const N: usize>(b: &[u8], skip: Option<usize>) -> [u8; N] {
    let mut out = [0u8; N];
    let mut bytes = b
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != skip)
        .map(|(_, c)| *c);
    for slot in out.iter_mut() {
        *slot = bytes.next().unwrap_or(b'0');
    }
    out
}

/// Checks the 10-digit form `YYMMDDNNNC`: not all zeros, birth number not
/// `000`, Luhn check digit right. All-zeros is tested first because the
/// all-zero string passes Luhn.
fn check_ten(ten: &[u8]) -> Result<(), PersonnummerError> {
    if ten.iter().all(|c| *c == b'0') {
        return Err(PersonnummerError::AllZeros);
    }
    if luhn_check_digit(&ten[..9]) != ten[9] - b'0' {
        return Err(PersonnummerError::BadChecksum);
    }
    if &ten[6..9] == b"000" {
        return Err(PersonnummerError::ZeroBirthNumber);
    }
    Ok(())
}

/// The Luhn check digit over the 9 digits `YYMMDDNNN` (weights 2,1,2,...).
fn luhn_check_digit(nine: &[u8]) -> u8 {
    let sum: u32 = nine
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 0 {
                let p = d * 2;
                if p > 9 {
                    p - 9
                } else {
                    p
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// The latest year <= `this_year` ending in `yy`; with `plus`, 100 years
/// earlier still.
fn resolve_century(yy: i32, plus: bool, this_year: i32) -> i32 {
    let mut year = this_year - (this_year - yy).rem_euclid(100);
    if plus {
        year -= 100;
    }
    year
}

/// Two ASCII digits as a number.
fn two_digits(b: &[u8]) -> u8 {
    (b[0] - b'0') * 10 + (b[1] - b'0')
}

fn write_two(out: &mut [u8], v: u32) {
    out[0] = b'0' + (v / 10 % 10) as u8;
    out[1] = b'0' + (v % 10) as u8;
}

/// Writes a four-digit year into `out[0..4]`, rejecting years that do not
/// fit or are before [`MIN_BIRTH_YEAR`].
fn write_year(out: &mut [u8; 12], year: i32) -> Result<(), PersonnummerError> {
    if !(MIN_BIRTH_YEAR..=9999).contains(&year) {
        return Err(PersonnummerError::YearOutOfRange);
    }
    let y = year as u32;
    write_two(&mut out[0..2], y / 100);
    write_two(&mut out[2..4], y % 100);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("test value")
    }

    /// A fixed reference date so that tests do not change with the calendar.
    fn today_2026() -> NaiveDate {
        date(2026, 3, 15)
    }

    /// Appends the correct Luhn digit to 9 digits `YYMMDDNNN`, so that tests
    /// can build numbers whose only defect is the one under test.
    fn with_check(nine: &str) -> String {
        format!("{nine}{}", luhn_check_digit(nine.as_bytes()))
    }

    fn parse(s: &str) -> Result<Personnummer, PersonnummerError> {
        Personnummer::parse(s, today_2026())
    }

    #[test]
    fn classic_luhn_example_is_valid() {
        let p = parse("640823-3234").expect("test value");
        assert_eq!(p.expose_digits(), "196408233234");
        assert_eq!(p.birth_date(), date(1964, 8, 23));
        assert_eq!(p.birth_year(), 1964);
        assert_eq!(p.sex(), Sex::Male);
        assert!(!p.is_coordination_number());
        assert!(!p.is_test_number());
        assert_eq!(p, Personnummer::from_parts(date(1964, 8, 23), 323, false));
    }

    #[test]
    fn all_accepted_forms_are_equivalent() {
        let expected = parse("196408233234").expect("test value");
        for s in [
            "640823-3234",
            "6408233234",
            "196408233234",
            "19640823-3234",
            "  640823-3234\n",
            "\t196408233234 ",
        ] {
            assert_eq!(parse(s).expect("test value"), expected, "form {s:?}");
        }
    }

    #[test]
    fn ten_digit_with_plus_means_hundred_years_earlier() {
        let old = Personnummer::from_parts(date(1920, 5, 17), 123, false);
        let young = Personnummer::from_parts(date(2020, 5, 17), 123, false);
        // Luhn ignores the century, so both share the same 10 digits.
        assert_eq!(
            old.to_ten_digit(today_2026())[7..],
            young.to_ten_digit(today_2026())[7..]
        );
        let plus = old.to_ten_digit(today_2026());
        assert_eq!(&plus[6..7], "+");
        assert_eq!(parse(&plus).expect("test value"), old);
        assert_eq!(parse(&plus).expect("test value").birth_year(), 1920);
        let minus = plus.replace('+', "-");
        assert_eq!(parse(&minus).expect("test value"), young);
        assert_eq!(parse(&minus.replace('-', "")).expect("test value"), young);
        assert_eq!(young.to_ten_digit(today_2026()), minus);
    }

    #[test]
    fn plus_from_the_year_of_the_hundredth_birthday() {
        // Born in December 1926: turns 100 in 2026, so `+` all of 2026 even
        // before the birthday.
        let p = Personnummer::from_parts(date(1926, 12, 24), 456, false);
        assert_eq!(&p.to_ten_digit(date(2026, 1, 1))[6..7], "+");
        assert_eq!(&p.to_ten_digit(date(2025, 12, 31))[6..7], "-");
        assert_eq!(
            Personnummer::parse(&p.to_ten_digit(date(2026, 1, 1)), date(2026, 1, 1)),
            Ok(p.clone())
        );
        // With '-' in 2026 the same digits would mean 2026-12-24: the future.
        let minus = p.to_ten_digit(date(2025, 1, 1));
        assert_eq!(
            Personnummer::parse(&minus, date(2026, 1, 1)),
            Err(PersonnummerError::FutureDate)
        );
        // In 2025 the '-' form is correct and means 1926.
        assert_eq!(Personnummer::parse(&minus, date(2025, 6, 1)), Ok(p));
    }

    #[test]
    fn century_of_ten_digit_form_follows_today() {
        // "99" in 2026 is 1999, "26" is 2026 (if the date has passed).
        assert_eq!(
            parse(&with_check("990101123"))
                .expect("test value")
                .birth_year(),
            1999
        );
        assert_eq!(
            parse(&with_check("260101123"))
                .expect("test value")
                .birth_year(),
            2026
        );
        assert_eq!(
            parse(&with_check("270101123"))
                .expect("test value")
                .birth_year(),
            1927
        );
        assert_eq!(
            parse(&with_check("260401123")),
            Err(PersonnummerError::FutureDate)
        );
    }

    #[test]
    fn samordningsnummer_days_61_to_91_are_accepted() {
        let p = parse(&with_check("900161123")).expect("test value");
        assert!(p.is_coordination_number());
        assert_eq!(p.birth_date(), date(1990, 1, 1));
        let p = parse(&with_check("900191123")).expect("test value");
        assert_eq!(p.birth_date(), date(1990, 1, 31));
        assert_eq!(p, Personnummer::from_parts(date(1990, 1, 31), 123, true));
        assert_eq!(&p.expose_digits()[6..8], "91");
        // 12-digit form too.
        let twelve = format!("19{}", with_check("900175123"));
        assert!(parse(&twelve).expect("test value").is_coordination_number());
    }

    #[test]
    fn samordningsnummer_day_out_of_range_is_rejected() {
        for day in ["00", "32", "40", "59", "60", "92", "99"] {
            let s = with_check(&format!("9001{day}123"));
            assert_eq!(parse(&s), Err(PersonnummerError::InvalidDate), "day {day}");
        }
        // Day 91 = the 31st, which April does not have.
        assert_eq!(
            parse(&with_check("900491123")),
            Err(PersonnummerError::InvalidDate)
        );
    }

    #[test]
    fn leap_day_only_in_leap_years() {
        // 29 + 60 = 89 for samordningsnummer.
        for (nine, ok) in [
            ("000229123", true),  // 2000: leap (divisible by 400)
            ("040289123", true),  // 2004: leap, samordningsnummer
            ("000289123", true),  // 2000: leap, samordningsnummer
            ("010229123", false), // 2001
            ("010289123", false), // 2001, samordningsnummer
            ("230289123", false), // 2023
        ] {
            assert_eq!(parse(&with_check(nine)).is_ok(), ok, "{nine}");
        }
        // 1900 was not a leap year: 000229 with '+' (= 1900) is invalid.
        let s = with_check("000229123");
        let plus = format!("{}+{}", &s[..6], &s[6..]);
        assert_eq!(parse(&plus), Err(PersonnummerError::InvalidDate));
        assert_eq!(
            parse(&format!("1900{}", &with_check("000289123")[2..])),
            Err(PersonnummerError::InvalidDate)
        );
        assert!(parse(&format!("19{}", with_check("960229123"))).is_ok());
    }

    #[test]
    fn wrong_checksum_is_rejected() {
        assert_eq!(parse("640823-3235"), Err(PersonnummerError::BadChecksum));
        assert_eq!(parse("196408233230"), Err(PersonnummerError::BadChecksum));
        // Luhn over all 12 digits "19640823323" gives 3 (the correct digit,
        // over the 10-digit form, is 4): that mistake must not be accepted.
        assert_eq!(parse("196408233233"), Err(PersonnummerError::BadChecksum));
        assert_eq!(parse("19640823-3233"), Err(PersonnummerError::BadChecksum));
    }

    #[test]
    fn bad_format_is_rejected() {
        use PersonnummerError::*;
        let bad_format = |s: &str| matches!(parse(s), Err(BadFormat { .. }));
        for s in [
            "640823 3234",
            "640823_3234",
            "6408-233234",
            "640823--3234",
            "64082-33234",
            "-6408233234",
            "6408233234-",
            "1964-08233234",
            "19640823+3234", // '+' only in the 10-digit form
            "19640823 3234",
            "640823/3234",
            "640823–3234",           // en dash
            "６４０８２３-３２３４", // full-width digits
            "abcdefghij",
        ] {
            assert!(bad_format(s), "{s:?} gave {:?}", parse(s));
        }
        for s in [
            "",
            "   ",
            "64082332",
            "64082332345",
            "1964082332345",
            "+",
            "-",
        ] {
            assert!(
                matches!(parse(s), Err(WrongLength { .. })),
                "{s:?} gave {:?}",
                parse(s)
            );
        }
    }

    #[test]
    fn all_zeros_and_birth_number_000_are_rejected() {
        assert_eq!(parse("000000-0000"), Err(PersonnummerError::AllZeros));
        assert_eq!(parse("0000000000"), Err(PersonnummerError::AllZeros));
        assert_eq!(parse("000000000000"), Err(PersonnummerError::AllZeros));
        assert_eq!(
            parse(&with_check("640823000")),
            Err(PersonnummerError::ZeroBirthNumber)
        );
        assert_eq!(
            Personnummer::try_from_parts(date(1964, 8, 23), 0, false),
            Err(PersonnummerError::BirthNumberOutOfRange)
        );
        assert_eq!(
            Personnummer::try_from_parts(date(1964, 8, 23), 1000, false),
            Err(PersonnummerError::BirthNumberOutOfRange)
        );
    }

    #[test]
    fn twelve_digit_century_is_checked() {
        // Same 10 digits (valid Luhn), implausible centuries.
        assert_eq!(parse("216408233234"), Err(PersonnummerError::FutureDate));
        assert_eq!(
            parse("176408233234"),
            Err(PersonnummerError::YearOutOfRange)
        );
        assert_eq!(
            parse("184908233234"),
            Err(PersonnummerError::YearOutOfRange)
        );
        assert!(parse(&format!("18{}", with_check("500823323"))).is_ok());
        assert_eq!(
            parse(&format!("18{}", with_check("490823323"))),
            Err(PersonnummerError::YearOutOfRange)
        );
        assert_eq!(
            Personnummer::try_from_parts(date(1790, 1, 1), 1, false),
            Err(PersonnummerError::YearOutOfRange)
        );
    }

    #[test]
    fn future_birth_date_is_rejected() {
        let tomorrow = date(2026, 3, 16);
        let p = Personnummer::from_parts(tomorrow, 123, false);
        assert_eq!(parse(p.expose_digits()), Err(PersonnummerError::FutureDate));
        assert_eq!(
            Personnummer::parse(p.expose_digits(), tomorrow),
            Ok(p.clone())
        );
        let born_today = Personnummer::from_parts(today_2026(), 124, true);
        assert_eq!(parse(born_today.expose_digits()), Ok(born_today));
    }

    #[test]
    fn sex_and_test_numbers() {
        let d = date(1990, 6, 1);
        assert_eq!(Personnummer::from_parts(d, 981, false).sex(), Sex::Male);
        assert_eq!(Personnummer::from_parts(d, 980, false).sex(), Sex::Female);
        assert!(Personnummer::from_parts(d, 980, false).is_test_number());
        assert!(Personnummer::from_parts(d, 999, true).is_test_number());
        assert!(!Personnummer::from_parts(d, 979, false).is_test_number());
        assert!(!Personnummer::from_parts(d, 1, false).is_test_number());
    }

    #[test]
    fn from_str_uses_today() {
        let p: Personnummer = "640823-3234".parse().expect("test value");
        assert_eq!(p.expose_digits(), "196408233234");
    }

    /// Stricter than "no digit run of the number": no digit at all.
    fn assert_no_digits(text: &str) {
        assert!(
            !text.chars().any(|c| c.is_ascii_digit()),
            "output contains digits: {text}"
        );
    }

    #[test]
    fn debug_is_redacted() {
        let p = parse("640823-3234").expect("test value");
        let dbg = format!("{p:?}");
        assert_eq!(dbg, "Personnummer(<redacted>)");
        assert_no_digits(&format!("{p:#?}"));
        assert_no_digits(&format!("{:?}", Some(vec![p.clone()])));
    }

    #[test]
    fn error_messages_never_contain_input_digits() {
        for s in [
            "640823-3235",
            "640823 3234",
            "6408233",
            "216408233234",
            "176408233234",
            "000000-0000",
            &with_check("640823000"),
            &with_check("900192123"),
        ] {
            let err = parse(s).unwrap_err();
            let msg = err.to_string();
            // WrongLength reports a digit count; everything else no digits at all.
            if let PersonnummerError::WrongLength { .. } = err {
                assert!(!msg.contains(&s[..3]), "{msg}");
            } else {
                assert_no_digits(&msg);
            }
            assert!(!format!("{err:?}").contains("6408"));
        }
    }

    fn reference_today() -> NaiveDate {
        today()
    }

    /// Any real birth date from 1900-01-01 through `today`.
    fn birth_date_up_to(today: NaiveDate) -> impl Strategy<Value = NaiveDate> {
        let start = date(1900, 1, 1);
        let days = (today - start).num_days();
        (0..=days).prop_map(move |d| start + chrono::Days::new(d as u64))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn prop_every_textual_form_round_trips(
            birth in birth_date_up_to(reference_today()),
            n in 1u16..=999,
            coord in any::<bool>(),
        ) {
            let today = reference_today();
            let p = Personnummer::from_parts(birth, n, coord);
            prop_assert_eq!(p.birth_date(), birth);
            prop_assert_eq!(p.birth_year(), birth.year());
            prop_assert_eq!(p.is_coordination_number(), coord);
            prop_assert_eq!(p.sex() == Sex::Male, n % 2 == 1);
            let twelve = p.expose_digits().to_string();
            let dashed12 = format!("{}-{}", &twelve[..8], &twelve[8..]);
            let ten = p.to_ten_digit(today);
            let hundred = today.year() - birth.year() >= 100;
            prop_assert_eq!(&ten[6..7], if hundred { "+" } else { "-" });
            let mut forms = vec![twelve, dashed12, ten.clone()];
            if !hundred {
                forms.push(ten.replace('-', ""));
            }
            for s in forms {
                prop_assert_eq!(Personnummer::parse(&s, today), Ok(p.clone()), "form {}", s);
            }
        }

        #[test]
        fn prop_single_digit_errors_are_caught(
            birth in birth_date_up_to(date(2026, 3, 15)),
            n in 1u16..=999,
            coord in any::<bool>(),
            pos in 0usize..10,
            delta in 1u8..=9,
        ) {
            let today = date(2026, 3, 15);
            let p = Personnummer::from_parts(birth, n, coord);
            // Mutate one of YYMMDDNNN or C in the 10-digit form.
            let ten = p.to_ten_digit(today);
            let mut bytes = ten.into_bytes();
            let idx = if pos < 6 { pos } else { pos + 1 };
            bytes[idx] = b'0' + (bytes[idx] - b'0' + delta) % 10;
            let mutated = String::from_utf8(bytes).expect("test value");
            let res = Personnummer::parse(&mutated, today);
            prop_assert!(res.as_ref() != Ok(&p), "{:?}", res);
            // Luhn catches every single-digit substitution outright.
            prop_assert_eq!(res, Err(PersonnummerError::BadChecksum));
        }

        #[test]
        fn prop_century_digit_errors_are_caught_or_change_the_number(
            birth in birth_date_up_to(date(2026, 3, 15)),
            n in 1u16..=999,
            pos in 0usize..2,
            delta in 1u8..=9,
        ) {
            // The century digits are outside Luhn; the date checks must make
            // sure a changed century is never read as the same person.
            let today = date(2026, 3, 15);
            let p = Personnummer::from_parts(birth, n, false);
            let mut bytes = p.expose_digits().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let mutated = String::from_utf8(bytes).expect("test value");
            let res = Personnummer::parse(&mutated, today);
            prop_assert!(res.as_ref() != Ok(&p));
            if let Ok(q) = res {
                prop_assert!((MIN_BIRTH_YEAR..=2026).contains(&q.birth_year()));
            }
        }

        #[test]
        fn prop_parse_never_panics_on_any_string(s in ".*") {
            let _ = Personnummer::parse(&s, date(2026, 3, 15));
        }

        #[test]
        fn prop_parse_never_panics_on_digit_like_strings(s in "[0-9+-]{0,14}") {
            if let Ok(p) = Personnummer::parse(&s, date(2026, 3, 15)) {
                // Whatever is accepted is a fully valid value.
                prop_assert_eq!(p.expose_digits().len(), 12);
                let _ = p.birth_date();
            }
        }

        #[test]
        fn prop_parse_never_panics_with_any_reference_date(
            s in "[0-9+-]{10,13}",
            y in -5000i32..=9999,
            doy in 1u32..=365,
        ) {
            // Extreme reference dates exercise the century arithmetic.
            if let Some(today) = NaiveDate::from_yo_opt(y, doy) {
                let _ = Personnummer::parse(&s, today);
            }
        }
    }
}
