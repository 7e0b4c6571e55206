//! `POST /polls`, `GET /polls/{id}`, `PUT /polls/{id}/response` (JSON `{"positions": [..]}`)
//! and `PUT /polls/{id}/response/{position}`, and the `+io.pnut.core.poll` replacement value
//! a new post's `io.pnut.core.poll-notice` raw carries. A poll that is neither public nor the
//! caller's needs `?poll_token=` (404 without it, as pnut hides it).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::Value;

use super::{ApiError, Caller, Params, parse_id, respond};
use crate::pnut::{Meta, POLL_NOTICE_RAW_TYPE, PollNotice, PollRequest, Raw};
use crate::sim::pnut::Shared;
use crate::sim::pnut::polls::{NewPoll, poll_token, render_poll};
use crate::sim::pnut::world::{World, pnut_time};

/// `POST /polls` → 201 Poll (with its `poll_token`).
pub async fn create(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    axum::Json(body): axum::Json<Value>,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let request: PollRequest = serde_json::from_value(body)
        .map_err(|error| ApiError::new(400, format!("Invalid poll: {error}")))?;
    let options = request
        .options
        .iter()
        .map(|option| {
            option
                .get("text")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| ApiError::new(400, "Invalid poll: option text is required"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut world = shared.world.lock().await;
    let id = world.create_poll(
        me,
        NewPoll {
            kind: request.kind,
            prompt: request.prompt,
            options,
            duration: request.duration,
            max_options: request.max_options,
            is_anonymous: request.is_anonymous,
            is_public: request.is_public,
        },
    )?;
    let rec = world
        .polls
        .get(&id)
        .ok_or_else(|| ApiError::not_found("poll"))?;
    Ok(respond(
        201,
        Meta::default(),
        render_poll(&world, rec, Some(me), true),
    ))
}

/// `GET /polls/{id}` → Poll.
pub async fn show(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let world = shared.world.lock().await;
    let id = readable(&world, caller, &id, &params)?;
    let rec = world
        .polls
        .get(&id)
        .ok_or_else(|| ApiError::not_found("poll"))?;
    Ok(respond(
        200,
        Meta::default(),
        render_poll(&world, rec, caller.user_id, false),
    ))
}

/// `PUT /polls/{id}/response` with `{"positions": [1, ..]}` → Poll.
pub async fn respond_positions(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<Params>,
    axum::Json(body): axum::Json<Value>,
) -> Result<Response, ApiError> {
    let positions = body
        .get("positions")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::new(400, "positions is required"))?
        .iter()
        .map(|p| {
            p.as_u64()
                .or_else(|| p.as_str().and_then(|s| s.parse().ok()))
                .and_then(|p| u32::try_from(p).ok())
                .ok_or_else(|| ApiError::new(400, "invalid position"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    answer(shared, caller, &id, &params, &positions).await
}

/// `PUT /polls/{id}/response/{position}` → Poll.
pub async fn respond_one(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path((id, position)): Path<(String, String)>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let position: u32 = position
        .parse()
        .map_err(|_| ApiError::new(400, "invalid position"))?;
    answer(shared, caller, &id, &params, &[position]).await
}

async fn answer(
    shared: Arc<Shared>,
    caller: Caller,
    id: &str,
    params: &Params,
    positions: &[u32],
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let mut world = shared.world.lock().await;
    let id = readable(&world, caller, id, params)?;
    world.respond_poll(me, id, positions)?;
    let rec = world
        .polls
        .get(&id)
        .ok_or_else(|| ApiError::not_found("poll"))?;
    Ok(respond(
        200,
        Meta::default(),
        render_poll(&world, rec, Some(me), false),
    ))
}

/// The poll id, when the caller may read it (404 otherwise).
fn readable(world: &World, caller: Caller, id: &str, params: &Params) -> Result<u64, ApiError> {
    let id = parse_id(id, "poll")?;
    let token = params.get("poll_token").map(String::as_str);
    world
        .polls
        .get(&id)
        .filter(|rec| rec.readable(caller.user_id, token))
        .map(|rec| rec.id)
        .ok_or_else(|| ApiError::not_found("poll"))
}

/// Expands `+io.pnut.core.poll` replacement values (`{poll_id, poll_token}`) in a new post's
/// `io.pnut.core.poll-notice` raw into the notice (`poll_id`, `poll_token`, `prompt`,
/// `closed_at`), as pnut does; a wrong id or token, or another user's poll, is 400.
pub fn expand_poll_notices(world: &World, me: u64, raw: &mut Option<Raw>) -> Result<(), ApiError> {
    let Some(items) = raw
        .as_mut()
        .and_then(|raw| raw.get_mut(POLL_NOTICE_RAW_TYPE))
    else {
        return Ok(());
    };
    for item in items.iter_mut() {
        let Some(replacement) = item.get("+io.pnut.core.poll") else {
            continue;
        };
        let id = replacement
            .get("poll_id")
            .and_then(Value::as_str)
            .and_then(|id| id.parse::<u64>().ok());
        let token = replacement.get("poll_token").and_then(Value::as_str);
        let rec = id
            .and_then(|id| world.polls.get(&id))
            .filter(|rec| rec.user_id == me && Some(poll_token(rec.id).as_str()) == token)
            .ok_or_else(|| ApiError::new(400, "Invalid poll_id or poll_token"))?;
        let notice = PollNotice {
            poll_id: rec.id.to_string(),
            poll_token: poll_token(rec.id),
            prompt: Some(rec.prompt.clone()),
            closed_at: Some(pnut_time(&rec.closed_at)),
        };
        *item =
            serde_json::to_value(notice).map_err(|error| ApiError::new(500, error.to_string()))?;
    }
    Ok(())
}
