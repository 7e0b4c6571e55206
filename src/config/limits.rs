//! Config sections about how much and how long: `[limits]`, `[timeouts]`, `[ratelimit]`.

use std::collections::BTreeMap;
use std::time::Duration;

use bytesize::ByteSize;
use serde::{Deserialize, Serialize};

/// `[limits]`: sizes and counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// pnut upstream: subscriptions per pnut user-stream connection (pnut's rule: 16).
    pub max_subscriptions_per_connection: u32,
    /// pnut upstream: user-stream connections per token.
    pub max_connections_per_token: u32,
    /// pnut front: subscriptions a tool may hold on one connection (emulates pnut's 16).
    pub front_max_subscriptions_per_connection: u32,
    /// Misskey front: channel connections per socket; further `connect`s are ignored.
    pub max_channels_per_socket: u32,
    /// Largest websocket frame accepted from a client (bigger: close 1009).
    #[serde(with = "size")]
    pub max_frame_size: ByteSize,
    /// Outbound queue per client connection (full: close 1008 "slow consumer").
    #[serde(with = "size")]
    pub outbound_queue: ByteSize,
    /// Largest REST request body accepted on either front.
    #[serde(with = "size")]
    pub max_request_body: ByteSize,
    /// Largest uploaded file (pnut front `POST /files`, Misskey front `drive/files/create`);
    /// an upload's body may exceed `max_request_body` by up to this much.
    #[serde(with = "size")]
    pub max_upload_size: ByteSize,
    /// Most uploads read at once on this instance (both fronts together); one more is refused
    /// with 429 and `Retry-After`, so uploads hold at most this × `max_upload_size` in memory.
    pub max_concurrent_uploads: u32,
    /// `count` of a re-subscribe/backfill page (pnut's maximum is 200).
    pub backfill_count: u32,
    /// Most distinct polled endpoints (local/global timelines, hashtag tags) per token; a
    /// `connect` that needs more is ignored (and counted), as Misskey ignores what it won't
    /// serve.
    pub max_polls_per_token: u32,
    /// Most posts/notes one gap backfill fetches (page after page); a larger gap is skipped
    /// past that and counted.
    pub backfill_max: u32,
    /// pnut front: the most recent posts pushed per token whose Misskey notes stay captured
    /// (`subNote`), so that their deletions reach the tools (0: none).
    pub captured_posts: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_subscriptions_per_connection: 16,
            max_connections_per_token: 4,
            front_max_subscriptions_per_connection: 16,
            max_channels_per_socket: 32,
            max_frame_size: ByteSize::kib(64),
            outbound_queue: ByteSize::mib(1),
            max_request_body: ByteSize::mib(1),
            max_upload_size: ByteSize::mib(20),
            max_concurrent_uploads: 16,
            backfill_count: 200,
            backfill_max: 1000,
            max_polls_per_token: 8,
            captured_posts: 100,
        }
    }
}

/// Serde for a byte size written as a string (`"64KiB"`, `"1 MiB"`) or a number of bytes.
mod size {
    use bytesize::ByteSize;
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bytes(u64),
        Text(String),
    }

    /// Exact: the largest binary unit that divides the size, else a number of bytes.
    pub fn serialize<S: Serializer>(value: &ByteSize, s: S) -> Result<S::Ok, S::Error> {
        let bytes = value.as_u64();
        let units = [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
        match units
            .iter()
            .find(|(unit, _)| bytes > 0 && bytes.is_multiple_of(*unit))
        {
            Some((unit, name)) => s.serialize_str(&format!("{}{name}", bytes / unit)),
            None => s.serialize_u64(bytes),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ByteSize, D::Error> {
        match Raw::deserialize(d)? {
            Raw::Bytes(bytes) => Ok(ByteSize::b(bytes)),
            Raw::Text(text) => text.trim().parse::<ByteSize>().map_err(|_| {
                serde::de::Error::custom(format!("{text:?} is not a size like \"64KiB\""))
            }),
        }
    }
}

/// `[timeouts]`: liveness, lingering, polling, shutdown, backoff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimeoutsConfig {
    /// pnut upstream: a text keep-alive frame at least this often (pnut closes after 60 s).
    #[serde(with = "humantime_serde")]
    pub pnut_keepalive: Duration,
    /// pnut upstream: a connection silent this long is dead.
    #[serde(with = "humantime_serde")]
    pub pnut_idle: Duration,
    /// pnut front: close a tool connection after this long without any frame from it.
    #[serde(with = "humantime_serde")]
    pub pnut_front_client_silence: Duration,
    /// Misskey front: websocket ping to each client this often.
    #[serde(with = "humantime_serde")]
    pub misskey_ping: Duration,
    /// Misskey front: drop a client that sent no pong for this long.
    #[serde(with = "humantime_serde")]
    pub misskey_pong_timeout: Duration,
    /// Poll interval of unsubscribable pnut endpoints (local/global timelines, hashtags).
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// An unused upstream subscription/channel lingers this long before it is deleted.
    #[serde(with = "humantime_serde")]
    pub linger: Duration,
    /// A session (a token's upstream streams, subscriptions and caches) with no client for
    /// this long ends: its upstream streams are deleted and its memory freed.
    #[serde(with = "humantime_serde")]
    pub session_idle: Duration,
    /// Upstream streams (Misskey and pnut): a websocket ping unanswered this long means the
    /// stream is dead (reconnect and backfill); pings go at least every half of it.
    #[serde(with = "humantime_serde")]
    pub upstream_pong_timeout: Duration,
    /// On SIGTERM/SIGINT, finish within this long.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// Upstream reconnect backoff: first delay (then doubled, with jitter).
    #[serde(with = "humantime_serde")]
    pub reconnect_backoff_min: Duration,
    /// Upstream reconnect backoff: cap.
    #[serde(with = "humantime_serde")]
    pub reconnect_backoff_max: Duration,
}

impl Default for TimeoutsConfig {
    fn default() -> Self {
        Self {
            pnut_keepalive: Duration::from_secs(30),
            pnut_idle: Duration::from_secs(90),
            pnut_front_client_silence: Duration::from_secs(60),
            misskey_ping: Duration::from_secs(60),
            misskey_pong_timeout: Duration::from_secs(120),
            poll_interval: Duration::from_secs(15),
            linger: Duration::from_secs(30),
            session_idle: Duration::from_secs(300),
            upstream_pong_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            reconnect_backoff_min: Duration::from_secs(1),
            reconnect_backoff_max: Duration::from_secs(60),
        }
    }
}

/// `[ratelimit]`: limiter settings shared by both upstreams, plus one table per upstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// A call that would wait longer than this for a permit fails fast with a 429.
    #[serde(with = "humantime_serde")]
    pub max_wait: Duration,
    /// After an upstream 429 with no retry hint, pause that token this long.
    #[serde(with = "humantime_serde")]
    pub default_pause: Duration,
    /// Idle per-token limiter state is swept this often.
    #[serde(with = "humantime_serde")]
    pub sweep_interval: Duration,
    /// Retries allowed for a failed GET (writes are never retried).
    pub get_retries: u32,
    /// pnut upstream quotas.
    pub pnut: PnutRateLimit,
    /// Misskey upstream quotas.
    pub misskey: MisskeyRateLimit,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            max_wait: Duration::from_secs(10),
            default_pause: Duration::from_secs(600),
            sweep_interval: Duration::from_secs(300),
            get_retries: 2,
            pnut: PnutRateLimit::default(),
            misskey: MisskeyRateLimit::default(),
        }
    }
}

/// `[ratelimit.pnut]`: quotas mirroring pnut's buckets, with headroom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PnutRateLimit {
    /// GET calls per token per hour.
    pub get_per_hour: u32,
    /// Write calls (POST/PUT/PATCH/DELETE) per token per minute.
    pub writes_per_minute: u32,
    /// All calls to the pnut upstream per second, over all tokens.
    pub upstream_per_second: u32,
    /// The share (percent) of `get_per_hour` that polls (local/global timelines, hashtags)
    /// may use; a poll never waits for a permit, it skips its round instead.
    pub poll_percent: u32,
}

impl Default for PnutRateLimit {
    fn default() -> Self {
        Self {
            get_per_hour: 4500,
            writes_per_minute: 18,
            upstream_per_second: 50,
            poll_percent: 25,
        }
    }
}

/// `[ratelimit.misskey]`: quotas for the Misskey upstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MisskeyRateLimit {
    /// Calls per token per second.
    pub per_token_per_second: u32,
    /// All calls to the Misskey upstream per second, over all tokens.
    pub upstream_per_second: u32,
    /// Per-endpoint quota per token: Misskey endpoint (`notes/create`) → `"COUNT/PERIOD"`
    /// (e.g. `"300/1h"`), applied on top of `per_token_per_second`.
    pub endpoints: BTreeMap<String, Rate>,
}

impl Default for MisskeyRateLimit {
    fn default() -> Self {
        Self {
            per_token_per_second: 10,
            upstream_per_second: 50,
            endpoints: [
                ("notes/create", 300, 3600),
                ("notes/delete", 300, 3600),
                ("notes/unrenote", 300, 3600),
                ("notes/reactions/delete", 60, 3600),
                ("following/create", 100, 3600),
                ("following/delete", 100, 3600),
                ("i/notifications", 30, 30),
            ]
            .into_iter()
            .map(|(name, count, secs)| {
                let rate = Rate {
                    count,
                    per: Duration::from_secs(secs),
                };
                (name.to_owned(), rate)
            })
            .collect(),
        }
    }
}

/// A quota: `count` calls per `per`, written `"COUNT/PERIOD"` (`"300/1h"`, `"30/30s"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Calls allowed per period.
    pub count: u32,
    /// The period.
    pub per: Duration,
}

impl std::str::FromStr for Rate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?} is not a rate like \"300/1h\"");
        let (count, period) = text.split_once('/').ok_or_else(bad)?;
        let count = count.trim().parse::<u32>().map_err(|_| bad())?;
        let period = period.trim();
        let period = if period.starts_with(|c: char| c.is_ascii_digit()) {
            period.to_owned()
        } else {
            format!("1{period}")
        };
        let per = humantime::parse_duration(&period).map_err(|_| bad())?;
        Ok(Self { count, per })
    }
}

impl Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!(
            "{}/{}",
            self.count,
            humantime::format_duration(self.per)
        ))
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
