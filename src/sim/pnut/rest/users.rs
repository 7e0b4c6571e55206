//! User routes: lookup, a user's posts and mentions, follower lists, follow/unfollow,
//! `/token`, and user-stream deletion (`DELETE /users/me/streams/...`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::super::Shared;
use super::super::hub::SubTarget;
use super::super::render;
use super::super::world::World;
use super::posts::post_page;
use super::{ApiError, Caller, Params, check_subscription, paginate, respond, subscribe};
use crate::pnut::{Meta, User};

fn resolve(world: &World, reference: &str, caller: Caller) -> Result<u64, ApiError> {
    if reference == "me" {
        caller.require()?;
    }
    world
        .resolve_user(reference, caller.user_id)
        .ok_or_else(|| ApiError::not_found("user"))
}

/// `GET /users/{id|@username|me}`.
pub async fn show(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    let world = shared.world.lock().await;
    let id = resolve(&world, &reference, caller)?;
    let user = render::user(&world, id, caller.user_id).ok_or_else(|| ApiError::not_found("user"))?;
    Ok(respond(200, Meta::default(), user))
}

/// `GET /users/{id}/posts` (subscribable).
pub async fn posts(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(reference): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let mut world = shared.world.lock().await;
    let id = resolve(&world, &reference, caller)?;
    check_subscription(&world, caller, &params)?;
    let ids = world
        .posts
        .values()
        .filter(|p| p.user_id == id)
        .map(|p| p.id)
        .collect();
    let (page, mut meta) = post_page(&world, ids, &params, caller.user_id);
    meta.subscription_id = subscribe(&mut world, caller, &params, SubTarget::UserPosts(id))?;
    Ok(respond(200, meta, page))
}

/// `GET /users/{id}/mentions` (subscribable).
pub async fn mentions_of(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(reference): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let mut world = shared.world.lock().await;
    let id = resolve(&world, &reference, caller)?;
    check_subscription(&world, caller, &params)?;
    let ids = world
        .posts
        .values()
        .filter(|p| world.post_mentions(p, id))
        .map(|p| p.id)
        .collect();
    let (page, mut meta) = post_page(&world, ids, &params, caller.user_id);
    meta.subscription_id = subscribe(&mut world, caller, &params, SubTarget::UserMentions(id))?;
    Ok(respond(200, meta, page))
}

fn follow_list(
    world: &World,
    pairs: Vec<(u64, u64)>,
    params: &Params,
    viewer: Option<u64>,
) -> (Vec<User>, Meta) {
    let (page, meta) = paginate(pairs, params);
    let users = page
        .into_iter()
        .filter_map(|(seq, id)| {
            render::user(world, id, viewer).map(|mut user| {
                user.pagination_id = Some(seq.to_string());
                user
            })
        })
        .collect();
    (users, meta)
}

/// `GET /users/{id}/followers` (subscribable: follow events).
pub async fn followers(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(reference): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let mut world = shared.world.lock().await;
    let id = resolve(&world, &reference, caller)?;
    check_subscription(&world, caller, &params)?;
    let pairs = world
        .follows
        .iter()
        .filter(|f| f.followed == id)
        .map(|f| (f.seq, f.follower))
        .collect();
    let (users, mut meta) = follow_list(&world, pairs, &params, caller.user_id);
    meta.subscription_id = subscribe(&mut world, caller, &params, SubTarget::Followers(id))?;
    Ok(respond(200, meta, users))
}

/// `GET /users/{id}/following` (subscribable: follow events).
pub async fn following(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(reference): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let mut world = shared.world.lock().await;
    let id = resolve(&world, &reference, caller)?;
    check_subscription(&world, caller, &params)?;
    let pairs = world
        .follows
        .iter()
        .filter(|f| f.follower == id)
        .map(|f| (f.seq, f.followed))
        .collect();
    let (users, mut meta) = follow_list(&world, pairs, &params, caller.user_id);
    meta.subscription_id = subscribe(&mut world, caller, &params, SubTarget::Following(id))?;
    Ok(respond(200, meta, users))
}

async fn set_follow(
    shared: Arc<Shared>,
    caller: Caller,
    reference: String,
    on: bool,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let mut world = shared.world.lock().await;
    let id = resolve(&world, &reference, caller)?;
    world.set_follow(me, id, on)?;
    let user = render::user(&world, id, Some(me)).ok_or_else(|| ApiError::not_found("user"))?;
    Ok(respond(200, Meta::default(), user))
}

/// `PUT /users/{id}/follow`.
pub async fn follow(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    set_follow(shared, caller, reference, true).await
}

/// `DELETE /users/{id}/follow`.
pub async fn unfollow(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    set_follow(shared, caller, reference, false).await
}

/// `GET /token` (subscribable: token events).
pub async fn token(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let mut world = shared.world.lock().await;
    check_subscription(&world, caller, &params)?;
    let token = render::token(&world, me);
    let meta = Meta {
        subscription_id: subscribe(&mut world, caller, &params, SubTarget::Token)?,
        ..Meta::default()
    };
    Ok(respond(200, meta, token))
}

/// `DELETE /users/me/streams/{connection_id}` → 204 and the socket closes; unknown → 404.
pub async fn delete_stream(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(connection_id): Path<String>,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    if shared.world.lock().await.hub.close_owned(&connection_id, me) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found("stream"))
    }
}

/// `DELETE /users/me/streams/{connection_id}/{subscription_id}` → 204; unknown → 404.
pub async fn delete_subscription(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path((connection_id, subscription_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let removed = shared
        .world
        .lock()
        .await
        .hub
        .unsubscribe(&connection_id, &subscription_id, me);
    if removed {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found("subscription"))
    }
}
