//! Live user-stream connections and their subscriptions (pnut-api.md §3.1, §3.5).
//!
//! Each connection owns a bounded outbound queue of serialized frames. A connection whose
//! queue is full is removed (its sender dropped), which makes its socket task close the
//! websocket: a slow consumer is disconnected rather than buffered without bound.

use std::collections::BTreeMap;

use tokio::sync::mpsc;

use super::world::SimRng;

/// What a subscription listens to: one of the subscribable endpoints (pnut-api.md §4 rows 1–12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubTarget {
    /// `GET /users/{id}/posts`.
    UserPosts(u64),
    /// `GET /users/{id}/mentions`.
    UserMentions(u64),
    /// `GET /posts/{id}/thread` (by thread root id).
    Thread(u64),
    /// `GET /posts/streams/me`.
    StreamMe,
    /// `GET /posts/streams/unified`.
    StreamUnified,
    /// `GET /users/{id}/following`.
    Following(u64),
    /// `GET /users/{id}/followers`.
    Followers(u64),
    /// `GET /channels/{id}/messages`.
    ChannelMessages(u64),
    /// `GET /users/me/channels/subscribed`.
    SubscribedChannels,
    /// `GET /channels/{id}/subscribers`.
    ChannelSubscribers(u64),
    /// `GET /token`.
    Token,
    /// `GET /users/me/files`.
    Files,
}

/// One subscription of a connection.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// 32-char subscription id.
    pub id: String,
    /// What it listens to.
    pub target: SubTarget,
}

/// One live websocket connection.
#[derive(Debug)]
pub struct Connection {
    /// The connected user.
    pub user_id: u64,
    /// Outbound frames (bounded).
    pub outbound: mpsc::Sender<String>,
    /// Subscriptions, in creation order.
    pub subscriptions: Vec<Subscription>,
}

/// Why a subscribe call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    /// No live connection has this id (HTTP 400).
    #[error("unknown connection_id {0}")]
    UnknownConnection(String),
    /// The connection belongs to another user (HTTP 403).
    #[error("connection {0} belongs to another token")]
    WrongOwner(String),
    /// The connection is full (HTTP 400).
    #[error("connection {0} already has the maximum of {1} subscriptions")]
    Full(String, usize),
}

/// All live connections of one server.
#[derive(Debug)]
pub struct Hub {
    connections: BTreeMap<String, Connection>,
    max_subscriptions: usize,
    queue_capacity: usize,
}

impl Hub {
    /// An empty hub.
    pub fn new(max_subscriptions: usize, queue_capacity: usize) -> Self {
        Self {
            connections: BTreeMap::new(),
            max_subscriptions,
            queue_capacity: queue_capacity.max(1),
        }
    }

    /// Registers a new connection of `user_id`; returns its id and its frame receiver.
    pub fn open(&mut self, user_id: u64, rng: &mut SimRng) -> (String, mpsc::Receiver<String>) {
        let (outbound, receiver) = mpsc::channel(self.queue_capacity);
        let mut id = rng.url_safe_id();
        while self.connections.contains_key(&id) {
            id = rng.url_safe_id();
        }
        self.connections.insert(
            id.clone(),
            Connection {
                user_id,
                outbound,
                subscriptions: Vec::new(),
            },
        );
        (id, receiver)
    }

    /// Removes a connection (its socket closes once queued frames are flushed).
    pub fn close(&mut self, connection_id: &str) -> bool {
        self.connections.remove(connection_id).is_some()
    }

    /// Removes a connection only if it belongs to `user_id`.
    pub fn close_owned(&mut self, connection_id: &str, user_id: u64) -> bool {
        let owned = self
            .connections
            .get(connection_id)
            .is_some_and(|conn| conn.user_id == user_id);
        owned && self.close(connection_id)
    }

    /// Removes every connection; returns how many there were.
    pub fn drop_all(&mut self) -> usize {
        let count = self.connections.len();
        self.connections.clear();
        count
    }

    /// Checks that `user_id` may add a subscription to `connection_id` (changes nothing).
    pub fn check_subscribe(&self, connection_id: &str, user_id: u64) -> Result<(), SubscribeError> {
        let conn = self
            .connections
            .get(connection_id)
            .ok_or_else(|| SubscribeError::UnknownConnection(connection_id.to_string()))?;
        if conn.user_id != user_id {
            return Err(SubscribeError::WrongOwner(connection_id.to_string()));
        }
        if conn.subscriptions.len() >= self.max_subscriptions {
            return Err(SubscribeError::Full(
                connection_id.to_string(),
                self.max_subscriptions,
            ));
        }
        Ok(())
    }

    /// Adds a subscription; returns its id.
    pub fn subscribe(
        &mut self,
        connection_id: &str,
        user_id: u64,
        target: SubTarget,
        rng: &mut SimRng,
    ) -> Result<String, SubscribeError> {
        self.check_subscribe(connection_id, user_id)?;
        let id = rng.url_safe_id();
        let conn = self
            .connections
            .get_mut(connection_id)
            .ok_or_else(|| SubscribeError::UnknownConnection(connection_id.to_string()))?;
        conn.subscriptions.push(Subscription {
            id: id.clone(),
            target,
        });
        Ok(id)
    }

    /// Removes one subscription of a connection owned by `user_id`.
    pub fn unsubscribe(&mut self, connection_id: &str, subscription_id: &str, user_id: u64) -> bool {
        let Some(conn) = self.connections.get_mut(connection_id) else {
            return false;
        };
        if conn.user_id != user_id {
            return false;
        }
        let before = conn.subscriptions.len();
        conn.subscriptions.retain(|sub| sub.id != subscription_id);
        conn.subscriptions.len() != before
    }

    /// Iterates over `(connection id, connection)`.
    pub fn connections(&self) -> impl Iterator<Item = (&String, &Connection)> {
        self.connections.iter()
    }

    /// Subscription count per connection id.
    pub fn subscription_counts(&self) -> BTreeMap<String, usize> {
        self.connections
            .iter()
            .map(|(id, conn)| (id.clone(), conn.subscriptions.len()))
            .collect()
    }

    /// Queues a frame; a full or closed queue removes the connection.
    pub fn deliver(&mut self, connection_id: &str, frame: String) {
        let failed = match self.connections.get(connection_id) {
            Some(conn) => conn.outbound.try_send(frame).is_err(),
            None => false,
        };
        if failed {
            tracing::info!(
                connection = %connection_id,
                "simulated pnut stream queue full or closed; closing the connection"
            );
            self.close(connection_id);
        }
    }
}
