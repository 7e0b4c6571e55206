//! The user-stream websocket `GET /v1/user` on the stream host (pnut-api.md §3.1, §3.4, §3.5).
//!
//! Token from `access_token` and/or `Authorization: Bearer`, as [`StreamTokenPlaces`] allows;
//! a missing or bad token gets a 401 envelope at the upgrade. The hello frame carries `meta.connection_id` and `meta.stream.endpoint`.
//! Any client frame is keep-alive; a text frame is answered with a JSON pong without `data`.
//! Client silence longer than the configured timeout closes the stream.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until};

use super::Shared;
use super::hub::{CloseReason, Opened, RawFlags};
use super::rest::{ApiError, Params, raw_flags, request_token};
use crate::pnut::hello_frame;

/// Close code sent when the client stayed silent too long.
const CLOSE_TIMEOUT: u16 = 1000;
/// Close code sent to a slow consumer (its queue filled up).
const CLOSE_POLICY: u16 = 1008;
/// Close code sent when the stream was deleted or dropped server-side.
const CLOSE_GOING_AWAY: u16 = 1001;

/// Where the stream host looks for the token (pnut.io: the query, as every real client
/// passes it; the header is unconfirmed). Default: both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamTokenPlaces {
    /// `?access_token=` is accepted.
    pub query: bool,
    /// `Authorization: Bearer` is accepted.
    pub header: bool,
}

impl Default for StreamTokenPlaces {
    fn default() -> Self {
        Self {
            query: true,
            header: true,
        }
    }
}

/// The token of an upgrade, looked for only where `places` allows.
fn stream_token(
    places: StreamTokenPlaces,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Option<String> {
    let empty = HeaderMap::new();
    let headers = if places.header { headers } else { &empty };
    let query = if places.query { query } else { None };
    request_token(headers, query)
}

/// `GET /v1/user`: authenticates, then upgrades.
pub async fn upgrade(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let places = shared.options.stream_tokens;
    let Some(token) = stream_token(places, &headers, uri.query()) else {
        return ApiError::new(401, "Call requires authentication: token required").into_response();
    };
    let Some(user_id) = shared.world.lock().await.user_by_token(&token) else {
        return ApiError::new(401, "Token is not valid").into_response();
    };
    let params: Params = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let raw = raw_flags(&params);
    match ws {
        Ok(ws) => ws.on_upgrade(move |socket| run(shared, user_id, raw, socket)),
        Err(_) => ApiError::new(400, "A websocket upgrade is required").into_response(),
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

async fn run(shared: Arc<Shared>, user_id: u64, raw: RawFlags, mut socket: WebSocket) {
    let opened = {
        let mut world = shared.world.lock().await;
        let world = &mut *world;
        world.hub.open(user_id, raw, &mut world.rng)
    };
    let Opened {
        id: connection_id,
        mut frames,
        mut removed,
    } = opened;
    let hello = hello_frame(shared.stream_endpoint.clone(), connection_id.clone());
    let hello_sent = match serde_json::to_string(&hello) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => false,
    };
    if hello_sent {
        serve(&shared, &mut socket, &mut frames, &mut removed).await;
    }
    shared.world.lock().await.hub.close(&connection_id);
}

async fn serve(
    shared: &Shared,
    socket: &mut WebSocket,
    frames: &mut mpsc::Receiver<String>,
    removed: &mut oneshot::Receiver<CloseReason>,
) {
    let silence = shared.options.stream_silence_timeout;
    let mut deadline = Instant::now() + silence;
    let mut stall = shared.stall.subscribe();
    let mut stalled = *stall.borrow();
    loop {
        // Biased: a removal or a stall is seen before any frame queued after it.
        tokio::select! {
            biased;
            reason = &mut *removed => {
                match reason {
                    Ok(CloseReason::SlowConsumer) => {
                        close(socket, CLOSE_POLICY, "slow consumer").await;
                    }
                    Err(_) => close(socket, CLOSE_GOING_AWAY, "stream deleted").await,
                }
                return;
            }
            changed = stall.changed() => {
                if changed.is_err() {
                    return;
                }
                stalled = *stall.borrow();
                deadline = Instant::now() + silence;
            }
            // A stalled server is hung: it reads nothing (so it answers no ping) and times
            // nothing out.
            () = sleep_until(deadline), if !stalled => {
                close(socket, CLOSE_TIMEOUT, "no client message within the keep-alive timeout").await;
                return;
            }
            incoming = socket.recv(), if !stalled => match incoming {
                Some(Ok(Message::Text(_))) => {
                    deadline = Instant::now() + silence;
                    let pong = json!({"meta": {"type": "pong", "timestamp": Utc::now().timestamp()}});
                    if !stalled && socket.send(Message::Text(pong.to_string().into())).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => deadline = Instant::now() + silence,
            },
            frame = frames.recv(), if !stalled => match frame {
                Some(text) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                None => {
                    close(socket, CLOSE_GOING_AWAY, "stream deleted").await;
                    return;
                }
            },
        }
    }
}
