//! Write endpoints of the pnut REST front (mapping.md §4.3) over Misskey writes. Writes are
//! never retried (the upstream client's rule).

use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use super::objects::{Caller, body1};
use super::params::{NewPost, misskey_id, new_post};
use super::reply::{RestError, RestResult, ok};
use crate::config::BookmarkAs;
use crate::misskey::Note;

/// `POST /posts` (JSON or form: `text`, `reply_to`, `is_nsfw`) → `notes/create` → 201.
pub async fn create_post(caller: Caller<'_>, headers: &HeaderMap, body: &[u8]) -> RestResult {
    let new = new_post(headers, body)?;
    let note = create_note(caller, new, body1("visibility", json!("public"))).await?;
    let post = caller
        .note_to_post(&note)?
        .ok_or_else(|| RestError::NotFound("Post not found".to_owned()))?;
    ok(StatusCode::CREATED, post)
}

/// `notes/create` from a pnut post body and `extra` fields (`visibility`, `channelId`): the
/// text is required, `reply_to` becomes `replyId`, `is_nsfw` a `cw`, the files of
/// `+io.pnut.core.file` raws `fileIds`; the created note.
pub(super) async fn create_note(
    caller: Caller<'_>,
    new: NewPost,
    extra: Map<String, Value>,
) -> Result<Note, RestError> {
    let text = new
        .text
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| RestError::BadRequest("text is required".to_owned()))?;
    let mut request = extra;
    request.insert("text".into(), json!(text));
    if let Some(reply_to) = new.reply_to.as_deref() {
        request.insert(
            "replyId".into(),
            json!(misskey_id(caller.ctx, reply_to, "reply_to")?),
        );
    }
    if new.is_nsfw {
        request.insert("cw".into(), json!(caller.ctx.translate.nsfw_cw));
    }
    if !new.file_ids.is_empty() {
        let ids = new
            .file_ids
            .iter()
            .map(|id| misskey_id(caller.ctx, id, "file_id"))
            .collect::<Result<Vec<_>, _>>()?;
        request.insert("fileIds".into(), json!(ids));
    }
    let created: Value = caller.write("notes/create", request).await?;
    serde_json::from_value(created.get("createdNote").cloned().unwrap_or_default()).map_err(|e| {
        RestError::Upstream(crate::upstream::UpstreamError::Decode {
            upstream: crate::upstream::UpstreamKind::Misskey,
            message: e.to_string(),
        })
    })
}

/// `DELETE /posts/{id}` → `notes/delete`; answers the post with `is_deleted: true`.
pub async fn delete_post(caller: Caller<'_>, post_id: &str) -> RestResult {
    let note_id = misskey_id(caller.ctx, post_id, "post id")?;
    let mut post = caller.post(&note_id).await?;
    caller
        .write("notes/delete", body1("noteId", json!(note_id)))
        .await?;
    post.is_deleted = Some(true);
    ok(StatusCode::OK, post)
}

/// `PUT` (201) / `DELETE` (200) `/posts/{id}/repost` → renote / `notes/unrenote`; answers the
/// original post.
pub async fn repost(caller: Caller<'_>, post_id: &str, on: bool) -> RestResult {
    let note_id = misskey_id(caller.ctx, post_id, "post id")?;
    let status = if on {
        let mut request = body1("renoteId", json!(note_id));
        request.insert("visibility".into(), json!("public"));
        caller.write("notes/create", request).await?;
        StatusCode::CREATED
    } else {
        caller
            .write("notes/unrenote", body1("noteId", json!(note_id)))
            .await?;
        StatusCode::OK
    };
    let mut post = caller.post(&note_id).await?;
    post.you_reposted = Some(on);
    ok(status, post)
}

/// `PUT` / `DELETE /posts/{id}/bookmark` → a reaction (`translate.bookmark_reaction`) or a
/// favorite, per `translate.bookmark_as`; answers the post (200).
pub async fn bookmark(caller: Caller<'_>, post_id: &str, on: bool) -> RestResult {
    let note_id = misskey_id(caller.ctx, post_id, "post id")?;
    let mut request = body1("noteId", json!(note_id));
    let endpoint = match (caller.ctx.config().translate.bookmark_as, on) {
        (BookmarkAs::Reaction, true) => {
            request.insert(
                "reaction".into(),
                json!(caller.ctx.config().translate.bookmark_reaction),
            );
            "notes/reactions/create"
        }
        (BookmarkAs::Reaction, false) => "notes/reactions/delete",
        (BookmarkAs::Favorite, true) => "notes/favorites/create",
        (BookmarkAs::Favorite, false) => "notes/favorites/delete",
    };
    caller.write(endpoint, request).await?;
    let mut post = caller.post(&note_id).await?;
    post.you_bookmarked = Some(on);
    ok(StatusCode::OK, post)
}

/// `PUT` / `DELETE /users/{id}/follow` → `following/create` / `following/delete`; answers the
/// user (200).
pub async fn follow(caller: Caller<'_>, reference: &str, on: bool) -> RestResult {
    let user_id = caller.user_id(reference).await?;
    let endpoint = if on {
        "following/create"
    } else {
        "following/delete"
    };
    // pnut answers a follow of an already followed user (and an unfollow of one not
    // followed) with the user, 200: Misskey's ALREADY_FOLLOWING / NOT_FOLLOWING are no errors.
    match caller
        .write(endpoint, body1("userId", json!(user_id)))
        .await
    {
        Err(RestError::Upstream(crate::upstream::UpstreamError::Status {
            code: Some(code),
            ..
        })) if code
            == if on {
                "ALREADY_FOLLOWING"
            } else {
                "NOT_FOLLOWING"
            } => {}
        other => {
            other?;
        }
    }
    let mut user = caller.user_by_id(&user_id).await?;
    user.you_follow = Some(on);
    ok(StatusCode::OK, user)
}
