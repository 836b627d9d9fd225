//! A retry budget per agency: every first attempt earns `ratio` of a retry,
//! every retry spends one, and the balance never exceeds a small reserve
//! plus what was earned recently. When an agency fails everything, retries
//! stop at about `ratio` of the traffic instead of multiplying the load on
//! an agency that is already struggling.

use std::sync::Mutex;

/// Retries available to a fresh gateway (and the most that can be saved up
/// beyond what traffic earns), so a quiet gateway can still retry a blip.
const RESERVE: f64 = 10.0;

#[derive(Debug)]
pub struct RetryBudget {
    ratio: f64,
    balance: Mutex<f64>,
}

impl RetryBudget {
    pub fn new(ratio: f64) -> Self {
        RetryBudget {
            ratio,
            balance: Mutex::new(RESERVE),
        }
    }

    /// A first attempt: earns a fraction of a retry.
    pub fn deposit(&self) {
        let mut b = self.lock();
        *b = (*b + self.ratio).min(RESERVE);
    }

    /// May one retry be spent?
    pub fn withdraw(&self) -> bool {
        let mut b = self.lock();
        if *b >= 1.0 {
            *b -= 1.0;
            true
        } else {
            false
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, f64> {
        self.balance.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_settle_at_the_ratio_of_first_attempts() {
        let budget = RetryBudget::new(0.1);
        let mut retries = 0;
        for _ in 0..1000 {
            budget.deposit();
            if budget.withdraw() {
                retries += 1;
            }
        }
        // The reserve plus 10 % of 1,000 attempts.
        assert!((100..=110).contains(&retries), "{retries}");
    }

    #[test]
    fn a_zero_ratio_allows_only_the_reserve() {
        let budget = RetryBudget::new(0.0);
        let allowed = (0..100).filter(|_| budget.withdraw()).count();
        assert_eq!(allowed, RESERVE as usize);
    }
}
