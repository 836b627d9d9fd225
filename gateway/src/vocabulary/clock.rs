//! The time the gateway decides by. "Today" is the date in Sweden
//! (Europe/Stockholm), not the server's zone: a consent valid to a date
//! ends at Swedish midnight. Tests set the time to step across midnight.

use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Stockholm;

#[derive(Default)]
pub struct Clock {
    fixed: Mutex<Option<DateTime<Utc>>>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed
            .lock()
            .expect("clock lock")
            .unwrap_or_else(Utc::now)
    }

    /// Today's date in Sweden.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&Stockholm).date_naive()
    }

    /// Pins the time (tests); `None` returns to the real clock.
    pub fn set(&self, at: Option<DateTime<Utc>>) {
        *self.fixed.lock().expect("clock lock") = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_the_swedish_date() {
        let clock = Clock::default();
        // 23:30 UTC on 31 December is already 1 January in Stockholm (UTC+1).
        clock.set(Some("2026-12-31T23:30:00Z".parse().expect("time")));
        assert_eq!(
            clock.today(),
            "2027-01-01".parse::<NaiveDate>().expect("date")
        );
        // 21:59 UTC on a summer day is 23:59 in Stockholm (UTC+2).
        clock.set(Some("2026-06-30T21:59:00Z".parse().expect("time")));
        assert_eq!(
            clock.today(),
            "2026-06-30".parse::<NaiveDate>().expect("date")
        );
    }
}
