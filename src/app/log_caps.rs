//! Caps on dependency log levels that hold whatever `RUST_LOG` says: at TRACE, tungstenite
//! logs every handshake request (with its `Authorization` header and `?i=`/`?access_token=`
//! query) and every received frame (which can carry anything a client sends). Capped at
//! DEBUG, nothing of a request or frame body reaches a log line.

use tracing_subscriber::filter::{LevelFilter, Targets};

/// Targets capped, and the most verbose level each may log at.
pub const CAPPED_TARGETS: [(&str, LevelFilter); 2] = [
    ("tungstenite", LevelFilter::DEBUG),
    ("tokio_tungstenite", LevelFilter::DEBUG),
];

/// A global filter: every target at any level, except the [`CAPPED_TARGETS`]. Add it to the
/// subscriber as a layer next to the `RUST_LOG` filter (both must pass).
pub fn dependency_caps() -> Targets {
    CAPPED_TARGETS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |targets, (target, level)| targets.with_target(*target, *level),
    )
}
