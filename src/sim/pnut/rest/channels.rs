//! Channel, message, file and system routes.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::json;

use super::super::Shared;
use super::super::hub::SubTarget;
use super::super::ops::{MAX_MESSAGE_CHARS, MAX_POST_CHARS};
use super::super::render;
use super::super::world::{ChannelRec, World};
use super::{
    ApiError, Caller, Params, check_subscription, flag, paginate, parse_id, raw_flags, respond,
    subscribe,
};
use crate::pnut::{MessageRequest, Meta};

fn readable_channel(world: &World, raw_id: &str, viewer: Option<u64>) -> Result<u64, ApiError> {
    let id = parse_id(raw_id, "channel")?;
    let channel = world
        .channels
        .get(&id)
        .ok_or_else(|| ApiError::not_found("channel"))?;
    if !world.can_read_channel(channel, viewer) {
        return Err(ApiError::new(403, "You may not read this channel"));
    }
    Ok(id)
}

/// `GET /channels/{id}`.
pub async fn show(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let keep_raw = raw_flags(&params).channel;
    let world = shared.world.lock().await;
    let id = readable_channel(&world, &id, caller.user_id)?;
    let channel = world
        .channels
        .get(&id)
        .map(|rec| render::channel_raw(render::channel(&world, rec, caller.user_id), keep_raw))
        .ok_or_else(|| ApiError::not_found("channel"))?;
    Ok(respond(200, Meta::default(), channel))
}

/// `GET /channels/{id}/messages` (subscribable).
pub async fn messages(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let mut world = shared.world.lock().await;
    let id = readable_channel(&world, &id, caller.user_id)?;
    check_subscription(&world, caller, &params)?;
    let include_deleted = flag(&params, "include_deleted", true);
    let keyed = world
        .messages
        .values()
        .filter(|m| m.channel_id == id && (include_deleted || !m.deleted))
        .map(|m| (m.id, m.id))
        .collect();
    let (page, mut meta) = paginate(keyed, &params);
    let messages: Vec<_> = page
        .into_iter()
        .filter_map(|(_, mid)| world.messages.get(&mid))
        .map(|rec| {
            let mut message = render::message(&world, rec, caller.user_id);
            message.pagination_id = Some(rec.id.to_string());
            message
        })
        .collect();
    meta.subscription_id = subscribe(&mut world, caller, &params, SubTarget::ChannelMessages(id))?;
    Ok(respond(200, meta, messages))
}

/// `POST /channels/{id}/messages` (JSON) → 201 Message.
pub async fn create_message(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let request: MessageRequest = serde_json::from_slice(&body)
        .map_err(|error| ApiError::new(400, format!("Invalid JSON body: {error}")))?;
    let reply_to = request
        .reply_to
        .map(|id| parse_id(&id, "reply_to message"))
        .transpose()?;
    let mut world = shared.world.lock().await;
    let channel_id = if id == "pm" {
        pm_channel(
            &mut world,
            me,
            request.destinations.as_deref().unwrap_or_default(),
        )?
    } else {
        parse_id(&id, "channel")?
    };
    let message_id = world.create_message(me, channel_id, request.text, reply_to)?;
    let message = world
        .messages
        .get(&message_id)
        .map(|rec| render::message(&world, rec, Some(me)))
        .ok_or_else(|| ApiError::not_found("message"))?;
    Ok(respond(201, Meta::default(), message))
}

/// `POST /channels/pm/messages`: the PM channel of the sender and `destinations` (user ids
/// or `@usernames`), created when none has exactly these members.
fn pm_channel(world: &mut World, me: u64, destinations: &[String]) -> Result<u64, ApiError> {
    if destinations.is_empty() {
        return Err(ApiError::new(400, "destinations are required"));
    }
    let mut members = std::collections::BTreeSet::from([me]);
    for destination in destinations {
        let user = world
            .resolve_user(destination, Some(me))
            .ok_or_else(|| ApiError::not_found("user"))?;
        members.insert(user);
    }
    let existing = world
        .channels
        .values()
        .find(|c| c.kind == "io.pnut.core.pm" && c.members == members)
        .map(|c| c.id);
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = world.next_id();
    world.channels.insert(
        id,
        ChannelRec {
            id,
            kind: "io.pnut.core.pm".into(),
            name: None,
            owner: None,
            created_at: chrono::Utc::now(),
            members,
        },
    );
    Ok(id)
}

/// `DELETE /channels/{id}/messages/{message_id}` → 200 deleted Message.
pub async fn delete_message(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path((channel_id, message_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let channel_id = parse_id(&channel_id, "channel")?;
    let message_id = parse_id(&message_id, "message")?;
    let mut world = shared.world.lock().await;
    if world
        .messages
        .get(&message_id)
        .is_none_or(|m| m.channel_id != channel_id)
    {
        return Err(ApiError::not_found("message"));
    }
    world.delete_message(me, message_id)?;
    let message = world
        .messages
        .get(&message_id)
        .map(|rec| render::message(&world, rec, Some(me)))
        .ok_or_else(|| ApiError::not_found("message"))?;
    Ok(respond(200, Meta::default(), message))
}

/// `GET /channels/{id}/subscribers` (subscribable: channel subscription events).
pub async fn subscribers(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let mut world = shared.world.lock().await;
    let id = readable_channel(&world, &id, caller.user_id)?;
    check_subscription(&world, caller, &params)?;
    let members: Vec<(u64, u64)> = world
        .channels
        .get(&id)
        .map(|c| c.members.iter().map(|m| (*m, *m)).collect())
        .unwrap_or_default();
    let (page, mut meta) = paginate(members, &params);
    let users: Vec<_> = page
        .into_iter()
        .filter_map(|(_, uid)| render::user(&world, uid, caller.user_id))
        .collect();
    meta.subscription_id = subscribe(
        &mut world,
        caller,
        &params,
        SubTarget::ChannelSubscribers(id),
    )?;
    Ok(respond(200, meta, users))
}

/// `GET /users/me/channels/subscribed` (subscribable) with `meta.unread_counts`.
pub async fn subscribed(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let me = caller.require()?;
    let keep_raw = raw_flags(&params).channel;
    let mut world = shared.world.lock().await;
    check_subscription(&world, caller, &params)?;
    let keyed = world
        .channels
        .values()
        .filter(|c| c.members.contains(&me))
        .map(|c| (c.id, c.id))
        .collect();
    let (page, mut meta) = paginate(keyed, &params);
    let channels: Vec<_> = page
        .into_iter()
        .filter_map(|(_, cid)| world.channels.get(&cid))
        .map(|rec| {
            let mut channel = render::channel_raw(render::channel(&world, rec, Some(me)), keep_raw);
            channel.pagination_id = Some(rec.id.to_string());
            channel
        })
        .collect();
    let mut unread = BTreeMap::new();
    for channel in world.channels.values().filter(|c| c.members.contains(&me)) {
        unread.entry(channel.kind.clone()).or_insert(0);
    }
    meta.unread_counts = Some(unread);
    meta.subscription_id = subscribe(&mut world, caller, &params, SubTarget::SubscribedChannels)?;
    Ok(respond(200, meta, channels))
}

/// `GET /sys/config`.
pub async fn sys_config(State(shared): State<Arc<Shared>>) -> Response {
    let limits = shared.options.rate_limits;
    let config = json!({
        "post": {"max_length": MAX_POST_CHARS},
        "message": {"max_length": MAX_MESSAGE_CHARS},
        "user": {"username_max_length": 20, "name_max_length": 50},
        "raw": {"max_length": 8192},
        "rate_limits": {
            "authenticated_get": {"limit": limits.authenticated_get.max,
                                  "reset_seconds": limits.authenticated_get.window.as_secs()},
            "write": {"limit": limits.write.max, "reset_seconds": limits.write.window.as_secs()},
            "unauthenticated": {"limit": limits.unauthenticated.max,
                                "reset_seconds": limits.unauthenticated.window.as_secs()},
        },
    });
    respond(200, Meta::default(), config)
}

/// `GET /channels/{id}/messages/{message_id}`.
pub async fn message(
    State(shared): State<Arc<Shared>>,
    caller: Caller,
    Path((channel_id, message_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let world = shared.world.lock().await;
    let channel_id = readable_channel(&world, &channel_id, caller.user_id)?;
    let message_id = parse_id(&message_id, "message")?;
    let message = world
        .messages
        .get(&message_id)
        .filter(|m| m.channel_id == channel_id)
        .map(|rec| render::message(&world, rec, caller.user_id))
        .ok_or_else(|| ApiError::not_found("message"))?;
    Ok(respond(200, Meta::default(), message))
}
