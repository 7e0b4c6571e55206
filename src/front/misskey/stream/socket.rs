//! One Misskey client socket: reads client frames, keeps its channel ids, and writes the
//! frames its outbound queue receives.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::time::{Instant, MissedTickBehavior};

use super::pool::{ClientId, PoolCommand, PoolHandle};
use crate::front::closing::{
    CLOSE_GOING_AWAY, CLOSE_HANDSHAKE, CLOSE_POLICY, CLOSE_TOO_BIG, REASON_DRAIN, REASON_SLOW,
    close_within,
};
use crate::front::outbound::{ClientSink, SlowSignal, client_queue, frame_text};
use crate::front::{BridgeContext, Drain};
use crate::mapping;
use crate::metrics::{CloseReason, Front, FrontMetrics, GaugeGuard, Metrics};
use crate::misskey::{ClientMessage, parse_client_message};
use crate::session::Lease;

/// Channels Misskey allows once per socket (`shouldShare`, misskey.md §4).
const SHARED_CHANNELS: [&str; 6] = [
    "main",
    "drive",
    "serverStats",
    "queueStats",
    "admin",
    "reversi",
];

/// The channel ids one socket has open, bounded by `limits.max_channels_per_socket`.
struct SocketState {
    client: ClientId,
    pool: PoolHandle,
    sink: ClientSink,
    /// Open channel connection id → its connections' channel names (and their units of the
    /// channel gauge): a `connect` reusing a live id adds a second connection under it.
    channel_ids: HashMap<String, Vec<(String, GaugeGuard)>>,
    max_channels: usize,
    metrics: FrontMetrics,
    all_metrics: Arc<Metrics>,
}

/// Why a socket's loop ended, and so how it is closed.
enum Ending {
    /// The client closed, or the connection failed: nothing to send.
    Peer,
    /// No pong within `timeouts.misskey_pong_timeout` (or a write stalled as long).
    PongTimeout,
    /// The outbound queue overflowed.
    SlowConsumer,
    /// A client frame over `limits.max_frame_size`.
    TooBig,
    /// The bridge drains.
    Drain,
}

impl Ending {
    /// The close frame to send, if any.
    fn close_frame(&self) -> Option<(u16, &'static str)> {
        match self {
            Self::Peer => None,
            Self::PongTimeout => Some((CLOSE_GOING_AWAY, "pong timeout")),
            Self::SlowConsumer => Some((CLOSE_POLICY, REASON_SLOW)),
            Self::TooBig => Some((CLOSE_TOO_BIG, "frame too large")),
            Self::Drain => Some((CLOSE_GOING_AWAY, REASON_DRAIN)),
        }
    }

    /// The `pnutkey_client_closes_total` reason, if the bridge closed the socket.
    fn metric(&self) -> Option<CloseReason> {
        match self {
            Self::Peer => None,
            Self::PongTimeout => Some(CloseReason::PongTimeout),
            Self::SlowConsumer => Some(CloseReason::SlowConsumer),
            Self::TooBig => Some(CloseReason::TooBig),
            Self::Drain => Some(CloseReason::Drain),
        }
    }
}

/// Serves one upgraded socket until either side ends it, holding `lease` on its token's pool
/// session for its whole life.
pub async fn serve(
    socket: WebSocket,
    ctx: Arc<BridgeContext>,
    lease: Lease<PoolHandle>,
    client: ClientId,
) {
    let _tracked = ctx.drain.track();
    let pool = lease.handle().clone();
    // This socket's settings for its whole life (a config reload affects new sockets only).
    let config = ctx.config();
    let limits = &config.limits;
    let max_frame = usize::try_from(limits.max_frame_size.as_u64()).unwrap_or(usize::MAX);
    let queue_limit = usize::try_from(limits.outbound_queue.as_u64()).unwrap_or(usize::MAX);
    let (sink, mut queue) = client_queue(queue_limit);
    let slow = queue.slow_signal();
    let metrics = ctx.metrics.front(Front::Misskey);
    let _connected = metrics.connected();
    let mut state = SocketState {
        client,
        pool: pool.clone(),
        sink,
        channel_ids: HashMap::new(),
        max_channels: limits.max_channels_per_socket as usize,
        metrics: metrics.clone(),
        all_metrics: Arc::clone(&ctx.metrics),
    };
    let (mut writer, mut reader) = socket.split();
    let ping_every = config.timeouts.misskey_ping.max(Duration::from_millis(10));
    let pong_timeout = config.timeouts.misskey_pong_timeout;
    let mut ping = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_pong = Instant::now();
    let drain = &ctx.drain;
    let ending = loop {
        tokio::select! {
            biased;
            () = drain.requested() => break Ending::Drain,
            () = slow.overflowed() => break Ending::SlowConsumer,
            _ = ping.tick() => {
                if last_pong.elapsed() > pong_timeout {
                    tracing::debug!("Misskey client sent no pong in time; dropped");
                    break Ending::PongTimeout;
                }
                if let Some(ending) = write(&mut writer, Message::Ping(Bytes::new()), &slow, drain, pong_timeout).await {
                    break ending;
                }
            }
            frame = queue.next() => {
                let Some(frame) = frame else { break Ending::Peer };
                let Some(text) = frame_text(frame) else {
                    continue;
                };
                if let Some(ending) = write(&mut writer, Message::Text(text), &slow, drain, pong_timeout).await {
                    break ending;
                }
                metrics.events_out.inc();
            }
            message = reader.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    if text.len() > max_frame {
                        break Ending::TooBig;
                    }
                    state.handle_text(text.as_str()).await;
                }
                Some(Ok(Message::Binary(bytes))) => {
                    if bytes.len() > max_frame {
                        break Ending::TooBig;
                    }
                }
                Some(Ok(Message::Pong(_))) => last_pong = Instant::now(),
                Some(Ok(Message::Ping(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => break Ending::Peer,
            },
        }
    };
    if let Some(reason) = ending.metric() {
        metrics.closed(reason);
    }
    // Release the queue and the pool's registrations before a close that may take a while.
    drop(queue);
    drop(state);
    pool.send(PoolCommand::ClientGone { client }).await;
    // The session may go idle from here on.
    drop(lease);
    if let Some((code, reason)) = ending.close_frame() {
        close_within(&mut writer, &mut reader, code, reason, CLOSE_HANDSHAKE).await;
    }
}

/// Writes one frame, racing the write against the overflow and drain signals and a stall of
/// `stall` (a peer that does not read blocks the write); `Some` ends the socket.
async fn write<S>(
    writer: &mut S,
    message: Message,
    slow: &SlowSignal,
    drain: &Drain,
    stall: Duration,
) -> Option<Ending>
where
    S: SinkExt<Message> + Unpin,
{
    tokio::select! {
        biased;
        sent = writer.send(message) => sent.is_err().then_some(Ending::Peer),
        () = slow.overflowed() => Some(Ending::SlowConsumer),
        () = drain.requested() => Some(Ending::Drain),
        () = tokio::time::sleep(stall) => {
            tracing::debug!("Misskey client stopped reading; dropped");
            Some(Ending::PongTimeout)
        }
    }
}

impl SocketState {
    /// One client text frame; anything unparsable (heartbeats, bad JSON) is dropped silently.
    async fn handle_text(&mut self, text: &str) {
        let Ok(message) = parse_client_message(text) else {
            // misskey-js text heartbeats (misskey.md §1.2) are not bad input.
            if !matches!(text, "h" | "ping") {
                self.metrics.bad_input.inc();
            }
            return;
        };
        match message {
            ClientMessage::Connect(body) => {
                if !mapping::is_known_misskey_channel(&body.channel) {
                    tracing::debug!("connect to an unknown channel ignored");
                    return;
                }
                let open: usize = self.channel_ids.values().map(Vec::len).sum();
                if open >= self.max_channels {
                    tracing::debug!("connect over max_channels_per_socket ignored");
                    return;
                }
                // Misskey keeps one connection of a shared channel per socket, whatever its id.
                let shared_open = SHARED_CHANNELS.contains(&body.channel.as_str())
                    && self
                        .channel_ids
                        .values()
                        .flatten()
                        .any(|(channel, _)| *channel == body.channel);
                if shared_open {
                    tracing::debug!("second connection of a shared channel ignored");
                    return;
                }
                let gauge = self.all_metrics.channel_connection(&body.channel);
                self.channel_ids
                    .entry(body.id.clone())
                    .or_default()
                    .push((body.channel.clone(), gauge));
                let params = body.params.map(Value::Object).unwrap_or(Value::Null);
                self.pool
                    .send(PoolCommand::Connect {
                        client: self.client,
                        id: body.id,
                        channel: body.channel,
                        params,
                        pong: body.pong == Some(true),
                        sink: self.sink.clone(),
                        since: None,
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
            ClientMessage::ReadNotification => {
                self.pool.send(PoolCommand::ReadNotifications).await;
            }
            ClientMessage::Channel(body) => {
                // Misskey passes `ch` to the connection's `onMessage`; none of the channels
                // the bridge serves has one (requestLog, chat reads… are not bridged), so it
                // is accepted and dropped, as Misskey drops it for an unknown id.
                tracing::debug!(
                    open = self.channel_ids.contains_key(&body.id),
                    "channel message dropped"
                );
            }
            _ => {}
        }
    }
}
