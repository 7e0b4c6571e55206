//! The fleet's rate budget per (upstream, token) as GCRA in Redis (one Lua script per call,
//! on Redis' clock, so every instance sees one time), and the fleet's 429 pauses.
//!
//! A bucket of Q calls per period P is kept so that **no window of length P ever holds more
//! than Q calls across the fleet**: a burst of a quarter of Q (at least 1), the rest evenly
//! spaced (emission interval P / (Q - burst + 1)). pnut counts fixed windows and locks a token
//! out for 600 s once one is exceeded, so the fleet never relies on the phase of pnut's window.

use std::sync::LazyLock;
use std::time::Duration;

use governor::Quota;
use redis::Script;

use super::{Cluster, ClusterError, token_key};

/// GCRA over every bucket at once: either all buckets conform and all are charged, or none is
/// charged and the longest wait is returned. A running pause wins over everything.
/// KEYS[1]: the pause key; KEYS[2..]: bucket keys. ARGV: per bucket emission and tolerance
/// in microseconds. Returns {paused (0/1), wait in ms}.
const TAKE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = redis.call('PTTL', KEYS[1])
if pause > 0 then return {1, pause} end
local wait = 0
local tats = {}
for i = 2, #KEYS do
  local emission = tonumber(ARGV[2 * i - 3])
  local tolerance = tonumber(ARGV[2 * i - 2])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local allowed_at = tat - tolerance
  if allowed_at > now then
    if allowed_at - now > wait then wait = allowed_at - now end
  end
  tats[i] = tat + emission
end
if wait > 0 then return {0, math.ceil(wait / 1000)} end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX', math.ceil((tats[i] - now) / 1000) + 1000)
end
return {0, 0}
";

/// Sets a pause unless a longer one runs. KEYS[1]: the pause key; ARGV[1]: milliseconds.
const PAUSE: &str = r"
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], '1', 'PX', ms)
  return 1
end
return 0
";

static TAKE_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(TAKE));
static PAUSE_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(PAUSE));

/// One bucket's fleet-wide GCRA parameters, derived from a per-instance [`Quota`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetQuota {
    /// Time between two calls once the burst is used.
    pub emission: Duration,
    /// How far ahead of its schedule the bucket may run (burst - 1 emissions).
    pub tolerance: Duration,
}

impl FleetQuota {
    /// The fleet form of `quota` (Q calls per period P, as `governor` builds it): at most Q
    /// calls in any window of P across the fleet.
    pub fn from_quota(quota: Quota) -> Self {
        let count = quota.burst_size().get();
        let period = quota.replenish_interval().saturating_mul(count);
        let burst = (count / 4).max(1);
        // Rounded up to whole microseconds (Redis' unit): never a hair faster than the quota.
        let spaced = u128::from(count - burst + 1);
        let micros = period.as_micros().div_ceil(spaced);
        let emission = Duration::from_micros(u64::try_from(micros).unwrap_or(u64::MAX));
        Self {
            emission,
            tolerance: emission.saturating_mul(burst - 1),
        }
    }
}

/// What the fleet said about one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetAnswer {
    /// The call may go; every bucket was charged.
    Granted,
    /// Nothing was charged: ask again after `wait`. `paused`: a 429 pause of the token runs.
    Wait {
        /// How long until a call could go.
        wait: Duration,
        /// Whether the wait is a 429 pause (else the budget).
        paused: bool,
    },
}

fn token_tag(upstream: &str, token: &str) -> String {
    // One hash tag per (upstream, token): a Redis Cluster keeps its keys in one slot.
    format!("{{{upstream}:{}}}", token_key(token))
}

impl Cluster {
    /// Draws one call of `token` on `upstream` from every bucket in `buckets` (name, quota).
    pub async fn take(
        &self,
        upstream: &str,
        token: &str,
        buckets: &[(&str, FleetQuota)],
    ) -> Result<FleetAnswer, ClusterError> {
        let tag = token_tag(upstream, token);
        let mut invocation = TAKE_SCRIPT.prepare_invoke();
        invocation.key(self.key(&format!("pause:{tag}")));
        for (name, quota) in buckets {
            invocation.key(self.key(&format!("rl:{tag}:{name}")));
            invocation.arg(micros(quota.emission));
            invocation.arg(micros(quota.tolerance));
        }
        let (paused, wait_ms): (i64, i64) = self
            .call(|mut redis| async move { invocation.invoke_async(&mut redis).await })
            .await?;
        if paused == 0 && wait_ms <= 0 {
            return Ok(FleetAnswer::Granted);
        }
        Ok(FleetAnswer::Wait {
            wait: Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0)),
            paused: paused != 0,
        })
    }

    /// Pauses `token` on `upstream` for the whole fleet for `duration` (extends, never
    /// shortens, a running pause).
    pub async fn pause(
        &self,
        upstream: &str,
        token: &str,
        duration: Duration,
    ) -> Result<(), ClusterError> {
        let key = self.key(&format!("pause:{}", token_tag(upstream, token)));
        let ms = u64::try_from(duration.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let _: i64 = self
            .call(|mut redis| async move {
                PAUSE_SCRIPT.key(key).arg(ms).invoke_async(&mut redis).await
            })
            .await?;
        self.metrics().pauses_shared.inc();
        Ok(())
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;

    #[test]
    fn fleet_quota_keeps_any_window_within_the_quota() {
        let sixty = NonZeroU32::new(60).unwrap_or(NonZeroU32::MIN);
        let quota = FleetQuota::from_quota(Quota::per_minute(sixty));
        // Burst 15, then 45 more evenly over the minute: 15 + 45 = 60 in any minute.
        assert_eq!(quota.emission, Duration::from_micros(1_304_348));
        assert_eq!(quota.tolerance, quota.emission * 14);
        let in_a_window = 1
            + (Duration::from_secs(60) - Duration::from_nanos(1) + quota.tolerance).as_nanos()
                / quota.emission.as_nanos();
        assert!(in_a_window <= 60, "{in_a_window}");
        let one = FleetQuota::from_quota(Quota::per_second(NonZeroU32::MIN));
        assert_eq!(one.emission, Duration::from_secs(1));
        assert_eq!(one.tolerance, Duration::ZERO);
    }
}
