//! One Misskey client socket: reads client frames, keeps its channel ids, and writes the
//! frames its outbound queue receives.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::time::{Instant, MissedTickBehavior};

use super::outbound::{ClientSink, client_queue};
use super::pool::{ClientId, PoolCommand, PoolHandle};
use crate::front::BridgeContext;
use crate::mapping;
use crate::misskey::{ClientMessage, parse_client_message};

/// Close code for a frame over `limits.max_frame_size`.
const CLOSE_TOO_BIG: u16 = 1009;
/// Channels Misskey allows once per socket (`shouldShare`, misskey.md §4).
const SHARED_CHANNELS: [&str; 6] = [
    "main",
    "drive",
    "serverStats",
    "queueStats",
    "admin",
    "reversi",
];
/// Close code for a client that stopped answering pings.
const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code for a client whose outbound queue overflowed.
const CLOSE_POLICY: u16 = 1008;

/// A queued frame shared by every client it goes to, lent to the websocket without a copy.
struct SharedFrame(Arc<str>);

impl AsRef<[u8]> for SharedFrame {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// The channel ids one socket has open, bounded by `limits.max_channels_per_socket`.
struct SocketState {
    client: ClientId,
    pool: PoolHandle,
    sink: ClientSink,
    /// Open channel connection id → channel name.
    channel_ids: HashMap<String, String>,
    max_channels: usize,
}

/// Serves one upgraded socket until either side ends it.
pub async fn serve(socket: WebSocket, ctx: Arc<BridgeContext>, pool: PoolHandle, client: ClientId) {
    let limits = &ctx.config.limits;
    let max_frame = usize::try_from(limits.max_frame_size.as_u64()).unwrap_or(usize::MAX);
    let queue_limit = usize::try_from(limits.outbound_queue.as_u64()).unwrap_or(usize::MAX);
    let (sink, mut queue) = client_queue(queue_limit);
    let slow = queue.slow_signal();
    let mut state = SocketState {
        client,
        pool: pool.clone(),
        sink,
        channel_ids: HashMap::new(),
        max_channels: limits.max_channels_per_socket as usize,
    };
    let (mut writer, mut reader) = socket.split();
    let ping_every = ctx
        .config
        .timeouts
        .misskey_ping
        .max(Duration::from_millis(10));
    let pong_timeout = ctx.config.timeouts.misskey_pong_timeout;
    let mut ping = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_pong = Instant::now();
    loop {
        tokio::select! {
            _ = ping.tick() => {
                if last_pong.elapsed() > pong_timeout {
                    tracing::debug!("Misskey client sent no pong in time; dropped");
                    close(&mut writer, CLOSE_GOING_AWAY, "pong timeout").await;
                    break;
                }
                if writer.send(Message::Ping(Bytes::new())).await.is_err() {
                    break;
                }
            }
            frame = queue.next() => {
                let Some(frame) = frame else { break };
                let Ok(text) = Utf8Bytes::try_from(Bytes::from_owner(SharedFrame(frame))) else {
                    continue;
                };
                if writer.send(Message::Text(text)).await.is_err() {
                    break;
                }
            }
            () = slow.overflowed() => {
                close(&mut writer, CLOSE_POLICY, "slow consumer").await;
                break;
            }
            message = reader.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    if text.len() > max_frame {
                        close(&mut writer, CLOSE_TOO_BIG, "frame too large").await;
                        break;
                    }
                    state.handle_text(text.as_str()).await;
                }
                Some(Ok(Message::Binary(bytes))) => {
                    if bytes.len() > max_frame {
                        close(&mut writer, CLOSE_TOO_BIG, "frame too large").await;
                        break;
                    }
                }
                Some(Ok(Message::Pong(_))) => last_pong = Instant::now(),
                Some(Ok(Message::Ping(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
            },
        }
    }
    pool.send(PoolCommand::ClientGone { client }).await;
}

async fn close<S>(writer: &mut S, code: u16, reason: &'static str)
where
    S: SinkExt<Message> + Unpin,
{
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = writer.send(Message::Close(Some(frame))).await;
}

impl SocketState {
    /// One client text frame; anything unparsable (heartbeats, bad JSON) is dropped silently.
    async fn handle_text(&mut self, text: &str) {
        let Ok(message) = parse_client_message(text) else {
            return;
        };
        match message {
            ClientMessage::Connect(body) => {
                if !mapping::is_known_misskey_channel(&body.channel) {
                    tracing::debug!("connect to an unknown channel ignored");
                    return;
                }
                let is_new = !self.channel_ids.contains_key(&body.id);
                if is_new && self.channel_ids.len() >= self.max_channels {
                    tracing::debug!("connect over max_channels_per_socket ignored");
                    return;
                }
                let shared_elsewhere = SHARED_CHANNELS.contains(&body.channel.as_str())
                    && self
                        .channel_ids
                        .iter()
                        .any(|(id, channel)| *channel == body.channel && *id != body.id);
                if shared_elsewhere {
                    tracing::debug!("second connection of a shared channel ignored");
                    return;
                }
                self.channel_ids
                    .insert(body.id.clone(), body.channel.clone());
                let params = body.params.map(Value::Object).unwrap_or(Value::Null);
                self.pool
                    .send(PoolCommand::Connect {
                        client: self.client,
                        id: body.id,
                        channel: body.channel,
                        params,
                        pong: body.pong == Some(true),
                        sink: self.sink.clone(),
                    })
                    .await;
            }
            ClientMessage::Disconnect { id } if self.channel_ids.remove(&id).is_some() => {
                self.pool
                    .send(PoolCommand::Disconnect {
                        client: self.client,
                        id,
                    })
                    .await;
            }
            ClientMessage::SubNote { id } | ClientMessage::SubNoteRead { id } => {
                self.pool
                    .send(PoolCommand::SubNote {
                        client: self.client,
                        note_id: id,
                        sink: self.sink.clone(),
                    })
                    .await;
            }
            ClientMessage::UnsubNote { id } => {
                self.pool
                    .send(PoolCommand::UnsubNote {
                        client: self.client,
                        note_id: id,
                    })
                    .await;
            }
            _ => {}
        }
    }
}
