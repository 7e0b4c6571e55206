//! What produces the events: the simulated pnut or Misskey server (through its Rust control
//! handle, in this process) or the raw baseline broadcaster.

use std::time::Duration;

use pnutkey::sim::misskey::{SimMisskey, SimMisskeyControl, SimMisskeyOptions};
use pnutkey::sim::pnut::{PnutRateLimits, RateLimit, SimPnut, SimPnutControl, SimPnutOptions};

use crate::baseline::Baseline;
use crate::stats::event_text;

/// Both simulated upstreams, sized for load.
pub struct Sims {
    /// Simulated pnut (upstream of the Misskey front).
    pub pnut: SimPnut,
    /// Simulated Misskey (upstream of the pnut front).
    pub misskey: SimMisskey,
}

impl Sims {
    /// Starts both sims: no activity generator, deep stream queues, no binding rate limits,
    /// `extra_users` `load-<i>` pnut accounts.
    pub async fn start(extra_users: usize) -> Result<Self, String> {
        let generous = RateLimit {
            max: 1_000_000,
            window: Duration::from_secs(3600),
        };
        let pnut = SimPnut::start(SimPnutOptions {
            stream_queue_capacity: 1 << 16,
            max_subscriptions: 1000,
            rate_limits: PnutRateLimits {
                authenticated_get: generous,
                write: generous,
                unauthenticated: generous,
            },
            extra_users,
            ..Default::default()
        })
        .await
        .map_err(|e| format!("sim pnut: {e}"))?;
        let misskey = SimMisskey::start(SimMisskeyOptions {
            stream_queue_capacity: 1 << 16,
            rate_limit: None,
            ..Default::default()
        })
        .await
        .map_err(|e| format!("sim misskey: {e}"))?;
        Ok(Self { pnut, misskey })
    }

    /// Upstream subscriptions and REST calls the bridge made so far (both sims).
    pub async fn upstream_counts(&self) -> UpstreamCounts {
        let pnut = self.pnut.control().counts().await;
        let misskey = self.misskey.control().counts().await;
        let mut calls: Vec<(String, u64)> = pnut
            .calls
            .iter()
            .chain(misskey.calls.iter())
            .map(|(name, count)| (name.clone(), *count))
            .collect();
        calls.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        let top_calls = calls
            .iter()
            .take(3)
            .map(|(name, count)| format!("`{name}` ×{count}"))
            .collect::<Vec<_>>()
            .join(", ");
        UpstreamCounts {
            top_calls,
            pnut_streams: pnut.connections,
            pnut_subscriptions: pnut.subscriptions.values().sum(),
            pnut_rest_calls: pnut.calls.values().sum(),
            misskey_sockets: misskey.connections,
            misskey_channels: misskey
                .sockets
                .iter()
                .map(|socket| socket.channel_connections)
                .sum(),
            misskey_rest_calls: misskey.calls.values().sum(),
        }
    }
}

/// Upstream load the bridge generated.
#[derive(Debug, Clone, Default)]
pub struct UpstreamCounts {
    /// pnut user-stream connections open.
    pub pnut_streams: usize,
    /// pnut subscriptions held.
    pub pnut_subscriptions: usize,
    /// pnut REST calls made.
    pub pnut_rest_calls: u64,
    /// Misskey streaming sockets open.
    pub misskey_sockets: usize,
    /// Misskey channel connections held.
    pub misskey_channels: usize,
    /// Misskey REST calls made.
    pub misskey_rest_calls: u64,
    /// The most frequent REST calls (`METHOD /route ×n`, both sims).
    pub top_calls: String,
}

/// One way to emit a timestamped event.
pub enum Source<'a> {
    /// A pnut post by `author`.
    PnutPost(SimPnutControl, &'static str),
    /// A Misskey note by `author`.
    MisskeyNote(SimMisskeyControl, &'static str),
    /// The raw broadcaster.
    Baseline(&'a Baseline),
}

impl Source<'_> {
    /// Emits one event stamped `nanos`.
    pub async fn emit(&self, nanos: u64) -> Result<(), String> {
        match self {
            Self::PnutPost(control, author) => control
                .create_post(author, &event_text(nanos), None)
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            Self::MisskeyNote(control, author) => control
                .post(author, &event_text(nanos))
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            Self::Baseline(baseline) => {
                baseline.publish(nanos);
                Ok(())
            }
        }
    }
}
