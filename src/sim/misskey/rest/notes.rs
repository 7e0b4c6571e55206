//! Note endpoints: timelines, mentions, show/children/replies/conversation/renotes,
//! users/notes, create/delete, reactions, unrenote, favorites.

use serde_json::{Value, json};

use super::super::filter::{self, Timeline};
use super::super::hub::TimelineParams;
use super::super::ops::{self, NewNote};
use super::super::pack::{self, Depth};
use super::super::world::{NoteRecord, World};
use super::params::{Page, paginate};
use super::{ApiError, Call, Reply};

/// Packs the notes matching `keep`, paginated, for the caller.
fn list(world: &World, call: Call<'_>, page: &Page, keep: impl Fn(&NoteRecord) -> bool) -> Reply {
    let items: Vec<(String, &NoteRecord)> = world
        .notes
        .values()
        .filter(|note| filter::can_see(world, note, call.user_id) && keep(note))
        .map(|note| (note.id.clone(), note))
        .collect();
    let packed: Vec<Value> = paginate(items, page)
        .into_iter()
        .map(|note| pack::note(world, note, call.user_id, Depth::Full))
        .collect();
    Reply::Json(Value::Array(packed))
}

/// A timeline endpoint.
fn timeline(world: &World, call: Call<'_>, timeline: Timeline) -> Result<Reply, ApiError> {
    let takes_replies = matches!(timeline, Timeline::Local | Timeline::Hybrid);
    let params = TimelineParams {
        with_renotes: call.params.flag("withRenotes", true)?,
        with_replies: takes_replies && call.params.flag("withReplies", false)?,
        with_files: call.params.flag("withFiles", false)?,
    };
    let _ = call.params.flag("allowPartial", false)?;
    if params.with_replies && params.with_files {
        return Err(ApiError::client(
            "BOTH_WITH_REPLIES_AND_WITH_FILES",
            "Specifying both withReplies and withFiles is not supported",
            "dfaa3eb7-8002-4cb7-bcc4-1095df46656f",
        ));
    }
    let page = call.params.page()?;
    Ok(list(world, call, &page, |note| {
        filter::passes(world, &timeline, params, note, call.user_id)
    }))
}

/// The note `noteId` (visible to the caller) or `NO_SUCH_NOTE`.
fn target<'w>(world: &'w World, call: Call<'_>) -> Result<&'w NoteRecord, ApiError> {
    let id = call.params.req_id("noteId")?;
    world
        .notes
        .get(&id)
        .filter(|note| filter::can_see(world, note, call.user_id))
        .ok_or_else(ApiError::no_such_note)
}

/// `notes/create` parameters → [`NewNote`].
fn new_note(call: Call<'_>) -> Result<NewNote, ApiError> {
    let params = call.params;
    let text = params.opt_str("text")?;
    if text.as_ref().is_some_and(|t| t.chars().count() > 3000) {
        return Err(ApiError::invalid_param(
            "#/properties/text/maxLength",
            "must NOT have more than 3000 characters",
        ));
    }
    let cw = params.opt_str("cw")?;
    if cw.as_ref().is_some_and(|c| c.chars().count() > 100) {
        return Err(ApiError::invalid_param(
            "#/properties/cw/maxLength",
            "must NOT have more than 100 characters",
        ));
    }
    let visibility = params.opt_str("visibility")?;
    if visibility
        .as_deref()
        .is_some_and(|v| !["public", "home", "followers", "specified"].contains(&v))
    {
        return Err(ApiError::invalid_param(
            "#/properties/visibility/enum",
            "must be equal to one of the allowed values",
        ));
    }
    let mut file_ids = params.ids("fileIds")?;
    if file_ids.is_empty() {
        file_ids = params.ids("mediaIds")?;
    }
    let note = NewNote {
        text,
        cw,
        visibility,
        visible_user_ids: params.ids("visibleUserIds")?,
        reply_id: params.opt_id("replyId")?,
        renote_id: params.opt_id("renoteId")?,
        channel_id: params.opt_id("channelId")?,
        file_ids,
    };
    let has_text = note.text.as_ref().is_some_and(|t| !t.trim().is_empty());
    if !has_text && note.renote_id.is_none() && note.file_ids.is_empty() {
        return Err(ApiError::invalid_param(
            "#/anyOf",
            "must match a schema in anyOf",
        ));
    }
    Ok(note)
}

/// Runs one note endpoint.
pub fn handle(world: &mut World, endpoint: &str, call: Call<'_>) -> Result<Reply, ApiError> {
    match endpoint {
        "notes/timeline" => timeline(world, call, Timeline::Home),
        "notes/hybrid-timeline" => timeline(world, call, Timeline::Hybrid),
        "notes/local-timeline" => timeline(world, call, Timeline::Local),
        "notes/global-timeline" => timeline(world, call, Timeline::Global),
        "notes/mentions" => {
            let me = call.me()?.to_string();
            let following = call.params.flag("following", false)?;
            let visibility = call.params.opt_str("visibility")?;
            let page = call.params.page()?;
            Ok(list(world, call, &page, |note| {
                (note.mentions.contains(&me) || note.visible_user_ids.contains(&me))
                    && (!following || world.is_following(&me, &note.user_id))
                    && visibility.as_ref().is_none_or(|v| &note.visibility == v)
            }))
        }
        "notes/show" => {
            let note = target(world, call)?;
            Ok(Reply::Json(pack::note(
                world,
                note,
                call.user_id,
                Depth::Full,
            )))
        }
        "notes/children" | "notes/replies" | "notes/renotes" => {
            let parent = target(world, call)?.id.clone();
            let page = call.params.page()?;
            Ok(list(world, call, &page, |note| {
                let reply = note.reply_id.as_deref() == Some(parent.as_str());
                let renote = note.renote_id.as_deref() == Some(parent.as_str());
                match endpoint {
                    "notes/replies" => reply,
                    "notes/renotes" => renote,
                    _ => reply || (renote && !note.is_pure_renote()),
                }
            }))
        }
        "notes/conversation" => {
            let note = target(world, call)?;
            let limit = usize::try_from(call.params.int("limit", 10, 1, 100)?).unwrap_or(10);
            let offset = usize::try_from(call.params.int("offset", 0, 0, i64::MAX)?).unwrap_or(0);
            let mut ancestors = Vec::new();
            let mut next = note.reply_id.clone();
            while let Some(id) = next {
                let Some(parent) = world.notes.get(&id) else {
                    break;
                };
                if ancestors.len() >= offset + limit {
                    break;
                }
                ancestors.push(parent);
                next = parent.reply_id.clone();
            }
            let packed: Vec<Value> = ancestors
                .into_iter()
                .skip(offset)
                .filter(|n| filter::can_see(world, n, call.user_id))
                .map(|n| pack::note(world, n, call.user_id, Depth::Full))
                .collect();
            Ok(Reply::Json(Value::Array(packed)))
        }
        "users/notes" => {
            let user_id = call.params.req_id("userId")?;
            if world.user(&user_id).is_none() {
                return Err(ApiError::no_such_user(axum::http::StatusCode::BAD_REQUEST));
            }
            let with_renotes = call.params.flag("withRenotes", true)?;
            let with_replies = call.params.flag("withReplies", false)?;
            let with_files = call.params.flag("withFiles", false)?;
            let page = call.params.page()?;
            Ok(list(world, call, &page, |note| {
                note.user_id == user_id
                    && note.channel_id.is_none()
                    && (with_renotes || !note.is_pure_renote())
                    && (with_replies || note.reply_id.is_none())
                    && (!with_files || !note.file_ids.is_empty())
            }))
        }
        "notes/create" => {
            let me = call.me()?.to_string();
            let note = new_note(call)?;
            let id = ops::create_note(world, &me, note)?;
            let created = world
                .notes
                .get(&id)
                .map(|note| pack::note(world, note, Some(&me), Depth::Full))
                .unwrap_or(Value::Null);
            Ok(Reply::Json(json!({"createdNote": created})))
        }
        "notes/delete" => {
            let me = call.me()?.to_string();
            let id = call.params.req_id("noteId")?;
            ops::delete_note(world, &id, Some(&me))?;
            Ok(Reply::NoContent)
        }
        "notes/reactions/create" => {
            let me = call.me()?.to_string();
            let id = call.params.req_id("noteId")?;
            let reaction = call.params.opt_str("reaction")?.ok_or_else(|| {
                ApiError::invalid_param("#/required", "must have required property 'reaction'")
            })?;
            ops::react(world, &me, &id, &reaction)?;
            Ok(Reply::NoContent)
        }
        "notes/reactions/delete" => {
            let me = call.me()?.to_string();
            let id = call.params.req_id("noteId")?;
            ops::unreact(world, &me, &id)?;
            Ok(Reply::NoContent)
        }
        "notes/unrenote" => {
            let me = call.me()?.to_string();
            let id = call.params.req_id("noteId")?;
            ops::unrenote(world, &me, &id)?;
            Ok(Reply::NoContent)
        }
        "notes/favorites/create" => {
            let me = call.me()?.to_string();
            let id = call.params.req_id("noteId")?;
            ops::favorite(world, &me, &id)?;
            Ok(Reply::NoContent)
        }
        "notes/favorites/delete" => {
            let me = call.me()?.to_string();
            let id = call.params.req_id("noteId")?;
            ops::unfavorite(world, &me, &id)?;
            Ok(Reply::NoContent)
        }
        _ => Err(ApiError::unknown_endpoint()),
    }
}
