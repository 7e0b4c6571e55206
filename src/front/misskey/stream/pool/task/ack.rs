//! `connected` answers (`pong: true`) held until the upstream subscribes they depend on have
//! returned: a client that got `connected` may rely on its channel being live upstream.
//!
//! An answer waits for every key of the pool still to be subscribed when its connect was
//! handled (its own keys and those of earlier connects, so answers keep the order of the
//! socket's messages), at most `upstream.pnut.request_timeout` (then it is sent anyway).

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio::time::Instant;

use super::Pool;
use crate::front::misskey::stream::outbound::ClientSink;
use crate::front::misskey::stream::pool::ClientId;
use crate::mapping::SubscriptionKey;
use crate::misskey::ServerMessage;

/// A `connected` answer waiting for upstream subscribes.
pub(super) struct PendingAck {
    client: ClientId,
    id: String,
    sink: ClientSink,
    waiting: BTreeSet<SubscriptionKey>,
    deadline: Instant,
}

impl Pool {
    /// Answers `connected` for channel connection `id` of `client` once every key still to
    /// be subscribed now has had its subscribe return.
    pub(super) fn ack_when_subscribed(&mut self, client: ClientId, id: String, sink: ClientSink) {
        // Subscribes run inline in the pool task, so the only ones still to come are those of
        // keys on a pnut connection that has not said hello yet (new or reconnecting).
        let conns = &self.conns;
        let waiting: BTreeSet<SubscriptionKey> = self
            .keys
            .iter()
            .filter(|(_, state)| {
                conns
                    .get(state.slot)
                    .and_then(Option::as_ref)
                    .is_some_and(|conn| conn.connection_id.is_none())
            })
            .map(|(key, _)| key.clone())
            .collect();
        // An earlier answer of the same connection id is superseded.
        self.pending_acks
            .retain(|ack| !(ack.client == client && ack.id == id));
        let ack = PendingAck {
            client,
            id,
            sink,
            waiting,
            deadline: Instant::now() + self.ctx.config().upstream.pnut.request_timeout,
        };
        if ack.waiting.is_empty() {
            send_ack(&ack);
        } else {
            self.pending_acks.push(ack);
        }
    }

    /// A subscribe of `key` returned (done or failed), or keys went away: sends every answer
    /// no longer waiting for anything.
    pub(super) fn settle_acks(&mut self, settled: Option<&SubscriptionKey>) {
        if self.pending_acks.is_empty() {
            return;
        }
        let keys = &self.keys;
        for ack in &mut self.pending_acks {
            ack.waiting
                .retain(|key| settled != Some(key) && keys.contains_key(key));
        }
        self.send_ready_acks(|ack| ack.waiting.is_empty());
    }

    /// Sends the answers whose wait is over at `now`.
    pub(super) fn expire_acks(&mut self, now: Instant) {
        self.send_ready_acks(|ack| ack.deadline <= now);
    }

    /// The earliest deadline of a waiting answer.
    pub(super) fn next_ack_deadline(&self) -> Option<Instant> {
        self.pending_acks.iter().map(|ack| ack.deadline).min()
    }

    /// Drops the waiting answers of a released channel connection (`None`: every one of the
    /// client's).
    pub(super) fn forget_acks(&mut self, client: ClientId, id: Option<&str>) {
        self.pending_acks
            .retain(|ack| ack.client != client || id.is_some_and(|id| ack.id != id));
    }

    fn send_ready_acks(&mut self, ready: impl Fn(&PendingAck) -> bool) {
        let (done, still): (Vec<_>, Vec<_>) = self.pending_acks.drain(..).partition(ready);
        self.pending_acks = still;
        for ack in &done {
            send_ack(ack);
        }
    }
}

fn send_ack(ack: &PendingAck) {
    let frame = ServerMessage::Connected { id: ack.id.clone() };
    ack.sink.push(Arc::from(frame.to_json()));
}
