//! Muting, blocking, search and profile routes: `PUT`/`DELETE /users/{id}/mute|block`,
//! `GET /users/me/muted|blocked`, `GET /users/search?q=`, `GET /posts/search?q=`,
//! `PATCH /users/me` (`name`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::Value;

use super::super::Shared;
use super::super::render;
use super::posts::post_page;
use super::{ApiError, Caller, Params, paginate, respond};
use crate::pnut::Meta;

/// Which relation a route manages.
#[derive(Clone, Copy)]
enum Kind {
    Mute,
    Block,
}

async fn set(
    shared: Arc<Shared>,
    caller: Caller,
    reference: String,
    kind: Kind,
    on: bool,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let mut world = shared.world.lock().await;
    let id = world
        .resolve_user(&reference, Some(me))
        .ok_or_else(|| ApiError::not_found("user"))?;
    if id == me {
        return Err(ApiError::new(400, "You cannot do that to yourself"));
    }
    let seq = world.next_id();
    let map = match kind {
        Kind::Mute => &mut world.mutes,
        Kind::Block => &mut world.blocks,
    };
    if on {
        map.entry((me, id)).or_insert(seq);
    } else {
        map.remove(&(me, id));
    }
    let user = render::user(&world, id, Some(me)).ok_or_else(|| ApiError::not_found("user"))?;
    Ok(respond(200, Meta::default(), user))
}

/// `PUT /users/{id}/mute`.
pub async fn mute(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    set(shared, caller, reference, Kind::Mute, true).await
}

/// `DELETE /users/{id}/mute`.
pub async fn unmute(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    set(shared, caller, reference, Kind::Mute, false).await
}

/// `PUT /users/{id}/block`.
pub async fn block(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    set(shared, caller, reference, Kind::Block, true).await
}

/// `DELETE /users/{id}/block`.
pub async fn unblock(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(reference): Path<String>,
) -> Result<Response, ApiError> {
    set(shared, caller, reference, Kind::Block, false).await
}

async fn list(
    shared: Arc<Shared>,
    caller: Caller,
    params: Params,
    kind: Kind,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let world = shared.world.lock().await;
    let map = match kind {
        Kind::Mute => &world.mutes,
        Kind::Block => &world.blocks,
    };
    let keyed = map
        .iter()
        .filter(|((owner, _), _)| *owner == me)
        .map(|(&(_, user), &seq)| (seq, user))
        .collect();
    let (page, meta) = paginate(keyed, &params);
    let users: Vec<_> = page
        .into_iter()
        .filter_map(|(seq, id)| {
            let mut user = render::user(&world, id, Some(me))?;
            user.pagination_id = Some(seq.to_string());
            Some(user)
        })
        .collect();
    Ok(respond(200, meta, users))
}

/// `GET /users/me/muted`.
pub async fn muted(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    list(shared, caller, params, Kind::Mute).await
}

/// `GET /users/me/blocked`.
pub async fn blocked(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    list(shared, caller, params, Kind::Block).await
}

/// The lower-cased `q` (400 when missing or empty).
fn query(params: &Params) -> Result<String, ApiError> {
    params
        .get("q")
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty())
        .ok_or_else(|| ApiError::new(400, "Missing parameter: q"))
}

/// `GET /users/search?q=`: users whose username or name contains `q`.
pub async fn search_users(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let q = query(&params)?;
    let world = shared.world.lock().await;
    let keyed = world
        .users
        .values()
        .filter(|u| u.username.to_lowercase().contains(&q) || u.name.to_lowercase().contains(&q))
        .map(|u| (u.id, u.id))
        .collect();
    let (page, meta) = paginate(keyed, &params);
    let users: Vec<_> = page
        .into_iter()
        .filter_map(|(_, id)| render::user(&world, id, caller.user_id))
        .collect();
    Ok(respond(200, meta, users))
}

/// `GET /posts/search?q=`: live posts whose text contains `q`.
pub async fn search_posts(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let q = query(&params)?;
    let world = shared.world.lock().await;
    let ids = world
        .posts
        .values()
        .filter(|p| !p.deleted && p.text.to_lowercase().contains(&q))
        .map(|p| p.id)
        .collect();
    let (page, meta) = post_page(&world, ids, &params, caller.user_id);
    Ok(respond(200, meta, page))
}

/// `PATCH /users/me` (JSON): `name` changes the display name (a token event follows).
pub async fn update_me(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let mut world = shared.world.lock().await;
    if let Some(name) = body.get("name").and_then(Value::as_str) {
        world.update_profile(me, name.to_owned())?;
    }
    let user = render::user(&world, me, Some(me)).ok_or_else(|| ApiError::not_found("user"))?;
    Ok(respond(200, Meta::default(), user))
}
