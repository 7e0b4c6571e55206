//! Pacing by the budget the server reports (`X-RateLimit-Limit`, `-Remaining`, `-Reset`;
//! pnut-api.md §2.4), on top of the configured quotas: pnut locks a token out for 600 s once it
//! exceeds a bucket, so the client must never get there, whatever its own quota says.
//!
//! Per (bucket, token) the last report is kept with its reset instant and counted down by every
//! call sent. While the remaining budget is above a low-water mark nothing waits. Below it,
//! calls are spaced so that the window's remaining budget lasts until the reset with a reserve
//! left; once only the reserve is left, calls wait for the reset. A report past its reset is
//! forgotten (the new window's budget is unknown until the next answer).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Entries kept before stale ones (past their reset) are swept.
const SWEEP_ABOVE: usize = 10_000;

/// One answer's budget headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetReport {
    /// `X-RateLimit-Limit`: the window's budget.
    pub limit: u64,
    /// `X-RateLimit-Remaining`: calls left in the window after this one.
    pub remaining: u64,
    /// `X-RateLimit-Reset`: time until the window resets.
    pub reset_in: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    limit: u64,
    /// Estimated calls left: the last report, minus the calls sent since.
    remaining: u64,
    reset_at: Instant,
    /// The earliest instant the next paced call may go.
    next_slot: Instant,
}

/// The calls kept back at the reset: 1 % of the budget, at least 1.
fn reserve(limit: u64) -> u64 {
    (limit / 100).max(1)
}

/// Below this many remaining calls, calls are paced: a quarter of the budget, at least the
/// reserve plus one.
fn low_water(limit: u64) -> u64 {
    (limit / 4).max(reserve(limit) + 1)
}

/// Server-reported budgets per (bucket, token). Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct ServerBudgets {
    entries: Mutex<HashMap<(&'static str, String), Entry>>,
}

impl ServerBudgets {
    /// An empty set (nothing reported: nothing waits).
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the budget pnut reported for `bucket` and `token` is low (calls are being
    /// spaced): calls that can skip a round (polls) leave it to the others.
    pub fn is_low(&self, bucket: &'static str, token: &str) -> bool {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&(bucket, token.to_owned()))
            .is_some_and(|entry| {
                Instant::now() < entry.reset_at && entry.remaining <= low_water(entry.limit)
            })
    }

    /// How long a call drawing from `bucket` for `token` must wait so that the server's
    /// budget lasts until its reset; the call is counted against the estimate now (the caller
    /// sends it after the wait or not at all).
    pub fn reserve_call(&self, bucket: &'static str, token: &str) -> Duration {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = entries.get_mut(&(bucket, token.to_owned())) else {
            return Duration::ZERO;
        };
        if now >= entry.reset_at {
            return Duration::ZERO;
        }
        if entry.remaining > low_water(entry.limit) {
            entry.remaining -= 1;
            return Duration::ZERO;
        }
        let usable = entry.remaining.saturating_sub(reserve(entry.limit));
        if usable == 0 {
            // Only the reserve is left: wait for the new window.
            return entry.reset_at - now;
        }
        let until_reset = entry.reset_at - now;
        let spacing = until_reset / u32::try_from(usable).unwrap_or(u32::MAX);
        let slot = entry.next_slot.max(now);
        entry.next_slot = slot + spacing;
        entry.remaining -= 1;
        slot - now
    }

    /// Takes in the budget an answer reported. A report of a later window replaces the
    /// estimate; one of the same window only lowers it (answers may arrive out of order).
    /// Returns the reported remaining budget.
    pub fn observe(&self, bucket: &'static str, token: &str, report: BudgetReport) -> u64 {
        let now = Instant::now();
        let reset_at = now + report.reset_in;
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() > SWEEP_ABOVE {
            entries.retain(|_, entry| entry.reset_at > now);
        }
        let fresh = Entry {
            limit: report.limit,
            remaining: report.remaining,
            reset_at,
            next_slot: now,
        };
        entries
            .entry((bucket, token.to_owned()))
            .and_modify(|entry| {
                // Reset values are whole seconds: a window's reset may move by up to one.
                let same_window =
                    now < entry.reset_at && reset_at <= entry.reset_at + Duration::from_secs(1);
                if same_window {
                    entry.remaining = entry.remaining.min(report.remaining);
                    entry.limit = report.limit;
                    entry.reset_at = reset_at;
                } else {
                    *entry = fresh;
                }
            })
            .or_insert(fresh);
        report.remaining
    }

    /// Forgets entries whose window has reset.
    pub fn sweep(&self) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, entry| entry.reset_at > now);
        entries.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(limit: u64, remaining: u64, secs: u64) -> BudgetReport {
        BudgetReport {
            limit,
            remaining,
            reset_in: Duration::from_secs(secs),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_waits_above_the_low_water_mark_then_calls_are_spaced() {
        let budgets = ServerBudgets::new();
        assert_eq!(budgets.reserve_call("get", "t"), Duration::ZERO);
        budgets.observe("get", "t", report(5000, 4000, 3600));
        assert_eq!(budgets.reserve_call("get", "t"), Duration::ZERO);
        // 1,000 left for 1,000 s: 50 kept back, 950 usable → about 1.05 s apart.
        budgets.observe("get", "t", report(5000, 1000, 1000));
        assert_eq!(budgets.reserve_call("get", "t"), Duration::ZERO);
        let second = budgets.reserve_call("get", "t");
        assert!(second > Duration::from_secs(1) && second < Duration::from_millis(1100));
        // Another token and another bucket are not affected.
        assert_eq!(budgets.reserve_call("get", "u"), Duration::ZERO);
        assert_eq!(budgets.reserve_call("write", "t"), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn only_the_reserve_left_waits_for_the_reset_then_forgets() {
        let budgets = ServerBudgets::new();
        budgets.observe("get", "t", report(4, 1, 2));
        assert_eq!(budgets.reserve_call("get", "t"), Duration::from_secs(2));
        // An older answer of the same window cannot raise the estimate.
        budgets.observe("get", "t", report(4, 3, 2));
        assert_eq!(budgets.reserve_call("get", "t"), Duration::from_secs(2));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(budgets.reserve_call("get", "t"), Duration::ZERO);
        budgets.sweep();
        assert_eq!(budgets.reserve_call("get", "t"), Duration::ZERO);
    }
}
