//! A retry budget: retries are allowed only while they stay a small fraction of traffic.

use std::sync::Mutex;

/// Retry budget in the spirit of tower's `TpsBudget`: every original request deposits
/// `ratio` of a retry (the balance is capped at `max_balance`); every retry withdraws one.
/// A retry is refused when less than one retry is left, so retries never amplify an outage.
#[derive(Debug)]
pub struct RetryBudget {
    ratio: f64,
    max_balance: f64,
    balance: Mutex<f64>,
}

impl RetryBudget {
    /// A budget starting at `initial` retries, earning `ratio` per request, capped at `max_balance`.
    pub fn new(initial: u32, ratio: f64, max_balance: u32) -> Self {
        Self {
            ratio: ratio.max(0.0),
            max_balance: f64::from(max_balance),
            balance: Mutex::new(f64::from(initial.min(max_balance))),
        }
    }

    /// Records one original (non-retry) request.
    pub fn deposit(&self) {
        if let Ok(mut balance) = self.balance.lock() {
            *balance = (*balance + self.ratio).min(self.max_balance);
        }
    }

    /// Takes one retry from the budget; `false` when the budget is exhausted.
    pub fn withdraw(&self) -> bool {
        match self.balance.lock() {
            Ok(mut balance) if *balance >= 1.0 => {
                *balance -= 1.0;
                true
            }
            _ => false,
        }
    }
}

impl Default for RetryBudget {
    /// 10 retries up front, one more per 5 requests, at most 100 banked.
    fn default() -> Self {
        Self::new(10, 0.2, 100)
    }
}

#[cfg(test)]
mod tests {
    use super::RetryBudget;

    #[test]
    fn budget_runs_out_and_refills_with_traffic() {
        let budget = RetryBudget::new(2, 0.5, 3);
        assert!(budget.withdraw());
        assert!(budget.withdraw());
        assert!(!budget.withdraw());
        budget.deposit();
        assert!(!budget.withdraw());
        budget.deposit();
        assert!(budget.withdraw());
        for _ in 0..100 {
            budget.deposit();
        }
        assert!(budget.withdraw() && budget.withdraw() && budget.withdraw());
        assert!(!budget.withdraw());
    }
}
