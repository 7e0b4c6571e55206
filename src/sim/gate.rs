//! Rate-limit windows and control-API forced failures, shared by both simulated servers
//! (each wraps them in its own protocol's buckets and answers).

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use tokio::time::Instant;

/// A fixed-window budget: at most `max` calls per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed per window.
    pub max: u32,
    /// Window length.
    pub window: Duration,
}

/// A forced-failure rule set through the control API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForcedFailure {
    /// How many more matching calls fail.
    pub remaining: u32,
    /// The status to answer (429 gets the protocol's rate-limit answer).
    pub status: u16,
    /// Only calls with this token (None = any).
    pub token: Option<String>,
    /// Only this endpoint (None = any); see [`ForcedFailures::take`] for what matches.
    pub endpoint: Option<String>,
}

/// The pending forced-failure rules, consumed one matching call at a time.
#[derive(Debug, Default)]
pub struct ForcedFailures {
    rules: Vec<ForcedFailure>,
}

impl ForcedFailures {
    /// Adds a rule (a rule with nothing remaining is ignored).
    pub fn push(&mut self, rule: ForcedFailure) {
        if rule.remaining > 0 {
            self.rules.push(rule);
        }
    }

    /// The status of the first rule matching a call of `token` to `endpoint` (or to its
    /// `alias`, e.g. the route without the method), using up one of its calls.
    pub fn take(&mut self, token: Option<&str>, endpoint: &str, alias: &str) -> Option<u16> {
        let rule = self.rules.iter_mut().find(|rule| {
            rule.token.as_deref().is_none_or(|t| Some(t) == token)
                && rule
                    .endpoint
                    .as_deref()
                    .is_none_or(|e| e == endpoint || e == alias)
        })?;
        rule.remaining = rule.remaining.saturating_sub(1);
        let status = rule.status;
        self.rules.retain(|rule| rule.remaining > 0);
        Some(status)
    }
}

/// A window's state after an admitted call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    /// Calls left in the window.
    pub remaining: u32,
    /// Time until the window resets.
    pub reset_in: Duration,
}

/// Fixed windows per key; keys whose window ended are swept when the map grows large.
#[derive(Debug)]
pub struct FixedWindows<K> {
    windows: HashMap<K, (Instant, u32)>,
}

impl<K> Default for FixedWindows<K> {
    fn default() -> Self {
        Self {
            windows: HashMap::new(),
        }
    }
}

/// How many keys a window map holds before it sweeps ended windows.
const SWEEP_ABOVE: usize = 10_000;

impl<K: Hash + Eq> FixedWindows<K> {
    /// Admits one call of `key` under `limit` at `now`, or refuses it with the time until
    /// its window resets. `window_of` gives each kept key's window length for the sweep.
    pub fn admit(
        &mut self,
        key: K,
        limit: RateLimit,
        now: Instant,
        window_of: impl Fn(&K) -> Duration,
    ) -> Result<Admitted, Duration> {
        if self.windows.len() > SWEEP_ABOVE {
            self.windows
                .retain(|k, (start, _)| now.duration_since(*start) < window_of(k));
        }
        let window = self.windows.entry(key).or_insert((now, 0));
        if now.duration_since(window.0) >= limit.window {
            *window = (now, 0);
        }
        let reset_in = limit.window.saturating_sub(now.duration_since(window.0));
        if window.1 >= limit.max {
            return Err(reset_in);
        }
        window.1 += 1;
        Ok(Admitted {
            remaining: limit.max.saturating_sub(window.1),
            reset_in,
        })
    }
}
