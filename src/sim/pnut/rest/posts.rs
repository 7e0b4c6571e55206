//! Post routes: lookup, threads, streams, tags, create/revise/delete, repost, bookmark.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::super::Shared;
use super::super::hub::SubTarget;
use super::super::ops::NewPost;
use super::super::render;
use super::super::world::World;
use super::{
    ApiError, Caller, Params, check_subscription, flag, paginate, parse_id, raw_flags, respond,
    subscribe,
};
use crate::pnut::{Meta, Post, PostRequest, Raw};

/// Paginates post ids and renders the page for `viewer` (honours `include_deleted`).
pub fn post_page(
    world: &World,
    ids: Vec<u64>,
    params: &Params,
    viewer: Option<u64>,
) -> (Vec<Post>, Meta) {
    let include_deleted = flag(params, "include_deleted", true);
    let keep_raw = raw_flags(params).post;
    let keyed = ids
        .into_iter()
        .filter(|id| include_deleted || world.posts.get(id).is_some_and(|p| !p.deleted))
        .map(|id| (id, id))
        .collect();
    let (page, meta) = paginate(keyed, params);
    let posts = page
        .into_iter()
        .filter_map(|(_, id)| world.posts.get(&id))
        .map(|rec| {
            let mut post = render::post_raw(render::post(world, rec, viewer), keep_raw);
            post.pagination_id = Some(rec.id.to_string());
            post
        })
        .collect();
    (posts, meta)
}

/// Parses a post body: JSON (`PostRequest`) or a form with text, reply_to, is_nsfw, raw.
fn parse_post_body(headers: &HeaderMap, body: &Bytes) -> Result<NewPost, ApiError> {
    let is_json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let (text, reply_to, is_nsfw, raw) = if is_json {
        let request: PostRequest = serde_json::from_slice(body)
            .map_err(|error| ApiError::new(400, format!("Invalid JSON body: {error}")))?;
        (
            request.text,
            request.reply_to,
            request.is_nsfw.unwrap_or(false),
            request.raw,
        )
    } else {
        let mut text = String::new();
        let mut reply_to = None;
        let mut is_nsfw = false;
        let mut raw: Option<Raw> = None;
        for (key, value) in url::form_urlencoded::parse(body) {
            match key.as_ref() {
                "text" => text = value.into_owned(),
                "reply_to" => reply_to = Some(value.into_owned()).filter(|v| !v.is_empty()),
                "is_nsfw" => is_nsfw = matches!(value.as_ref(), "1" | "true"),
                "raw" => {
                    raw = Some(serde_json::from_str(&value).map_err(|error| {
                        ApiError::new(400, format!("Wrong type for raw: {error}"))
                    })?)
                }
                _ => {}
            }
        }
        (text, reply_to, is_nsfw, raw)
    };
    let reply_to = reply_to
        .map(|id| {
            id.parse::<u64>()
                .map_err(|_| ApiError::not_found("reply_to post"))
        })
        .transpose()?;
    Ok(NewPost {
        text,
        reply_to,
        is_nsfw,
        raw,
    })
}

fn one_post(
    world: &World,
    id: u64,
    viewer: Option<u64>,
    params: &Params,
) -> Result<Post, ApiError> {
    let keep_raw = raw_flags(params).post;
    let rec = world
        .posts
        .get(&id)
        .ok_or_else(|| ApiError::not_found("post"))?;
    let mut post = render::post_raw(render::post(world, rec, viewer), keep_raw);
    // `include_bookmarked_by` / `include_reposted_by` (pnut's lookup flags).
    let users = |ids: Vec<u64>| {
        ids.into_iter()
            .filter_map(|user| render::user(world, user, viewer))
            .collect::<Vec<_>>()
    };
    if flag(params, "include_bookmarked_by", false) {
        post.bookmarked_by = Some(users(rec.bookmarked_by.iter().copied().collect()));
    }
    if flag(params, "include_reposted_by", false) {
        let reposters = world
            .posts
            .values()
            .filter(|p| p.repost_of == Some(rec.id) && !p.deleted)
            .map(|p| p.user_id)
            .collect();
        post.reposted_by = Some(users(reposters));
    }
    Ok(post)
}

/// `POST /posts` → 201 Post.
pub async fn create(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Query(params): Query<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let mut new = parse_post_body(&headers, &body)?;
    let mut world = shared.world.lock().await;
    super::files::expand_file_oembeds(&world, me, &mut new.raw)?;
    super::polls::expand_poll_notices(&world, me, &mut new.raw)?;
    let id = world.create_post(me, new)?;
    Ok(respond(
        201,
        Meta::default(),
        one_post(&world, id, Some(me), &params)?,
    ))
}

/// `PUT /posts/{id}` (revise) → 201 Post.
pub async fn revise(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let id = parse_id(&id, "post")?;
    let new = parse_post_body(&headers, &body)?;
    let mut world = shared.world.lock().await;
    world.revise_post(me, id, new.text)?;
    Ok(respond(
        201,
        Meta::default(),
        one_post(&world, id, Some(me), &params)?,
    ))
}

/// `DELETE /posts/{id}` → 200 deleted Post.
pub async fn remove(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let id = parse_id(&id, "post")?;
    let mut world = shared.world.lock().await;
    world.delete_post(me, id)?;
    Ok(respond(
        200,
        Meta::default(),
        one_post(&world, id, Some(me), &params)?,
    ))
}

/// `GET /posts/{id}`.
pub async fn show(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "post")?;
    let world = shared.world.lock().await;
    Ok(respond(
        200,
        Meta::default(),
        one_post(&world, id, caller.user_id, &params)?,
    ))
}

/// `GET /posts/{id}/thread` (subscribable).
pub async fn thread(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "post")?;
    let mut world = shared.world.lock().await;
    let thread_id = world
        .posts
        .get(&id)
        .map(|p| p.thread_id)
        .ok_or_else(|| ApiError::not_found("post"))?;
    check_subscription(&world, caller, &params)?;
    let ids = world
        .posts
        .values()
        .filter(|p| p.thread_id == thread_id && p.repost_of.is_none())
        .map(|p| p.id)
        .collect();
    let (page, mut meta) = post_page(&world, ids, &params, caller.user_id);
    meta.subscription_id = subscribe(&mut world, caller, &params, SubTarget::Thread(thread_id))?;
    Ok(respond(200, meta, page))
}

async fn personal(
    shared: Arc<Shared>,
    caller: Caller,
    params: Params,
    unified: bool,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let mut world = shared.world.lock().await;
    check_subscription(&world, caller, &params)?;
    let ids = world
        .posts
        .values()
        .filter(|p| {
            p.user_id == me
                || world.follows(me, p.user_id)
                || (unified && world.post_mentions(p, me))
        })
        .map(|p| p.id)
        .collect();
    let (page, mut meta) = post_page(&world, ids, &params, Some(me));
    let target = if unified {
        SubTarget::StreamUnified
    } else {
        SubTarget::StreamMe
    };
    meta.subscription_id = subscribe(&mut world, caller, &params, target)?;
    Ok(respond(200, meta, page))
}

/// `GET /posts/streams/me` (subscribable).
pub async fn stream_me(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    personal(shared, caller, params, false).await
}

/// `GET /posts/streams/unified` (subscribable).
pub async fn stream_unified(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    personal(shared, caller, params, true).await
}

/// `GET /posts/streams/global` (not subscribable: `connection_id` is ignored).
pub async fn stream_global(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let world = shared.world.lock().await;
    let ids = world.posts.keys().copied().collect();
    let (page, meta) = post_page(&world, ids, &params, caller.user_id);
    Ok(respond(200, meta, page))
}

/// `GET /posts/tags/{tag}`.
pub async fn tagged(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(tag): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let world = shared.world.lock().await;
    let ids = world
        .posts
        .values()
        .filter(|p| {
            render::content(&world, &p.text)
                .entities
                .tags
                .iter()
                .any(|t| t.text.eq_ignore_ascii_case(&tag))
        })
        .map(|p| p.id)
        .collect();
    let (page, meta) = post_page(&world, ids, &params, caller.user_id);
    Ok(respond(200, meta, page))
}

async fn interact(
    shared: Arc<Shared>,
    caller: Caller,
    id: String,
    action: Interaction,
) -> Result<Response, ApiError> {
    let params = Params::new();
    let me = caller.require()?;
    let id = parse_id(&id, "post")?;
    let mut world = shared.world.lock().await;
    let status = match action {
        Interaction::Repost => {
            world.repost(me, id)?;
            201
        }
        Interaction::Unrepost => {
            world.unrepost(me, id)?;
            200
        }
        Interaction::Bookmark(on) => {
            world.bookmark(me, id, on)?;
            200
        }
    };
    Ok(respond(
        status,
        Meta::default(),
        one_post(&world, id, Some(me), &params)?,
    ))
}

enum Interaction {
    Repost,
    Unrepost,
    Bookmark(bool),
}

/// `PUT /posts/{id}/repost` → 201 original Post.
pub async fn repost(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    interact(shared, caller, id, Interaction::Repost).await
}

/// `DELETE /posts/{id}/repost` → 200 original Post.
pub async fn unrepost(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    interact(shared, caller, id, Interaction::Unrepost).await
}

/// `PUT /posts/{id}/bookmark` → 200 Post.
pub async fn bookmark(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    interact(shared, caller, id, Interaction::Bookmark(true)).await
}

/// `DELETE /posts/{id}/bookmark` → 200 Post.
pub async fn unbookmark(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    interact(shared, caller, id, Interaction::Bookmark(false)).await
}

/// The ids of an `?ids=1,2,3` parameter (unparseable entries skipped, at most 200).
pub fn id_list(params: &Params) -> Vec<u64> {
    params
        .get("ids")
        .map(|ids| {
            ids.split(',')
                .filter_map(|id| id.trim().parse().ok())
                .take(200)
                .collect()
        })
        .unwrap_or_default()
}

/// `GET /posts?ids=` (missing ids are skipped; always a list).
pub async fn multi(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let world = shared.world.lock().await;
    let keep_raw = raw_flags(&params).post;
    let posts: Vec<Post> = id_list(&params)
        .into_iter()
        .filter_map(|id| world.posts.get(&id))
        .map(|rec| render::post_raw(render::post(&world, rec, caller.user_id), keep_raw))
        .collect();
    Ok(respond(200, Meta::default(), posts))
}

/// `GET /users/{id}/bookmarks` (own bookmarks only).
pub async fn bookmarks(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(reference): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let world = shared.world.lock().await;
    let user = world
        .resolve_user(&reference, Some(me))
        .ok_or_else(|| ApiError::not_found("user"))?;
    if user != me {
        return Err(ApiError::new(403, "You may only list your own bookmarks"));
    }
    let ids = world
        .posts
        .values()
        .filter(|p| p.bookmarked_by.contains(&me) && !p.deleted)
        .map(|p| p.id)
        .collect();
    let (page, meta) = post_page(&world, ids, &params, Some(me));
    Ok(respond(200, meta, page))
}
