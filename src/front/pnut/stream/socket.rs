//! `GET /v1/user`: the tool's websocket. Hello first, then event frames from the hub; any
//! frame from the tool is keep-alive; silence longer than
//! `timeouts.pnut_front_client_silence` closes the connection (mapping.md §4.1).

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde_json::Map;
use tokio::time::{Instant, sleep_until};

use super::auth::{error_response, presented_token};
use super::registry::{ConnectionPipe, registry};
use crate::front::BridgeContext;
use crate::pnut::hello_frame;
use crate::ratelimit::token_hash;
use crate::upstream::UpstreamError;

/// Close code: normal (silence timeout, deleted connection).
const CLOSE_NORMAL: u16 = 1000;
/// Close code: policy (slow consumer).
const CLOSE_POLICY: u16 = 1008;
/// Assumed average frame size, to turn `limits.outbound_queue` (bytes) into a frame count.
const AVERAGE_FRAME_BYTES: u64 = 4096;

/// The ws URL of this listener's user stream, from the bridge's base URL.
pub fn stream_endpoint(bridge_url: &str) -> String {
    let base = bridge_url.trim_end_matches('/');
    let ws = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    };
    format!("{ws}/v1/user")
}

/// `GET /v1/user`: checks the token upstream (401 envelope when refused), then upgrades.
pub async fn upgrade(
    State(ctx): State<Arc<BridgeContext>>,
    headers: HeaderMap,
    uri: Uri,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Some(presented) = presented_token(&headers, uri.query()) else {
        return error_response(401, "Call requires authentication: token required");
    };
    let Some(token) = ctx.upstream_token(&presented) else {
        return error_response(401, "Token is not valid");
    };
    match ctx
        .misskey
        .read::<serde_json::Value>(&token, "i", Map::new())
        .await
    {
        Ok(_) => {}
        Err(UpstreamError::Status { status, .. }) if status == 401 || status == 403 => {
            return error_response(401, "Token is not valid");
        }
        Err(error) => {
            tracing::warn!(token = %token_hash(&token), %error, "pnut user stream: token check failed");
            return error_response(503, "the Misskey upstream is unavailable");
        }
    }
    match ws {
        Ok(ws) => ws
            .read_buffer_size(crate::front::CLIENT_READ_BUFFER)
            .on_upgrade(move |socket| run(ctx, token, socket)),
        Err(_) => error_response(400, "A websocket upgrade is required"),
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

async fn run(ctx: Arc<BridgeContext>, token: String, mut socket: WebSocket) {
    let max_bytes = ctx.config.limits.outbound_queue.as_u64();
    let frames = (max_bytes / AVERAGE_FRAME_BYTES).clamp(16, 4096);
    let (pipe, mut frames_rx) = ConnectionPipe::new(frames as usize, max_bytes);
    let control = pipe.clone();
    let registry = registry(&ctx);
    let Some(connection_id) = registry.open(token, pipe).await else {
        close(&mut socket, 1011, "registry unavailable").await;
        return;
    };
    let hello = hello_frame(stream_endpoint(&ctx.bridge_url), connection_id.clone());
    let sent = match serde_json::to_string(&hello) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => false,
    };
    let silence = ctx.config.timeouts.pnut_front_client_silence;
    let mut deadline = Instant::now() + silence;
    if !sent {
        registry.closed(connection_id).await;
        return;
    }
    loop {
        tokio::select! {
            frame = frames_rx.recv() => {
                let Some(text) = frame else { break };
                control.sent(text.len());
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => deadline = Instant::now() + silence,
            },
            () = control.closing() => {
                if control.is_slow() {
                    close(&mut socket, CLOSE_POLICY, "slow consumer").await;
                } else {
                    close(&mut socket, CLOSE_NORMAL, "connection deleted").await;
                }
                break;
            }
            () = sleep_until(deadline) => {
                close(&mut socket, CLOSE_NORMAL, "timeout").await;
                break;
            }
        }
    }
    registry.closed(connection_id).await;
}
