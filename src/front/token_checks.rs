//! Tokens an upstream accepted recently, for both fronts: a burst of sockets of one token
//! costs one upstream check (`GET /users/me` on pnut, `i` on Misskey) per period, not one per
//! socket. A refusal is never remembered: a refused token is checked again every time.

use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;

use crate::upstream::UpstreamKind;

/// How long an accepted token stays accepted without a new upstream check.
pub const RECHECK_AFTER: Duration = Duration::from_secs(60);
/// Most tokens remembered (least recently used ones are dropped first).
const MAX_TOKENS: u64 = 10_000;

/// Accepted (upstream, token) pairs with the id of the user the token belongs to
/// (bounded, expiring [`RECHECK_AFTER`] after the check).
#[derive(Clone)]
pub struct TokenChecks {
    accepted: Cache<(UpstreamKind, String), Arc<str>>,
}

impl std::fmt::Debug for TokenChecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenChecks")
            .field("entries", &self.accepted.entry_count())
            .finish()
    }
}

impl Default for TokenChecks {
    fn default() -> Self {
        Self::new(RECHECK_AFTER)
    }
}

impl TokenChecks {
    /// A cache whose entries expire `recheck_after` after their check.
    pub fn new(recheck_after: Duration) -> Self {
        Self {
            accepted: Cache::builder()
                .max_capacity(MAX_TOKENS)
                .time_to_live(recheck_after)
                .build(),
        }
    }

    /// The user id `upstream` gave for `token` less than the recheck period ago, if any.
    pub fn fresh(&self, upstream: UpstreamKind, token: &str) -> Option<Arc<str>> {
        self.accepted.get(&(upstream, token.to_owned()))
    }

    /// Records that `upstream` accepted `token`, which belongs to user `user_id`.
    pub fn accepted(&self, upstream: UpstreamKind, token: &str, user_id: &str) {
        self.accepted
            .insert((upstream, token.to_owned()), Arc::from(user_id));
    }

    /// Forgets `token` (the upstream refused it).
    pub fn refused(&self, upstream: UpstreamKind, token: &str) {
        self.accepted.invalidate(&(upstream, token.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_tokens_are_remembered_per_upstream_and_refusals_forget() {
        let checks = TokenChecks::default();
        assert_eq!(checks.fresh(UpstreamKind::Pnut, "a"), None);
        checks.accepted(UpstreamKind::Pnut, "a", "7");
        assert_eq!(checks.fresh(UpstreamKind::Pnut, "a").as_deref(), Some("7"));
        assert_eq!(checks.fresh(UpstreamKind::Misskey, "a"), None);
        checks.refused(UpstreamKind::Pnut, "a");
        assert_eq!(checks.fresh(UpstreamKind::Pnut, "a"), None);
    }
}
