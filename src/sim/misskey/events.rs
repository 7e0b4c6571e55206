//! Fan-out of world changes to the live sockets: timeline `note` events, `main` events,
//! `drive` events and `noteUpdated` for captured notes.

use serde_json::Value;

use super::filter::{self, Timeline};
use super::hub::{ChannelKind, channel_frame, note_updated_frame};
use super::pack;
use super::world::World;
use crate::misskey::NoteUpdatedEvent;

/// The timeline of a channel connection, if it streams notes.
fn timeline_of(kind: &ChannelKind) -> Option<Timeline> {
    match kind {
        ChannelKind::Home => Some(Timeline::Home),
        ChannelKind::Local => Some(Timeline::Local),
        ChannelKind::Hybrid => Some(Timeline::Hybrid),
        ChannelKind::Global => Some(Timeline::Global),
        ChannelKind::Channel(Some(id)) => Some(Timeline::Channel(id.clone())),
        _ => None,
    }
}

/// Streams a new note to every timeline connection it passes.
pub fn note_created(world: &mut World, note_id: &str) {
    let Some(record) = world.notes.get(note_id) else {
        return;
    };
    let payload = pack::streamed_note(world, record);
    let mut frames = Vec::new();
    for (key, socket) in world.hub.sockets() {
        let viewer = socket.user_id.as_deref();
        for connection in &socket.channels {
            let Some(timeline) = timeline_of(&connection.kind) else {
                continue;
            };
            if filter::passes(world, &timeline, connection.params, record, viewer) {
                frames.push((*key, channel_frame(&connection.id, "note", payload.clone())));
            }
        }
    }
    world.hub.send_all(frames);
}

/// Sends `event` to every `main` connection of `user_id`; `payload` is built per socket.
pub fn main_event(world: &mut World, user_id: &str, event: &str, payload: Value) {
    to_channel_kind(world, user_id, &ChannelKind::Main, event, payload);
}

/// Sends `event` to every `drive` connection of `user_id`.
pub fn drive_event(world: &mut World, user_id: &str, event: &str, payload: Value) {
    to_channel_kind(world, user_id, &ChannelKind::Drive, event, payload);
}

/// Sends `event` to every connection of channel `kind` on sockets of `user_id`.
fn to_channel_kind(
    world: &mut World,
    user_id: &str,
    kind: &ChannelKind,
    event: &str,
    payload: Value,
) {
    let mut frames = Vec::new();
    for (key, socket) in world.hub.sockets() {
        if socket.user_id.as_deref() != Some(user_id) {
            continue;
        }
        for connection in socket.channels.iter().filter(|c| &c.kind == kind) {
            frames.push((*key, channel_frame(&connection.id, event, payload.clone())));
        }
    }
    world.hub.send_all(frames);
}

/// Sends `noteUpdated` to every socket capturing `note_id` that may see the note.
pub fn note_updated(world: &mut World, note_id: &str, event: &NoteUpdatedEvent) {
    let frame = note_updated_frame(note_id, event);
    let mut frames = Vec::new();
    for (key, socket) in world.hub.sockets() {
        if !socket.captures.contains_key(note_id) {
            continue;
        }
        let visible = world
            .notes
            .get(note_id)
            .is_none_or(|note| filter::can_see(world, note, socket.user_id.as_deref()));
        if visible {
            frames.push((*key, frame.clone()));
        }
    }
    world.hub.send_all(frames);
}
