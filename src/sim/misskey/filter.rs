//! Who may see a note, and which notes pass which timeline (misskey.md §4 filters).

use super::hub::TimelineParams;
use super::world::{NoteRecord, World};

/// A timeline, streamed or fetched over REST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timeline {
    /// Own and followed users' notes.
    Home,
    /// Public local notes.
    Local,
    /// Home ∪ local.
    Hybrid,
    /// Every public note.
    Global,
    /// One Misskey-channel.
    Channel(String),
}

/// Whether `viewer` (None = anonymous) may see `note` at all.
pub fn can_see(world: &World, note: &NoteRecord, viewer: Option<&str>) -> bool {
    match note.visibility.as_str() {
        "followers" => viewer.is_some_and(|me| {
            me == note.user_id
                || world.is_following(me, &note.user_id)
                || note.mentions.iter().any(|id| id == me)
        }),
        "specified" => viewer.is_some_and(|me| {
            me == note.user_id || note.visible_user_ids.iter().any(|id| id == me)
        }),
        _ => true,
    }
}

/// The reply rule of home/local/hybrid: replies to third parties are dropped unless asked for.
fn reply_passes(
    world: &World,
    note: &NoteRecord,
    viewer: Option<&str>,
    with_replies: bool,
) -> bool {
    let Some(reply_id) = &note.reply_id else {
        return true;
    };
    let Some(parent) = world.notes.get(reply_id) else {
        return true;
    };
    if with_replies || parent.user_id == note.user_id {
        return true;
    }
    let Some(me) = viewer else {
        return false;
    };
    me == note.user_id
        || parent.user_id == me
        || world
            .follow(me, &note.user_id)
            .is_some_and(|follow| follow.with_replies)
}

/// Whether `note` belongs on `timeline` for `viewer` with `params`.
pub fn passes(
    world: &World,
    timeline: &Timeline,
    params: TimelineParams,
    note: &NoteRecord,
    viewer: Option<&str>,
) -> bool {
    if !can_see(world, note, viewer) {
        return false;
    }
    if !params.with_renotes && note.is_pure_renote() {
        return false;
    }
    if params.with_files && note.file_ids.is_empty() {
        return false;
    }
    let in_channel = note.channel_id.is_some();
    let public = note.visibility == "public";
    let own_or_followed =
        viewer.is_some_and(|me| me == note.user_id || world.is_following(me, &note.user_id));
    match timeline {
        Timeline::Channel(channel_id) => note.channel_id.as_deref() == Some(channel_id.as_str()),
        Timeline::Global => public && !in_channel,
        Timeline::Local => {
            public && !in_channel && reply_passes(world, note, viewer, params.with_replies)
        }
        Timeline::Home => {
            own_or_followed && !in_channel && reply_passes(world, note, viewer, params.with_replies)
        }
        Timeline::Hybrid => {
            (own_or_followed || public)
                && !in_channel
                && reply_passes(world, note, viewer, params.with_replies)
        }
    }
}
