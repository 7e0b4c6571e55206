//! Label sets of the metric families. Every label value is drawn from a fixed set (a front,
//! an upstream, a catalogue channel name, an HTTP status code, a close reason), so label
//! cardinality stays bounded and no token, user id or connection id can reach a label.

use prometheus_client::encoding::EncodeLabelSet;

use crate::mapping::catalog::MISSKEY_CHANNELS;
use crate::upstream::{Side, UpstreamError, UpstreamKind};

/// Which front a client speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Front {
    /// Misskey clients (`/streaming`, `/api/*`).
    Misskey,
    /// pnut tools (`/v1/user`, `/v1/*`).
    Pnut,
}

impl Front {
    /// The label value: `misskey` or `pnut`.
    pub fn as_str(self) -> &'static str {
        match self {
            Front::Misskey => "misskey",
            Front::Pnut => "pnut",
        }
    }
}

/// The label value of an upstream: `pnut` or `misskey`.
pub fn upstream_label(kind: UpstreamKind) -> &'static str {
    match kind {
        UpstreamKind::Pnut => "pnut",
        UpstreamKind::Misskey => "misskey",
    }
}

/// Why the bridge closed a client connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The outbound queue overflowed (1008).
    SlowConsumer,
    /// A frame over `limits.max_frame_size` (1009).
    TooBig,
    /// No pong in time (Misskey front, 1001).
    PongTimeout,
    /// No frame from the tool in time (pnut front, 1000).
    SilenceTimeout,
    /// The connection was deleted (pnut front `DELETE /v1/users/me/streams/...`).
    Deleted,
    /// The bridge drains on SIGTERM/SIGINT (1001 "going away").
    Drain,
}

impl CloseReason {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::SlowConsumer => "slow_consumer",
            CloseReason::TooBig => "too_big",
            CloseReason::PongTimeout => "pong_timeout",
            CloseReason::SilenceTimeout => "silence_timeout",
            CloseReason::Deleted => "deleted",
            CloseReason::Drain => "drain",
        }
    }
}

/// `{front}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct FrontLabels {
    /// `misskey` or `pnut`.
    pub front: &'static str,
}

/// `{upstream}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct UpstreamLabels {
    /// `pnut` or `misskey`.
    pub upstream: &'static str,
}

/// `{channel}` of a Misskey channel connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ChannelLabels {
    /// A channel name of the catalogue, else `other`.
    pub channel: &'static str,
}

/// `{upstream, status}` of an upstream error.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct UpstreamErrorLabels {
    /// `pnut` or `misskey`.
    pub upstream: &'static str,
    /// An HTTP status code (100–599), `transport`, `timeout` or `decode`.
    pub status: String,
}

/// `{front, reason}` of a close by the bridge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct CloseLabels {
    /// `misskey` or `pnut`.
    pub front: &'static str,
    /// See [`CloseReason::as_str`].
    pub reason: &'static str,
}

/// The catalogue's spelling of a Misskey channel name, or `other` (bounded cardinality).
pub fn channel_label(name: &str) -> &'static str {
    MISSKEY_CHANNELS
        .iter()
        .map(|(channel, _)| *channel)
        .find(|channel| *channel == name)
        .unwrap_or("other")
}

/// The `status` label of an HTTP status (`other` outside 100–599), `transport` for `None`.
pub fn status_label(status: Option<u16>) -> String {
    match status {
        Some(code) if (100..600).contains(&code) => code.to_string(),
        Some(_) => "other".to_owned(),
        None => "transport".to_owned(),
    }
}

/// The `status` label of an upstream error; `None` for refusals by the bridge's own limiter
/// (the upstream never saw those).
pub fn error_status(error: &UpstreamError) -> Option<String> {
    match error {
        UpstreamError::RateLimited { side, .. } => {
            (*side == Side::Upstream).then(|| "429".to_owned())
        }
        UpstreamError::Status { status, .. } => Some(status_label(Some(*status))),
        UpstreamError::Transport { message, .. } if message == "timed out" => {
            Some("timeout".to_owned())
        }
        UpstreamError::Transport { .. } => Some("transport".to_owned()),
        UpstreamError::Decode { .. } => Some("decode".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn channel_label_is_bounded_to_the_catalogue() {
        assert_eq!(channel_label("homeTimeline"), "homeTimeline");
        assert_eq!(channel_label("demo-alice"), "other");
        assert_eq!(channel_label(""), "other");
    }

    #[test]
    fn error_status_names_code_or_kind() {
        let status = |status| UpstreamError::Status {
            upstream: UpstreamKind::Pnut,
            status,
            message: String::new(),
            code: None,
        };
        assert_eq!(error_status(&status(401)).as_deref(), Some("401"));
        assert_eq!(error_status(&status(1234)).as_deref(), Some("other"));
        let limited = |side| UpstreamError::RateLimited {
            upstream: UpstreamKind::Misskey,
            side,
            retry_in: Duration::ZERO,
        };
        assert_eq!(
            error_status(&limited(Side::Upstream)).as_deref(),
            Some("429")
        );
        assert_eq!(error_status(&limited(Side::Bridge)), None);
        let transport = |message: &str| UpstreamError::Transport {
            upstream: UpstreamKind::Pnut,
            message: message.to_owned(),
        };
        assert_eq!(
            error_status(&transport("timed out")).as_deref(),
            Some("timeout")
        );
        assert_eq!(
            error_status(&transport("connection failed")).as_deref(),
            Some("transport")
        );
    }
}
