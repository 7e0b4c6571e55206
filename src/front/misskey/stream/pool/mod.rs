//! The per-token pnut subscription pool (mapping.md §3.2): one task per upstream token owns
//! every pnut user-stream connection and subscription of that token; client sockets talk to it
//! through a bounded command channel.

mod deliver;
mod task;

#[cfg(feature = "fuzzing")]
pub(crate) use deliver::frames_for_every_target;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Mutex, mpsc};
use tokio::time::Instant;

use super::outbound::ClientSink;
use crate::front::BridgeContext;
use crate::upstream::pnut::PnutStreamEvent;

/// Commands a pool accepts (at most this many queued; senders wait when full).
const COMMAND_QUEUE: usize = 256;

/// Identifies one client socket inside a pool.
pub type ClientId = u64;

/// What a pool task is told.
#[derive(Debug)]
pub enum PoolCommand {
    /// A channel connect (an existing `(client, id)` is replaced).
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
    },
    /// A channel disconnect.
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
    /// `unsubNote`: release a captured note.
    UnsubNote {
        /// The client socket.
        client: ClientId,
        /// The released note.
        note_id: String,
    },
    /// An event of one of the pool's own pnut connections.
    Upstream {
        /// Slot of the pnut connection.
        slot: usize,
        /// Generation of that slot (stale events are ignored).
        generation: u64,
        /// The event.
        event: PnutStreamEvent,
    },
}

/// Handle on a running pool.
#[derive(Debug, Clone)]
pub struct PoolHandle {
    commands: mpsc::Sender<PoolCommand>,
}

impl PoolHandle {
    /// Sends a command; false when the pool has ended.
    pub async fn send(&self, command: PoolCommand) -> bool {
        self.commands.send(command).await.is_ok()
    }
}

/// Every pool of this front, keyed by upstream token, with when the token was last verified.
#[derive(Debug, Default)]
pub struct Pools {
    by_token: Mutex<HashMap<String, (PoolHandle, Instant)>>,
}

impl Pools {
    /// The live pool of `token` if the token was verified upstream less than `fresh_for` ago:
    /// a socket of that token needs no token check of its own.
    pub async fn verified(&self, token: &str, fresh_for: Duration) -> Option<PoolHandle> {
        let pools = self.by_token.lock().await;
        let (handle, verified_at) = pools.get(token)?;
        (!handle.commands.is_closed() && verified_at.elapsed() < fresh_for).then(|| handle.clone())
    }

    /// The pool of `token`, whose upstream check just passed, started on first use
    /// (`me_id` is the token owner's pnut id).
    pub async fn get(&self, ctx: &Arc<BridgeContext>, token: &str, me_id: &str) -> PoolHandle {
        let mut pools = self.by_token.lock().await;
        if let Some((handle, verified_at)) = pools
            .get_mut(token)
            .filter(|(h, _)| !h.commands.is_closed())
        {
            *verified_at = Instant::now();
            return handle.clone();
        }
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        let handle = PoolHandle {
            commands: tx.clone(),
        };
        task::spawn(Arc::clone(ctx), token.to_owned(), me_id.to_owned(), tx, rx);
        pools.insert(token.to_owned(), (handle.clone(), Instant::now()));
        handle
    }
}
