//! The `/streaming` websocket (misskey.md §1–§2): upgrade with token check, liveness pings,
//! and the client messages `connect`, `disconnect`, `channel`/`ch`, `subNote`/`s`/`sr`,
//! `unsubNote`/`un`, `readNotification`. Bad frames are dropped silently.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::ws::{
    Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection,
};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value};
use tokio::time::{Instant, interval_at};

use super::Shared;
use super::hub::{
    ChannelConnection, ChannelKind, MAX_CHANNEL_CONNECTIONS, TimelineParams, connected_frame,
};
use super::ops;
use super::world::World;
use crate::misskey::{ClientMessage, ConnectBody, parse_client_message};

/// Real Misskey channels this simulator accepts but does not feed, with their `cred` flag.
const INERT_CHANNELS: [(&str, bool); 11] = [
    ("userList", false),
    ("hashtag", false),
    ("roleTimeline", false),
    ("antenna", true),
    ("serverStats", false),
    ("queueStats", false),
    ("admin", true),
    ("chatUser", true),
    ("chatRoom", true),
    ("reversi", true),
    ("reversiGame", false),
];

/// The token of a request: `Authorization: Bearer` first, else `?i=`.
fn request_token(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    {
        return Some(bearer.to_string());
    }
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(key, _)| key == "i")
        .map(|(_, value)| value.into_owned())
}

/// A bodiless response with one optional extra header.
fn bare(status: StatusCode, extra: Option<(header::HeaderName, &'static str)>) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    if let Some((name, value)) = extra {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    response
}

/// `GET /streaming`: 503 without upgrade, 401 on an unknown token, else the websocket.
pub async fn upgrade(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(upgrade) = upgrade else {
        return bare(
            StatusCode::SERVICE_UNAVAILABLE,
            Some((header::CACHE_CONTROL, "private, max-age=0")),
        );
    };
    let user_id = match request_token(&headers, query.as_deref()) {
        None => None,
        Some(token) => {
            let world = shared.world.lock().await;
            match world.user_by_token(&token) {
                Some(user) => Some(user.id.clone()),
                None => {
                    return bare(
                        StatusCode::UNAUTHORIZED,
                        Some((
                            header::WWW_AUTHENTICATE,
                            r#"Bearer realm="Misskey", error="invalid_token", error_description="Failed to authenticate""#,
                        )),
                    );
                }
            }
        }
    };
    upgrade.on_upgrade(move |socket| run_socket(shared, socket, user_id))
}

/// Drives one socket until it closes, is dropped by the hub, or stops answering pings.
async fn run_socket(shared: Arc<Shared>, socket: WebSocket, user_id: Option<String>) {
    let ends = shared.world.lock().await.hub.register(user_id);
    let key = ends.key;
    let mut outbound = ends.outbound;
    let mut killed = ends.killed;
    let (mut sink, mut incoming) = socket.split();
    let mut stall = shared.stall.subscribe();
    let period = shared.options.ping_interval;
    let silence_limit = shared.options.stream_silence_timeout;
    let mut pings = interval_at(Instant::now() + period, period);
    let mut last_pong = Instant::now();
    loop {
        tokio::select! {
            _ = &mut killed => {
                let _ = sink.send(Message::Close(None)).await;
                break;
            }
            frame = outbound.recv() => {
                let Some(frame) = frame else {
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                };
                if sink.send(Message::Text(frame.into())).await.is_err() {
                    break;
                }
            }
            // A stalled server is hung: it reads nothing, so it answers no ping either.
            Ok(()) = stall.changed() => {}
            message = incoming.next(), if !*stall.borrow() => match message {
                Some(Ok(Message::Text(text))) => handle_text(&shared, key, text.as_str()).await,
                Some(Ok(Message::Binary(bytes))) => {
                    if let Ok(text) = std::str::from_utf8(&bytes) {
                        handle_text(&shared, key, text).await;
                    }
                }
                Some(Ok(Message::Pong(_))) => last_pong = Instant::now(),
                Some(Ok(Message::Ping(_))) => {}
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            },
            _ = pings.tick() => {
                if *stall.borrow() {
                    continue;
                }
                if last_pong.elapsed() > silence_limit {
                    tracing::debug!(socket = key, "no pong in time; terminating the stream");
                    break;
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
        }
    }
    shared.world.lock().await.hub.unregister(key);
}

/// Handles one inbound text frame; anything malformed is dropped silently (§1.3).
async fn handle_text(shared: &Shared, key: u64, text: &str) {
    let Ok(message) = parse_client_message(text) else {
        return;
    };
    let mut world = shared.world.lock().await;
    match message {
        ClientMessage::Connect(body) => connect(&mut world, key, &body),
        ClientMessage::Disconnect { id } => {
            if let Some(socket) = world.hub.socket_mut(key) {
                socket.channels.retain(|c| c.id != id);
            }
        }
        ClientMessage::SubNote { id } | ClientMessage::SubNoteRead { id } => {
            if let Some(socket) = world.hub.socket_mut(key) {
                *socket.captures.entry(id).or_insert(0) += 1;
            }
        }
        ClientMessage::UnsubNote { id } => {
            if let Some(socket) = world.hub.socket_mut(key)
                && let Some(count) = socket.captures.get_mut(&id)
            {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    socket.captures.remove(&id);
                }
            }
        }
        ClientMessage::ReadNotification => {
            if let Some(user_id) = world.hub.socket(key).and_then(|s| s.user_id.clone()) {
                ops::read_all_notifications(&mut world, &user_id);
            }
        }
        // `channel`/`ch`: none of the simulated channels accepts messages; unknown types
        // are dropped too.
        ClientMessage::Channel(_) | ClientMessage::Unknown { .. } => {}
    }
}

/// A boolean param, or its default when absent or of the wrong type.
fn flag(params: Option<&Map<String, Value>>, name: &str, default: bool) -> bool {
    params
        .and_then(|p| p.get(name))
        .and_then(Value::as_bool)
        .unwrap_or(default)
}

/// `connect`: creates a channel connection as misskey.md §2 says (silent on every refusal).
fn connect(world: &mut World, key: u64, body: &ConnectBody) {
    if world.ignored_connects > 0 {
        world.ignored_connects -= 1;
        return;
    }
    let (channel, id) = (&body.channel, &body.id);
    let pong = body.pong == Some(true);
    let params = body.params.as_ref();
    let (kind, needs_user) = match channel.as_str() {
        "main" => (ChannelKind::Main, true),
        "homeTimeline" => (ChannelKind::Home, true),
        "hybridTimeline" => (ChannelKind::Hybrid, true),
        "localTimeline" => (ChannelKind::Local, false),
        "globalTimeline" => (ChannelKind::Global, false),
        "drive" => (ChannelKind::Drive, true),
        "channel" => {
            let channel_id = params
                .and_then(|p| p.get("channelId"))
                .and_then(Value::as_str)
                .map(str::to_string);
            (ChannelKind::Channel(channel_id), false)
        }
        other => match INERT_CHANNELS.iter().find(|(name, _)| *name == other) {
            Some((name, cred)) => (ChannelKind::Inert((*name).to_string()), *cred),
            None => return,
        },
    };
    let Some(socket) = world.hub.socket_mut(key) else {
        return;
    };
    if needs_user && socket.user_id.is_none() {
        return;
    }
    socket.channels.retain(|c| &c.id != id);
    let shared_kind = matches!(kind, ChannelKind::Main | ChannelKind::Drive);
    if shared_kind && socket.channels.iter().any(|c| c.kind == kind) {
        return;
    }
    if socket.channels.len() >= MAX_CHANNEL_CONNECTIONS {
        return;
    }
    let defaults = TimelineParams::default();
    let takes_replies = matches!(kind, ChannelKind::Local | ChannelKind::Hybrid);
    socket.channels.push(ChannelConnection {
        id: id.clone(),
        kind,
        params: TimelineParams {
            with_renotes: flag(params, "withRenotes", defaults.with_renotes),
            with_replies: takes_replies && flag(params, "withReplies", defaults.with_replies),
            with_files: flag(params, "withFiles", defaults.with_files),
        },
    });
    if pong {
        world.hub.send(key, connected_frame(id));
    }
}
