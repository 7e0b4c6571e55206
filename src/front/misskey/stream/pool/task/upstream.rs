//! Events of the pool's pnut connections: hellos (re-subscribe everything on the connection),
//! losses, refusals, and event frames, routed by subscription id.
//!
//! A subscribe's result and the first events of its new subscription travel on different
//! queues, so an event can arrive before the pool knows its subscription id. Such an event is
//! parked (at most [`MAX_PARKED`], oldest dropped first) while a subscribe is in flight on its
//! connection, and delivered when the subscribe's result names its id.

use std::sync::Arc;

use super::{Pool, SubState};
use crate::mapping::SubscriptionKey;
use crate::pnut::StreamEvent;
use crate::ratelimit::token_hash;
use crate::upstream::pnut::PnutStreamEvent;

/// At most this many events parked per pool.
const MAX_PARKED: usize = 256;

/// An event of one of the pool's pnut connections, as its forwarder sends it.
pub(in crate::front::misskey::stream::pool) struct UpstreamEvent {
    /// Slot of the pnut connection.
    pub slot: usize,
    /// Generation of that slot (events of a replaced connection are ignored).
    pub generation: u64,
    /// The event.
    pub event: PnutStreamEvent,
}

/// An event waiting for subscription ids the pool does not know yet.
pub(super) struct Parked {
    slot: usize,
    generation: u64,
    event: Arc<StreamEvent>,
    /// Its subscription ids still unknown.
    unknown: Vec<String>,
    /// The keys it was already delivered for.
    delivered: Vec<SubscriptionKey>,
}

impl Parked {
    /// The connection slot the event came on.
    pub(super) fn slot(&self) -> usize {
        self.slot
    }
}

impl Pool {
    /// One event of a pnut connection of the pool.
    pub(super) fn upstream(&mut self, upstream: UpstreamEvent) {
        let UpstreamEvent {
            slot,
            generation,
            event,
        } = upstream;
        let current = self
            .conns
            .get(slot)
            .and_then(Option::as_ref)
            .is_some_and(|conn| conn.generation == generation);
        if !current {
            return;
        }
        match event {
            PnutStreamEvent::Connected { connection_id } => {
                let keys = self.conn_keys(slot, Some(connection_id.clone()));
                for key in keys {
                    self.reset_subscription(&key);
                    self.dispatch_subscribe(&key, &connection_id);
                }
            }
            PnutStreamEvent::Disconnected { reason, .. } => {
                tracing::debug!(%reason, "pnut connection lost; will re-subscribe");
                for key in self.conn_keys(slot, None) {
                    self.reset_subscription(&key);
                }
                self.parked.retain(|parked| parked.slot != slot);
            }
            PnutStreamEvent::Rejected { status } => {
                tracing::warn!(token = %token_hash(&self.token), status, "pnut refused the stream");
                self.close_slot(slot);
            }
            PnutStreamEvent::Event(event) => self.event(slot, generation, Arc::from(event)),
        }
    }

    /// Sets the connection id of `slot` and returns its keys.
    fn conn_keys(&mut self, slot: usize, connection_id: Option<String>) -> Vec<SubscriptionKey> {
        match self.conns.get_mut(slot).and_then(Option::as_mut) {
            Some(conn) => {
                conn.connection_id = connection_id;
                conn.keys.iter().cloned().collect()
            }
            None => Vec::new(),
        }
    }

    fn event(&mut self, slot: usize, generation: u64, event: Arc<StreamEvent>) {
        let mut keys = Vec::new();
        let mut unknown = Vec::new();
        for id in event.meta.subscription_ids.iter().flatten() {
            match self.by_subscription.get(id) {
                Some(key) => keys.push(key.clone()),
                None => unknown.push(id.clone()),
            }
        }
        self.send_note_updates(&keys, &event, &[]);
        self.route(&keys, &event, &[]);
        if !unknown.is_empty() && self.subscribes_in_flight(slot) {
            if self.parked.len() >= MAX_PARKED {
                self.parked.pop_front();
                tracing::debug!("too many events waiting for their subscribe; oldest dropped");
            }
            self.parked.push_back(Parked {
                slot,
                generation,
                event,
                unknown,
                delivered: keys,
            });
        }
    }

    fn subscribes_in_flight(&self, slot: usize) -> bool {
        self.keys
            .values()
            .any(|state| state.slot == slot && matches!(state.sub, SubState::InFlight { .. }))
    }

    /// Delivers the parked events that were waiting for `subscription_id` (now `key`'s).
    pub(super) fn replay_parked(
        &mut self,
        slot: usize,
        generation: u64,
        subscription_id: &str,
        key: &SubscriptionKey,
    ) {
        let mut ready = Vec::new();
        for parked in &mut self.parked {
            if parked.slot == slot
                && parked.generation == generation
                && parked.unknown.iter().any(|id| id == subscription_id)
            {
                parked.unknown.retain(|id| id != subscription_id);
                ready.push((Arc::clone(&parked.event), parked.delivered.clone()));
                parked.delivered.push(key.clone());
            }
        }
        let keys = [key.clone()];
        for (event, delivered) in ready {
            self.send_note_updates(&keys, &event, &delivered);
            self.route(&keys, &event, &delivered);
        }
    }

    /// Drops parked events nothing in flight can resolve any more.
    pub(super) fn prune_parked(&mut self) {
        if self.parked.is_empty() {
            return;
        }
        let waiting: Vec<usize> = self
            .keys
            .values()
            .filter(|state| matches!(state.sub, SubState::InFlight { .. }))
            .map(|state| state.slot)
            .collect();
        self.parked
            .retain(|parked| !parked.unknown.is_empty() && waiting.contains(&parked.slot));
    }
}
