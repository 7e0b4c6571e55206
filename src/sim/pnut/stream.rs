//! The user-stream websocket `GET /v1/user` (pnut-api.md §3.1, §3.4, §3.5).
//!
//! Token from `access_token` or `Authorization: Bearer`; a bad token gets a 401 envelope at
//! the upgrade. The hello frame carries `meta.connection_id` and `meta.stream.endpoint`.
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
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::Shared;
use super::rest::{ApiError, request_token};
use crate::pnut::hello_frame;

/// Close code sent when the client stayed silent too long.
const CLOSE_TIMEOUT: u16 = 1000;
/// Close code sent when the stream was deleted or dropped server-side.
const CLOSE_GOING_AWAY: u16 = 1001;

/// `GET /v1/user`: authenticates, then upgrades.
pub async fn upgrade(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    uri: Uri,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Some(token) = request_token(&headers, uri.query()) else {
        return ApiError::new(401, "Call requires authentication: token required").into_response();
    };
    let Some(user_id) = shared.world.lock().await.user_by_token(&token) else {
        return ApiError::new(401, "Token is not valid").into_response();
    };
    match ws {
        Ok(ws) => ws.on_upgrade(move |socket| run(shared, user_id, socket)),
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

async fn run(shared: Arc<Shared>, user_id: u64, mut socket: WebSocket) {
    let (connection_id, mut frames): (String, mpsc::Receiver<String>) = {
        let mut world = shared.world.lock().await;
        let world = &mut *world;
        world.hub.open(user_id, &mut world.rng)
    };
    let hello = hello_frame(shared.stream_endpoint.clone(), connection_id.clone());
    let hello_sent = match serde_json::to_string(&hello) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => false,
    };
    if hello_sent {
        serve(&shared, &mut socket, &mut frames).await;
    }
    shared.world.lock().await.hub.close(&connection_id);
}

async fn serve(shared: &Shared, socket: &mut WebSocket, frames: &mut mpsc::Receiver<String>) {
    let silence = shared.options.stream_silence_timeout;
    let mut deadline = Instant::now() + silence;
    let mut stall = shared.stall.subscribe();
    let mut stalled = *stall.borrow();
    loop {
        tokio::select! {
            () = sleep_until(deadline) => {
                close(socket, CLOSE_TIMEOUT, "no client message within the keep-alive timeout").await;
                return;
            }
            incoming = socket.recv() => match incoming {
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
            changed = stall.changed() => {
                if changed.is_err() {
                    return;
                }
                stalled = *stall.borrow();
            }
        }
    }
}
