//! The control API as a Rust handle: drive the world as a given user, disturb the streams,
//! force REST failures and read live counts. Tests assert through it instead of sleeping.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::Shared;
use super::ops::{self, NewNote, OpError};
use super::pack::{self, Depth};
use super::ratelimit::ForcedFailure;
use super::world::World;

/// Why a control call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// No user with that username.
    #[error("no such user: {0}")]
    NoSuchUser(String),
    /// No Misskey-channel with that name or id.
    #[error("no such channel: {0}")]
    NoSuchChannel(String),
    /// The world refused the operation.
    #[error(transparent)]
    Refused(#[from] OpError),
}

/// Live counts of one streaming socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SocketCounts {
    /// Username of the socket's user (None = anonymous).
    pub username: Option<String>,
    /// Number of channel connections.
    pub channel_connections: usize,
    /// Channel names of those connections, in connect order.
    pub channels: Vec<String>,
    /// Number of distinct captured notes (`subNote`).
    pub captured_notes: usize,
}

/// Live counts of the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimCounts {
    /// Number of open streaming sockets.
    pub connections: usize,
    /// Per socket, in connect order.
    pub sockets: Vec<SocketCounts>,
    /// REST calls per endpoint name (e.g. `notes/create`).
    pub calls: BTreeMap<String, u64>,
    /// REST calls being held now ([`SimMisskeyControl::stall_calls`]), per endpoint name.
    pub held_calls: BTreeMap<String, u64>,
    /// Channel `connect`s still to be ignored ([`SimMisskeyControl::ignore_connects`]).
    pub connects_to_ignore: u32,
}

/// Clone-able handle to a running simulated Misskey server.
#[derive(Debug, Clone)]
pub struct SimMisskeyControl {
    shared: Arc<Shared>,
}

/// The id of the user `username`.
fn user_id(world: &World, username: &str) -> Result<String, ControlError> {
    world
        .user_by_name(username)
        .map(|user| user.id.clone())
        .ok_or_else(|| ControlError::NoSuchUser(username.to_string()))
}

/// The note packed in detail for nobody.
fn packed_note(world: &World, note_id: &str) -> Value {
    world
        .notes
        .get(note_id)
        .map(|note| pack::note(world, note, None, Depth::Full))
        .unwrap_or(Value::Null)
}

impl SimMisskeyControl {
    /// A handle on `shared`.
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// The user id of `username`.
    pub async fn user_id(&self, username: &str) -> Result<String, ControlError> {
        user_id(&*self.shared.world.lock().await, username)
    }

    /// The id of the Misskey-channel named `name` (e.g. `general`).
    pub async fn channel_id(&self, name: &str) -> Result<String, ControlError> {
        let world = self.shared.world.lock().await;
        world
            .channels
            .values()
            .find(|c| c.name == name)
            .map(|c| c.id.clone())
            .ok_or_else(|| ControlError::NoSuchChannel(name.to_string()))
    }

    /// Creates a note as `username`; returns the packed Note.
    pub async fn create_note(&self, username: &str, note: NewNote) -> Result<Value, ControlError> {
        let mut world = self.shared.world.lock().await;
        let author = user_id(&world, username)?;
        let id = ops::create_note(&mut world, &author, note)?;
        Ok(packed_note(&world, &id))
    }

    /// Creates a plain public note with `text` as `username`.
    pub async fn post(&self, username: &str, text: &str) -> Result<Value, ControlError> {
        let note = NewNote {
            text: Some(text.to_string()),
            ..NewNote::default()
        };
        self.create_note(username, note).await
    }

    /// Revises a note (captured sockets get `noteUpdated` `updated`).
    pub async fn revise_note(
        &self,
        note_id: &str,
        text: &str,
        cw: Option<&str>,
    ) -> Result<(), ControlError> {
        let mut world = self.shared.world.lock().await;
        ops::revise_note(
            &mut world,
            note_id,
            text.to_string(),
            cw.map(str::to_string),
        )?;
        Ok(())
    }

    /// Deletes a note (captured sockets get `noteUpdated` `deleted`).
    pub async fn delete_note(&self, note_id: &str) -> Result<(), ControlError> {
        let mut world = self.shared.world.lock().await;
        ops::delete_note(&mut world, note_id, None)?;
        Ok(())
    }

    /// `username` reacts to a note.
    pub async fn react(
        &self,
        username: &str,
        note_id: &str,
        reaction: &str,
    ) -> Result<(), ControlError> {
        let mut world = self.shared.world.lock().await;
        let user = user_id(&world, username)?;
        ops::react(&mut world, &user, note_id, reaction)?;
        Ok(())
    }

    /// `username` removes their reaction.
    pub async fn unreact(&self, username: &str, note_id: &str) -> Result<(), ControlError> {
        let mut world = self.shared.world.lock().await;
        let user = user_id(&world, username)?;
        ops::unreact(&mut world, &user, note_id)?;
        Ok(())
    }

    /// `follower` follows `followee` (usernames).
    pub async fn follow(&self, follower: &str, followee: &str) -> Result<(), ControlError> {
        let mut world = self.shared.world.lock().await;
        let (from, to) = (user_id(&world, follower)?, user_id(&world, followee)?);
        ops::follow(&mut world, &from, &to)?;
        Ok(())
    }

    /// `follower` unfollows `followee` (usernames).
    pub async fn unfollow(&self, follower: &str, followee: &str) -> Result<(), ControlError> {
        let mut world = self.shared.world.lock().await;
        let (from, to) = (user_id(&world, follower)?, user_id(&world, followee)?);
        ops::unfollow(&mut world, &from, &to)?;
        Ok(())
    }

    /// Posts `text` as `username` into the Misskey-channel with id or name `channel`.
    pub async fn channel_message(
        &self,
        username: &str,
        channel: &str,
        text: &str,
    ) -> Result<Value, ControlError> {
        let channel_id = {
            let world = self.shared.world.lock().await;
            world
                .channels
                .values()
                .find(|c| c.id == channel || c.name == channel)
                .map(|c| c.id.clone())
                .ok_or_else(|| ControlError::NoSuchChannel(channel.to_string()))?
        };
        let note = NewNote {
            text: Some(text.to_string()),
            channel_id: Some(channel_id),
            ..NewNote::default()
        };
        self.create_note(username, note).await
    }

    /// A drive file by id: the packed DriveFile and the bytes uploaded with
    /// `drive/files/create` (`None` for files made otherwise); `None` when there is no such file.
    pub async fn drive_file(&self, file_id: &str) -> Option<(Value, Option<bytes::Bytes>)> {
        let world = self.shared.world.lock().await;
        let file = world.files.get(file_id)?;
        Some((pack::drive_file(&world, file), file.content.clone()))
    }

    /// Adds a file to `username`'s drive; returns the packed DriveFile.
    pub async fn upload_file(
        &self,
        username: &str,
        name: &str,
        mime: &str,
        size: u64,
    ) -> Result<Value, ControlError> {
        let mut world = self.shared.world.lock().await;
        let user = user_id(&world, username)?;
        let id = ops::upload_file(&mut world, &user, name, mime, size)?;
        Ok(world
            .files
            .get(&id)
            .map(|file| pack::drive_file(&world, file))
            .unwrap_or(Value::Null))
    }

    /// `i/update` as `username`: a new display name (`main` `meUpdated`).
    pub async fn update_name(&self, username: &str, name: &str) -> Result<(), ControlError> {
        let mut world = self.shared.world.lock().await;
        let user = user_id(&world, username)?;
        super::profile::update_me(&mut world, &user, Some(name.to_string()), None)?;
        Ok(())
    }

    /// Renames a drive file of `username` (`drive` `fileUpdated`).
    pub async fn rename_file(
        &self,
        username: &str,
        file_id: &str,
        name: &str,
    ) -> Result<(), ControlError> {
        let mut world = self.shared.world.lock().await;
        let user = user_id(&world, username)?;
        super::profile::rename_file(&mut world, &user, file_id, name)?;
        Ok(())
    }

    /// Deletes a drive file of `username` (`drive` `fileDeleted`).
    pub async fn delete_file(&self, username: &str, file_id: &str) -> Result<(), ControlError> {
        let mut world = self.shared.world.lock().await;
        let user = user_id(&world, username)?;
        super::profile::delete_file(&mut world, &user, file_id)?;
        Ok(())
    }

    /// Ignores the next `count` channel `connect`s silently (no `connected`, no events), as
    /// Misskey ignores a channel the token may not use.
    pub async fn ignore_connects(&self, count: u32) {
        self.shared.world.lock().await.ignored_connects = count;
    }

    /// Closes every streaming socket.
    pub async fn drop_streams(&self) {
        self.shared.world.lock().await.hub.drop_all();
    }

    /// Stalls (`true`) or resumes (`false`) every stream, as a hung server: while stalled
    /// the sockets read nothing (no pong answers a ping) and nothing is sent
    /// (events are discarded, no pings) but sockets stay open.
    pub async fn stall_streams(&self, stalled: bool) {
        self.shared.world.lock().await.hub.stalled = stalled;
        self.shared.stall.send_replace(stalled);
    }

    /// Holds (`true`) or releases (`false`) every REST call of `token`: while held, its calls
    /// wait (counted in [`SimCounts::held_calls`]) before being counted in `calls` or
    /// answered; other tokens are not affected.
    pub fn stall_calls(&self, token: &str, stalled: bool) {
        self.shared.stalled_calls.send_modify(|tokens| {
            if stalled {
                tokens.insert(token.to_owned());
            } else {
                tokens.remove(token);
            }
        });
    }

    /// Makes the next `count` REST calls fail with `status` (429 or 500), optionally only
    /// for one token and/or one endpoint (e.g. `notes/create`).
    pub async fn force_failures(
        &self,
        count: u32,
        status: u16,
        token: Option<&str>,
        endpoint: Option<&str>,
    ) {
        self.shared.world.lock().await.gate.force(ForcedFailure {
            remaining: count,
            status,
            token: token.map(str::to_string),
            endpoint: endpoint.map(str::to_string),
        });
    }

    /// Awaits live counts for which `done` holds, re-reading them after every change of the
    /// server's state (no polling); returns them.
    pub async fn wait_for_counts(&self, done: impl Fn(&SimCounts) -> bool) -> SimCounts {
        crate::sim::tracked::wait_until(&self.shared.changes, || self.counts(), done).await
    }

    /// Live counts: sockets, their channel connections and captures, REST calls.
    pub async fn counts(&self) -> SimCounts {
        let world = self.shared.world.lock().await;
        let sockets: Vec<SocketCounts> = world
            .hub
            .sockets()
            .map(|(_, socket)| SocketCounts {
                username: socket
                    .user_id
                    .as_deref()
                    .and_then(|id| world.user(id))
                    .map(|user| user.username.clone()),
                channel_connections: socket.channels.len(),
                channels: socket
                    .channels
                    .iter()
                    .map(|c| c.kind.name().to_string())
                    .collect(),
                captured_notes: socket.captures.len(),
            })
            .collect();
        SimCounts {
            connections: sockets.len(),
            sockets,
            calls: world.calls.clone(),
            held_calls: world.held_calls.clone(),
            connects_to_ignore: world.ignored_connects,
        }
    }
}
