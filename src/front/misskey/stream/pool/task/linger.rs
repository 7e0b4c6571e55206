//! Lingering: unused subscriptions are deleted, and empty pnut connections closed, after
//! `timeouts.linger` (mapping.md §3.2).

use std::sync::Arc;

use tokio::time::Instant;

use super::Pool;
use crate::mapping::SubscriptionKey;

impl Pool {
    pub(super) fn close_slot(&mut self, slot: usize) {
        let Some(conn) = self.conns.get_mut(slot).and_then(Option::take) else {
            return;
        };
        conn.forwarder.abort();
        for key in &conn.keys {
            if let Some(state) = self.keys.remove(key)
                && let Some(id) = state.subscription_id
            {
                self.by_subscription.remove(&id);
            }
        }
        for channel in self.channels.values_mut() {
            channel.keys.retain(|key| !conn.keys.contains(key));
        }
        self.settle_acks(None);
        if let Some(connection_id) = conn.connection_id {
            let ctx = Arc::clone(&self.ctx);
            let token = self.token.clone();
            self.ctx.drain.spawn(async move {
                if let Err(error) = ctx.pnut.delete_stream(&token, &connection_id).await {
                    tracing::debug!(%error, "pnut stream delete failed");
                }
            });
        }
    }

    /// The bridge drains: stops every pnut connection and deletes its stream upstream
    /// (`DELETE /users/me/streams/{connection_id}`), all at once.
    pub(super) async fn drain(&mut self) {
        let mut connection_ids = Vec::new();
        for conn in self.conns.drain(..).flatten() {
            // Stopped first, so a reconnect cannot open a stream the delete misses.
            conn.forwarder.abort();
            connection_ids.extend(conn.connection_id);
        }
        self.keys.clear();
        self.by_subscription.clear();
        let pnut = &self.ctx.pnut;
        let token = self.token.as_str();
        let deletes = connection_ids
            .iter()
            .map(|connection_id| pnut.delete_stream(token, connection_id));
        for result in futures_util::future::join_all(deletes).await {
            if let Err(error) = result {
                tracing::debug!(%error, "pnut stream delete failed while draining");
            }
        }
        tracing::debug!(
            token = %crate::ratelimit::token_hash(&self.token),
            deleted = connection_ids.len(),
            "pool drained"
        );
    }

    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let linger = self.ctx.config().timeouts.linger;
        let keys = self.keys.values().filter_map(|state| state.unused_since);
        let conns = self
            .conns
            .iter()
            .flatten()
            .filter_map(|conn| conn.empty_since);
        let lingered = keys.chain(conns).min().map(|since| since + linger);
        lingered.into_iter().chain(self.next_ack_deadline()).min()
    }

    /// Deletes subscriptions unused for the linger time and closes connections empty as long.
    pub(super) async fn expire(&mut self, now: Instant) {
        self.expire_acks(now);
        let linger = self.ctx.config().timeouts.linger;
        let expired: Vec<SubscriptionKey> = self
            .keys
            .iter()
            .filter(|(_, state)| {
                state
                    .unused_since
                    .is_some_and(|since| since + linger <= now)
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in expired {
            let Some(state) = self.keys.remove(&key) else {
                continue;
            };
            let conn = self.conns.get_mut(state.slot).and_then(Option::as_mut);
            let connection_id = conn.and_then(|conn| {
                conn.keys.remove(&key);
                if conn.keys.is_empty() {
                    conn.empty_since = Some(now);
                }
                conn.connection_id.clone()
            });
            if let Some(subscription_id) = state.subscription_id {
                self.by_subscription.remove(&subscription_id);
                if let Some(connection_id) = connection_id
                    && let Err(error) = self
                        .ctx
                        .pnut
                        .delete_subscription(&self.token, &connection_id, &subscription_id)
                        .await
                {
                    tracing::debug!(%error, "pnut subscription delete failed");
                }
            }
        }
        self.settle_acks(None);
        let empty: Vec<usize> = self
            .conns
            .iter()
            .enumerate()
            .filter_map(|(slot, conn)| {
                let conn = conn.as_ref()?;
                conn.empty_since
                    .filter(|since| *since + linger <= now && conn.keys.is_empty())
                    .map(|_| slot)
            })
            .collect();
        for slot in empty {
            self.close_slot(slot);
        }
    }
}

/// Sleeps until `deadline`, or forever without one.
pub(super) async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
