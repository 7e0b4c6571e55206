//! The registry of live streaming sockets: per socket its bounded outbound queue, its
//! channel connections and its captured notes. A socket whose queue is full is closed.

use std::collections::BTreeMap;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::misskey::{NoteUpdatedEvent, ServerMessage};

/// The at most 32 channel connections per socket (misskey.md §1.3).
pub const MAX_CHANNEL_CONNECTIONS: usize = 32;

/// What a channel connection listens to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind {
    /// `main`: the user's personal events.
    Main,
    /// `homeTimeline`.
    Home,
    /// `localTimeline`.
    Local,
    /// `hybridTimeline`.
    Hybrid,
    /// `globalTimeline`.
    Global,
    /// `channel` with its `channelId` (`None`: connected but silent).
    Channel(Option<String>),
    /// `drive`.
    Drive,
    /// A real Misskey channel this simulator does not feed (connected, silent).
    Inert(String),
}

impl ChannelKind {
    /// The Misskey channel name.
    pub fn name(&self) -> &str {
        match self {
            Self::Main => "main",
            Self::Home => "homeTimeline",
            Self::Local => "localTimeline",
            Self::Hybrid => "hybridTimeline",
            Self::Global => "globalTimeline",
            Self::Channel(_) => "channel",
            Self::Drive => "drive",
            Self::Inert(name) => name,
        }
    }
}

/// Timeline filter parameters of a channel connection (misskey.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineParams {
    /// `withRenotes` (default true).
    pub with_renotes: bool,
    /// `withReplies` (default false).
    pub with_replies: bool,
    /// `withFiles` (default false).
    pub with_files: bool,
}

impl Default for TimelineParams {
    fn default() -> Self {
        Self {
            with_renotes: true,
            with_replies: false,
            with_files: false,
        }
    }
}

/// One channel connection of a socket.
#[derive(Debug, Clone)]
pub struct ChannelConnection {
    /// The client-chosen connection id.
    pub id: String,
    /// The channel.
    pub kind: ChannelKind,
    /// Timeline filters.
    pub params: TimelineParams,
}

/// One live streaming socket.
#[derive(Debug)]
pub struct StreamSocket {
    /// The authenticated user, `None` for anonymous sockets.
    pub user_id: Option<String>,
    /// Bounded queue of outbound JSON text frames.
    outbound: mpsc::Sender<String>,
    /// Dropping this closes the socket at once.
    _kill: oneshot::Sender<()>,
    /// Channel connections in connect order.
    pub channels: Vec<ChannelConnection>,
    /// Captured note id → reference count.
    pub captures: BTreeMap<String, u32>,
}

/// What the socket task receives when it registers.
#[derive(Debug)]
pub struct SocketEnds {
    /// Registry key of the socket.
    pub key: u64,
    /// Outbound frames to write.
    pub outbound: mpsc::Receiver<String>,
    /// Resolves (with an error) when the hub drops the socket.
    pub killed: oneshot::Receiver<()>,
}

/// All live sockets of the server.
#[derive(Debug)]
pub struct Hub {
    sockets: BTreeMap<u64, StreamSocket>,
    next_key: u64,
    queue_capacity: usize,
    /// While true, nothing is queued (frames are dropped) and the sockets stay open.
    pub stalled: bool,
}

impl Hub {
    /// An empty hub whose per-socket queues hold `queue_capacity` frames.
    pub fn new(queue_capacity: usize) -> Self {
        Self {
            sockets: BTreeMap::new(),
            next_key: 1,
            queue_capacity: queue_capacity.max(1),
            stalled: false,
        }
    }

    /// Registers a socket of `user_id`.
    pub fn register(&mut self, user_id: Option<String>) -> SocketEnds {
        let (outbound_tx, outbound_rx) = mpsc::channel(self.queue_capacity);
        let (kill_tx, kill_rx) = oneshot::channel();
        let key = self.next_key;
        self.next_key += 1;
        self.sockets.insert(
            key,
            StreamSocket {
                user_id,
                outbound: outbound_tx,
                _kill: kill_tx,
                channels: Vec::new(),
                captures: BTreeMap::new(),
            },
        );
        SocketEnds {
            key,
            outbound: outbound_rx,
            killed: kill_rx,
        }
    }

    /// Forgets a socket (its task closes it).
    pub fn unregister(&mut self, key: u64) {
        self.sockets.remove(&key);
    }

    /// Drops every socket.
    pub fn drop_all(&mut self) {
        self.sockets.clear();
    }

    /// The socket with this key.
    pub fn socket(&self, key: u64) -> Option<&StreamSocket> {
        self.sockets.get(&key)
    }

    /// The socket with this key, mutably.
    pub fn socket_mut(&mut self, key: u64) -> Option<&mut StreamSocket> {
        self.sockets.get_mut(&key)
    }

    /// All sockets with their keys.
    pub fn sockets(&self) -> impl Iterator<Item = (&u64, &StreamSocket)> {
        self.sockets.iter()
    }

    /// Queues `frame` on socket `key`; a full or closed queue drops the socket.
    pub fn send(&mut self, key: u64, frame: String) {
        if self.stalled {
            return;
        }
        let Some(socket) = self.sockets.get(&key) else {
            return;
        };
        if socket.outbound.try_send(frame).is_err() {
            tracing::warn!(
                socket = key,
                "stream queue full or closed; closing the socket"
            );
            self.sockets.remove(&key);
        }
    }

    /// Queues every `(socket, frame)` pair.
    pub fn send_all(&mut self, frames: Vec<(u64, String)>) {
        for (key, frame) in frames {
            self.send(key, frame);
        }
    }
}

/// `{"type":"channel","body":{"id":conn,"type":event,"body":payload}}`.
pub fn channel_frame(connection_id: &str, event: &str, payload: Value) -> String {
    ServerMessage::Channel {
        id: connection_id.to_string(),
        kind: event.to_string(),
        body: payload,
    }
    .to_json()
}

/// `{"type":"noteUpdated","body":{"id":note,"type":kind,"body":payload}}`.
pub fn note_updated_frame(note_id: &str, event: &NoteUpdatedEvent) -> String {
    ServerMessage::note_updated(note_id, event).to_json()
}

/// `{"type":"connected","body":{"id":conn}}`.
pub fn connected_frame(connection_id: &str) -> String {
    ServerMessage::Connected {
        id: connection_id.to_string(),
    }
    .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_closes_the_socket() {
        let mut hub = Hub::new(2);
        let mut ends = hub.register(None);
        hub.send(ends.key, "one".into());
        hub.send(ends.key, "two".into());
        assert!(hub.socket(ends.key).is_some());
        hub.send(ends.key, "three".into());
        assert!(hub.socket(ends.key).is_none(), "overflow drops the socket");
        assert!(
            ends.killed.try_recv().is_err(),
            "the socket task is told to close"
        );
        assert_eq!(ends.outbound.try_recv().ok().as_deref(), Some("one"));
    }

    #[test]
    fn stalled_hub_discards_frames_and_keeps_sockets() {
        let mut hub = Hub::new(1);
        let mut ends = hub.register(Some("u".into()));
        hub.stalled = true;
        for _ in 0..5 {
            hub.send(ends.key, "lost".into());
        }
        assert!(hub.socket(ends.key).is_some());
        assert!(ends.outbound.try_recv().is_err());
    }
}
