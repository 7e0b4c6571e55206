//! How both fronts end a client websocket and bound what it may buffer (mapping.md §7): the
//! close codes, a close handshake bounded in time (a peer that does not read cannot hold a
//! task), and the websocket write-buffer bounds.

use std::time::Duration;

use axum::Error as WsError;
use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade};
use futures_util::{Sink, SinkExt, Stream, StreamExt};

/// Close code: normal closure (pnut front: silence timeout, deleted connection).
pub const CLOSE_NORMAL: u16 = 1000;
/// Close code: going away (the bridge drains; Misskey front: no pong in time).
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code: policy violation (the client's outbound queue overflowed: slow consumer).
pub const CLOSE_POLICY: u16 = 1008;
/// Close code: message too big (Misskey front: a client frame over `limits.max_frame_size`).
pub const CLOSE_TOO_BIG: u16 = 1009;
/// Close code: internal error (pnut front: the connection registry is unavailable).
pub const CLOSE_INTERNAL: u16 = 1011;

/// Reason sent with [`CLOSE_GOING_AWAY`] when the bridge drains.
pub const REASON_DRAIN: &str = "going away";
/// Reason sent with [`CLOSE_POLICY`] for a slow consumer.
pub const REASON_SLOW: &str = "slow consumer";

/// How long a close handshake may take before the TCP connection is dropped.
pub const CLOSE_HANDSHAKE: Duration = Duration::from_secs(5);

/// Bytes the websocket layer gathers before writing to the socket (each frame is flushed
/// anyway, so this only bounds batching).
const WRITE_BUFFER: usize = 16 * 1024;
/// Room in the websocket write buffer beyond the outbound queue (frame headers, a close).
const WRITE_BUFFER_SLACK: usize = 16 * 1024;

/// Bounds the upgraded socket's buffers: a small read buffer (tungstenite's default 128 KiB is
/// zero-filled on every read and stays resident per client), and a write buffer that never
/// holds more than the frame being written plus a little (a frame taken from an outbound queue
/// of `queue_limit` bytes is at most that long; tungstenite's default is unbounded).
pub fn bound_buffers(ws: WebSocketUpgrade, queue_limit: usize) -> WebSocketUpgrade {
    ws.read_buffer_size(crate::front::CLIENT_READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(
            queue_limit
                .saturating_add(WRITE_BUFFER)
                .saturating_add(WRITE_BUFFER_SLACK),
        )
}

/// Sends Close `code`/`reason` and waits for the peer's Close (or the end of the stream), all
/// within `within`; after that the caller drops the connection. Best-effort: errors end it.
pub async fn close_within<W, R>(
    writer: &mut W,
    reader: &mut R,
    code: u16,
    reason: &'static str,
    within: Duration,
) where
    W: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, WsError>> + Unpin,
{
    let handshake = async {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        if writer.send(Message::Close(Some(frame))).await.is_err() {
            return;
        }
        while let Some(Ok(message)) = reader.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    };
    if tokio::time::timeout(within, handshake).await.is_err() {
        tracing::debug!(code, "close handshake timed out; connection dropped");
    }
}
