//! The per-upstream limiter: keyed buckets, a ceiling over all tokens, and 429 pauses.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::time::Instant;

use super::clock::TokioClock;
use super::fleet::Fleet;
use super::token_hash;
use crate::cluster::{Cluster, FleetAnswer};

type KeyedLimiter =
    RateLimiter<String, DashMapStateStore<String>, TokioClock, NoOpMiddleware<Duration>>;
type DirectLimiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Duration>>;

/// A call was refused locally: waiting for a permit (or for a 429 pause to end) would take
/// longer than the configured bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("rate limited by the bridge, retry in {} s", retry_in.as_secs_f64().ceil())]
pub struct RateLimited {
    /// How long until a call could go through.
    pub retry_in: Duration,
    /// Whether the wait comes from a pause an upstream 429 imposed (else from local quotas).
    pub paused_by_upstream: bool,
}

/// Settings of one upstream's limiter.
#[derive(Debug, Clone)]
pub struct LimiterSettings {
    /// Name of the upstream, for logs (`pnut`, `misskey`).
    pub upstream: &'static str,
    /// Requests per second over all tokens of this upstream.
    pub ceiling_per_second: u32,
    /// A caller that would wait longer than this fails fast with [`RateLimited`].
    pub max_wait: Duration,
    /// Pause after a 429 that names no reset time (pnut: 600 s).
    pub default_pause: Duration,
    /// Up to this much random extra wait is added to every wait (spreads waiting callers).
    pub jitter: Duration,
}

/// One upstream's limiter: named keyed buckets (keyed by token), a ceiling over all tokens,
/// and per-token pauses set after an upstream 429. Share it behind an `Arc`.
#[derive(Debug)]
pub struct UpstreamLimiter {
    settings: LimiterSettings,
    buckets: HashMap<String, KeyedLimiter>,
    ceiling: DirectLimiter,
    pauses: Mutex<HashMap<String, Instant>>,
    counts: Counts,
    /// The buckets' quotas as built (for the fleet's form of them).
    quotas: Vec<(String, Quota)>,
    /// The fleet's budget (`[cluster]`): asked after the local permits.
    fleet: Option<Fleet>,
}

/// How often the limiter made a caller wait, refused a call, or paused a token (for metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimiterCounts {
    /// Calls that waited at least once for a permit or a pause.
    pub waits: u64,
    /// Calls refused because the wait would exceed `max_wait`.
    pub fast_fails: u64,
    /// Pauses set after an upstream 429.
    pub pauses: u64,
}

#[derive(Debug, Default)]
struct Counts {
    waits: AtomicU64,
    fast_fails: AtomicU64,
    pauses: AtomicU64,
}

fn jittered(wait: Duration, jitter: Duration) -> Duration {
    let max_ms = u64::try_from(jitter.as_millis()).unwrap_or(u64::MAX);
    if max_ms == 0 {
        return wait;
    }
    wait + Duration::from_millis(rand::random_range(0..=max_ms))
}

fn nonzero(value: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(value).unwrap_or(std::num::NonZeroU32::MIN)
}

impl UpstreamLimiter {
    /// A limiter with `buckets` (name → quota per token) and the settings' ceiling.
    pub fn new(settings: LimiterSettings, buckets: Vec<(String, Quota)>) -> Self {
        let clock = TokioClock::new();
        let quotas = buckets.clone();
        let buckets = buckets
            .into_iter()
            .map(|(name, quota)| (name, RateLimiter::dashmap_with_clock(quota, clock)))
            .collect();
        let ceiling = RateLimiter::direct_with_clock(
            Quota::per_second(nonzero(settings.ceiling_per_second)),
            clock,
        );
        Self {
            settings,
            buckets,
            ceiling,
            pauses: Mutex::new(HashMap::new()),
            counts: Counts::default(),
            quotas,
            fleet: None,
        }
    }

    /// This limiter with the fleet's budget on top (`[cluster]`, mapping.md §9): a call also
    /// needs the fleet's permit for each of its buckets, and a 429 pause is shared.
    pub fn with_fleet(mut self, cluster: Arc<Cluster>) -> Self {
        self.fleet = Some(Fleet::new(cluster, &self.quotas));
        self
    }

    /// Adds `previous`'s counts to this limiter's (a limiter replacing another, e.g. on a
    /// config reload, keeps the exported counters monotonic).
    pub fn carry_counts_from(&self, previous: &UpstreamLimiter) {
        let old = previous.counts();
        self.counts.waits.fetch_add(old.waits, Ordering::Relaxed);
        self.counts
            .fast_fails
            .fetch_add(old.fast_fails, Ordering::Relaxed);
        self.counts.pauses.fetch_add(old.pauses, Ordering::Relaxed);
    }

    /// The wait, fast-fail and pause counts since start.
    pub fn counts(&self) -> LimiterCounts {
        LimiterCounts {
            waits: self.counts.waits.load(Ordering::Relaxed),
            fast_fails: self.counts.fast_fails.load(Ordering::Relaxed),
            pauses: self.counts.pauses.load(Ordering::Relaxed),
        }
    }

    /// Counts a call that waited (`refused: false`) or was refused for a reason decided
    /// outside the limiter's buckets (the server's reported budget, [`super::ServerBudgets`]).
    pub fn count_external(&self, refused: bool) {
        let counter = if refused {
            &self.counts.fast_fails
        } else {
            &self.counts.waits
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The settings this limiter was built with.
    pub fn settings(&self) -> &LimiterSettings {
        &self.settings
    }

    /// Whether a bucket of that name exists.
    pub fn has_bucket(&self, bucket: &str) -> bool {
        self.buckets.contains_key(bucket)
    }

    /// How long `token` is still paused by an upstream 429, if it is.
    pub fn paused_for(&self, token: &str) -> Option<Duration> {
        let now = Instant::now();
        let pauses = self.pauses.lock().ok()?;
        pauses
            .get(token)
            .filter(|until| **until > now)
            .map(|until| until.duration_since(now))
    }

    /// Copies `previous`'s still-running 429 pauses into this limiter (when a config reload
    /// replaces the limiter: quota buckets start afresh, upstream-imposed pauses do not end).
    pub fn carry_pauses_from(&self, previous: &UpstreamLimiter) {
        let now = Instant::now();
        let Ok(old) = previous.pauses.lock() else {
            return;
        };
        if let Ok(mut pauses) = self.pauses.lock() {
            for (token, until) in old.iter().filter(|(_, until)| **until > now) {
                let entry = pauses.entry(token.clone()).or_insert(*until);
                if *entry < *until {
                    *entry = *until;
                }
            }
        }
    }

    /// [`UpstreamLimiter::pause`], then the same pause for the whole fleet (`[cluster]`;
    /// awaited, within `cluster.op_timeout`: the caller is finishing an upstream call anyway).
    pub async fn pause_everywhere(&self, token: &str, duration: Duration) {
        self.pause(token, duration);
        if let Some(fleet) = &self.fleet {
            fleet
                .publish_pause(self.settings.upstream, token, duration)
                .await;
        }
    }

    /// Extends `token`'s local pause to `until` (a pause the fleet reported: not counted,
    /// not published again).
    fn pause_until(&self, token: &str, until: Instant) {
        if let Ok(mut pauses) = self.pauses.lock() {
            let entry = pauses.entry(token.to_string()).or_insert(until);
            if *entry < until {
                *entry = until;
            }
        }
    }

    /// Pauses `token` for `duration` (extends, never shortens, an existing pause).
    pub fn pause(&self, token: &str, duration: Duration) {
        let until = Instant::now() + duration;
        if let Ok(mut pauses) = self.pauses.lock() {
            let entry = pauses.entry(token.to_string()).or_insert(until);
            if *entry < until {
                *entry = until;
            }
        }
        self.counts.pauses.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            upstream = self.settings.upstream,
            token = %token_hash(token),
            pause_secs = duration.as_secs(),
            "upstream rate limit hit; token paused"
        );
    }

    /// Waits (with jitter) until `token` may send one call drawing from every named bucket
    /// (unknown names are ignored) and from the ceiling; fails fast with [`RateLimited`] when
    /// that would take longer than `max_wait`. Nothing is sent while the token is paused.
    /// A cell, once granted by a bucket, is kept while waiting for the next one, so waiting
    /// never burns extra quota.
    pub async fn acquire(&self, buckets: &[&str], token: &str) -> Result<(), RateLimited> {
        let deadline = Instant::now() + self.settings.max_wait;
        let key = token.to_string();
        let stages: Vec<&KeyedLimiter> = buckets
            .iter()
            .filter_map(|name| self.buckets.get(*name))
            .collect();
        let mut granted = 0;
        let mut waited = false;
        loop {
            let (wait, paused_by_upstream) = match self.paused_for(token) {
                Some(pause) => (pause, true),
                None => match self.take_from(&stages, &mut granted, &key) {
                    None => match self.ask_fleet(buckets, token).await {
                        None => return Ok(()),
                        Some(wait) => wait,
                    },
                    Some(wait) => (wait, false),
                },
            };
            let now = Instant::now();
            if now + wait > deadline {
                self.counts.fast_fails.fetch_add(1, Ordering::Relaxed);
                return Err(RateLimited {
                    retry_in: wait,
                    paused_by_upstream,
                });
            }
            if !waited {
                waited = true;
                self.counts.waits.fetch_add(1, Ordering::Relaxed);
            }
            let sleep_for = jittered(wait, self.settings.jitter).min(deadline - now);
            tokio::time::sleep(sleep_for.max(Duration::from_millis(1))).await;
        }
    }

    /// One call's permit now or never: like [`UpstreamLimiter::acquire`] with no wait at all
    /// (for calls that would rather skip a round than queue behind interactive ones).
    pub fn try_acquire(&self, buckets: &[&str], token: &str) -> Result<(), RateLimited> {
        if let Some(pause) = self.paused_for(token) {
            return Err(RateLimited {
                retry_in: pause,
                paused_by_upstream: true,
            });
        }
        let stages: Vec<&KeyedLimiter> = buckets
            .iter()
            .filter_map(|name| self.buckets.get(*name))
            .collect();
        let mut granted = 0;
        match self.take_from(&stages, &mut granted, &token.to_string()) {
            None => Ok(()),
            Some(wait) => Err(RateLimited {
                retry_in: wait,
                paused_by_upstream: false,
            }),
        }
    }

    /// Like [`UpstreamLimiter::try_acquire`], then the fleet's permit (`[cluster]`), also
    /// without waiting.
    pub async fn acquire_now(&self, buckets: &[&str], token: &str) -> Result<(), RateLimited> {
        self.try_acquire(buckets, token)?;
        match self.ask_fleet(buckets, token).await {
            None => Ok(()),
            Some((retry_in, paused_by_upstream)) => Err(RateLimited {
                retry_in,
                paused_by_upstream,
            }),
        }
    }

    /// The fleet's word on a call that has its local permits: `None` when it may go (granted,
    /// no fleet, or Redis unable to answer), else the wait and whether it is a 429 pause
    /// (then also kept locally).
    async fn ask_fleet(&self, buckets: &[&str], token: &str) -> Option<(Duration, bool)> {
        let fleet = self.fleet.as_ref()?;
        match fleet.ask(self.settings.upstream, buckets, token).await? {
            FleetAnswer::Granted => None,
            FleetAnswer::Wait { wait, paused } => {
                if paused {
                    self.pause_until(token, Instant::now() + wait);
                }
                Some((wait, paused))
            }
        }
    }

    /// Takes a cell from each stage not yet granted (buckets, then the ceiling), advancing
    /// `granted`; returns the wait when a stage refuses, `None` when all granted.
    fn take_from(
        &self,
        stages: &[&KeyedLimiter],
        granted: &mut usize,
        key: &String,
    ) -> Option<Duration> {
        use governor::clock::Clock;
        while let Some(bucket) = stages.get(*granted) {
            if let Err(not_until) = bucket.check_key(key) {
                return Some(not_until.wait_time_from(bucket.clock().now()));
            }
            *granted += 1;
        }
        if *granted == stages.len() {
            if let Err(not_until) = self.ceiling.check() {
                return Some(not_until.wait_time_from(self.ceiling.clock().now()));
            }
            *granted += 1;
        }
        None
    }

    /// Forgets idle keys (state equal to a fresh one) and ended pauses.
    pub fn sweep(&self) {
        for bucket in self.buckets.values() {
            bucket.retain_recent();
            bucket.shrink_to_fit();
        }
        let now = Instant::now();
        if let Ok(mut pauses) = self.pauses.lock() {
            pauses.retain(|_, until| *until > now);
            pauses.shrink_to_fit();
        }
    }

    /// Number of keys held over all buckets and pauses (for tests and metrics).
    pub fn tracked_keys(&self) -> usize {
        let pauses = self.pauses.lock().map(|p| p.len()).unwrap_or(0);
        self.buckets.values().map(|b| b.len()).sum::<usize>() + pauses
    }

    /// Spawns a task sweeping this limiter every `every`; it ends when the limiter is dropped.
    pub fn spawn_sweeper(
        limiter: &std::sync::Arc<Self>,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let weak = std::sync::Arc::downgrade(limiter);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every.max(Duration::from_millis(1)));
            tick.tick().await;
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(limiter) => limiter.sweep(),
                    None => return,
                }
            }
        })
    }
}
