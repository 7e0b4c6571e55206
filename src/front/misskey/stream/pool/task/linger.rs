//! Lingering: unused subscriptions are deleted, and empty pnut connections closed, after
//! `timeouts.linger` (mapping.md §3.2); and the pool's end (idle session or drain), which
//! closes every pnut connection and deletes its stream upstream.

use tokio::time::Instant;

use super::{Pool, SubState};
use crate::mapping::SubscriptionKey;

impl Pool {
    /// Closes the pnut connection of `slot`: its keys are dropped, its forwarder stops (and
    /// closes the stream), and its stream is deleted upstream in a spawned call.
    pub(super) fn close_slot(&mut self, slot: usize) {
        let Some(conn) = self.conns.get_mut(slot).and_then(Option::take) else {
            return;
        };
        conn.stop.cancel();
        for key in &conn.keys {
            if let Some(state) = self.keys.remove(key)
                && let SubState::Subscribed { subscription_id } = state.sub
            {
                self.by_subscription.remove(&subscription_id);
            }
        }
        for channel in self.channels.values_mut() {
            channel.keys.retain(|(key, _)| !conn.keys.contains(key));
        }
        self.parked.retain(|parked| parked.slot() != slot);
        self.settle_acks();
        if let Some(connection_id) = conn.connection_id {
            self.spawn_delete_stream(connection_id);
        }
    }

    /// The pool ends (its session went idle, or the bridge drains): cancels its calls in
    /// flight, stops every pnut connection (each forwarder closes its stream, bounded by
    /// `upstream.pnut.request_timeout`), then deletes the streams upstream
    /// (`DELETE /users/me/streams/{connection_id}`), all at once, as bounded.
    pub(super) async fn shutdown(&mut self) {
        self.calls_cancel.cancel();
        let bound = self.ctx.config().upstream.pnut.request_timeout;
        let mut connection_ids = Vec::new();
        let mut forwarders = Vec::new();
        for conn in self.conns.drain(..).flatten() {
            // Stopped first, so a reconnect cannot open a stream the delete misses.
            conn.stop.cancel();
            connection_ids.extend(conn.connection_id);
            forwarders.push(conn.forwarder);
        }
        self.keys.clear();
        self.by_subscription.clear();
        self.subscriptions_gauge.set(0);
        self.channels.clear();
        self.polls.clear();
        self.parked.clear();
        let aborts: Vec<_> = forwarders.iter().map(|f| f.abort_handle()).collect();
        let stopped = futures_util::future::join_all(forwarders);
        if tokio::time::timeout(bound, stopped).await.is_err() {
            aborts.iter().for_each(tokio::task::AbortHandle::abort);
        }
        let pnut = &self.ctx.pnut;
        let token = self.token.as_str();
        let deletes = connection_ids
            .iter()
            .map(|connection_id| pnut.delete_stream(token, connection_id));
        let deleted = tokio::time::timeout(bound, futures_util::future::join_all(deletes)).await;
        for result in deleted.into_iter().flatten() {
            if let Err(error) = result {
                tracing::debug!(%error, "pnut stream delete failed at the pool's end");
            }
        }
        tracing::debug!(
            token = %crate::ratelimit::token_hash(&self.token),
            deleted = connection_ids.len(),
            "pool ended"
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
        [lingered, self.next_ack_deadline(), self.next_retry()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Deletes subscriptions unused for the linger time, closes connections empty as long,
    /// sends overdue `connected` answers and retries failed subscribes that are due.
    pub(super) fn expire(&mut self, now: Instant) {
        self.expire_acks(now);
        self.retry_subscribes(now);
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
            // A subscribe still in flight is deleted when its result comes back.
            if let SubState::Subscribed { subscription_id } = state.sub {
                self.by_subscription.remove(&subscription_id);
                if let Some(connection_id) = connection_id {
                    self.spawn_delete_subscription(connection_id, subscription_id);
                }
            }
        }
        self.settle_acks();
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
