//! Typed errors of both upstream clients.

use std::time::Duration;

use crate::ratelimit::RateLimited;

/// Which upstream a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpstreamKind {
    /// A pnut.io-compatible server.
    Pnut,
    /// A Misskey server.
    Misskey,
}

impl std::fmt::Display for UpstreamKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UpstreamKind::Pnut => "pnut",
            UpstreamKind::Misskey => "misskey",
        })
    }
}

/// Which side produced an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The bridge itself (local limiter, bad request built, ...): the upstream never saw it.
    Bridge,
    /// The upstream answered with it.
    Upstream,
}

/// An upstream call failed. Never contains a token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    /// Rate limited: by the bridge's own limiter (`side == Bridge`) or by an upstream 429
    /// (`side == Upstream`; the token is then paused for `retry_in`).
    #[error("{upstream} rate limited ({side:?}), retry in {} s", retry_in.as_secs_f64().ceil())]
    RateLimited {
        /// The upstream.
        upstream: UpstreamKind,
        /// Who refused.
        side: Side,
        /// When a call could succeed again.
        retry_in: Duration,
    },
    /// The upstream answered with a non-success status.
    #[error("{upstream} answered HTTP {status}: {message}")]
    Status {
        /// The upstream.
        upstream: UpstreamKind,
        /// HTTP status (pnut: `meta.code` when present).
        status: u16,
        /// `meta.error_message` (pnut) or `error.message` (Misskey).
        message: String,
        /// Misskey `error.code` (e.g. `NO_SUCH_NOTE`); `None` for pnut.
        code: Option<String>,
    },
    /// The upstream could not be reached, timed out or cut the connection.
    #[error("{upstream} unreachable: {message}")]
    Transport {
        /// The upstream.
        upstream: UpstreamKind,
        /// What went wrong (never with a token: URLs carry tokens only in headers/bodies).
        message: String,
    },
    /// The upstream answered something that does not decode as the expected type.
    #[error("{upstream} sent an undecodable response: {message}")]
    Decode {
        /// The upstream.
        upstream: UpstreamKind,
        /// The decoding error.
        message: String,
    },
}

impl UpstreamError {
    /// Which upstream the call went to.
    pub fn upstream(&self) -> UpstreamKind {
        match self {
            UpstreamError::RateLimited { upstream, .. }
            | UpstreamError::Status { upstream, .. }
            | UpstreamError::Transport { upstream, .. }
            | UpstreamError::Decode { upstream, .. } => *upstream,
        }
    }

    /// Which side produced the error.
    pub fn side(&self) -> Side {
        match self {
            UpstreamError::RateLimited { side, .. } => *side,
            UpstreamError::Status { .. } | UpstreamError::Decode { .. } => Side::Upstream,
            UpstreamError::Transport { .. } => Side::Upstream,
        }
    }

    /// The upstream HTTP status to map at the front (429 for both kinds of rate limit).
    pub fn status(&self) -> Option<u16> {
        match self {
            UpstreamError::RateLimited { .. } => Some(429),
            UpstreamError::Status { status, .. } => Some(*status),
            UpstreamError::Transport { .. } | UpstreamError::Decode { .. } => None,
        }
    }

    /// How long until a retry could succeed (rate limits only).
    pub fn retry_in(&self) -> Option<Duration> {
        match self {
            UpstreamError::RateLimited { retry_in, .. } => Some(*retry_in),
            _ => None,
        }
    }

    /// Whether retrying the same call later makes sense (5xx, transport errors, rate limits
    /// after `retry_in`); 4xx other than 429 and decode errors never get better by retrying.
    pub fn is_retryable(&self) -> bool {
        match self {
            UpstreamError::RateLimited { .. } | UpstreamError::Transport { .. } => true,
            UpstreamError::Status { status, .. } => *status >= 500,
            UpstreamError::Decode { .. } => false,
        }
    }

    /// The bridge's own limiter refused the call.
    pub fn local_rate_limit(upstream: UpstreamKind, limited: RateLimited) -> Self {
        UpstreamError::RateLimited {
            upstream,
            side: if limited.paused_by_upstream {
                Side::Upstream
            } else {
                Side::Bridge
            },
            retry_in: limited.retry_in,
        }
    }

    /// A transport error from reqwest (the message never includes the URL's query).
    pub fn transport(upstream: UpstreamKind, error: &reqwest::Error) -> Self {
        let kind = if error.is_timeout() {
            "timed out"
        } else if error.is_connect() {
            "connection failed"
        } else if error.is_body() || error.is_decode() {
            "response body interrupted"
        } else {
            "request failed"
        };
        UpstreamError::Transport {
            upstream,
            message: kind.to_string(),
        }
    }
}
