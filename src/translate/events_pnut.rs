//! Misskey stream events (`main`, `drive`, `noteUpdated`) → pnut user-stream event data
//! (pnut front; mapping.md §4.2).

use serde_json::Value;

use crate::ids::misskey_id_time;
use crate::misskey::{DriveFile, MeDetailed, Note, NoteUpdatedEvent, UserDetailed, UserLite};
use crate::pnut::{EventData, EventKind, File, FollowEvent, Post, Token, User};

use super::dates::format_pnut_date;
use super::drive_file::drive_file_to_file;
use super::error::{SkipReason, TranslateError, Translated};
use super::ids::misskey_to_tool;
use super::options::Options;
use super::post_note::{note_content, note_to_post, note_to_post_unfiltered};
use super::user::{misskey_detailed_to_pnut, misskey_me_to_pnut, misskey_user_to_pnut};

/// A pnut event ready to be framed: kind, `meta.id`, `data`, and the meta flags.
#[derive(Debug, Clone, PartialEq)]
pub struct PnutEvent {
    /// The event kind (decides which subscriptions match).
    pub kind: EventKind,
    /// `meta.id`: the id of the object the event is about.
    pub object_id: String,
    /// `data`: a list for posts, an object for follow/token/file.
    pub data: EventData,
    /// `meta.is_deleted` (deleted post, unfollow, deleted file).
    pub is_deleted: bool,
    /// `meta.revision` (revised post).
    pub revision: Option<i64>,
}

/// The revision number given to a post revised on Misskey (Misskey does not count revisions).
pub const MISSKEY_REVISION: i64 = 1;

fn serialize_err(_: serde_json::Error) -> TranslateError {
    TranslateError::Missing("serializable data")
}

fn post_event(
    post: Post,
    is_deleted: bool,
    revision: Option<i64>,
) -> Result<PnutEvent, TranslateError> {
    Ok(PnutEvent {
        kind: EventKind::Post,
        object_id: post.id.clone(),
        data: EventData::list(&[post]).map_err(serialize_err)?,
        is_deleted,
        revision,
    })
}

fn follow_event(
    user: User,
    followed_user: User,
    is_deleted: bool,
) -> Result<PnutEvent, TranslateError> {
    Ok(PnutEvent {
        kind: EventKind::Follow,
        object_id: user.id.clone(),
        data: EventData::object(&FollowEvent {
            user,
            followed_user,
        })
        .map_err(serialize_err)?,
        is_deleted,
        revision: None,
    })
}

/// A Misskey `main` or `drive` channel event → pnut event, for the token whose user is `me`
/// (pnut form) and whose token object is `token` (used as the frame of `meUpdated`).
///
/// `note`/`mention`/`reply`/`renote` → post; `followed` → follow {follower, me};
/// `follow`/`unfollow` → follow {me, followee} (`unfollow` with `is_deleted`); `meUpdated` →
/// token; `fileCreated`/`fileUpdated`/`driveFileCreated` → file; `fileDeleted` → file with
/// `is_deleted`. Other events are [`Translated::Skipped`].
pub fn misskey_event_to_pnut(
    kind: &str,
    body: &Value,
    me: &User,
    token: &Token,
    opts: &Options,
) -> Result<Translated<PnutEvent>, TranslateError> {
    let parse_err = |_| TranslateError::Missing("event body of the expected shape");
    let event = match kind {
        "note" | "mention" | "reply" | "renote" => {
            let note: Note = serde_json::from_value(body.clone()).map_err(parse_err)?;
            match note_to_post(&note, None, opts)? {
                Translated::Done(post) => post_event(post, false, None)?,
                Translated::Skipped(reason) => return Ok(Translated::Skipped(reason)),
            }
        }
        "followed" => {
            let follower: UserLite = serde_json::from_value(body.clone()).map_err(parse_err)?;
            follow_event(misskey_user_to_pnut(&follower, opts)?, me.clone(), false)?
        }
        "follow" | "unfollow" => {
            let followee: UserDetailed = serde_json::from_value(body.clone()).map_err(parse_err)?;
            follow_event(
                me.clone(),
                misskey_detailed_to_pnut(&followee, opts)?,
                kind == "unfollow",
            )?
        }
        "meUpdated" => {
            let me_detailed: MeDetailed =
                serde_json::from_value(body.clone()).map_err(parse_err)?;
            let mut updated = token.clone();
            updated.user = Some(misskey_me_to_pnut(&me_detailed, opts)?);
            PnutEvent {
                kind: EventKind::Token,
                object_id: updated
                    .user
                    .as_ref()
                    .map(|u| u.id.clone())
                    .unwrap_or_default(),
                data: EventData::object(&updated).map_err(serialize_err)?,
                is_deleted: false,
                revision: None,
            }
        }
        "fileCreated" | "fileUpdated" | "driveFileCreated" => {
            let drive_file: DriveFile = serde_json::from_value(body.clone()).map_err(parse_err)?;
            let file = drive_file_to_file(&drive_file, opts)?;
            file_event(file, false)?
        }
        "fileDeleted" => {
            let id = body
                .as_str()
                .ok_or(TranslateError::Missing("fileDeleted file id"))?;
            let file = File {
                id: misskey_to_tool(id, "fileDeleted", opts)?,
                created_at: misskey_id_time(id, opts.id_format)
                    .map(format_pnut_date)
                    .unwrap_or_default(),
                is_complete: true,
                is_deleted: Some(true),
                ..File::default()
            };
            file_event(file, true)?
        }
        _ => {
            return Ok(Translated::Skipped(SkipReason::NoCounterpart(
                "misskey event",
            )));
        }
    };
    Ok(Translated::Done(event))
}

fn file_event(file: File, is_deleted: bool) -> Result<PnutEvent, TranslateError> {
    Ok(PnutEvent {
        kind: EventKind::File,
        object_id: file.id.clone(),
        data: EventData::object(&file).map_err(serialize_err)?,
        is_deleted,
        revision: None,
    })
}

/// Misskey `noteUpdated` for `note_id` → pnut post event: `deleted` → the post without
/// content and `is_deleted`; `updated` → the post with the new text and
/// `revision` [`MISSKEY_REVISION`]. `known` is the note when the caller has it (fills the
/// author, reply and thread). Reactions and poll votes have no pnut stream counterpart.
pub fn note_updated_to_pnut(
    note_id: &str,
    event: &NoteUpdatedEvent,
    known: Option<&Note>,
    opts: &Options,
) -> Result<Translated<PnutEvent>, TranslateError> {
    let base = |opts: &Options| -> Result<Post, TranslateError> {
        match known.filter(|note| note.id == note_id) {
            Some(note) => note_to_post_unfiltered(note, None, opts),
            None => {
                let id = misskey_to_tool(note_id, "noteUpdated.id", opts)?;
                Ok(Post {
                    created_at: misskey_id_time(note_id, opts.id_format)
                        .map(format_pnut_date)
                        .unwrap_or_default(),
                    thread_id: id.clone(),
                    id,
                    ..Post::default()
                })
            }
        }
    };
    match event {
        NoteUpdatedEvent::Deleted(_) => {
            let mut post = base(opts)?;
            post.content = None;
            post.raw = None;
            post.repost_of = None;
            post.is_deleted = Some(true);
            post_event(post, true, None).map(Translated::Done)
        }
        NoteUpdatedEvent::Updated(body) => {
            let mut post = base(opts)?;
            let text = super::content::join_cw(body.cw.as_deref(), Some(&body.text));
            post.content = Some(match known {
                Some(note) => note_content(note, &text, opts),
                None => super::content::content_from_text(&text, &|_| None),
            });
            post.is_nsfw = body.cw.is_some().then_some(true);
            post.is_revised = Some(true);
            post_event(post, false, Some(MISSKEY_REVISION)).map(Translated::Done)
        }
        _ => Ok(Translated::Skipped(SkipReason::NoCounterpart(
            "noteUpdated reaction/poll",
        ))),
    }
}
