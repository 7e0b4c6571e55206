//! The control API (Rust handle): drive the world as a given user, break things on purpose,
//! and read live counts — so tests assert through it instead of sleeping.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::Shared;
use super::ops::{NewPost, OpError};
use super::render;
use super::world::World;
use crate::pnut::{File, Message, Post};

pub use super::ratelimit::ForcedFailure;

/// Why a control call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// No such username.
    #[error("unknown user {0}")]
    UnknownUser(String),
    /// An id that is not a number.
    #[error("bad id {0}")]
    BadId(String),
    /// The world refused the operation.
    #[error(transparent)]
    Refused(#[from] OpError),
}

/// Live counts of the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SimCounts {
    /// Open user-stream connections.
    pub connections: usize,
    /// Subscriptions per connection id.
    pub subscriptions: BTreeMap<String, usize>,
    /// REST calls per endpoint (`METHOD /route`), including refused ones.
    pub calls: BTreeMap<String, u64>,
    /// REST calls answered with 429 (a bucket exhausted, or a forced 429).
    pub rate_limited: u64,
}

/// A clone-able handle on a running simulated pnut server.
#[derive(Debug, Clone)]
pub struct SimPnutControl {
    shared: Arc<Shared>,
}

fn parse(id: &str) -> Result<u64, ControlError> {
    id.parse().map_err(|_| ControlError::BadId(id.to_string()))
}

fn user(world: &World, username: &str) -> Result<u64, ControlError> {
    world
        .user_by_name(username)
        .ok_or_else(|| ControlError::UnknownUser(username.to_string()))
}

fn post_of(world: &World, id: u64, viewer: u64) -> Result<Post, ControlError> {
    world
        .posts
        .get(&id)
        .map(|rec| render::post(world, rec, Some(viewer)))
        .ok_or(ControlError::Refused(OpError::NotFound("post")))
}

impl SimPnutControl {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Creates a post as `username` (optionally replying to `reply_to`).
    pub async fn create_post(
        &self,
        username: &str,
        text: &str,
        reply_to: Option<&str>,
    ) -> Result<Post, ControlError> {
        let mut world = self.shared.world.lock().await;
        let me = user(&world, username)?;
        let reply_to = reply_to.map(parse).transpose()?;
        let id = world.create_post(
            me,
            NewPost {
                text: text.to_string(),
                reply_to,
                ..NewPost::default()
            },
        )?;
        post_of(&world, id, me)
    }

    /// Revises `username`'s post `post_id`.
    pub async fn revise_post(
        &self,
        username: &str,
        post_id: &str,
        text: &str,
    ) -> Result<Post, ControlError> {
        let mut world = self.shared.world.lock().await;
        let me = user(&world, username)?;
        let id = parse(post_id)?;
        world.revise_post(me, id, text.to_string())?;
        post_of(&world, id, me)
    }

    /// Deletes `username`'s post `post_id`.
    pub async fn delete_post(&self, username: &str, post_id: &str) -> Result<Post, ControlError> {
        let mut world = self.shared.world.lock().await;
        let me = user(&world, username)?;
        let id = parse(post_id)?;
        world.delete_post(me, id)?;
        post_of(&world, id, me)
    }

    /// Reposts `post_id` as `username`; returns the repost.
    pub async fn repost(&self, username: &str, post_id: &str) -> Result<Post, ControlError> {
        let mut world = self.shared.world.lock().await;
        let me = user(&world, username)?;
        let id = world.repost(me, parse(post_id)?)?;
        post_of(&world, id, me)
    }

    /// `username` follows `target`.
    pub async fn follow(&self, username: &str, target: &str) -> Result<(), ControlError> {
        self.set_follow(username, target, true).await
    }

    /// `username` unfollows `target`.
    pub async fn unfollow(&self, username: &str, target: &str) -> Result<(), ControlError> {
        self.set_follow(username, target, false).await
    }

    async fn set_follow(&self, username: &str, target: &str, on: bool) -> Result<(), ControlError> {
        let mut world = self.shared.world.lock().await;
        let me = user(&world, username)?;
        let target = user(&world, target)?;
        Ok(world.set_follow(me, target, on)?)
    }

    /// Sends a message as `username` to `channel_id`.
    pub async fn send_message(
        &self,
        username: &str,
        channel_id: &str,
        text: &str,
    ) -> Result<Message, ControlError> {
        let mut world = self.shared.world.lock().await;
        let me = user(&world, username)?;
        let id = world.create_message(me, parse(channel_id)?, text.to_string(), None)?;
        world
            .messages
            .get(&id)
            .map(|rec| render::message(&world, rec, Some(me)))
            .ok_or(ControlError::Refused(OpError::NotFound("message")))
    }

    /// Uploads a small file named `name` as `username`.
    pub async fn upload_file(&self, username: &str, name: &str) -> Result<File, ControlError> {
        let mut world = self.shared.world.lock().await;
        let me = user(&world, username)?;
        let id = world.upload_file(me, name.to_string(), "image/png".into(), 1024)?;
        world
            .files
            .get(&id)
            .map(|rec| render::file(&world, rec))
            .ok_or(ControlError::Refused(OpError::NotFound("file")))
    }

    /// A file by id as pnut renders it, with the bytes uploaded by multipart `POST /files`
    /// (`None` for files made otherwise); `None` when there is no such file.
    pub async fn file_content(&self, file_id: &str) -> Option<(File, Option<bytes::Bytes>)> {
        let world = self.shared.world.lock().await;
        let rec = world.files.get(&file_id.parse::<u64>().ok()?)?;
        Some((render::file(&world, rec), rec.content.clone()))
    }

    /// Deletes `username`'s file `file_id`.
    pub async fn delete_file(&self, username: &str, file_id: &str) -> Result<(), ControlError> {
        let mut world = self.shared.world.lock().await;
        let me = user(&world, username)?;
        Ok(world.delete_file(me, parse(file_id)?)?)
    }

    /// Changes `username`'s display name (emits a token event).
    pub async fn update_profile(&self, username: &str, name: &str) -> Result<(), ControlError> {
        let mut world = self.shared.world.lock().await;
        let me = user(&world, username)?;
        Ok(world.update_profile(me, name.to_string())?)
    }

    /// Ids and types of every channel, in id order.
    pub async fn channels(&self) -> Vec<(String, String)> {
        let world = self.shared.world.lock().await;
        world
            .channels
            .values()
            .map(|c| (c.id.to_string(), c.kind.clone()))
            .collect()
    }

    /// Closes poll `poll_id` now (its time ran out: it takes no more responses).
    pub async fn close_poll(&self, poll_id: &str) -> Result<(), ControlError> {
        let mut world = self.shared.world.lock().await;
        let poll = world
            .polls
            .get_mut(&parse(poll_id)?)
            .ok_or(OpError::NotFound("poll"))?;
        poll.closed_at = chrono::Utc::now();
        Ok(())
    }

    /// The id of `username`.
    pub async fn user_id(&self, username: &str) -> Result<String, ControlError> {
        let world = self.shared.world.lock().await;
        user(&world, username).map(|id| id.to_string())
    }

    /// Closes every user stream; returns how many were open.
    pub async fn drop_streams(&self) -> usize {
        self.shared.world.lock().await.hub.drop_all()
    }

    /// Stalls (`true`) or resumes every stream, as a hung server: stalled sockets stay open
    /// but send nothing and read nothing (no pong answers a ping). (A stalled socket whose
    /// queue fills up is closed, as any slow consumer.)
    pub fn stall_streams(&self, stalled: bool) {
        self.shared.stall.send_replace(stalled);
    }

    /// Makes the next `rule.remaining` matching REST calls fail with `rule.status`.
    pub async fn force_failures(&self, rule: ForcedFailure) {
        self.shared.gate.lock().await.force(rule);
    }

    /// Resolves once exactly `wanted` user-stream connections are open (wrap it in a
    /// timeout); lets tests await a disconnect instead of sleeping.
    pub async fn wait_for_connections(&self, wanted: usize) {
        let mut live = self.shared.world.lock().await.hub.watch_live();
        let _ = live.wait_for(|count| *count == wanted).await;
    }

    /// Awaits live counts for which `done` holds, re-reading them after every change of the
    /// server's state (no polling); returns them.
    pub async fn wait_for_counts(&self, done: impl Fn(&SimCounts) -> bool) -> SimCounts {
        crate::sim::tracked::wait_until(&self.shared.changes, || self.counts(), done).await
    }

    /// Live counts: connections, subscriptions per connection, calls per endpoint, 429s.
    pub async fn counts(&self) -> SimCounts {
        let subscriptions = self.shared.world.lock().await.hub.subscription_counts();
        let (calls, rate_limited) = {
            let gate = self.shared.gate.lock().await;
            (gate.calls(), gate.rate_limited())
        };
        SimCounts {
            connections: subscriptions.len(),
            subscriptions,
            calls,
            rate_limited,
        }
    }
}
