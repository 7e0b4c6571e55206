//! Tokens an upstream accepted recently, for both fronts: a burst of sockets of one token
//! costs one upstream check (`GET /users/me` on pnut, `i` on Misskey) per period, not one per
//! socket. A refusal is never remembered: a refused token is checked again every time.
//!
//! Bridge tokens (issued by MiAuth, [`crate::storage::tokens`]) are resolved to the pnut token
//! they stand for here too: [`BridgeGrants`] remembers recent store reads, and forgets a token
//! the moment it is revoked.

use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;

use crate::storage::tokens::{self, Grant};
use crate::storage::{Store, StoreError};
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

/// Bridge tokens recently read from the store (keyed by their hash; bounded, expiring
/// [`RECHECK_AFTER`] after the read). Unknown tokens are not remembered.
#[derive(Clone)]
pub struct BridgeGrants {
    store: Store,
    grants: Cache<String, Arc<Grant>>,
}

impl std::fmt::Debug for BridgeGrants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BridgeGrants")
            .field("entries", &self.grants.entry_count())
            .finish()
    }
}

impl BridgeGrants {
    /// Resolves bridge tokens through `store`.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            grants: Cache::builder()
                .max_capacity(MAX_TOKENS)
                .time_to_live(RECHECK_AFTER)
                .build(),
        }
    }

    /// The store behind the grants.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// What the bridge token `token` stands for; `None` when unknown or revoked.
    pub async fn grant(&self, token: &str) -> Result<Option<Arc<Grant>>, StoreError> {
        let hash = tokens::hash(token);
        if let Some(grant) = self.grants.get(&hash) {
            return Ok(Some(grant));
        }
        let Some(grant) = self.store.bridge_token(token).await? else {
            return Ok(None);
        };
        let grant = Arc::new(grant);
        self.grants.insert(hash, Arc::clone(&grant));
        Ok(Some(grant))
    }

    /// Forgets the token whose hash is `hash` (it was revoked).
    pub fn revoked(&self, hash: &str) {
        self.grants.invalidate(hash);
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
