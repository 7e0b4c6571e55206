//! pnut user-stream events → Misskey `main`/`drive` channel events, notifications and
//! `noteUpdated` (Misskey front; mapping.md §3.1).

use serde::Serialize;
use serde_json::Value;

use crate::misskey::{
    DeletedBody, Note, NoteUpdatedEvent, Notification, NotificationType, UpdatedBody,
};
use crate::pnut::{File, FollowEvent, Post, Token, User};

use super::content::split_cw;
use super::dates::{format_misskey_date, parse_date};
use super::drive_file::file_to_drive_file;
use super::error::{SkipReason, TranslateError, Translated};
use super::options::Options;
use super::post_note::post_to_note;
use super::user::{pnut_user_to_detailed, pnut_user_to_lite, pnut_user_to_me};

/// One event on a Misskey channel connection: `{"type": kind, "body": body}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelEvent {
    /// The event type (`followed`, `notification`, `fileCreated`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The event body.
    pub body: Value,
}

impl ChannelEvent {
    fn new<T: Serialize>(kind: &str, body: &T) -> Result<Self, TranslateError> {
        let body =
            serde_json::to_value(body).map_err(|_| TranslateError::Missing("serializable body"))?;
        Ok(Self {
            kind: kind.to_owned(),
            body,
        })
    }
}

/// A `noteUpdated` event for the note `note_id` (Misskey-side id).
#[derive(Debug, Clone, PartialEq)]
pub struct NoteUpdate {
    /// The note id as Misskey clients know it.
    pub note_id: String,
    /// What happened.
    pub event: NoteUpdatedEvent,
}

/// ISO date of a unix timestamp (pnut `meta.timestamp`), Misskey format.
fn misskey_time(timestamp: i64) -> String {
    let date = chrono::DateTime::from_timestamp(timestamp, 0).unwrap_or_default();
    format_misskey_date(date)
}

/// A Misskey notification; the id is the subject's Misskey-side id plus a one-letter type
/// suffix, so it is stable across reconnects and alphanumeric (`[a-zA-Z0-9]+`).
fn notification(
    kind: NotificationType,
    subject_id: &str,
    suffix: char,
    created_at: String,
) -> Notification {
    Notification {
        id: format!("{subject_id}{suffix}"),
        created_at,
        kind,
        user: None,
        user_id: None,
        note: None,
        reaction: None,
        message: None,
        achievement: None,
        exported_entity: None,
        file_id: None,
        body: None,
        header: None,
        icon: None,
        role: None,
        invitation: None,
        note_draft: None,
        reactions: None,
        users: None,
    }
}

/// pnut follow event → `main` events for the user `me_id` (pnut id): someone following me →
/// `followed` + `notification {follow}`; my follow → `follow`; my unfollow (`is_deleted`) →
/// `unfollow`. Someone unfollowing me has no Misskey event (empty list).
pub fn follow_to_main_events(
    event: &FollowEvent,
    is_deleted: bool,
    me_id: &str,
    timestamp: i64,
    opts: &Options,
) -> Result<Vec<ChannelEvent>, TranslateError> {
    let actor_is_me = event.user.id == me_id;
    let target_is_me = event.followed_user.id == me_id;
    match (actor_is_me, target_is_me, is_deleted) {
        (false, true, false) => {
            let note = follower_to_notification(&event.user, &misskey_time(timestamp), opts)?;
            let follower = pnut_user_to_lite(&event.user, opts)?;
            Ok(vec![
                ChannelEvent::new("followed", &follower)?,
                ChannelEvent::new("notification", &note)?,
            ])
        }
        (true, false, deleted) => {
            let followee = pnut_user_to_detailed(&event.followed_user, opts)?;
            let kind = if deleted { "unfollow" } else { "follow" };
            Ok(vec![ChannelEvent::new(kind, &followee)?])
        }
        _ => Ok(Vec::new()),
    }
}

/// A post mentioning `me_id` → `mention`, plus `reply` when `parent` (the post it replies to,
/// when known) is mine, plus `notification` {`reply` or `mention`}. My own posts and deleted
/// posts give nothing.
pub fn mention_to_main_events(
    post: &Post,
    parent: Option<&Post>,
    me_id: &str,
    opts: &Options,
) -> Result<Vec<ChannelEvent>, TranslateError> {
    let Some(notification) = mention_to_notification(post, parent, me_id, opts)? else {
        return Ok(Vec::new());
    };
    let Some(note) = notification.note.as_ref() else {
        return Ok(Vec::new());
    };
    let mut events = vec![ChannelEvent::new("mention", note)?];
    if notification.kind == NotificationType::Reply {
        events.push(ChannelEvent::new("reply", note)?);
    }
    events.push(ChannelEvent::new("notification", &notification)?);
    Ok(events)
}

/// A post mentioning `me_id` as a Misskey notification (`i/notifications`, and the
/// `notification` event): type `reply` when `parent` is my post, else `mention`; id = the
/// note id plus `r`/`m`. `None` for my own posts and deleted posts.
pub fn mention_to_notification(
    post: &Post,
    parent: Option<&Post>,
    me_id: &str,
    opts: &Options,
) -> Result<Option<Notification>, TranslateError> {
    if post.deleted() || post.author_id() == Some(me_id) {
        return Ok(None);
    }
    let note = post_to_note(post, parent, opts)?;
    let replies_to_me = parent.is_some_and(|p| {
        Some(p.id.as_str()) == post.reply_to.as_deref() && p.author_id() == Some(me_id)
    });
    let (kind, suffix) = if replies_to_me {
        (NotificationType::Reply, 'r')
    } else {
        (NotificationType::Mention, 'm')
    };
    Ok(Some(note_notification(kind, suffix, &note)))
}

/// A follower of mine as a Misskey `follow` notification (`i/notifications`); pnut follower
/// lists carry no follow time, so the caller gives `created_at` (Misskey format).
pub fn follower_to_notification(
    follower: &User,
    created_at: &str,
    opts: &Options,
) -> Result<Notification, TranslateError> {
    let user = pnut_user_to_lite(follower, opts)?;
    let mut out = notification(
        NotificationType::Follow,
        &user.id,
        'f',
        created_at.to_owned(),
    );
    out.user_id = Some(user.id.clone());
    out.user = Some(user);
    Ok(out)
}

/// A repost of one of `me_id`'s posts by someone else → `renote` + `notification {renote}`
/// (the notification's note is the renote, as Misskey does). Anything else gives nothing.
pub fn repost_to_main_events(
    post: &Post,
    me_id: &str,
    opts: &Options,
) -> Result<Vec<ChannelEvent>, TranslateError> {
    let Some(original) = post.repost_of.as_deref() else {
        return Ok(Vec::new());
    };
    if post.deleted() || original.author_id() != Some(me_id) || post.author_id() == Some(me_id) {
        return Ok(Vec::new());
    }
    let note = post_to_note(post, None, opts)?;
    Ok(vec![
        ChannelEvent::new("renote", &note)?,
        ChannelEvent::new(
            "notification",
            &note_notification(NotificationType::Renote, 'n', &note),
        )?,
    ])
}

fn note_notification(kind: NotificationType, suffix: char, note: &Note) -> Notification {
    let mut out = notification(kind, &note.id, suffix, note.created_at.clone());
    out.user_id = Some(note.user_id.clone());
    out.user = Some(note.user.clone());
    out.note = Some(note.clone());
    out
}

/// pnut token event → `meUpdated` (MeDetailed of the token's user); skipped for app tokens.
pub fn token_to_me_updated(
    token: &Token,
    opts: &Options,
) -> Result<Translated<ChannelEvent>, TranslateError> {
    let Some(user) = token.user.as_ref() else {
        return Ok(Translated::Skipped(SkipReason::NoCounterpart(
            "token without user",
        )));
    };
    Ok(Translated::Done(ChannelEvent::new(
        "meUpdated",
        &pnut_user_to_me(user, opts)?,
    )?))
}

/// pnut file event → `drive` event: deleted (`meta.is_deleted` or `is_deleted`) → `fileDeleted`
/// (body: the file id); an incomplete placeholder is skipped; a file created within
/// `Options::file_created_window_secs` of the event → `fileCreated`, else `fileUpdated`.
pub fn file_to_drive_event(
    file: &File,
    is_deleted: bool,
    timestamp: i64,
    opts: &Options,
) -> Result<Translated<ChannelEvent>, TranslateError> {
    if is_deleted || file.is_deleted == Some(true) {
        let id = super::ids::pnut_to_client(&file.id, "file.id", opts)?;
        return Ok(Translated::Done(ChannelEvent::new("fileDeleted", &id)?));
    }
    if !file.is_complete {
        return Ok(Translated::Skipped(SkipReason::NoCounterpart(
            "incomplete file placeholder",
        )));
    }
    let created = parse_date(&file.created_at)
        .map(|date| date.timestamp())
        .unwrap_or(i64::MIN);
    let fresh = timestamp.saturating_sub(created) <= opts.file_created_window_secs;
    let kind = if fresh { "fileCreated" } else { "fileUpdated" };
    Ok(Translated::Done(ChannelEvent::new(
        kind,
        &file_to_drive_file(file, opts)?,
    )?))
}

/// A pnut post event's `meta.is_deleted` / `meta.revision` → `noteUpdated` for clients that
/// captured the note: `deleted` with `deletedAt` = the event time; a revision → `updated`
/// `{cw, text}` when `Options::note_updated_revisions` is on. Otherwise nothing.
pub fn post_change_to_note_updated(
    post: &Post,
    is_deleted: bool,
    revision: Option<i64>,
    timestamp: i64,
    opts: &Options,
) -> Result<Option<NoteUpdate>, TranslateError> {
    let note_id = super::ids::pnut_to_client(&post.id, "post.id", opts)?;
    if is_deleted || post.deleted() {
        let event = NoteUpdatedEvent::Deleted(DeletedBody {
            deleted_at: misskey_time(timestamp),
        });
        return Ok(Some(NoteUpdate { note_id, event }));
    }
    if revision.is_none() || !opts.note_updated_revisions {
        return Ok(None);
    }
    let Some(content) = post.content.as_ref() else {
        return Ok(None);
    };
    let (cw, text) = split_cw(&content.text, post.is_nsfw == Some(true), &opts.nsfw_cw);
    Ok(Some(NoteUpdate {
        note_id,
        event: NoteUpdatedEvent::Updated(UpdatedBody { cw, text }),
    }))
}
