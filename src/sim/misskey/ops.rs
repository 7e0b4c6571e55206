//! World mutations shared by REST, the control API and the activity generator; each one
//! records the change, creates notifications and emits the stream events it causes.

use super::aidx::{iso_ms, now_ms};
use super::events;
use super::pack::{self, Depth};
use super::world::{
    DriveFileRecord, FavoriteRecord, FollowRecord, NoteRecord, NotificationRecord, World,
};
use crate::misskey::{
    DeletedBody, NoteUpdatedEvent, ReactedBody, ReactionEmoji, UnreactedBody, UpdatedBody,
};

/// Why a world operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    /// Unknown note.
    #[error("no such note")]
    NoSuchNote,
    /// Unknown user.
    #[error("no such user")]
    NoSuchUser,
    /// Unknown reply target.
    #[error("no such reply target")]
    NoSuchReplyTarget,
    /// Unknown renote target.
    #[error("no such renote target")]
    NoSuchRenoteTarget,
    /// Renote of a pure renote.
    #[error("cannot renote a pure renote")]
    CannotRenotePureRenote,
    /// Reply to a pure renote.
    #[error("cannot reply to a pure renote")]
    CannotReplyToPureRenote,
    /// Unknown Misskey-channel.
    #[error("no such channel")]
    NoSuchChannel,
    /// Unknown drive file.
    #[error("no such file")]
    NoSuchFile,
    /// Same reaction again.
    #[error("already reacted")]
    AlreadyReacted,
    /// No reaction to remove.
    #[error("not reacted")]
    NotReacted,
    /// Follow of oneself.
    #[error("followee is yourself")]
    FolloweeIsYourself,
    /// Follow exists already.
    #[error("already following")]
    AlreadyFollowing,
    /// No follow to remove.
    #[error("not following")]
    NotFollowing,
    /// Note of somebody else.
    #[error("access denied")]
    AccessDenied,
    /// Favorite exists already.
    #[error("already favorited")]
    AlreadyFavorited,
    /// No favorite to remove.
    #[error("not favorited")]
    NotFavorited,
    /// Bad input (`what` names it).
    #[error("invalid parameter: {0}")]
    InvalidParam(String),
}

/// A note to create.
#[derive(Debug, Clone, Default)]
pub struct NewNote {
    /// Text (required unless renote or files).
    pub text: Option<String>,
    /// Content warning.
    pub cw: Option<String>,
    /// Visibility (default `public`).
    pub visibility: Option<String>,
    /// Recipients of a `specified` note.
    pub visible_user_ids: Vec<String>,
    /// Parent note.
    pub reply_id: Option<String>,
    /// Renoted / quoted note.
    pub renote_id: Option<String>,
    /// Misskey-channel.
    pub channel_id: Option<String>,
    /// Attached files.
    pub file_ids: Vec<String>,
}

/// Stores a notification for `owner` and emits it on `main`.
fn notify(
    world: &mut World,
    owner: &str,
    kind: &str,
    notifier: &str,
    note_id: Option<&str>,
    reaction: Option<&str>,
) {
    if owner == notifier {
        return;
    }
    let id = world.ids.next_now();
    let record = NotificationRecord {
        id: id.clone(),
        owner_id: owner.to_string(),
        kind: kind.to_string(),
        notifier_id: notifier.to_string(),
        note_id: note_id.map(str::to_string),
        reaction: reaction.map(str::to_string),
        read: false,
    };
    let payload = pack::notification(world, &record);
    world.notifications.insert(id, record);
    events::main_event(world, owner, "notification", payload.clone());
    events::main_event(world, owner, "unreadNotification", payload);
}

/// Creates a note by `user_id`; returns its id.
pub fn create_note(world: &mut World, user_id: &str, new: NewNote) -> Result<String, OpError> {
    if world.user(user_id).is_none() {
        return Err(OpError::NoSuchUser);
    }
    let text = new.text.filter(|t| !t.trim().is_empty());
    if text.is_none() && new.renote_id.is_none() && new.file_ids.is_empty() {
        return Err(OpError::InvalidParam("text".into()));
    }
    if text.as_ref().is_some_and(|t| t.chars().count() > 3000) {
        return Err(OpError::InvalidParam("text".into()));
    }
    let visibility = new.visibility.unwrap_or_else(|| "public".into());
    if !["public", "home", "followers", "specified"].contains(&visibility.as_str()) {
        return Err(OpError::InvalidParam("visibility".into()));
    }
    if let Some(reply_id) = &new.reply_id {
        let parent = world
            .notes
            .get(reply_id)
            .ok_or(OpError::NoSuchReplyTarget)?;
        if parent.is_pure_renote() {
            return Err(OpError::CannotReplyToPureRenote);
        }
    }
    if let Some(renote_id) = &new.renote_id {
        let target = world
            .notes
            .get(renote_id)
            .ok_or(OpError::NoSuchRenoteTarget)?;
        if target.is_pure_renote() {
            return Err(OpError::CannotRenotePureRenote);
        }
    }
    if let Some(channel_id) = &new.channel_id
        && !world.channels.contains_key(channel_id)
    {
        return Err(OpError::NoSuchChannel);
    }
    if new.file_ids.iter().any(|id| !world.files.contains_key(id)) {
        return Err(OpError::NoSuchFile);
    }
    let mentions = text
        .as_deref()
        .map(|t| world.extract_mentions(t))
        .unwrap_or_default();
    let mut visible_user_ids = new.visible_user_ids;
    if visibility == "specified" {
        for mentioned in &mentions {
            if !visible_user_ids.contains(mentioned) {
                visible_user_ids.push(mentioned.clone());
            }
        }
    }
    let id = world.ids.next_now();
    let record = NoteRecord {
        id: id.clone(),
        user_id: user_id.to_string(),
        text,
        cw: new.cw.filter(|c| !c.is_empty()),
        visibility,
        visible_user_ids,
        reply_id: new.reply_id,
        renote_id: new.renote_id,
        channel_id: new.channel_id,
        file_ids: new.file_ids,
        mentions: mentions.clone(),
        reactions: Default::default(),
    };
    let pure_renote = record.is_pure_renote();
    let reply_author = record
        .reply_id
        .as_ref()
        .and_then(|r| world.notes.get(r))
        .map(|n| n.user_id.clone());
    let renote_author = record
        .renote_id
        .as_ref()
        .and_then(|r| world.notes.get(r))
        .map(|n| n.user_id.clone());
    world.notes.insert(id.clone(), record);
    events::note_created(world, &id);
    let Some(record) = world.notes.get(&id).cloned() else {
        return Ok(id);
    };
    // `reply` goes to the parent's author even for a self-reply; a reply to somebody else's
    // note is also a `mention` of them (real-servers.md §1).
    if let Some(author) = &reply_author {
        let payload = pack::note(world, &record, Some(author), Depth::Full);
        events::main_event(world, author, "reply", payload.clone());
        if author != user_id {
            if !mentions.contains(author) {
                events::main_event(world, author, "mention", payload);
            }
            notify(world, author, "reply", user_id, Some(&id), None);
        }
    }
    if let Some(author) = renote_author.filter(|a| a != user_id) {
        let payload = pack::note(world, &record, Some(&author), Depth::Full);
        events::main_event(world, &author, "renote", payload);
        let kind = if pure_renote { "renote" } else { "quote" };
        notify(world, &author, kind, user_id, Some(&id), None);
    }
    for mentioned in mentions.iter().filter(|m| m.as_str() != user_id) {
        let payload = pack::note(world, &record, Some(mentioned), Depth::Full);
        events::main_event(world, mentioned, "mention", payload);
        notify(world, mentioned, "mention", user_id, Some(&id), None);
    }
    Ok(id)
}

/// Revises a note's text and cw; captured sockets get `noteUpdated` `updated`.
pub fn revise_note(
    world: &mut World,
    note_id: &str,
    text: String,
    cw: Option<String>,
) -> Result<(), OpError> {
    let note = world.notes.get_mut(note_id).ok_or(OpError::NoSuchNote)?;
    note.text = Some(text.clone());
    note.cw = cw.clone();
    events::note_updated(
        world,
        note_id,
        &NoteUpdatedEvent::Updated(UpdatedBody { cw, text }),
    );
    Ok(())
}

/// Deletes a note (by `by_user` when given: must be the author); captured sockets get `deleted`.
pub fn delete_note(world: &mut World, note_id: &str, by_user: Option<&str>) -> Result<(), OpError> {
    let note = world.notes.get(note_id).ok_or(OpError::NoSuchNote)?;
    if by_user.is_some_and(|user| user != note.user_id) {
        return Err(OpError::AccessDenied);
    }
    let deleted = DeletedBody {
        deleted_at: iso_ms(now_ms()),
    };
    events::note_updated(world, note_id, &NoteUpdatedEvent::Deleted(deleted));
    world.notes.remove(note_id);
    world.favorites.retain(|f| f.note_id != note_id);
    Ok(())
}

/// Deletes every renote of `note_id` by `user_id`.
pub fn unrenote(world: &mut World, user_id: &str, note_id: &str) -> Result<(), OpError> {
    if !world.notes.contains_key(note_id) {
        return Err(OpError::NoSuchNote);
    }
    let mine: Vec<String> = world
        .notes
        .values()
        .filter(|n| n.user_id == user_id && n.renote_id.as_deref() == Some(note_id))
        .map(|n| n.id.clone())
        .collect();
    for id in mine {
        delete_note(world, &id, None)?;
    }
    Ok(())
}

/// Normalises a reaction: `:name:` of a known emoji → `:name@.:`, other `:x:` → `❤`.
fn normalize_reaction(world: &World, reaction: &str) -> String {
    if let Some(name) = reaction.strip_prefix(':').and_then(|r| r.strip_suffix(':')) {
        let name = name.trim_end_matches("@.");
        if world.emojis.iter().any(|e| e.name == name) {
            return format!(":{name}@.:");
        }
        return "❤".into();
    }
    if reaction.is_empty() || reaction.chars().any(|c| c.is_ascii_alphanumeric()) {
        return "❤".into();
    }
    reaction.to_string()
}

/// Reacts to a note (a different reaction replaces the old one).
pub fn react(
    world: &mut World,
    user_id: &str,
    note_id: &str,
    reaction: &str,
) -> Result<(), OpError> {
    let reaction = normalize_reaction(world, reaction);
    let note = world.notes.get(note_id).ok_or(OpError::NoSuchNote)?;
    if note.is_pure_renote() {
        return Err(OpError::InvalidParam("noteId".into()));
    }
    if note.reactions.get(user_id) == Some(&reaction) {
        return Err(OpError::AlreadyReacted);
    }
    let author = note.user_id.clone();
    if note.reactions.contains_key(user_id) {
        unreact(world, user_id, note_id)?;
    }
    if let Some(note) = world.notes.get_mut(note_id) {
        note.reactions.insert(user_id.to_string(), reaction.clone());
    }
    let emoji = reaction
        .strip_prefix(':')
        .and_then(|r| r.strip_suffix(':'))
        .map(|name| {
            let bare = name.trim_end_matches("@.");
            ReactionEmoji {
                name: name.to_string(),
                url: format!("{}/emoji/{bare}.webp", world.base_url),
            }
        });
    let reacted = ReactedBody {
        reaction: reaction.clone(),
        emoji,
        user_id: user_id.to_string(),
    };
    events::note_updated(world, note_id, &NoteUpdatedEvent::Reacted(reacted));
    notify(
        world,
        &author,
        "reaction",
        user_id,
        Some(note_id),
        Some(&reaction),
    );
    Ok(())
}

/// Removes the user's reaction.
pub fn unreact(world: &mut World, user_id: &str, note_id: &str) -> Result<(), OpError> {
    let note = world.notes.get_mut(note_id).ok_or(OpError::NoSuchNote)?;
    let reaction = note.reactions.remove(user_id).ok_or(OpError::NotReacted)?;
    let unreacted = UnreactedBody {
        reaction,
        user_id: user_id.to_string(),
    };
    events::note_updated(world, note_id, &NoteUpdatedEvent::Unreacted(unreacted));
    Ok(())
}

/// `follower` follows `followee`: `follow` / `followed` main events and a notification.
pub fn follow(world: &mut World, follower: &str, followee: &str) -> Result<(), OpError> {
    if world.user(follower).is_none() || world.user(followee).is_none() {
        return Err(OpError::NoSuchUser);
    }
    if follower == followee {
        return Err(OpError::FolloweeIsYourself);
    }
    if world.is_following(follower, followee) {
        return Err(OpError::AlreadyFollowing);
    }
    let id = world.ids.next_now();
    world.follows.push(FollowRecord {
        id,
        follower_id: follower.to_string(),
        followee_id: followee.to_string(),
        with_replies: false,
    });
    if let Some(user) = world.user(followee) {
        let payload = pack::user_detailed(world, user, Some(follower));
        events::main_event(world, follower, "follow", payload);
    }
    let follower_lite = pack::user_lite_by_id(world, follower);
    events::main_event(world, followee, "followed", follower_lite);
    notify(world, followee, "follow", follower, None, None);
    Ok(())
}

/// `follower` unfollows `followee`: `unfollow` main event to the follower.
pub fn unfollow(world: &mut World, follower: &str, followee: &str) -> Result<(), OpError> {
    if world.user(follower).is_none() || world.user(followee).is_none() {
        return Err(OpError::NoSuchUser);
    }
    if follower == followee {
        return Err(OpError::FolloweeIsYourself);
    }
    let before = world.follows.len();
    world
        .follows
        .retain(|f| !(f.follower_id == follower && f.followee_id == followee));
    if world.follows.len() == before {
        return Err(OpError::NotFollowing);
    }
    if let Some(user) = world.user(followee) {
        let payload = pack::user_detailed(world, user, Some(follower));
        events::main_event(world, follower, "unfollow", payload);
    }
    Ok(())
}

/// Adds a file to the user's drive: `drive` `fileCreated` and `main` `driveFileCreated`.
pub fn upload_file(
    world: &mut World,
    user_id: &str,
    name: &str,
    mime: &str,
    size: u64,
) -> Result<String, OpError> {
    if world.user(user_id).is_none() {
        return Err(OpError::NoSuchUser);
    }
    let id = world.ids.next_now();
    let record = DriveFileRecord {
        id: id.clone(),
        user_id: user_id.to_string(),
        name: name.to_string(),
        mime: mime.to_string(),
        size,
        ..DriveFileRecord::default()
    };
    add_file(world, record);
    Ok(id)
}

/// Stores `record` in its owner's drive: `drive` `fileCreated` and `main` `driveFileCreated`.
pub fn add_file(world: &mut World, record: DriveFileRecord) {
    let (id, user_id) = (record.id.clone(), record.user_id.clone());
    let user_id = user_id.as_str();
    let payload = pack::drive_file(world, &record);
    world.files.insert(id, record);
    events::drive_event(world, user_id, "fileCreated", payload.clone());
    events::main_event(world, user_id, "driveFileCreated", payload);
}

/// Favorites a note.
pub fn favorite(world: &mut World, user_id: &str, note_id: &str) -> Result<(), OpError> {
    if !world.notes.contains_key(note_id) {
        return Err(OpError::NoSuchNote);
    }
    if world
        .favorites
        .iter()
        .any(|f| f.user_id == user_id && f.note_id == note_id)
    {
        return Err(OpError::AlreadyFavorited);
    }
    world.favorites.push(FavoriteRecord {
        user_id: user_id.into(),
        note_id: note_id.into(),
    });
    Ok(())
}

/// Removes a favorite.
pub fn unfavorite(world: &mut World, user_id: &str, note_id: &str) -> Result<(), OpError> {
    if !world.notes.contains_key(note_id) {
        return Err(OpError::NoSuchNote);
    }
    let before = world.favorites.len();
    world
        .favorites
        .retain(|f| !(f.user_id == user_id && f.note_id == note_id));
    if before == world.favorites.len() {
        return Err(OpError::NotFavorited);
    }
    Ok(())
}

/// Marks all notifications of `user_id` read; emits `readAllNotifications` if any were unread.
pub fn read_all_notifications(world: &mut World, user_id: &str) {
    let mut any = false;
    for record in world
        .notifications
        .values_mut()
        .filter(|n| n.owner_id == user_id && !n.read)
    {
        record.read = true;
        any = true;
    }
    if any {
        events::main_event(
            world,
            user_id,
            "readAllNotifications",
            serde_json::Value::Null,
        );
    }
}
