//! Note reading endpoints over pnut posts: timelines, mentions, show, state, thread views,
//! reactions and favorites (bookmarks), tags (mapping.md §3.3). Writes are in `writes.rs`.

use std::cmp::Ordering;

use serde_json::{Value, json};

use super::call::{Call, Reply};
use super::error::{Missing, RestError};
use super::pages::filled;
use super::params::Page;
use crate::config::BookmarkAs;
use crate::ids::cmp_decimal;
use crate::pnut::{Post, User, oembeds};
use crate::translate::{self, pnut_user_to_lite, post_to_note};

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
pub fn note_json(post: &Post, parent: Option<&Post>, call: &Call<'_>) -> Result<Value, RestError> {
    let note = post_to_note(post, parent, &call.ctx.translate)?;
    serde_json::to_value(note).map_err(|error| RestError::internal(&error.to_string()))
}

/// A paginated post list at `path` (timelines, mentions, a user's notes), with raws (for
/// `files`). `withRenotes: false` drops reposts and `withFiles: true` keeps only posts with
/// photos; such a page is filled from further upstream pages (bounded) up to `limit`.
pub async fn post_list(
    call: &Call<'_>,
    path: &str,
    needs_token: bool,
    missing: Missing,
) -> Result<Reply, RestError> {
    post_list_with(call, path, needs_token, missing, Vec::new()).await
}

/// [`post_list`] with further query parameters on every upstream call.
pub async fn post_list_with(
    call: &Call<'_>,
    path: &str,
    needs_token: bool,
    missing: Missing,
    query: Vec<(&'static str, String)>,
) -> Result<Reply, RestError> {
    if needs_token {
        call.token()?;
    }
    let page = call.params.page()?;
    let with_renotes = call.params.flag("withRenotes", true)?;
    let with_files = call.params.flag("withFiles", false)?;
    let mut extra = query;
    extra.push(("include_deleted", "0".to_owned()));
    extra.push(("include_post_raw", "1".to_owned()));
    let posts = filled(
        call,
        path,
        &page,
        &extra,
        missing,
        post_id,
        |post: &Post| {
            (with_renotes || post.repost_of.is_none()) && (!with_files || has_photos(post))
        },
    )
    .await?;
    Ok(Reply::Json(notes_with_polls(call, posts, &page).await))
}

/// [`notes_json`] with the `poll` of every note whose post announces one (`polls.rs`).
pub async fn notes_with_polls(call: &Call<'_>, posts: Vec<Post>, page: &Page) -> Value {
    let notices = super::polls::notices(&posts);
    let mut notes = notes_json(posts, page, &call.ctx.translate);
    super::polls::attach(call, &notices, &mut notes).await;
    notes
}

fn post_id(post: &Post) -> &str {
    &post.id
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

/// `notes/mentions`: my mentions. pnut posts are all public, so a `visibility` other than
/// `public` (`specified`: direct notes) matches none: `[]` without an upstream call.
pub async fn mentions(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    call.params.page()?;
    match call.params.string("visibility")? {
        None | Some("public") => post_list(call, "/users/me/mentions", true, Missing::Other).await,
        Some("home" | "followers" | "specified") => Ok(Reply::Json(Value::Array(Vec::new()))),
        Some(_) => Err(RestError::invalid_param(
            "visibility",
            "must be one of public, home, followers, specified",
        )),
    }
}

/// `GET /posts/{id}`; a deleted post is `NO_SUCH_NOTE`.
pub async fn fetch_post(call: &Call<'_>, id: &str) -> Result<Post, RestError> {
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
    let notices = super::polls::notices(std::slice::from_ref(&post));
    let mut note = note_json(&post, parent.as_ref(), call)?;
    super::polls::attach(call, &notices, &mut note).await;
    Ok(Reply::Json(note))
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
    let replies: Vec<Post> = thread(call, &id)
        .await?
        .into_iter()
        .filter(|post| post.reply_to.as_deref() == Some(id.as_str()))
        .collect();
    let chosen = page.window(replies, |post| &post.id);
    Ok(Reply::Json(notes_with_polls(call, chosen, &page).await))
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

/// `notes/show-partial-bulk`: `[{id, reactions, reactionEmojis}]` for the posts that exist
/// (`GET /posts?ids=`), as a web client polls them.
pub async fn show_partial_bulk(call: &Call<'_>) -> Result<Reply, RestError> {
    let ids = call
        .params
        .strings("noteIds")?
        .ok_or_else(|| RestError::invalid_param("noteIds", "must have required property"))?;
    if ids.is_empty() || ids.len() > 100 {
        return Err(RestError::invalid_param("noteIds", "must have 1-100 items"));
    }
    let pnut_ids: Vec<String> = ids
        .iter()
        .filter_map(|id| crate::ids::pnut_id_from_misskey(id).ok())
        .collect();
    if pnut_ids.is_empty() {
        return Ok(Reply::Json(Value::Array(Vec::new())));
    }
    let joined = pnut_ids.join(",");
    let posts: Vec<Post> = call
        .get("/posts", &[("ids", joined.as_str())], Missing::Other)
        .await?;
    let diffs = posts
        .iter()
        .filter(|post| !post.deleted())
        .filter_map(|post| note_json(post, None, call).ok())
        .map(|note| json!({"id": note["id"], "reactions": note["reactions"], "reactionEmojis": {}}))
        .collect();
    Ok(Reply::Json(Value::Array(diffs)))
}

/// `notes/state`: `isFavorited` is the pnut bookmark when bookmarks are favorites
/// (`[translate] bookmark_as`), else false; pnut has no thread muting.
pub async fn state(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let id = call.params.note_id("noteId")?;
    let post = fetch_post(call, &id).await?;
    let favorites = call.ctx.config().translate.bookmark_as == BookmarkAs::Favorite;
    Ok(Reply::Json(json!({
        "isFavorited": favorites && post.you_bookmarked == Some(true),
        "isMutedThread": false,
    })))
}

/// `notes/reactions`: the users who bookmarked the post (`GET /posts/{id}` with
/// `include_bookmarked_by`), as reactions of `[translate] bookmark_reaction`, when bookmarks
/// are reactions; a `type` other than that reaction matches none.
pub async fn reactions(call: &Call<'_>) -> Result<Reply, RestError> {
    let id = call.params.note_id("noteId")?;
    let page = call.params.page()?;
    let config = call.ctx.config();
    let reaction = &config.translate.bookmark_reaction;
    let wanted = call
        .params
        .string("type")?
        .is_none_or(|kind| kind == reaction);
    if config.translate.bookmark_as != BookmarkAs::Reaction || !wanted {
        return Ok(Reply::Json(Value::Array(Vec::new())));
    }
    let post: Post = call
        .get(
            &format!("/posts/{id}"),
            &[("include_bookmarked_by", "1")],
            Missing::Note,
        )
        .await?;
    let opts = &call.ctx.translate;
    let users: Vec<User> = post.bookmarked_by.unwrap_or_default();
    let note_id = super::users::client_id(call, &post.id)?;
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let created_at = translate::pnut_date_to_misskey(&post.created_at).unwrap_or_default();
    let items = users
        .iter()
        .filter_map(|user| pnut_user_to_lite(user, opts).ok())
        .take(limit)
        .map(|user| {
            json!({
                "id": format!("{note_id}{}", user.id.trim_start_matches('0')),
                "createdAt": created_at,
                "user": user,
                "type": reaction,
            })
        })
        .collect();
    Ok(Reply::Json(Value::Array(items)))
}

/// `notes/search-by-tag` (`tag`): `GET /posts/tags/{tag}`, paginated.
pub async fn search_by_tag(call: &Call<'_>) -> Result<Reply, RestError> {
    let tag = match call.params.string("tag")? {
        Some(tag) => tag.trim_start_matches('#').to_owned(),
        None => {
            // `query: [["a", "b"]]` (OR of ANDs): its first tag.
            let query = call.params.nested_strings("query")?;
            query
                .into_iter()
                .flatten()
                .next()
                .ok_or_else(|| RestError::invalid_param("tag", "must have required property"))?
        }
    };
    let valid = !tag.is_empty() && tag.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !valid {
        return Ok(Reply::Json(Value::Array(Vec::new())));
    }
    post_list(call, &format!("/posts/tags/{tag}"), false, Missing::Other).await
}

/// `i/favorites`: my bookmarks (`GET /users/me/bookmarks`) as NoteFavorites when bookmarks
/// are favorites (`[translate] bookmark_as`); `[]` when they are reactions.
pub async fn favorites(call: &Call<'_>) -> Result<Reply, RestError> {
    call.token()?;
    let page = call.params.page()?;
    if call.ctx.config().translate.bookmark_as != BookmarkAs::Favorite {
        return Ok(Reply::Json(Value::Array(Vec::new())));
    }
    let extra = [("include_post_raw", "1".to_owned())];
    let posts = filled(
        call,
        "/users/me/bookmarks",
        &page,
        &extra,
        Missing::Other,
        post_id,
        |post: &Post| !post.deleted(),
    )
    .await?;
    let mut items = Vec::new();
    for post in &posts {
        let note = note_json(post, None, call)?;
        items.push(json!({
            "id": note["id"], "createdAt": note["createdAt"],
            "noteId": note["id"], "note": note,
        }));
    }
    Ok(Reply::Json(Value::Array(page.order(items))))
}
