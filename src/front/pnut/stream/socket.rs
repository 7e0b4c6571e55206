//! `GET /v1/user`: the tool's websocket. Hello first, then event frames from the hub; any
//! frame from the tool is keep-alive; silence longer than
//! `timeouts.pnut_front_client_silence` closes the connection (mapping.md §4.1).

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use futures_util::StreamExt;
use serde_json::Map;
use tokio::time::{Instant, sleep_until};

use super::auth::{error_response, presented_token};
use super::fleet::{StreamPlace, place_stream};
use super::hub;
use super::registry::registry;
use crate::cluster::pnut_front::LocalSession;
use crate::front::BridgeContext;
use crate::front::closing::{
    CLOSE_GOING_AWAY, CLOSE_HANDSHAKE, CLOSE_INTERNAL, CLOSE_NORMAL, CLOSE_POLICY, CLOSE_TOO_BIG,
    REASON_DRAIN, REASON_SLOW, bound_buffers, close_within,
};
use crate::front::outbound::{CloseCause, client_queue, frame_text};
use crate::metrics::{CloseReason, Front};
use crate::pnut::hello_frame;
use crate::ratelimit::token_hash;
use crate::upstream::{UpstreamError, UpstreamKind};

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

/// `GET /v1/user`: checks the token upstream unless it was accepted in the last minute (401
/// envelope when refused), then upgrades.
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
    // In a fleet the token's session may be another instance's: then the stream goes there.
    let (local, ws) = match place_stream(&ctx, &token, &uri, &headers, ws.ok()).await {
        StreamPlace::Local(local, ws) => (local, ws),
        StreamPlace::Answered(answer) => return answer,
    };
    if ctx
        .token_checks
        .fresh(UpstreamKind::Misskey, &token)
        .is_none()
    {
        match ctx
            .misskey
            .read::<serde_json::Value>(&token, "i", Map::new())
            .await
        {
            Ok(me) => {
                let id = me.get("id").and_then(serde_json::Value::as_str);
                ctx.token_checks
                    .accepted(UpstreamKind::Misskey, &token, id.unwrap_or_default());
            }
            Err(UpstreamError::Status { status, .. }) if status == 401 || status == 403 => {
                ctx.token_checks.refused(UpstreamKind::Misskey, &token);
                return error_response(401, "Token is not valid");
            }
            Err(error) => {
                tracing::warn!(token = %token_hash(&token), %error, "pnut user stream: token check failed");
                return error_response(503, "the Misskey upstream is unavailable");
            }
        }
    }
    match ws {
        Some(ws) => {
            let limits = &ctx.config().limits;
            let queue_limit = usize::try_from(limits.outbound_queue.as_u64()).unwrap_or(usize::MAX);
            let max_frame = usize::try_from(limits.max_frame_size.as_u64())
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            // tungstenite's own limit sits above ours so an oversized frame reaches us and
            // gets 1009; one far above it is refused by tungstenite before it is buffered.
            bound_buffers(ws, queue_limit)
                .max_message_size(max_frame.saturating_mul(2))
                .max_frame_size(max_frame.saturating_mul(2))
                .on_upgrade(move |socket| run(ctx, token, socket, local))
        }
        None => error_response(400, "A websocket upgrade is required"),
    }
}

/// Why a connection's loop ended, and so how it is closed.
enum Ending {
    /// The tool closed, or the connection failed: nothing to send.
    Peer,
    /// The connection was deleted (`DELETE /v1/users/me/streams/{id}`).
    Deleted,
    /// A tool frame over `limits.max_frame_size`.
    TooBig,
    /// The outbound queue overflowed.
    SlowConsumer,
    /// The tool was silent for `timeouts.pnut_front_client_silence` (or a write stalled).
    Silent,
    /// The bridge drains.
    Drain,
    /// The token's session is now owned by another instance of the fleet: the tool reconnects
    /// (and is forwarded there).
    Moved,
}

impl Ending {
    /// The close frame to send, if any.
    fn close_frame(&self) -> Option<(u16, &'static str)> {
        match self {
            Self::Peer => None,
            Self::Deleted => Some((CLOSE_NORMAL, "connection deleted")),
            Self::TooBig => Some((CLOSE_TOO_BIG, "frame too large")),
            Self::SlowConsumer => Some((CLOSE_POLICY, REASON_SLOW)),
            Self::Silent => Some((CLOSE_NORMAL, "timeout")),
            Self::Drain => Some((CLOSE_GOING_AWAY, REASON_DRAIN)),
            Self::Moved => Some((CLOSE_GOING_AWAY, "session moved")),
        }
    }

    /// The `pnutkey_client_closes_total` reason, if the bridge closed the connection.
    fn metric(&self) -> Option<CloseReason> {
        match self {
            Self::Peer | Self::Moved => None,
            Self::Deleted => Some(CloseReason::Deleted),
            Self::TooBig => Some(CloseReason::TooBig),
            Self::SlowConsumer => Some(CloseReason::SlowConsumer),
            Self::Silent => Some(CloseReason::SilenceTimeout),
            Self::Drain => Some(CloseReason::Drain),
        }
    }
}

async fn run(
    ctx: Arc<BridgeContext>,
    token: String,
    mut socket: WebSocket,
    mut fleet: Option<LocalSession>,
) {
    let _tracked = ctx.drain.track();
    // This connection's settings for its whole life (a config reload affects new ones only).
    let config = ctx.config();
    let queue_limit = usize::try_from(config.limits.outbound_queue.as_u64()).unwrap_or(usize::MAX);
    let max_frame = usize::try_from(config.limits.max_frame_size.as_u64()).unwrap_or(usize::MAX);
    let (pipe, mut queue) = client_queue(queue_limit);
    let control = queue.slow_signal();
    let closed_by = |cause| match cause {
        CloseCause::SlowConsumer => Ending::SlowConsumer,
        CloseCause::Requested => Ending::Deleted,
    };
    let metrics = ctx.metrics.front(Front::Pnut);
    let _connected = metrics.connected();
    // This connection's lease keeps its token's hub alive (mapping.md §8).
    let lease = ctx
        .hubs
        .acquire(&token, config.timeouts.session_idle, |end| {
            hub::start(Arc::clone(&ctx), token.clone(), end)
        });
    let hub = lease.handle().clone();
    let connection_id = registry(&ctx).register(&token, hub.clone());
    let max_subscriptions = config.limits.front_max_subscriptions_per_connection;
    if hub
        .open(connection_id.clone(), pipe, max_subscriptions)
        .await
        .is_err()
    {
        registry(&ctx).remove(&connection_id);
        let (mut writer, mut reader) = socket.split();
        let reason = "hub unavailable";
        close_within(
            &mut writer,
            &mut reader,
            CLOSE_INTERNAL,
            reason,
            CLOSE_HANDSHAKE,
        )
        .await;
        return;
    };
    let hello = hello_frame(stream_endpoint(&ctx.bridge_url), connection_id.clone());
    let sent = match serde_json::to_string(&hello) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => false,
    };
    let silence = config.timeouts.pnut_front_client_silence;
    let mut deadline = Instant::now() + silence;
    if !sent {
        registry(&ctx).remove(&connection_id);
        hub.closed(connection_id).await;
        return;
    }
    let drain = &ctx.drain;
    let ending = loop {
        tokio::select! {
            biased;
            () = drain.requested() => break Ending::Drain,
            () = moved(fleet.as_mut()) => break Ending::Moved,
            cause = control.closing() => break closed_by(cause),
            frame = queue.next() => {
                let Some(frame) = frame else { break Ending::Peer };
                let Some(text) = frame_text(frame) else { continue };
                // A tool that does not read blocks the write: race it against the signals.
                tokio::select! {
                    biased;
                    sent = socket.send(Message::Text(text)) => if sent.is_err() {
                        break Ending::Peer;
                    },
                    () = drain.requested() => break Ending::Drain,
                    cause = control.closing() => break closed_by(cause),
                    () = sleep_until(deadline) => break Ending::Silent,
                }
                metrics.events_out.inc();
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break Ending::Peer,
                Some(Ok(Message::Text(text))) if text.len() > max_frame => break Ending::TooBig,
                Some(Ok(Message::Binary(bytes))) if bytes.len() > max_frame => break Ending::TooBig,
                Some(Ok(_)) => deadline = Instant::now() + silence,
            },
            () = sleep_until(deadline) => break Ending::Silent,
        }
    };
    if let Some(reason) = ending.metric() {
        metrics.closed(reason);
    }
    // Release the queue and the subscriptions before a close that may take a while.
    drop(queue);
    registry(&ctx).remove(&connection_id);
    hub.closed(connection_id).await;
    drop(lease);
    drop(fleet);
    if let Some((code, reason)) = ending.close_frame() {
        let (mut writer, mut reader) = socket.split();
        close_within(&mut writer, &mut reader, code, reason, CLOSE_HANDSHAKE).await;
    }
}

/// Resolves when the token's fleet session moved to another instance (never alone).
async fn moved(fleet: Option<&mut LocalSession>) {
    match fleet {
        Some(session) => session.moved().await,
        None => std::future::pending().await,
    }
}
