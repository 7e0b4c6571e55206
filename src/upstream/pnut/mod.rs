//! The pnut upstream client: REST through the limiter ([`PnutClient`]) and the user stream
//! ([`PnutStream`]), which owns one websocket in one task and reconnects on its own.

mod rest;
mod stream;

use std::time::Duration;

pub use rest::{PnutClient, decode_response};
pub use stream::{PnutStream, PnutStreamEvent, StreamStats, decode_event_frame};

/// Where a pnut upstream is: its API and its user-stream endpoint (pnut.io serves them on
/// two hosts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PnutEndpoints {
    /// The API base, `http(s)://host[:port][/prefix]/v1` (a trailing `/v1` is optional).
    pub api_url: String,
    /// The user-stream endpoint, `ws(s)://host[:port]/v1/user`, without a token.
    pub stream_url: String,
}

/// Where a user-stream upgrade carries the token (`[upstream.pnut] stream_auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamAuth {
    /// `?access_token=` on the URL, as every real pnut client does (the default).
    #[default]
    Query,
    /// `Authorization: Bearer` (unconfirmed for pnut.io's user streams).
    Header,
}

/// Settings of the pnut client (mapped from `config.toml` by the app).
#[derive(Debug, Clone)]
pub struct PnutClientSettings {
    /// `http(s)://host[:port]` without `/v1` and without a trailing slash.
    pub base_url: String,
    /// The user-stream endpoint, `ws(s)://host[:port]/v1/user`, without a token (pnut.io:
    /// another host than the API).
    pub stream_url: String,
    /// Where the stream upgrade carries the token.
    pub stream_auth: StreamAuth,
    /// Timeout of one REST call, and of opening a stream (upgrade + hello).
    pub request_timeout: Duration,
    /// A keep-alive text frame is sent this often on every stream (pnut closes after 60 s).
    pub keepalive: Duration,
    /// A stream silent for this long is treated as dead and reconnected.
    pub idle_timeout: Duration,
    /// A websocket ping unanswered for this long marks the stream dead (a hung server);
    /// pings go every `min(keepalive, pong_timeout / 2)`.
    pub pong_timeout: Duration,
    /// First reconnect delay.
    pub backoff_min: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// A connection up this long resets the backoff.
    pub healthy_after: Duration,
    /// Extra attempts of an idempotent GET after a 5xx or transport error (within the budget).
    pub get_retries: u32,
    /// Delay before the first GET retry (doubles per retry).
    pub retry_delay: Duration,
    /// Capacity of a stream's event queue; when full the stream stops reading its socket.
    pub event_queue: usize,
    /// Where calls and streams report (detached by default; the app passes the registered
    /// handles).
    pub metrics: crate::metrics::UpstreamMetrics,
}

impl Default for PnutClientSettings {
    fn default() -> Self {
        Self {
            base_url: "https://api.pnut.io".to_string(),
            stream_url: "wss://stream.pnut.io/v1/user".to_string(),
            stream_auth: StreamAuth::Query,
            request_timeout: Duration::from_secs(30),
            keepalive: Duration::from_secs(25),
            idle_timeout: Duration::from_secs(90),
            pong_timeout: Duration::from_secs(30),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            healthy_after: Duration::from_secs(60),
            get_retries: 2,
            retry_delay: Duration::from_millis(200),
            event_queue: 256,
            metrics: crate::metrics::UpstreamMetrics::detached("pnut"),
        }
    }
}
