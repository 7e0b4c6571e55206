//! Per-token rate limiting (fixed window) and the control API's forced failures.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// A per-token call budget: at most `max` REST calls per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed per window.
    pub max: u32,
    /// Window length.
    pub window: Duration,
}

/// A forced failure rule set through the control API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForcedFailure {
    /// How many more calls fail.
    pub remaining: u32,
    /// 429 (`RATE_LIMIT_EXCEEDED`) or anything else (500 `INTERNAL_ERROR`).
    pub status: u16,
    /// Only calls with this token (None = any).
    pub token: Option<String>,
    /// Only this endpoint, e.g. `notes/create` (None = any).
    pub endpoint: Option<String>,
}

/// Why the gate refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 429 with the window's total and reset time.
    RateLimited {
        /// Window budget.
        total: u32,
        /// Time until the window resets.
        reset_in: Duration,
    },
    /// A forced 500.
    Internal,
}

/// The state of rate limiting and forced failures.
#[derive(Debug)]
pub struct CallGate {
    limit: Option<RateLimit>,
    windows: HashMap<String, (Instant, u32)>,
    forced: Vec<ForcedFailure>,
}

impl CallGate {
    /// A gate with an optional per-token limit.
    pub fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit,
            windows: HashMap::new(),
            forced: Vec::new(),
        }
    }

    /// Adds a forced failure rule.
    pub fn force(&mut self, rule: ForcedFailure) {
        if rule.remaining > 0 {
            self.forced.push(rule);
        }
    }

    /// Checks one call of `token` (None = anonymous) to `endpoint`, now.
    pub fn check(&mut self, token: Option<&str>, endpoint: &str) -> Result<(), Refusal> {
        self.check_at(token, endpoint, Instant::now())
    }

    /// Checks one call of `token` to `endpoint` at the instant `now`.
    pub fn check_at(
        &mut self,
        token: Option<&str>,
        endpoint: &str,
        now: Instant,
    ) -> Result<(), Refusal> {
        let matching = self.forced.iter_mut().find(|rule| {
            rule.token.as_deref().is_none_or(|t| Some(t) == token)
                && rule.endpoint.as_deref().is_none_or(|e| e == endpoint)
        });
        if let Some(rule) = matching {
            rule.remaining = rule.remaining.saturating_sub(1);
            let status = rule.status;
            self.forced.retain(|rule| rule.remaining > 0);
            return Err(if status == 429 {
                Refusal::RateLimited {
                    total: 0,
                    reset_in: Duration::from_secs(1),
                }
            } else {
                Refusal::Internal
            });
        }
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let key = token.unwrap_or("").to_string();
        let window = self.windows.entry(key).or_insert((now, 0));
        if now.duration_since(window.0) >= limit.window {
            *window = (now, 0);
        }
        if window.1 >= limit.max {
            let reset_in = limit.window.saturating_sub(now.duration_since(window.0));
            return Err(Refusal::RateLimited {
                total: limit.max,
                reset_in,
            });
        }
        window.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_resets_after_its_duration() {
        let start = Instant::now();
        let mut gate = CallGate::new(Some(RateLimit {
            max: 2,
            window: Duration::from_secs(10),
        }));
        assert!(gate.check_at(Some("t"), "i", start).is_ok());
        assert!(gate.check_at(Some("t"), "i", start).is_ok());
        assert_eq!(
            gate.check_at(Some("t"), "i", start + Duration::from_secs(4)),
            Err(Refusal::RateLimited {
                total: 2,
                reset_in: Duration::from_secs(6)
            })
        );
        assert!(
            gate.check_at(Some("other"), "i", start).is_ok(),
            "budgets are per token"
        );
        let later = start + Duration::from_secs(10);
        assert!(gate.check_at(Some("t"), "i", later).is_ok());
    }

    #[test]
    fn forced_failures_match_token_and_endpoint() {
        let mut gate = CallGate::new(None);
        gate.force(ForcedFailure {
            remaining: 1,
            status: 500,
            token: Some("t".into()),
            endpoint: Some("meta".into()),
        });
        assert!(gate.check(Some("u"), "meta").is_ok());
        assert!(gate.check(Some("t"), "i").is_ok());
        assert_eq!(gate.check(Some("t"), "meta"), Err(Refusal::Internal));
        assert!(gate.check(Some("t"), "meta").is_ok());
    }
}
