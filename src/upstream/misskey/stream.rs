//! The Misskey streaming connection of one token: one task owns the websocket; callers
//! `connect`/`disconnect` channel connections and `subNote`/`unsubNote` through a bounded
//! command queue; decoded server messages come out of a bounded event queue. On reconnect
//! every live `connect` and `subNote` is sent again.
//!
//! Flow control: when the event queue is full the task stops reading the socket (and so
//! stops answering Misskey's pings, which eventually makes Misskey drop the socket; the task
//! then reconnects). Commands wait while the command queue is full.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep_until, timeout};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::MisskeyClientSettings;
use crate::metrics::{GaugeGuard, GaugeShare};
use crate::misskey::{ClientMessage, ConnectBody, ServerMessage};
use crate::ratelimit::token_hash;
use crate::upstream::task::{End, OpenError, sleep_until_opt};
use crate::upstream::{Backoff, TaskHandle};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What a [`MisskeyStream`] reports.
#[derive(Debug, Clone, PartialEq)]
pub enum MisskeyStreamEvent {
    /// The socket is up and every live channel connection and note capture has been sent.
    Connected {
        /// `true` after the first connection (a reconnect).
        reconnect: bool,
    },
    /// A decoded server message (`channel` events carry the channel connection id).
    Message(ServerMessage),
    /// The socket was lost; the task reconnects after `retry_in`.
    Disconnected {
        /// Why; never contains the token.
        reason: String,
        /// Delay before the next attempt.
        retry_in: Duration,
    },
    /// The upgrade was refused (HTTP status, e.g. 401); the task has ended.
    Rejected {
        /// The HTTP status.
        status: u16,
    },
}

/// Counters of the stream task, observable through [`MisskeyStream::stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MisskeyStreamStats {
    /// Successful connections.
    pub connects: u64,
    /// Heartbeat pings sent.
    pub heartbeats_sent: u64,
    /// Text frames that did not decode (dropped).
    pub undecodable_frames: u64,
    /// Connections given up for silence.
    pub idle_timeouts: u64,
    /// Connections given up because a heartbeat got no pong in time.
    pub pong_timeouts: u64,
}

/// The stream task has ended; the command was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the Misskey stream task has ended")]
pub struct StreamEnded;

enum Command {
    Connect {
        id: String,
        channel: String,
        params: Option<Map<String, Value>>,
    },
    Disconnect(String),
    SubNote(String),
    UnsubNote(String),
}

/// Handle of one token's Misskey streaming connection. Dropping it stops the task.
#[derive(Debug)]
pub struct MisskeyStream {
    commands: mpsc::Sender<Command>,
    handle: TaskHandle<MisskeyStreamEvent, MisskeyStreamStats>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Connect { id, channel, .. } => write!(f, "connect {channel} {id}"),
            Command::Disconnect(id) => write!(f, "disconnect {id}"),
            Command::SubNote(id) => write!(f, "subNote {id}"),
            Command::UnsubNote(id) => write!(f, "unsubNote {id}"),
        }
    }
}

impl MisskeyStream {
    /// Spawns the task for `token` with `settings`.
    pub fn open(settings: MisskeyClientSettings, token: String) -> Self {
        let queue = settings.queue.max(1);
        let (commands, commands_rx) = mpsc::channel(queue);
        let (events_tx, events) = mpsc::channel(queue);
        let (close, close_rx) = mpsc::channel(1);
        let (stats_tx, stats) = watch::channel(MisskeyStreamStats::default());
        let subscriptions = GaugeShare::new(settings.metrics.subscriptions.clone());
        let worker = Worker {
            subscriptions,
            backoff: Backoff::new(
                settings.backoff_min,
                settings.backoff_max,
                settings.healthy_after,
            ),
            settings,
            token,
            commands: commands_rx,
            events: events_tx,
            close: close_rx,
            stats: stats_tx,
            channels: BTreeMap::new(),
            notes: BTreeSet::new(),
        };
        Self {
            commands,
            handle: TaskHandle::new(events, close, stats, tokio::spawn(worker.run())),
        }
    }

    /// Opens channel connection `id` on `channel` with `params` (kept and re-sent on
    /// reconnect; a live `id` is replaced, as Misskey does). Sent with `pong: true`, so a
    /// [`ServerMessage::Connected`] acknowledges it.
    pub async fn connect_channel(
        &self,
        id: &str,
        channel: &str,
        params: Option<Map<String, Value>>,
    ) -> Result<(), StreamEnded> {
        self.send(Command::Connect {
            id: id.to_string(),
            channel: channel.to_string(),
            params,
        })
        .await
    }

    /// Closes channel connection `id`.
    pub async fn disconnect_channel(&self, id: &str) -> Result<(), StreamEnded> {
        self.send(Command::Disconnect(id.to_string())).await
    }

    /// Captures note `note_id` (`subNote`; re-sent on reconnect).
    pub async fn sub_note(&self, note_id: &str) -> Result<(), StreamEnded> {
        self.send(Command::SubNote(note_id.to_string())).await
    }

    /// Releases note `note_id` (`unsubNote`).
    pub async fn unsub_note(&self, note_id: &str) -> Result<(), StreamEnded> {
        self.send(Command::UnsubNote(note_id.to_string())).await
    }

    async fn send(&self, command: Command) -> Result<(), StreamEnded> {
        self.commands.send(command).await.map_err(|_| StreamEnded)
    }

    /// The next event; `None` once the task has ended.
    pub async fn next_event(&mut self) -> Option<MisskeyStreamEvent> {
        self.handle.next_event().await
    }

    /// A receiver of the task's counters.
    pub fn stats(&self) -> watch::Receiver<MisskeyStreamStats> {
        self.handle.stats()
    }

    /// Closes the socket and waits for the task to end.
    pub async fn close(self) {
        self.handle.close().await;
    }
}

struct Worker {
    settings: MisskeyClientSettings,
    token: String,
    backoff: Backoff,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<MisskeyStreamEvent>,
    close: mpsc::Receiver<()>,
    stats: watch::Sender<MisskeyStreamStats>,
    /// Live channel connections: id → (channel, params).
    channels: BTreeMap<String, (String, Option<Map<String, Value>>)>,
    /// Captured notes.
    notes: BTreeSet<String>,
    /// This stream's channel connections and captures in `pnutkey_upstream_subscriptions`.
    subscriptions: GaugeShare,
}

fn connect_frame(id: &str, channel: &str, params: &Option<Map<String, Value>>) -> String {
    ClientMessage::Connect(ConnectBody {
        channel: channel.to_string(),
        id: id.to_string(),
        params: params.clone(),
        pong: Some(true),
    })
    .to_json()
}

impl Worker {
    async fn run(mut self) {
        let mut reconnect = false;
        loop {
            let reason = match self.open().await {
                Ok(mut ws) => match self.resend_all(&mut ws).await {
                    Err(reason) => reason,
                    Ok(()) => {
                        self.backoff.connected();
                        self.stats.send_modify(|s| s.connects += 1);
                        tracing::info!(token = %token_hash(&self.token), reconnect, "misskey stream connected");
                        if !self.emit(MisskeyStreamEvent::Connected { reconnect }).await {
                            return;
                        }
                        reconnect = true;
                        let connected = GaugeGuard::hold(self.settings.metrics.connections.clone());
                        let end = self.serve(ws).await;
                        drop(connected);
                        self.backoff.disconnected();
                        match end {
                            End::Stop => return,
                            End::Lost(reason) => reason,
                        }
                    }
                },
                Err(OpenError::Rejected(status)) => {
                    self.settings.metrics.record_stream_failure(Some(status));
                    tracing::warn!(token = %token_hash(&self.token), status, "misskey stream refused");
                    let _ = self
                        .events
                        .send(MisskeyStreamEvent::Rejected { status })
                        .await;
                    return;
                }
                Err(OpenError::Failed(reason)) => {
                    self.settings.metrics.record_stream_failure(None);
                    reason
                }
            };
            let retry_in = self.backoff.next_delay();
            tracing::info!(token = %token_hash(&self.token), %reason, ?retry_in, "misskey stream lost");
            if !self
                .emit(MisskeyStreamEvent::Disconnected { reason, retry_in })
                .await
            {
                return;
            }
            let wake = Instant::now() + retry_in;
            loop {
                tokio::select! {
                    () = sleep_until(wake) => break,
                    _ = self.close.recv() => return,
                    command = self.commands.recv() => match command {
                        Some(command) => { self.record(&command); }
                        None => return,
                    },
                }
            }
        }
    }

    async fn emit(&mut self, event: MisskeyStreamEvent) -> bool {
        tokio::select! {
            sent = self.events.send(event) => sent.is_ok(),
            _ = self.close.recv() => false,
        }
    }

    /// Updates the live state for `command`; returns the frame to send.
    fn record(&mut self, command: &Command) -> String {
        let frame = self.apply(command);
        self.subscriptions
            .set(self.channels.len() + self.notes.len());
        frame
    }

    fn apply(&mut self, command: &Command) -> String {
        match command {
            Command::Connect {
                id,
                channel,
                params,
            } => {
                self.channels
                    .insert(id.clone(), (channel.clone(), params.clone()));
                connect_frame(id, channel, params)
            }
            Command::Disconnect(id) => {
                self.channels.remove(id);
                ClientMessage::Disconnect { id: id.clone() }.to_json()
            }
            Command::SubNote(id) => {
                self.notes.insert(id.clone());
                ClientMessage::SubNote { id: id.clone() }.to_json()
            }
            Command::UnsubNote(id) => {
                self.notes.remove(id);
                ClientMessage::UnsubNote { id: id.clone() }.to_json()
            }
        }
    }

    /// Re-sends every note capture, then every channel connection.
    async fn resend_all(&mut self, ws: &mut Ws) -> Result<(), String> {
        let frames: Vec<String> = self
            .notes
            .iter()
            .map(|id| ClientMessage::SubNote { id: id.clone() }.to_json())
            .chain(
                self.channels
                    .iter()
                    .map(|(id, (channel, params))| connect_frame(id, channel, params)),
            )
            .collect();
        for frame in frames {
            ws.send(Message::Text(frame.into()))
                .await
                .map_err(|_| "re-subscribing failed".to_string())?;
        }
        Ok(())
    }

    async fn open(&mut self) -> Result<Ws, OpenError> {
        let base = &self.settings.base_url;
        let ws_base = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            base.clone()
        };
        let mut request = format!("{ws_base}/streaming")
            .into_client_request()
            .map_err(|_| OpenError::Failed("bad streaming url".into()))?;
        let bearer = HeaderValue::from_str(&format!("Bearer {}", self.token))
            .map_err(|_| OpenError::Rejected(401))?;
        request.headers_mut().insert("Authorization", bearer);
        match timeout(
            self.settings.request_timeout,
            crate::upstream::connect_upstream(request),
        )
        .await
        {
            Err(_) => Err(OpenError::Failed("stream upgrade timed out".into())),
            Ok(Err(tungstenite::Error::Http(response))) => {
                let status = response.status().as_u16();
                Err(if (400..500).contains(&status) && status != 429 {
                    OpenError::Rejected(status)
                } else {
                    OpenError::Failed(format!("stream upgrade answered HTTP {status}"))
                })
            }
            Ok(Err(tungstenite::Error::Io(error))) => Err(OpenError::Failed(format!(
                "stream upgrade failed: {}",
                error.kind()
            ))),
            Ok(Err(_)) => Err(OpenError::Failed("stream upgrade failed".into())),
            Ok(Ok((ws, _))) => Ok(ws),
        }
    }

    /// Hands `event` to the consumer. While the consumer's queue is full, commands keep being
    /// forwarded upstream, so a consumer that is itself waiting to queue a command (the pnut
    /// front's hub joining a channel) cannot deadlock with this task.
    async fn deliver(&mut self, ws: &mut Ws, event: MisskeyStreamEvent) -> Result<(), End> {
        // A local handle: the pending permit must not borrow `self`, which commands mutate.
        let events = self.events.clone();
        loop {
            tokio::select! {
                permit = events.reserve() => {
                    return match permit {
                        Ok(permit) => {
                            permit.send(event);
                            Ok(())
                        }
                        Err(_) => {
                            let _ = ws.close(None).await;
                            Err(End::Stop)
                        }
                    };
                }
                _ = self.close.recv() => {
                    let _ = ws.close(None).await;
                    return Err(End::Stop);
                }
                command = self.commands.recv() => {
                    let Some(command) = command else {
                        let _ = ws.close(None).await;
                        return Err(End::Stop);
                    };
                    let frame = self.record(&command);
                    if ws.send(Message::Text(frame.into())).await.is_err() {
                        return Err(End::Lost("send failed".into()));
                    }
                }
            }
        }
    }

    async fn serve(&mut self, mut ws: Ws) -> End {
        let pong_timeout = self.settings.pong_timeout.max(Duration::from_millis(2));
        let every = self
            .settings
            .heartbeat
            .min(pong_timeout / 2)
            .max(Duration::from_millis(1));
        // Set when a heartbeat is sent and none is outstanding; cleared by any pong.
        let mut pong_deadline: Option<Instant> = None;
        let mut heartbeat = interval_at(Instant::now() + every, every);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let idle = self.settings.idle_timeout;
        let mut idle_deadline = Instant::now() + idle;
        loop {
            tokio::select! {
                _ = heartbeat.tick() => {
                    if ws.send(Message::Ping(Default::default())).await.is_err() {
                        return End::Lost("heartbeat send failed".into());
                    }
                    pong_deadline.get_or_insert(Instant::now() + pong_timeout);
                    self.stats.send_modify(|s| s.heartbeats_sent += 1);
                }
                () = sleep_until_opt(pong_deadline) => {
                    self.stats.send_modify(|s| s.pong_timeouts += 1);
                    return End::Lost(format!("no pong within {pong_timeout:?}: stream presumed dead"));
                }
                _ = self.close.recv() => {
                    let _ = ws.close(None).await;
                    return End::Stop;
                }
                command = self.commands.recv() => {
                    let Some(command) = command else {
                        let _ = ws.close(None).await;
                        return End::Stop;
                    };
                    let frame = self.record(&command);
                    if ws.send(Message::Text(frame.into())).await.is_err() {
                        return End::Lost("send failed".into());
                    }
                }
                () = sleep_until(idle_deadline) => {
                    self.stats.send_modify(|s| s.idle_timeouts += 1);
                    return End::Lost(format!("no frame for {idle:?}: stream presumed dead"));
                }
                frame = ws.next() => {
                    // Pongs answer our own heartbeats and are produced by the peer's websocket
                    // layer even when its application hangs: only other frames (Misskey's
                    // pings, ≤ 30 s apart, and messages) count as signs of life.
                    if matches!(frame, Some(Ok(Message::Pong(_)))) {
                        pong_deadline = None;
                    } else {
                        idle_deadline = Instant::now() + idle;
                    }
                    match frame {
                        Some(Ok(Message::Text(text))) => match ServerMessage::parse(text.as_str()) {
                            Ok(message) => {
                                self.settings.metrics.events_in.inc();
                                if let Err(end) = self.deliver(&mut ws, MisskeyStreamEvent::Message(message)).await {
                                    return end;
                                }
                                // Time spent blocked on the consumer is not upstream silence.
                                idle_deadline = Instant::now() + idle;
                            }
                            Err(error) => {
                                self.stats.send_modify(|s| s.undecodable_frames += 1);
                                tracing::warn!(%error, "undecodable misskey stream frame dropped");
                            }
                        },
                        Some(Ok(Message::Close(frame))) => {
                            let why = frame.map_or_else(String::new, |f| format!(": {} {}", u16::from(f.code), f.reason));
                            return End::Lost(format!("closed by upstream{why}"));
                        }
                        Some(Ok(_)) => {}
                        Some(Err(error)) => return End::Lost(format!("stream error: {error}")),
                        None => return End::Lost("stream ended".into()),
                    }
                }
            }
        }
    }
}
