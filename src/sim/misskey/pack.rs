//! Packing world records into the Misskey wire models of [`crate::misskey`] (misskey.md §6):
//! every required key, dates with milliseconds and `Z`, optional keys present exactly where
//! real servers send them. The `Value` helpers serialize those models for frames and replies.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::aidx::iso_of_id;
use super::world::{
    ChannelRecord, DriveFileRecord, FollowRecord, NoteRecord, NotificationRecord, UserRecord, World,
};
use crate::misskey::{
    Channel, DriveFile, Emoji, MeDetailed, MeDetailedFields, Note, NoteChannel, Notification,
    NotificationType, UserDetailed, UserDetailedFields, UserLite, Visibility,
};

/// How deep a note is packed: `Full` packs reply (shallow) and renote (one level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// With `reply` and `renote`.
    Full,
    /// Without nested notes (what `reply` and nested renotes get).
    Shallow,
}

/// Serializes a wire model (`null` if that ever failed).
pub fn to_json<T: Serialize>(model: &T) -> Value {
    serde_json::to_value(model).unwrap_or(Value::Null)
}

/// UserLite.
pub fn user_lite_model(world: &World, user: &UserRecord) -> UserLite {
    UserLite {
        id: user.id.clone(),
        name: user.name.clone(),
        username: user.username.clone(),
        host: None,
        avatar_url: format!("{}/identicon/{}", world.base_url, user.username),
        ..UserLite::default()
    }
}

/// UserLite as JSON.
pub fn user_lite(world: &World, user: &UserRecord) -> Value {
    to_json(&user_lite_model(world, user))
}

/// UserLite of a user id as JSON; `null` when unknown.
pub fn user_lite_by_id(world: &World, user_id: &str) -> Value {
    world
        .user(user_id)
        .map(|user| user_lite(world, user))
        .unwrap_or(Value::Null)
}

/// UserDetailed (NotMe), with relation flags when a viewer other than the user is known.
pub fn user_detailed_model(world: &World, user: &UserRecord, viewer: Option<&str>) -> UserDetailed {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let created_at = iso_of_id(&user.id);
    let mut detail = UserDetailedFields {
        created_at: created_at.clone(),
        updated_at: Some(created_at),
        description: user.description.clone(),
        followers_count: count(
            world
                .follows
                .iter()
                .filter(|f| f.followee_id == user.id)
                .count(),
        ),
        following_count: count(
            world
                .follows
                .iter()
                .filter(|f| f.follower_id == user.id)
                .count(),
        ),
        notes_count: count(
            world
                .notes
                .values()
                .filter(|n| n.user_id == user.id)
                .count(),
        ),
        chat_scope: "mutual".into(),
        can_chat: true,
        ..UserDetailedFields::default()
    };
    if let Some(me) = viewer
        && me != user.id
    {
        detail.is_following = Some(world.is_following(me, &user.id));
        detail.is_followed = Some(world.is_following(&user.id, me));
        detail.has_pending_follow_request_from_you = Some(false);
        detail.has_pending_follow_request_to_you = Some(false);
        detail.is_blocking = Some(false);
        detail.is_blocked = Some(false);
        detail.is_muted = Some(false);
        detail.is_renote_muted = Some(false);
        detail.notify = Some("none".into());
        detail.with_replies = Some(world.follow(me, &user.id).is_some_and(|f| f.with_replies));
    }
    UserDetailed {
        lite: user_lite_model(world, user),
        detail,
    }
}

/// UserDetailed as JSON.
pub fn user_detailed(world: &World, user: &UserRecord, viewer: Option<&str>) -> Value {
    to_json(&user_detailed_model(world, user, viewer))
}

/// MeDetailed (what `i` returns) as JSON.
pub fn me_detailed(world: &World, user: &UserRecord) -> Value {
    let unread = world
        .notifications
        .values()
        .filter(|n| n.owner_id == user.id && !n.read)
        .count();
    let me = MeDetailed {
        user: user_detailed_model(world, user, None),
        me: MeDetailedFields {
            receive_announcement_email: false,
            has_unread_notification: unread > 0,
            unread_notifications_count: u64::try_from(unread).unwrap_or(u64::MAX),
            logged_in_days: 1,
            ..MeDetailedFields::default()
        },
    };
    to_json(&me)
}

/// DriveFile.
pub fn drive_file_model(world: &World, file: &DriveFileRecord) -> DriveFile {
    DriveFile {
        id: file.id.clone(),
        created_at: iso_of_id(&file.id),
        name: file.name.clone(),
        mime_type: file.mime.clone(),
        md5: format!(
            "{:032x}",
            u128::from(file.size).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ),
        size: file.size,
        url: format!("{}/files/{}/{}", world.base_url, file.id, file.name),
        user_id: Some(file.user_id.clone()),
        is_sensitive: file.sensitive,
        comment: file.comment.clone(),
        ..DriveFile::default()
    }
}

/// DriveFile as JSON.
pub fn drive_file(world: &World, file: &DriveFileRecord) -> Value {
    to_json(&drive_file_model(world, file))
}

/// Channel (Misskey-channel) as JSON, with `isFollowing` for `viewer` when given.
pub fn channel_for(world: &World, record: &ChannelRecord, viewer: Option<&str>) -> Value {
    let mut packed = channel(world, record);
    if let (Some(me), Some(object)) = (viewer, packed.as_object_mut()) {
        let following = world
            .channel_follows
            .iter()
            .any(|(user, channel)| user == me && *channel == record.id);
        object.insert("isFollowing".into(), Value::Bool(following));
        object.insert("isFavorited".into(), Value::Bool(false));
    }
    packed
}

/// Channel (Misskey-channel) as JSON.
pub fn channel(world: &World, record: &ChannelRecord) -> Value {
    let notes: Vec<&NoteRecord> = world
        .notes
        .values()
        .filter(|n| n.channel_id.as_deref() == Some(record.id.as_str()))
        .collect();
    let participants: BTreeSet<&str> = notes.iter().map(|n| n.user_id.as_str()).collect();
    to_json(&Channel {
        id: record.id.clone(),
        created_at: iso_of_id(&record.id),
        last_noted_at: notes.last().map(|n| iso_of_id(&n.id)),
        name: record.name.clone(),
        description: record.description.clone(),
        user_id: Some(record.user_id.clone()),
        color: record.color.clone(),
        users_count: u64::try_from(participants.len()).unwrap_or(0),
        notes_count: u64::try_from(notes.len()).unwrap_or(0),
        allow_renote_to_external: true,
        ..Channel::default()
    })
}

/// A simple custom emoji entry of `emojis` (EmojiSimple has no `id`, `host`, `license`).
pub fn emoji_simple(world: &World, name: &str, category: Option<&str>) -> Value {
    let mut packed = to_json(&Emoji {
        name: name.to_string(),
        category: category.map(str::to_string),
        url: format!("{}/emoji/{name}.webp", world.base_url),
        ..Emoji::default()
    });
    if let Some(object) = packed.as_object_mut() {
        for key in ["id", "host", "license"] {
            object.remove(key);
        }
    }
    packed
}

/// The wire visibility of a stored visibility string.
fn visibility(text: &str) -> Visibility {
    match text {
        "home" => Visibility::Home,
        "followers" => Visibility::Followers,
        "specified" => Visibility::Specified,
        _ => Visibility::Public,
    }
}

/// Note, packed for `viewer` (None = for nobody, as streamed timeline notes are).
pub fn note_model(world: &World, record: &NoteRecord, viewer: Option<&str>, depth: Depth) -> Note {
    let mut reactions: BTreeMap<String, u64> = BTreeMap::new();
    for reaction in record.reactions.values() {
        *reactions.entry(reaction.clone()).or_insert(0) += 1;
    }
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let is_child = |id: &Option<String>| id.as_deref() == Some(record.id.as_str());
    let nested = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| world.notes.get(id))
            .map(|target| Box::new(note_model(world, target, viewer, Depth::Shallow)))
    };
    let full = depth == Depth::Full;
    let channel = record
        .channel_id
        .as_ref()
        .and_then(|id| world.channels.get(id));
    Note {
        id: record.id.clone(),
        created_at: iso_of_id(&record.id),
        user_id: record.user_id.clone(),
        user: world
            .user(&record.user_id)
            .map(|user| user_lite_model(world, user))
            .unwrap_or_default(),
        text: record.text.clone(),
        cw: record.cw.clone(),
        visibility: visibility(&record.visibility),
        renote_count: count(
            world
                .notes
                .values()
                .filter(|n| is_child(&n.renote_id))
                .count(),
        ),
        replies_count: count(
            world
                .notes
                .values()
                .filter(|n| is_child(&n.reply_id))
                .count(),
        ),
        reaction_count: reactions.values().sum(),
        reactions,
        file_ids: record.file_ids.clone(),
        files: record
            .file_ids
            .iter()
            .filter_map(|id| world.files.get(id))
            .map(|file| drive_file_model(world, file))
            .collect(),
        reply_id: record.reply_id.clone(),
        renote_id: record.renote_id.clone(),
        reply: if full { nested(&record.reply_id) } else { None },
        renote: if full {
            nested(&record.renote_id)
        } else {
            None
        },
        visible_user_ids: (record.visibility == "specified")
            .then(|| record.visible_user_ids.clone()),
        mentions: (!record.mentions.is_empty()).then(|| record.mentions.clone()),
        channel_id: channel.map(|c| c.id.clone()),
        channel: channel.map(|c| NoteChannel {
            id: c.id.clone(),
            name: c.name.clone(),
            color: c.color.clone(),
            is_sensitive: false,
            allow_renote_to_external: true,
            user_id: Some(c.user_id.clone()),
        }),
        my_reaction: viewer
            .filter(|_| full && !record.reactions.is_empty())
            .and_then(|me| record.reactions.get(me).cloned()),
        ..Note::default()
    }
}

/// Note as JSON.
pub fn note(world: &World, record: &NoteRecord, viewer: Option<&str>, depth: Depth) -> Value {
    to_json(&note_model(world, record, viewer, depth))
}

/// A timeline `note` event payload: packed for nobody, with `reactionAndUserPairCache`.
pub fn streamed_note(world: &World, record: &NoteRecord) -> Value {
    let mut packed = note_model(world, record, None, Depth::Full);
    packed.reaction_and_user_pair_cache = Some(
        record
            .reactions
            .iter()
            .map(|(user, reaction)| format!("{user}/{reaction}"))
            .collect(),
    );
    to_json(&packed)
}

/// The wire type of a stored notification kind.
fn notification_type(kind: &str) -> NotificationType {
    match kind {
        "mention" => NotificationType::Mention,
        "reply" => NotificationType::Reply,
        "renote" => NotificationType::Renote,
        "quote" => NotificationType::Quote,
        "reaction" => NotificationType::Reaction,
        "follow" => NotificationType::Follow,
        other => NotificationType::Other(other.to_string()),
    }
}

/// Notification as JSON.
pub fn notification(world: &World, record: &NotificationRecord) -> Value {
    let mut packed = Notification::new(
        record.id.clone(),
        iso_of_id(&record.id),
        notification_type(&record.kind),
    );
    if let Some(user) = world.user(&record.notifier_id) {
        packed = packed.with_user(user_lite_model(world, user));
    }
    if let Some(target) = record.note_id.as_ref().and_then(|id| world.notes.get(id)) {
        packed = packed.with_note(note_model(
            world,
            target,
            Some(&record.owner_id),
            Depth::Full,
        ));
    }
    packed.reaction = record.reaction.clone();
    to_json(&packed)
}

/// A Following entity (`users/followers|following`; no wire model), embedding one side.
pub fn following(world: &World, record: &FollowRecord, embed_follower: bool) -> Value {
    let (key, user_id) = if embed_follower {
        ("follower", &record.follower_id)
    } else {
        ("followee", &record.followee_id)
    };
    let user = world
        .user(user_id)
        .map(|user| user_detailed(world, user, None))
        .unwrap_or(Value::Null);
    let mut packed = Map::new();
    packed.insert("id".into(), json!(record.id));
    packed.insert("createdAt".into(), json!(iso_of_id(&record.id)));
    packed.insert("followeeId".into(), json!(record.followee_id));
    packed.insert("followerId".into(), json!(record.follower_id));
    packed.insert(key.into(), user);
    Value::Object(packed)
}
