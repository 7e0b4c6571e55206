//! Refcounted subscription keys and the pnut connections they live on: taking a key picks a
//! connection with room (opening one, with its forwarder, when allowed) and dispatches its
//! subscribe once that connection has a `connection_id`.

use std::collections::BTreeSet;

use tokio_util::sync::CancellationToken;

use super::upstream::UpstreamEvent;
use super::{KeyState, Pool, SubState, UpConn};
use crate::mapping::{PnutData, SubscriptionKey, pnut_endpoint_data};
use crate::ratelimit::token_hash;
use crate::upstream::pnut::PnutStream;

impl Pool {
    /// Takes a reference on `key`, subscribing it if new; false when no connection has room.
    pub(super) fn acquire(&mut self, key: &SubscriptionKey) -> bool {
        self.acquire_in(key, true)
    }

    /// Like `acquire`, but never opens a pnut connection beyond the first.
    pub(super) fn acquire_within_open(&mut self, key: &SubscriptionKey) -> bool {
        let may_open = self.conns.iter().flatten().count() == 0;
        self.acquire_in(key, may_open)
    }

    fn acquire_in(&mut self, key: &SubscriptionKey, may_open: bool) -> bool {
        if let Some(state) = self.keys.get_mut(key) {
            state.refs += 1;
            state.unused_since = None;
            // A key refused for good gets one new attempt when a connect needs it again.
            if state.sub == SubState::Failed
                && let Some(connection_id) = self
                    .conns
                    .get(state.slot)
                    .and_then(Option::as_ref)
                    .and_then(|conn| conn.connection_id.clone())
            {
                self.dispatch_subscribe(key, &connection_id);
            }
            return true;
        }
        let Some(slot) = self.slot_with_room(may_open) else {
            if !may_open {
                return false;
            }
            self.refused_keys += 1;
            tracing::warn!(
                token = %token_hash(&self.token),
                refused = self.refused_keys,
                "every pnut connection of the token is full; key not subscribed"
            );
            return false;
        };
        self.keys.insert(
            key.clone(),
            KeyState {
                refs: 1,
                slot,
                sub: SubState::Waiting,
                failures: 0,
                newest_id: self
                    .connect_since
                    .clone()
                    .or_else(|| self.resume_since.clone())
                    .filter(|_| pnut_endpoint_data(&key.endpoint) == PnutData::Posts),
                unused_since: None,
            },
        );
        let connection_id = self
            .conns
            .get_mut(slot)
            .and_then(Option::as_mut)
            .and_then(|conn| {
                conn.keys.insert(key.clone());
                conn.empty_since = None;
                conn.connection_id.clone()
            });
        if let Some(connection_id) = connection_id {
            self.dispatch_subscribe(key, &connection_id);
        }
        true
    }

    /// A connection slot with fewer than the maximum subscriptions, opening one if allowed
    /// (`may_open` and under the per-token connection limit).
    fn slot_with_room(&mut self, may_open: bool) -> Option<usize> {
        let config = self.ctx.config();
        let limits = &config.limits;
        let per_connection = limits.max_subscriptions_per_connection.max(1) as usize;
        if let Some(slot) = self.conns.iter().position(|conn| {
            conn.as_ref()
                .is_some_and(|conn| conn.keys.len() < per_connection)
        }) {
            return Some(slot);
        }
        let open = self.conns.iter().flatten().count();
        if !may_open || open >= limits.max_connections_per_token as usize {
            return None;
        }
        let slot = match self.conns.iter().position(Option::is_none) {
            Some(slot) => slot,
            None => {
                self.conns.push(None);
                self.conns.len() - 1
            }
        };
        self.next_generation += 1;
        let generation = self.next_generation;
        let stream = self.ctx.pnut.open_stream(&self.token);
        let stop = CancellationToken::new();
        let forwarder = tokio::spawn(forward(
            stream,
            slot,
            generation,
            self.upstream_tx.clone(),
            stop.clone(),
        ));
        if let Some(entry) = self.conns.get_mut(slot) {
            *entry = Some(UpConn {
                generation,
                connection_id: None,
                keys: BTreeSet::new(),
                empty_since: None,
                stop,
                forwarder,
            });
        }
        Some(slot)
    }
}

/// Forwards the events of one pnut connection to the pool's upstream queue (waiting while it
/// is full: the stream task then stops reading its socket) until stopped or the pool is gone;
/// then closes the stream and waits for its task to end.
async fn forward(
    mut stream: PnutStream,
    slot: usize,
    generation: u64,
    events: tokio::sync::mpsc::Sender<UpstreamEvent>,
    stop: CancellationToken,
) {
    loop {
        let event = tokio::select! {
            biased;
            () = stop.cancelled() => break,
            event = stream.next_event() => event,
        };
        let Some(event) = event else { return };
        let event = UpstreamEvent {
            slot,
            generation,
            event,
        };
        let sent = tokio::select! {
            biased;
            () = stop.cancelled() => break,
            sent = events.send(event) => sent,
        };
        if sent.is_err() {
            break;
        }
    }
    stream.close().await;
}
