//! The Misskey upstream client: REST `POST /api/<endpoint>` through the limiter
//! ([`MisskeyClient`]) and the per-token streaming connection ([`MisskeyStream`]).

mod rest;
mod stream;

use std::time::Duration;

pub use rest::{MisskeyClient, decode_response};
pub use stream::{MisskeyStream, MisskeyStreamEvent, MisskeyStreamStats, StreamEnded};

/// Settings of the Misskey client (mapped from `config.toml` by the app).
#[derive(Debug, Clone)]
pub struct MisskeyClientSettings {
    /// `http(s)://host[:port]` without a trailing slash.
    pub base_url: String,
    /// Timeout of one REST call, and of opening the stream.
    pub request_timeout: Duration,
    /// A websocket ping is sent this often on the stream (Misskey terminates sockets that
    /// stay silent; its own pings are answered automatically).
    pub heartbeat: Duration,
    /// A heartbeat ping not answered by a pong within this long means the stream is dead
    /// (a hung server or a broken path answers nothing): reconnect (and the consumer
    /// backfills). Heartbeats are sent at least every half of it.
    pub pong_timeout: Duration,
    /// A stream sending nothing but pongs this long is treated as dead (Misskey pings every
    /// ≤ 30 s, so this must stay well above that).
    pub idle_timeout: Duration,
    /// First reconnect delay.
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// A connection up this long resets the backoff.
    pub healthy_after: Duration,
    /// Extra attempts of a read call after a 5xx or transport error (within the budget).
    pub read_retries: u32,
    /// Delay before the first retry (doubles per retry).
    pub retry_delay: Duration,
    /// Capacity of the stream's event and command queues.
    pub queue: usize,
    /// Where calls and streams report (detached by default; the app passes the registered
    /// handles).
    pub metrics: crate::metrics::UpstreamMetrics,
}

impl Default for MisskeyClientSettings {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:3000".to_string(),
            request_timeout: Duration::from_secs(30),
            heartbeat: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(90),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            healthy_after: Duration::from_secs(60),
            read_retries: 2,
            retry_delay: Duration::from_millis(200),
            queue: 256,
            metrics: crate::metrics::UpstreamMetrics::detached("misskey"),
        }
    }
}
