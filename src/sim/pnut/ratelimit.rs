//! pnut's rate-limit buckets (pnut-api.md §2.4), forced failures set through the control
//! API, and per-endpoint call counts.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::sim::gate::{FixedWindows, ForcedFailures};
pub use crate::sim::gate::{ForcedFailure, RateLimit};

/// The three pnut buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PnutRateLimits {
    /// Authenticated GETs, per token (pnut: 5000 per hour).
    pub authenticated_get: RateLimit,
    /// POST/PUT/PATCH/DELETE, per token (pnut: 20 per minute).
    pub write: RateLimit,
    /// Unauthenticated GETs, per client IP (pnut: 40 per minute).
    pub unauthenticated: RateLimit,
}

impl Default for PnutRateLimits {
    fn default() -> Self {
        Self {
            authenticated_get: RateLimit {
                max: 5000,
                window: Duration::from_secs(3600),
            },
            write: RateLimit {
                max: 20,
                window: Duration::from_secs(60),
            },
            unauthenticated: RateLimit {
                max: 40,
                window: Duration::from_secs(60),
            },
        }
    }
}

/// Which bucket a call draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Authenticated GET.
    Get,
    /// Any write.
    Write,
    /// Unauthenticated GET.
    Anonymous,
}

/// The state of one bucket window after a call was admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Window budget (`X-RateLimit-Limit`).
    pub limit: u32,
    /// Calls left (`X-RateLimit-Remaining`).
    pub remaining: u32,
    /// Seconds until the window resets (`X-RateLimit-Reset`), rounded up.
    pub reset_secs: u64,
}

/// Why a call is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 429 with the quota state.
    RateLimited(Quota),
    /// A forced failure with this status.
    Forced(u16),
}

/// Rate-limit windows, forced failures and call counts.
#[derive(Debug)]
pub struct Gate {
    limits: PnutRateLimits,
    windows: FixedWindows<(Bucket, String)>,
    forced: ForcedFailures,
    calls: BTreeMap<String, u64>,
    rate_limited: u64,
}

fn limit_of(limits: &PnutRateLimits, bucket: Bucket) -> RateLimit {
    match bucket {
        Bucket::Get => limits.authenticated_get,
        Bucket::Write => limits.write,
        Bucket::Anonymous => limits.unauthenticated,
    }
}

fn ceil_secs(duration: Duration) -> u64 {
    let secs = duration.as_secs();
    if duration.subsec_nanos() > 0 {
        secs + 1
    } else {
        secs
    }
}

impl Gate {
    /// A gate with the given limits.
    pub fn new(limits: PnutRateLimits) -> Self {
        Self {
            limits,
            windows: FixedWindows::default(),
            forced: ForcedFailures::default(),
            calls: BTreeMap::new(),
            rate_limited: 0,
        }
    }

    /// Adds a forced-failure rule.
    pub fn force(&mut self, rule: ForcedFailure) {
        self.forced.push(rule);
    }

    /// Calls seen per endpoint (`METHOD /route`), including refused ones.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.calls.clone()
    }

    /// Calls answered with 429 (bucket exhausted or forced).
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited
    }

    /// Admits or refuses one call to `endpoint` (`METHOD /route`) keyed by `key` (token or IP).
    pub fn check(
        &mut self,
        bucket: Bucket,
        key: &str,
        token: Option<&str>,
        endpoint: &str,
        now: Instant,
    ) -> Result<Quota, Refusal> {
        *self.calls.entry(endpoint.to_string()).or_insert(0) += 1;
        let route = endpoint
            .split_once(' ')
            .map_or(endpoint, |(_, route)| route);
        if let Some(status) = self.forced.take(token, endpoint, route) {
            if status == 429 {
                self.rate_limited += 1;
            }
            return Err(Refusal::Forced(status));
        }
        let limits = self.limits;
        let limit = limit_of(&limits, bucket);
        match self
            .windows
            .admit((bucket, key.to_string()), limit, now, |(b, _)| {
                limit_of(&limits, *b).window
            }) {
            Ok(admitted) => Ok(Quota {
                limit: limit.max,
                remaining: admitted.remaining,
                reset_secs: ceil_secs(admitted.reset_in),
            }),
            Err(reset_in) => {
                self.rate_limited += 1;
                Err(Refusal::RateLimited(Quota {
                    limit: limit.max,
                    remaining: 0,
                    reset_secs: ceil_secs(reset_in).max(1),
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_separate_and_reset() {
        let limits = PnutRateLimits {
            authenticated_get: RateLimit {
                max: 1,
                window: Duration::from_secs(10),
            },
            write: RateLimit {
                max: 2,
                window: Duration::from_secs(10),
            },
            unauthenticated: RateLimit {
                max: 1,
                window: Duration::from_secs(10),
            },
        };
        let mut gate = Gate::new(limits);
        let start = Instant::now();
        let get = gate.check(Bucket::Get, "t", Some("t"), "GET /v1/a", start);
        assert_eq!(get.map(|q| q.remaining), Ok(0));
        let refused = gate.check(Bucket::Get, "t", Some("t"), "GET /v1/a", start);
        assert!(matches!(refused, Err(Refusal::RateLimited(q)) if q.reset_secs == 10));
        assert!(
            gate.check(Bucket::Write, "t", Some("t"), "POST /v1/a", start)
                .is_ok()
        );
        assert!(
            gate.check(Bucket::Get, "u", Some("u"), "GET /v1/a", start)
                .is_ok()
        );
        let later = start + Duration::from_secs(10);
        assert!(
            gate.check(Bucket::Get, "t", Some("t"), "GET /v1/a", later)
                .is_ok()
        );
        assert_eq!(gate.calls().get("GET /v1/a"), Some(&4));
        assert_eq!(gate.rate_limited(), 1);
    }

    #[test]
    fn forced_failures_match_token_and_route() {
        let mut gate = Gate::new(PnutRateLimits::default());
        let now = Instant::now();
        gate.force(ForcedFailure {
            remaining: 1,
            status: 500,
            token: Some("t".into()),
            endpoint: Some("/v1/token".into()),
        });
        assert!(
            gate.check(Bucket::Get, "u", Some("u"), "GET /v1/token", now)
                .is_ok()
        );
        assert!(
            gate.check(Bucket::Get, "t", Some("t"), "GET /v1/x", now)
                .is_ok()
        );
        assert_eq!(
            gate.check(Bucket::Get, "t", Some("t"), "GET /v1/token", now),
            Err(Refusal::Forced(500))
        );
        assert!(
            gate.check(Bucket::Get, "t", Some("t"), "GET /v1/token", now)
                .is_ok()
        );
    }
}
