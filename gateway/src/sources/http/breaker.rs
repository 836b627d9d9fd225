//! A circuit breaker per agency: after `failures` failures in a row the
//! agency is not called for `open_for`; then one probe is let through
//! (half-open). The probe's success closes the breaker, its failure opens
//! it again. While open, callers get an answer at once instead of waiting
//! out a timeout on an agency known to be down.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    HalfOpen,
    Open,
}

impl State {
    /// The gauge value in metrics: 0 closed, 1 half-open, 2 open.
    pub fn gauge(self) -> i64 {
        match self {
            State::Closed => 0,
            State::HalfOpen => 1,
            State::Open => 2,
        }
    }
}

#[derive(Debug)]
enum Inner {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One probe is out; everyone else is refused until it reports.
    HalfOpen,
}

/// May this call go ahead? A `Probe` must report its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    Call,
    Probe,
}

#[derive(Debug)]
pub struct Breaker {
    failures: u32,
    open_for: Duration,
    inner: Mutex<Inner>,
}

impl Breaker {
    pub fn new(failures: u32, open_for: Duration) -> Self {
        Breaker {
            failures: failures.max(1),
            open_for,
            inner: Mutex::new(Inner::Closed { failures: 0 }),
        }
    }

    pub fn state(&self) -> State {
        match *self.lock() {
            Inner::Closed { .. } => State::Closed,
            Inner::HalfOpen => State::HalfOpen,
            Inner::Open { .. } => State::Open,
        }
    }

    /// `None` while open (or while a probe is out).
    pub fn permit(&self, now: Instant) -> Option<Permit> {
        let mut inner = self.lock();
        match *inner {
            Inner::Closed { .. } => Some(Permit::Call),
            Inner::Open { until } if now >= until => {
                *inner = Inner::HalfOpen;
                Some(Permit::Probe)
            }
            Inner::Open { .. } | Inner::HalfOpen => None,
        }
    }

    /// Reports a call's outcome; returns the new state when it changed.
    pub fn record(&self, permit: Permit, ok: bool, now: Instant) -> Option<State> {
        let mut inner = self.lock();
        let before = state_of(&inner);
        match (&mut *inner, permit, ok) {
            (Inner::Closed { failures }, _, true) => *failures = 0,
            (Inner::Closed { failures }, _, false) => {
                *failures += 1;
                if *failures >= self.failures {
                    *inner = Inner::Open {
                        until: now + self.open_for,
                    };
                }
            }
            (Inner::HalfOpen, Permit::Probe, true) => *inner = Inner::Closed { failures: 0 },
            (Inner::HalfOpen, Permit::Probe, false) => {
                *inner = Inner::Open {
                    until: now + self.open_for,
                }
            }
            // A call admitted before the breaker opened reports late: the
            // breaker's state already reflects newer evidence.
            _ => {}
        }
        let after = state_of(&inner);
        (after != before).then_some(after)
    }

    /// A probe that never reached the agency (the caller gave up first)
    /// says nothing about it: let the next caller probe.
    pub fn abandon(&self, permit: Permit) {
        let mut inner = self.lock();
        if permit == Permit::Probe && matches!(*inner, Inner::HalfOpen) {
            *inner = Inner::Open {
                until: Instant::now(),
            };
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn state_of(inner: &Inner) -> State {
    match inner {
        Inner::Closed { .. } => State::Closed,
        Inner::HalfOpen => State::HalfOpen,
        Inner::Open { .. } => State::Open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: Duration = Duration::from_secs(10);

    #[test]
    fn opens_after_consecutive_failures_only() {
        let b = Breaker::new(3, OPEN);
        let t = Instant::now();
        for _ in 0..2 {
            assert_eq!(b.record(Permit::Call, false, t), None);
        }
        // A success in between resets the count.
        b.record(Permit::Call, true, t);
        b.record(Permit::Call, false, t);
        b.record(Permit::Call, false, t);
        assert_eq!(b.state(), State::Closed);
        assert_eq!(b.record(Permit::Call, false, t), Some(State::Open));
        assert_eq!(b.permit(t), None);
        assert_eq!(b.permit(t + OPEN / 2), None);
    }

    #[test]
    fn half_opens_with_one_probe_and_closes_on_its_success() {
        let b = Breaker::new(1, OPEN);
        let t = Instant::now();
        b.record(Permit::Call, false, t);
        let later = t + OPEN;
        assert_eq!(b.permit(later), Some(Permit::Probe));
        assert_eq!(b.state(), State::HalfOpen);
        // Only one probe at a time.
        assert_eq!(b.permit(later), None);
        assert_eq!(b.record(Permit::Probe, true, later), Some(State::Closed));
        assert_eq!(b.permit(later), Some(Permit::Call));
    }

    #[test]
    fn a_failed_probe_opens_again_for_the_whole_period() {
        let b = Breaker::new(1, OPEN);
        let t = Instant::now();
        b.record(Permit::Call, false, t);
        let probe_at = t + OPEN;
        assert_eq!(b.permit(probe_at), Some(Permit::Probe));
        assert_eq!(b.record(Permit::Probe, false, probe_at), Some(State::Open));
        assert_eq!(b.permit(probe_at + OPEN / 2), None);
        assert_eq!(b.permit(probe_at + OPEN), Some(Permit::Probe));
    }

    #[test]
    fn an_abandoned_probe_lets_the_next_caller_probe() {
        let b = Breaker::new(1, OPEN);
        let t = Instant::now();
        b.record(Permit::Call, false, t);
        let p = b.permit(t + OPEN).expect("probe");
        b.abandon(p);
        assert_eq!(b.permit(Instant::now()), Some(Permit::Probe));
    }
}
