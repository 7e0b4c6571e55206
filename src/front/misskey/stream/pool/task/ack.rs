//! `connected` answers (`pong: true`) held until the upstream calls they depend on have
//! returned: a client that got `connected` may rely on its channel being live upstream.
//!
//! An answer waits for the needs of its own connect still pending when it was handled (keys
//! whose subscribe has not returned, polls whose first call has not), at most
//! `upstream.pnut.request_timeout` (then it is sent anyway). Answers of one client socket go
//! out in the order of its connects; other sockets of the token never wait for them.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::time::Instant;

use super::{ChannelConn, Pool};
use crate::front::misskey::stream::pool::ClientId;
use crate::front::outbound::ClientSink;
use crate::mapping::{PollEntry, SubscriptionKey};
use crate::misskey::ServerMessage;

/// Something a `connected` answer waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Need {
    /// A key whose subscribe has not returned.
    Key(SubscriptionKey),
    /// A poll whose first call has not returned.
    Poll(PollEntry),
}

/// A `connected` answer waiting for upstream calls.
pub(super) struct PendingAck {
    client: ClientId,
    id: String,
    sink: ClientSink,
    waiting: Vec<Need>,
    deadline: Instant,
}

impl Pool {
    /// The needs of `conn` still waiting for an upstream call.
    pub(super) fn pending_needs(&self, conn: &ChannelConn) -> Vec<Need> {
        let keys = conn
            .keys
            .iter()
            .filter(|(key, _)| self.keys.get(key).is_some_and(|state| state.pending()))
            .map(|(key, _)| Need::Key(key.clone()));
        let polls = conn
            .polls
            .iter()
            .filter(|(entry, _)| {
                self.polls
                    .get(entry)
                    .is_some_and(|state| !state.baseline_done)
            })
            .map(|(entry, _)| Need::Poll(entry.clone()));
        keys.chain(polls).collect()
    }

    /// Answers `connected` for channel connection `id` of `client` once `waiting` is over
    /// (and the client's earlier answers went out).
    pub(super) fn ack_when_ready(
        &mut self,
        client: ClientId,
        id: String,
        sink: ClientSink,
        waiting: Vec<Need>,
    ) {
        // A second connect under a live id is a second connection: it gets its own answer.
        // Never before an earlier answer of the client (it goes out first), even across a
        // reload that shortened the timeout.
        let own = Instant::now() + self.ctx.config().upstream.pnut.request_timeout;
        let deadline = self
            .pending_acks
            .iter()
            .filter(|ack| ack.client == client)
            .map(|ack| ack.deadline)
            .fold(own, Instant::max);
        self.pending_acks.push(PendingAck {
            client,
            id,
            sink,
            waiting,
            deadline,
        });
        self.send_ready_acks(Instant::now());
    }

    /// An upstream call returned, or needs went away: sends every answer no longer waiting.
    pub(super) fn settle_acks(&mut self) {
        if self.pending_acks.is_empty() {
            return;
        }
        let (keys, polls) = (&self.keys, &self.polls);
        for ack in &mut self.pending_acks {
            ack.waiting.retain(|need| match need {
                Need::Key(key) => keys.get(key).is_some_and(|state| state.pending()),
                Need::Poll(entry) => polls.get(entry).is_some_and(|state| !state.baseline_done),
            });
        }
        self.send_ready_acks(Instant::now());
    }

    /// Sends the answers whose wait is over at `now`.
    pub(super) fn expire_acks(&mut self, now: Instant) {
        self.send_ready_acks(now);
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

    /// Sends, per client in order, the answers that are ready (nothing to wait for, or past
    /// their deadline), stopping at a client's first answer still waiting.
    fn send_ready_acks(&mut self, now: Instant) {
        let mut blocked: HashSet<ClientId> = HashSet::new();
        let mut still = Vec::new();
        for ack in self.pending_acks.drain(..) {
            let ready = ack.waiting.is_empty() || ack.deadline <= now;
            if ready && !blocked.contains(&ack.client) {
                let frame = ServerMessage::Connected { id: ack.id.clone() };
                ack.sink.push(Arc::from(frame.to_json()));
            } else {
                blocked.insert(ack.client);
                still.push(ack);
            }
        }
        self.pending_acks = still;
    }
}
