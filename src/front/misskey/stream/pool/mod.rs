//! The per-token pnut subscription pool (mapping.md §3.2): one session task per upstream token
//! owns every pnut user-stream connection and subscription of that token; client sockets talk
//! to it through a bounded command channel and hold a [`crate::session::Lease`] on it.
//!
//! The pool task never awaits the network: every upstream REST call (subscribe, re-subscribe,
//! poll, backfill page, delete) runs in a spawned task whose result comes back as a message.
//! Its queues, and what happens when one is full:
//!
//! - commands from client sockets ([`COMMAND_QUEUE`]): a socket's send waits, so a client
//!   that floods the pool stops being read (backpressure onto that client's TCP window);
//! - events of the pool's pnut connections ([`UPSTREAM_QUEUE`], one queue fed by every
//!   connection's forwarder): the forwarder waits, its stream task stops reading the socket,
//!   and pnut eventually drops the lagging stream, healed by a reconnect and a `since_id`
//!   backfill;
//! - results of REST calls ([`RESULT_QUEUE`]): the finished call waits with its result; at
//!   most one call per subscription key, poll or delete is in flight, so this stays small.

mod deliver;
mod task;

#[cfg(feature = "fuzzing")]
pub(crate) use deliver::frames_for_every_target;

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;

use crate::front::BridgeContext;
use crate::front::outbound::ClientSink;
use crate::session::SessionEnd;

/// Commands a pool accepts (at most this many queued; senders wait when full).
pub const COMMAND_QUEUE: usize = 256;
/// Events of the pool's pnut connections queued for it (forwarders wait when full).
pub const UPSTREAM_QUEUE: usize = 256;
/// Results of finished REST calls queued for the pool (the calls wait when full).
pub const RESULT_QUEUE: usize = 64;

/// Identifies one client socket inside a pool.
pub type ClientId = u64;

/// What a pool task is told by its client sockets.
#[derive(Debug)]
pub enum PoolCommand {
    /// A channel connect (one under a live `(client, id)` is a second connection: both live).
    Connect {
        /// The client socket.
        client: ClientId,
        /// The client's channel connection id.
        id: String,
        /// The Misskey channel name.
        channel: String,
        /// The connect params (`null` when absent).
        params: Value,
        /// Send `connected` once the connect is set up.
        pong: bool,
        /// Where the channel's events go.
        sink: ClientSink,
        /// Where post subscriptions this connect creates start (a pnut post id: their first
        /// page is a backfill), as [`PoolCommand::Resume`] for this connect only: a fleet
        /// follower rejoining after serving its clients itself (`[cluster]`). `None` for a
        /// client's connect.
        since: Option<String>,
    },
    /// A channel disconnect (ends every connection under the id).
    Disconnect {
        /// The client socket.
        client: ClientId,
        /// The client's channel connection id.
        id: String,
    },
    /// The client socket is gone: release all its channels.
    ClientGone {
        /// The client socket.
        client: ClientId,
    },
    /// `subNote`: capture the note `note_id` (Misskey-side id) for `noteUpdated`.
    SubNote {
        /// The client socket.
        client: ClientId,
        /// The captured note.
        note_id: String,
        /// Where its `noteUpdated` frames go.
        sink: ClientSink,
    },
    /// `readNotification` (or `i/notifications` with `markAsRead`): every notification of
    /// the token is read; `main` connections get `readAllNotifications` if one was unread.
    ReadNotifications,
    /// An event of the user's `main` stream not from pnut (e.g. `registryUpdated`): sent to
    /// every `main` connection of the pool.
    MainEvent {
        /// The event type.
        kind: String,
        /// Its body.
        body: Value,
    },
    /// `unsubNote`: release a captured note.
    UnsubNote {
        /// The client socket.
        client: ClientId,
        /// The released note.
        note_id: String,
    },
    /// The pool takes over a session other instances delivered until now (`[cluster]`): post
    /// subscriptions made from now on start from `since` (a pnut post id), so their first
    /// page is a backfill of what was posted meanwhile (mapping.md §3.2, §9).
    Resume {
        /// The newest post id already delivered to the token's clients.
        since: String,
    },
}

/// Handle on a running pool: the sender of its command queue (the registry and every client
/// socket hold one; the pool itself holds none, and ends on its [`SessionEnd`]).
#[derive(Debug, Clone)]
pub struct PoolHandle {
    commands: mpsc::Sender<PoolCommand>,
    me_id: Arc<str>,
}

impl PoolHandle {
    /// A handle sending to `commands` (a session task standing in for a pool: `[cluster]`)
    /// for the token of pnut user `me_id`.
    pub fn from_sender(commands: mpsc::Sender<PoolCommand>, me_id: &str) -> Self {
        Self {
            commands,
            me_id: Arc::from(me_id),
        }
    }

    /// The pnut id of the pool token's user.
    pub fn me_id(&self) -> &str {
        &self.me_id
    }

    /// Sends a command without waiting; false when the queue is full or the pool has ended.
    pub fn try_send(&self, command: PoolCommand) -> bool {
        self.commands.try_send(command).is_ok()
    }

    /// Sends a command, waiting while the queue is full; false when the pool has ended.
    pub async fn send(&self, command: PoolCommand) -> bool {
        self.commands.send(command).await.is_ok()
    }

    /// Marks the token's notifications read (see [`PoolCommand::ReadNotifications`]).
    pub async fn read_notifications(&self) -> bool {
        self.send(PoolCommand::ReadNotifications).await
    }
}

/// Starts the pool session of `token` (owned by pnut user `me_id`), ending on `end`; for
/// [`crate::session::Sessions::acquire`].
pub fn start(ctx: Arc<BridgeContext>, token: String, me_id: String, end: SessionEnd) -> PoolHandle {
    let (commands, inbox) = mpsc::channel(COMMAND_QUEUE);
    let handle = PoolHandle {
        commands,
        me_id: Arc::from(me_id.as_str()),
    };
    task::spawn(ctx, token, me_id, end, inbox);
    handle
}
