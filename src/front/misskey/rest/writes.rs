//! Note writing endpoints over pnut: create (posts, reposts, private messages), delete,
//! unrenote, reactions and favorites (bookmarks) (mapping.md §3.3).

use axum::http::StatusCode;
use reqwest::Method;
use serde_json::{Value, json};

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use super::notes::note_json;
use super::polls;
use crate::config::BookmarkAs;
use crate::misskey::Visibility;
use crate::pnut::{File, Message, MessageRequest, OEMBED_RAW_TYPE, Post, PostRequest, Raw};
use crate::translate;

/// `notes/create` → `{"createdNote": Note}`: a pure renote (`renoteId` without text) is a
/// pnut repost; anything else is `POST /posts` (`cw` becomes the first line and `is_nsfw`,
/// `replyId` → `reply_to`). A quote's `renoteId` has no pnut counterpart and is dropped;
/// `visibility: "specified"` with `visibleUserIds` is a pnut private message to them;
/// other visibilities that are not bridged (`followers`: pnut has no followers-only posts) and
/// `channelId` are refused (`INVALID_PARAM` naming them) before anything goes upstream: never
/// a 200 that dropped them. `poll` is a pnut poll announced by the post (`polls.rs`; its
/// prompt is the text, which pnut posts need).
pub async fn create(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let params = &call.params;
    let poll = polls::plan(call)?;
    let text = params.string("text")?.filter(|t| !t.trim().is_empty());
    let cw = params.string("cw")?;
    let reply_to = params.pnut_id("replyId", RestError::no_such_note)?;
    let renote = params.pnut_id("renoteId", RestError::no_such_note)?;
    let recipients = params.strings("visibleUserIds")?.unwrap_or_default();
    if params.string("visibility")? == Some("specified") && !recipients.is_empty() {
        if poll.is_some() {
            return Err(RestError::invalid_param(
                "poll",
                "pnut private messages cannot carry a poll",
            ));
        }
        let Some(text) = text else {
            return Err(RestError::invalid_param("text", "text is required"));
        };
        let recipients: Vec<String> = recipients.into_iter().map(str::to_owned).collect();
        return private_message(call, text, cw, reply_to, &recipients).await;
    }
    check_audience(call)?;
    let mut raw = file_oembeds(call).await?;
    let created_poll = match (&poll, text) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(RestError::invalid_param(
                "text",
                "pnut posts need text: a poll is asked by the note's text",
            ));
        }
        (Some(plan), Some(prompt)) => {
            let (created, notice) = polls::create(call, plan, prompt).await?;
            raw.get_or_insert_with(Raw::new).extend(notice);
            Some(created)
        }
    };
    let created = match (text, renote, raw) {
        (None, Some(original), None) => repost(call, &original).await?,
        (None, None, None) => return Err(RestError::invalid_param("text", "text is required")),
        (text, _, raw) => {
            let request = PostRequest {
                text: translate::content::join_cw(cw, Some(text.unwrap_or_default())),
                reply_to,
                is_nsfw: cw.map(|_| true),
                raw,
                ..PostRequest::default()
            };
            let body = serde_json::to_value(&request)
                .map_err(|error| RestError::internal(&error.to_string()))?;
            call.write_query::<Post>(
                Method::POST,
                "/posts",
                &[("include_post_raw", "1")],
                Some(&body),
                Missing::Note,
            )
            .await?
            .ok_or_else(|| RestError::internal("pnut created no post"))?
        }
    };
    let mut note = note_json(&created, None, call)?;
    if let Some(poll) = &created_poll {
        note["poll"] = polls::created_poll(poll);
    }
    Ok(Reply::Json(json!({"createdNote": note})))
}

/// `visibility: "specified"` with `visibleUserIds`: a pnut private message to them
/// (`POST /channels/pm/messages` with `destinations`) → a Note with that visibility and
/// recipients (no Misskey-channel).
async fn private_message(
    call: &Call<'_>,
    text: &str,
    cw: Option<&str>,
    reply_to: Option<String>,
    recipients: &[String],
) -> Result<Reply, RestError> {
    let destinations = recipients
        .iter()
        .map(|id| {
            crate::ids::pnut_id_from_misskey(id)
                .map_err(|_| RestError::no_such_user(StatusCode::BAD_REQUEST))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let request = MessageRequest {
        text: translate::content::join_cw(cw, Some(text)),
        reply_to,
        is_nsfw: cw.map(|_| true),
        destinations: Some(destinations),
        ..MessageRequest::default()
    };
    let body =
        serde_json::to_value(&request).map_err(|error| RestError::internal(&error.to_string()))?;
    let message = call
        .write::<Message>(
            Method::POST,
            "/channels/pm/messages",
            Some(&body),
            Missing::User,
        )
        .await?
        .ok_or_else(|| RestError::internal("pnut created no message"))?;
    let mut note = translate::message_to_note(&message, None, &call.ctx.translate)?;
    note.channel = None;
    note.channel_id = None;
    note.visibility = Visibility::Specified;
    note.visible_user_ids = Some(recipients.to_vec());
    let note =
        serde_json::to_value(note).map_err(|error| RestError::internal(&error.to_string()))?;
    Ok(Reply::Json(json!({"createdNote": note})))
}

/// `fileIds` (or `mediaIds`, at most 16) as pnut `io.pnut.core.oembed` raw values replaced by
/// the files (`+io.pnut.core.file` with each file's `file_token`, read by `GET /files/{id}`);
/// `None` without files. A file that is not the caller's is `NO_SUCH_FILE`.
async fn file_oembeds(call: &Call<'_>) -> Result<Option<Raw>, RestError> {
    let ids = match call.params.strings("fileIds")? {
        Some(ids) if !ids.is_empty() => ids,
        _ => call.params.strings("mediaIds")?.unwrap_or_default(),
    };
    if ids.is_empty() {
        return Ok(None);
    }
    if ids.len() > 16 {
        return Err(RestError::invalid_param(
            "fileIds",
            "must have at most 16 items",
        ));
    }
    let no_such_file = || {
        RestError::client(
            "NO_SUCH_FILE",
            "Some files are not found.",
            "b6992544-63e7-67f0-fa7f-32444b1b5306",
        )
    };
    let mut items = Vec::new();
    for id in ids {
        let id = crate::ids::pnut_id_from_misskey(id).map_err(|_| no_such_file())?;
        let file: File = call
            .get(&format!("/files/{id}"), &[], Missing::File)
            .await
            .map_err(|error| {
                if error.body.error.code == "NO_SUCH_FILE" {
                    no_such_file()
                } else {
                    error
                }
            })?;
        let token = file.file_token.ok_or_else(no_such_file)?;
        items.push(json!({"+io.pnut.core.file": {
            "file_id": file.id, "file_token": token, "format": "oembed",
        }}));
    }
    let mut raw = Raw::new();
    raw.insert(OEMBED_RAW_TYPE.to_owned(), items);
    Ok(Some(raw))
}

/// Refuses what a public pnut post would leak: a `visibility` outside the bridged ones
/// (`[translate] visibilities`, default public/home) and a Misskey `channelId`.
fn check_audience(call: &Call<'_>) -> Result<(), RestError> {
    let params = &call.params;
    let visibility = match params.string("visibility")? {
        None => Visibility::Public,
        Some(text) => serde_json::from_value(Value::String(text.to_owned())).map_err(|_| {
            RestError::invalid_param("visibility", "must be one of the allowed values")
        })?,
    };
    if !call.ctx.translate.visibilities.contains(&visibility) {
        return Err(RestError::invalid_param(
            "visibility",
            "pnut posts are public: this visibility is not bridged",
        ));
    }
    if params.string("channelId")?.is_some() {
        return Err(RestError::invalid_param(
            "channelId",
            "Misskey channels are not bridged",
        ));
    }
    Ok(())
}

/// Reposts `original` and finds the new repost among my newest posts (pnut's repost call
/// answers with the original); falls back to the original when it cannot be found.
async fn repost(call: &Call<'_>, original: &str) -> Result<Post, RestError> {
    let reposted = call
        .write::<Post>(
            Method::PUT,
            &format!("/posts/{original}/repost"),
            None,
            Missing::Note,
        )
        .await?
        .ok_or_else(|| RestError::internal("pnut answered the repost without data"))?;
    let mine: Vec<Post> = call
        .get("/users/me/posts", &[("count", "20")], Missing::Other)
        .await
        .unwrap_or_default();
    Ok(mine
        .into_iter()
        .find(|post| {
            post.repost_of
                .as_deref()
                .is_some_and(|of| of.id == reposted.id)
        })
        .unwrap_or(reposted))
}

/// `notes/delete` → 204; someone else's note (pnut 403) is `ACCESS_DENIED` (400).
pub async fn delete(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let id = call.params.note_id("noteId")?;
    call.write::<Value>(Method::DELETE, &format!("/posts/{id}"), None, Missing::Note)
        .await
        .map_err(|error| {
            if error.status == StatusCode::FORBIDDEN {
                RestError::access_denied()
            } else {
                error
            }
        })?;
    Ok(Reply::NoContent)
}

/// `notes/unrenote` (`noteId`: the renoted note): `DELETE /posts/{id}/repost` → 204.
pub async fn unrenote(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let id = call.params.note_id("noteId")?;
    call.write::<Value>(
        Method::DELETE,
        &format!("/posts/{id}/repost"),
        None,
        Missing::Note,
    )
    .await?;
    Ok(Reply::NoContent)
}

/// `notes/reactions/create` (`on`) / `delete`: bookmark / unbookmark → 204, when bookmarks
/// are reactions (`[translate] bookmark_as`, the default). Any reaction is a bookmark.
pub async fn bookmark(call: &Call<'_>, on: bool) -> Result<Reply, RestError> {
    call.token()?;
    let id = call.params.note_id("noteId")?;
    if on {
        call.params.required_string("reaction")?;
    }
    owns_bookmark(call, BookmarkAs::Reaction, "reaction")?;
    set_bookmark(call, &id, on).await
}

/// `notes/favorites/create` (`on`) / `delete`: bookmark / unbookmark → 204, when bookmarks
/// are favorites (`[translate] bookmark_as`).
pub async fn favorite(call: &Call<'_>, on: bool) -> Result<Reply, RestError> {
    call.token()?;
    let id = call.params.note_id("noteId")?;
    owns_bookmark(call, BookmarkAs::Favorite, "noteId")?;
    set_bookmark(call, &id, on).await
}

/// One pnut bookmark per post: only the endpoint family `[translate] bookmark_as` names may
/// set or clear it, so a reaction and a favorite never fight over it; the other family is
/// refused with a Misskey error saying so.
fn owns_bookmark(call: &Call<'_>, family: BookmarkAs, param: &str) -> Result<(), RestError> {
    if call.ctx.config().translate.bookmark_as == family {
        return Ok(());
    }
    let reason = match family {
        BookmarkAs::Reaction => {
            "pnut bookmarks are favorites on this bridge; reactions are not bridged"
        }
        BookmarkAs::Favorite => {
            "pnut bookmarks are reactions on this bridge; favorites are not bridged"
        }
    };
    Err(RestError::invalid_param(param, reason))
}

async fn set_bookmark(call: &Call<'_>, id: &str, on: bool) -> Result<Reply, RestError> {
    let method = if on { Method::PUT } else { Method::DELETE };
    call.write::<Value>(
        method,
        &format!("/posts/{id}/bookmark"),
        None,
        Missing::Note,
    )
    .await?;
    Ok(Reply::NoContent)
}
