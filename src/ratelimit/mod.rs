//! Upstream rate limiting (mapping.md §6): one keyed `governor` limiter per upstream and
//! bucket, keyed by token, plus a per-upstream ceiling over all tokens; per-token pauses
//! after an upstream 429; pacing by the budget the server reports ([`ServerBudgets`]); a retry
//! budget for idempotent GETs; periodic sweeping of idle keys.
//!
//! Time comes from tokio's clock ([`TokioClock`]), so everything here runs under
//! `tokio::time::pause()` in tests and never blocks a runtime thread.

mod budget;
mod clock;
mod fleet;
mod limiter;
mod quotas;
mod server_budget;
mod slot;

pub use budget::RetryBudget;
pub use clock::TokioClock;
pub use limiter::{LimiterCounts, LimiterSettings, RateLimited, UpstreamLimiter};
pub use quotas::{
    MISSKEY_ANY, MisskeyQuotas, PNUT_GET, PNUT_POLL, PNUT_WRITE, PnutQuotas, misskey_limiter,
    pnut_limiter,
};
pub use server_budget::{BudgetReport, ServerBudgets};
pub use slot::LimiterSlot;

use sha2::{Digest, Sha256};

/// A short, stable, non-reversible name of a token for logs: the first 8 hex digits of its
/// SHA-256. Never log a token itself.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut text = hex::encode(digest);
    text.truncate(8);
    text
}

#[cfg(test)]
mod tests {
    use super::token_hash;

    #[test]
    fn token_hash_is_eight_hex_and_stable() {
        let hash = token_hash("demo-alice");
        assert_eq!(hash.len(), 8);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(hash, token_hash("demo-alice"));
        assert_ne!(hash, token_hash("demo-bob"));
        assert!(!hash.contains("demo"));
    }
}
