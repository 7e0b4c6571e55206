//! Tokens the Misskey upstream accepted recently (`i`), so that a burst of tool connections of
//! one token costs one upstream check per period instead of one per connection.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How long an accepted token stays accepted without a new upstream check.
pub const RECHECK_AFTER: Duration = Duration::from_secs(60);
/// Most tokens remembered; past it expired entries are dropped, then new ones not remembered.
const MAX_TOKENS: usize = 10_000;

/// Upstream tokens and when the upstream last accepted each (bounded, expiring).
#[derive(Debug, Default)]
pub struct VerifiedTokens {
    accepted_at: Mutex<HashMap<String, Instant>>,
}

impl VerifiedTokens {
    /// True when `token` was accepted upstream less than [`RECHECK_AFTER`] ago.
    pub fn is_fresh(&self, token: &str) -> bool {
        let Ok(map) = self.accepted_at.lock() else {
            return false;
        };
        map.get(token)
            .is_some_and(|at| at.elapsed() < RECHECK_AFTER)
    }

    /// Records that the upstream accepted `token` now.
    pub fn accepted(&self, token: &str) {
        let Ok(mut map) = self.accepted_at.lock() else {
            return;
        };
        if map.len() >= MAX_TOKENS && !map.contains_key(token) {
            map.retain(|_, at| at.elapsed() < RECHECK_AFTER);
            if map.len() >= MAX_TOKENS {
                return;
            }
        }
        map.insert(token.to_owned(), Instant::now());
    }

    /// Forgets `token` (the upstream refused it).
    pub fn refused(&self, token: &str) {
        if let Ok(mut map) = self.accepted_at.lock() {
            map.remove(token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn accepted_tokens_expire_and_refusals_forget() {
        let tokens = VerifiedTokens::default();
        assert!(!tokens.is_fresh("a"));
        tokens.accepted("a");
        assert!(tokens.is_fresh("a"));
        tokio::time::advance(RECHECK_AFTER).await;
        assert!(!tokens.is_fresh("a"), "expired");
        tokens.accepted("a");
        tokens.refused("a");
        assert!(!tokens.is_fresh("a"));
    }
}
