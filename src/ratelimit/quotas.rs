//! Quota settings of the two upstreams and the limiters built from them (mapping.md §6).

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::Quota;

use super::limiter::{LimiterSettings, UpstreamLimiter};

/// Bucket name of pnut GETs (per token).
pub const PNUT_GET: &str = "get";
/// Bucket name of pnut writes: POST/PUT/PATCH/DELETE (per token).
pub const PNUT_WRITE: &str = "write";
/// Bucket name of the pnut polls' share of the GET quota (drawn together with [`PNUT_GET`]).
pub const PNUT_POLL: &str = "poll";
/// Bucket name of the Misskey per-token quota (every endpoint).
pub const MISSKEY_ANY: &str = "*";

/// pnut quotas (defaults: pnut's buckets with headroom).
#[derive(Debug, Clone)]
pub struct PnutQuotas {
    /// GETs per hour per token (default 4,500; pnut allows 5,000).
    pub get_per_hour: u32,
    /// Writes per minute per token (default 18; pnut allows 20).
    pub writes_per_minute: u32,
    /// Requests per second over all tokens (default 50).
    pub upstream_per_second: u32,
    /// Polls per token per hour (default a quarter of `get_per_hour`), drawn from the GET
    /// quota too.
    pub poll_per_hour: u32,
    /// Longest a caller waits for a permit before failing fast (default 10 s).
    pub max_wait: Duration,
    /// Pause after a 429 without any reset hint (default 600 s, pnut's documented lockout).
    pub default_pause: Duration,
    /// Extra random wait added to each wait (default 250 ms).
    pub jitter: Duration,
}

impl Default for PnutQuotas {
    fn default() -> Self {
        Self {
            get_per_hour: 4_500,
            writes_per_minute: 18,
            upstream_per_second: 50,
            poll_per_hour: 1_125,
            max_wait: Duration::from_secs(10),
            default_pause: Duration::from_secs(600),
            jitter: Duration::from_millis(250),
        }
    }
}

/// Misskey quotas (default 10 requests/s per token).
#[derive(Debug, Clone)]
pub struct MisskeyQuotas {
    /// Requests per second per token, any endpoint.
    pub per_token_per_second: u32,
    /// Optional extra limits per endpoint (name without `/api/`): requests per minute per token.
    pub endpoint_per_minute: BTreeMap<String, u32>,
    /// Optional extra limits per endpoint as Misskey states them: `count` per `period` per
    /// token, a burst of up to `count` allowed (Misskey's `notes/create`: 300 per hour, no
    /// minimum interval; real-servers.md §1).
    pub endpoint_rates: BTreeMap<String, (u32, Duration)>,
    /// Requests per second over all tokens (default 50).
    pub upstream_per_second: u32,
    /// Longest a caller waits for a permit before failing fast (default 10 s).
    pub max_wait: Duration,
    /// Pause after a 429 without any reset hint (default 600 s, as for pnut: mapping.md §6).
    pub default_pause: Duration,
    /// Extra random wait added to each wait (default 250 ms).
    pub jitter: Duration,
}

impl Default for MisskeyQuotas {
    fn default() -> Self {
        Self {
            per_token_per_second: 10,
            endpoint_per_minute: BTreeMap::new(),
            endpoint_rates: BTreeMap::new(),
            upstream_per_second: 50,
            max_wait: Duration::from_secs(10),
            default_pause: Duration::from_secs(600),
            jitter: Duration::from_millis(250),
        }
    }
}

fn nonzero(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).unwrap_or(NonZeroU32::MIN)
}

/// The pnut limiter: buckets [`PNUT_GET`] and [`PNUT_WRITE`], keyed by token.
/// Quotas allow a full burst of the per-period amount, then replenish evenly.
pub fn pnut_limiter(quotas: &PnutQuotas) -> UpstreamLimiter {
    let settings = LimiterSettings {
        upstream: "pnut",
        ceiling_per_second: quotas.upstream_per_second,
        max_wait: quotas.max_wait,
        default_pause: quotas.default_pause,
        jitter: quotas.jitter,
    };
    UpstreamLimiter::new(
        settings,
        vec![
            (
                PNUT_GET.to_string(),
                Quota::per_hour(nonzero(quotas.get_per_hour)),
            ),
            (
                PNUT_WRITE.to_string(),
                Quota::per_minute(nonzero(quotas.writes_per_minute)),
            ),
            (
                PNUT_POLL.to_string(),
                Quota::per_hour(nonzero(quotas.poll_per_hour)),
            ),
        ],
    )
}

/// The Misskey limiter: bucket [`MISSKEY_ANY`] plus one bucket per endpoint override.
pub fn misskey_limiter(quotas: &MisskeyQuotas) -> UpstreamLimiter {
    let settings = LimiterSettings {
        upstream: "misskey",
        ceiling_per_second: quotas.upstream_per_second,
        max_wait: quotas.max_wait,
        default_pause: quotas.default_pause,
        jitter: quotas.jitter,
    };
    let mut buckets = vec![(
        MISSKEY_ANY.to_string(),
        Quota::per_second(nonzero(quotas.per_token_per_second)),
    )];
    buckets.extend(
        quotas
            .endpoint_per_minute
            .iter()
            .map(|(endpoint, per_minute)| {
                (endpoint.clone(), Quota::per_minute(nonzero(*per_minute)))
            }),
    );
    buckets.extend(
        quotas
            .endpoint_rates
            .iter()
            .map(|(endpoint, (count, period))| {
                let count = nonzero(*count);
                let interval = (*period / count.get()).max(Duration::from_nanos(1));
                let quota = Quota::with_period(interval)
                    .unwrap_or_else(|| Quota::per_second(count))
                    .allow_burst(count);
                (endpoint.clone(), quota)
            }),
    );
    UpstreamLimiter::new(settings, buckets)
}
