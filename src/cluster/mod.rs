//! A fleet of bridge instances sharing one Redis (`[cluster]`, mapping.md §9).
//!
//! - [`Cluster`]: the Redis connection (the `redis` crate's `ConnectionManager`, which
//!   reconnects by itself), a health loop pinging Redis every `health_interval`, and the
//!   up/down state `/healthz` and the metrics report. While Redis is down every caller decides
//!   locally (the instance serves on its local limits) and rejoins when a ping answers again.
//! - [`budget`]: the per-(upstream, token) rate budget of the whole fleet as GCRA, one Lua
//!   script per call, and the shared 429 pause.
//!
//! - [`lease`], [`bus`], [`relay`]: one upstream session per token across the fleet — the
//!   instance holding a token's lease runs the token's pool and publishes each of its frames
//!   once; the others relay their clients' needs to it and deliver its frames locally.
//!
//! - [`pnut_front`]: the same for the pnut front — the lease holder runs the token's hub, the
//!   other instances forward the token's user streams and connection-bound REST calls to the
//!   base URL it advertises ([`Cluster::advertise_url`]).
//!
//! Keys carry the full SHA-256 of a token (never the token), under the configured prefix.

mod budget;
mod bus;
mod connection;
mod lease;
mod outbox;
mod peers;
pub mod pnut_front;
pub mod relay;

pub use budget::{FleetAnswer, FleetQuota};
pub use bus::{Bus, Listener, Subscription};
pub use connection::{Cluster, ClusterMetrics};
pub use lease::Holder;
pub use peers::PEER_HEADER;

use sha2::{Digest, Sha256};

/// A failed Redis call.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// Redis is known to be down: the call was not tried.
    #[error("redis is down")]
    Down,
    /// The call took longer than `cluster.op_timeout`.
    #[error("redis call timed out")]
    Timeout,
    /// Redis or the connection answered with an error.
    #[error("redis error: {0}")]
    Redis(String),
    /// The configured URL cannot be used.
    #[error("redis url refused: {0}")]
    Url(String),
}

/// The name of a token in Redis keys: its full SHA-256 in hex (unique, non-reversible).
pub fn token_key(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::token_key;

    #[test]
    fn token_keys_are_full_hashes_without_the_token() {
        let key = token_key("demo-alice");
        assert_eq!(key.len(), 64);
        assert!(!key.contains("demo"));
        assert_ne!(key, token_key("demo-bob"));
    }
}
