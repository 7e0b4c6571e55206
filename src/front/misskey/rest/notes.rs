//! Note endpoints over pnut posts: timelines, show, children, conversation, create, delete,
//! reactions (bookmarks) (mapping.md §3.3).

use std::cmp::Ordering;

use axum::http::StatusCode;
use reqwest::Method;
use serde_json::{Value, json};

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use super::params::{Page, borrow_query};
use crate::ids::cmp_decimal;
use crate::misskey::Visibility;
use crate::pnut::{Post, PostRequest, oembeds};
use crate::translate::{self, post_to_note};

/// How many thread posts one `notes/children` / `notes/conversation` call reads.
const THREAD_COUNT: &str = "200";

/// Posts (newest first, as pnut answers) → Misskey notes in `page` order. Deleted posts are
/// left out; a post that cannot be translated is dropped with a warning.
pub fn notes_json(posts: Vec<Post>, page: &Page, opts: &translate::Options) -> Value {
    let notes: Vec<Value> = posts
        .iter()
        .filter(|post| !post.deleted())
        .filter_map(|post| match post_to_note(post, None, opts) {
            Ok(note) => serde_json::to_value(note).ok(),
            Err(error) => {
                tracing::warn!(%error, "misskey REST: dropping an untranslatable post");
                None
            }
        })
        .collect();
    Value::Array(page.order(notes))
}

/// One post as a Note JSON value.
fn note_json(post: &Post, parent: Option<&Post>, call: &Call<'_>) -> Result<Value, RestError> {
    let note = post_to_note(post, parent, &call.ctx.translate)?;
    serde_json::to_value(note).map_err(|error| RestError::internal(&error.to_string()))
}

/// A paginated post list at `path` (timelines, mentions, a user's notes), with raws (for
/// `files`). `withRenotes: false` drops reposts and `withFiles: true` keeps only posts with
/// photos, after the page is read (such a page may be short, as with `allowPartial`).
pub async fn post_list(
    call: &Call<'_>,
    path: &str,
    needs_token: bool,
    missing: Missing,
) -> Result<Reply, RestError> {
    if needs_token {
        call.token()?;
    }
    let page = call.params.page()?;
    let with_renotes = call.params.flag("withRenotes", true)?;
    let with_files = call.params.flag("withFiles", false)?;
    let mut query = page.pnut_query();
    query.push(("include_deleted", "0".to_owned()));
    query.push(("include_post_raw", "1".to_owned()));
    let mut posts: Vec<Post> = call.get(path, &borrow_query(&query), missing).await?;
    posts.retain(|post| {
        (with_renotes || post.repost_of.is_none()) && (!with_files || has_photos(post))
    });
    Ok(Reply::Json(notes_json(posts, &page, &call.ctx.translate)))
}

/// Whether a post (or the post it reposts) carries oembed photos (a Note's `files`).
fn has_photos(post: &Post) -> bool {
    let own = post
        .raw
        .as_ref()
        .is_some_and(|raw| !oembeds(raw).is_empty());
    own || post.repost_of.as_deref().is_some_and(has_photos)
}

/// `notes/timeline`, `notes/hybrid-timeline`, `notes/{global,local}-timeline`,
/// `notes/mentions`: the pnut stream at `path`.
pub async fn timeline(call: &Call<'_>, path: &str, needs_token: bool) -> Result<Reply, RestError> {
    post_list(call, path, needs_token, Missing::Other).await
}

/// `GET /posts/{id}`; a deleted post is `NO_SUCH_NOTE`.
async fn fetch_post(call: &Call<'_>, id: &str) -> Result<Post, RestError> {
    let post: Post = call
        .get(
            &format!("/posts/{id}"),
            &[("include_post_raw", "1")],
            Missing::Note,
        )
        .await?;
    if post.deleted() {
        return Err(RestError::no_such_note());
    }
    Ok(post)
}

/// `notes/show`: the post, with its parent as `reply` when it can be read.
pub async fn show(call: &Call<'_>) -> Result<Reply, RestError> {
    let id = call.params.note_id("noteId")?;
    let post = fetch_post(call, &id).await?;
    let parent = match post.reply_to.as_deref() {
        Some(parent_id) => fetch_post(call, parent_id).await.ok(),
        None => None,
    };
    Ok(Reply::Json(note_json(&post, parent.as_ref(), call)?))
}

/// The (non-repost) posts of the thread `id` belongs to, newest first.
async fn thread(call: &Call<'_>, id: &str) -> Result<Vec<Post>, RestError> {
    let mut posts: Vec<Post> = call
        .get(
            &format!("/posts/{id}/thread"),
            &[
                ("count", THREAD_COUNT),
                ("include_deleted", "0"),
                ("include_post_raw", "1"),
            ],
            Missing::Note,
        )
        .await?;
    posts.sort_by(|a, b| cmp_decimal(&b.id, &a.id).unwrap_or(Ordering::Equal));
    Ok(posts)
}

/// `notes/children`: the direct replies of `noteId`, paginated locally.
pub async fn children(call: &Call<'_>) -> Result<Reply, RestError> {
    let id = call.params.note_id("noteId")?;
    let page = call.params.page()?;
    let after = |post: &Post, bound: &Option<String>, wanted: Ordering| {
        bound
            .as_deref()
            .is_none_or(|bound| cmp_decimal(&post.id, bound) == Some(wanted))
    };
    let replies: Vec<Post> = thread(call, &id)
        .await?
        .into_iter()
        .filter(|post| post.reply_to.as_deref() == Some(id.as_str()))
        .filter(|post| after(post, &page.since, Ordering::Greater))
        .filter(|post| after(post, &page.until, Ordering::Less))
        .collect();
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let chosen: Vec<Post> = if page.oldest_first() {
        let skip = replies.len().saturating_sub(limit);
        replies.into_iter().skip(skip).collect()
    } else {
        replies.into_iter().take(limit).collect()
    };
    Ok(Reply::Json(notes_json(chosen, &page, &call.ctx.translate)))
}

/// `notes/conversation`: the ancestors of `noteId`, parent first (at most `limit`).
pub async fn conversation(call: &Call<'_>) -> Result<Reply, RestError> {
    let id = call.params.note_id("noteId")?;
    let limit = usize::try_from(call.params.page()?.limit).unwrap_or(usize::MAX);
    let post = fetch_post(call, &id).await?;
    let posts = thread(call, &id).await?;
    let mut ancestors = Vec::new();
    let mut next = post.reply_to.clone();
    while let Some(parent_id) = next {
        if ancestors.len() >= limit {
            break;
        }
        let Some(parent) = posts.iter().find(|p| p.id == parent_id) else {
            break;
        };
        next = parent.reply_to.clone();
        if !parent.deleted() {
            ancestors.push(note_json(parent, None, call)?);
        }
    }
    Ok(Reply::Json(Value::Array(ancestors)))
}

/// `notes/create` → `{"createdNote": Note}`: a pure renote (`renoteId` without text) is a
/// pnut repost; anything else is `POST /posts` (`cw` becomes the first line and `is_nsfw`,
/// `replyId` → `reply_to`). A quote's `renoteId` has no pnut counterpart and is dropped;
/// visibilities that are not bridged and `channelId` are refused (`INVALID_PARAM`).
pub async fn create(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let params = &call.params;
    let text = params.string("text")?.filter(|t| !t.trim().is_empty());
    let cw = params.string("cw")?;
    let reply_to = params.pnut_id("replyId", RestError::no_such_note)?;
    let renote = params.pnut_id("renoteId", RestError::no_such_note)?;
    check_audience(call)?;
    let created = match (text, renote) {
        (None, Some(original)) => repost(call, &original).await?,
        (None, None) => return Err(RestError::invalid_param("text", "text is required")),
        (Some(text), _) => {
            let request = PostRequest {
                text: translate::content::join_cw(cw, Some(text)),
                reply_to,
                is_nsfw: cw.map(|_| true),
                ..PostRequest::default()
            };
            let body = serde_json::to_value(&request)
                .map_err(|error| RestError::internal(&error.to_string()))?;
            call.write::<Post>(Method::POST, "/posts", Some(&body), Missing::Note)
                .await?
                .ok_or_else(|| RestError::internal("pnut created no post"))?
        }
    };
    Ok(Reply::Json(
        json!({"createdNote": note_json(&created, None, call)?}),
    ))
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

/// `notes/reactions/create` (`on`) / `delete`: bookmark / unbookmark → 204. Any reaction is
/// a bookmark.
pub async fn bookmark(call: &Call<'_>, on: bool) -> Result<Reply, RestError> {
    call.token()?;
    let id = call.params.note_id("noteId")?;
    if on {
        call.params.required_string("reaction")?;
    }
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
