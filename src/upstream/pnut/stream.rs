//! The pnut user stream: one task owns one websocket at a time, reads the hello, yields
//! decoded event frames, sends keep-alives, detects idle streams and reconnects.
//!
//! Flow control: events go out through a bounded queue. When the consumer is slow and the
//! queue is full the task stops reading the socket (backpressure onto the upstream's TCP
//! window) but keeps sending keep-alives; pnut closes a stream whose reader lags too far,
//! which the task then heals by reconnecting.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep_until, timeout};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{PnutClientSettings, StreamAuth};
use crate::metrics::GaugeGuard;
use crate::pnut::{Envelope, EventData, StreamEvent};
use crate::ratelimit::token_hash;
use crate::upstream::task::{End, OpenError};
use crate::upstream::{Backoff, TaskHandle, sleep_until_opt};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Keep-alive text sent to pnut (any text counts; pnutty sends ".").
const KEEPALIVE_TEXT: &str = ".";

/// What a [`PnutStream`] reports.
#[derive(Debug, Clone, PartialEq)]
pub enum PnutStreamEvent {
    /// A (re)connection is up; subscriptions must be (re)made with this `connection_id`.
    Connected {
        /// `meta.connection_id` of the hello frame.
        connection_id: String,
    },
    /// A decoded event frame.
    Event(Box<StreamEvent>),
    /// The connection was lost; the task reconnects after `retry_in`.
    Disconnected {
        /// Why (close, error, idle timeout); never contains the token.
        reason: String,
        /// Delay before the next connection attempt.
        retry_in: Duration,
    },
    /// The upstream refused the token at the upgrade (HTTP status); the task has ended.
    Rejected {
        /// The HTTP status of the refused upgrade (401, 403, ...).
        status: u16,
    },
}

/// Counters of one stream task, observable through [`PnutStream::stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamStats {
    /// Successful connections (hello received).
    pub connects: u64,
    /// Keep-alive frames sent.
    pub keepalives_sent: u64,
    /// Data-less frames received (pnut's pongs).
    pub pongs_received: u64,
    /// Text frames that did not decode as an envelope (dropped).
    pub undecodable_frames: u64,
    /// Connections given up because they were silent past the idle timeout.
    pub idle_timeouts: u64,
    /// Websocket pings sent (liveness of the server, not of the user stream's data).
    pub pings_sent: u64,
    /// Connections given up because a ping went unanswered for the pong timeout.
    pub pong_timeouts: u64,
}

/// Handle of a user stream owned by a background task. Dropping it stops the task.
pub type PnutStream = TaskHandle<PnutStreamEvent, StreamStats>;

impl PnutStream {
    /// Spawns the task for `token` with `settings`.
    pub fn open(settings: PnutClientSettings, token: String) -> Self {
        let (events_tx, events) = mpsc::channel(settings.event_queue.max(1));
        let (close, close_rx) = mpsc::channel(1);
        let (stats_tx, stats) = watch::channel(StreamStats::default());
        let worker = Worker {
            backoff: Backoff::new(
                settings.backoff_min,
                settings.backoff_max,
                settings.healthy_after,
            ),
            settings,
            token,
            events: events_tx,
            close: close_rx,
            stats: stats_tx,
        };
        TaskHandle::new(events, close, stats, tokio::spawn(worker.run()))
    }
}

async fn send_keepalive(ws: &mut Ws, stats: &watch::Sender<StreamStats>) -> Result<(), End> {
    if ws.send(Message::Text(KEEPALIVE_TEXT.into())).await.is_err() {
        return Err(End::Lost("keep-alive send failed".into()));
    }
    stats.send_modify(|s| s.keepalives_sent += 1);
    Ok(())
}

struct Worker {
    settings: PnutClientSettings,
    token: String,
    backoff: Backoff,
    events: mpsc::Sender<PnutStreamEvent>,
    close: mpsc::Receiver<()>,
    stats: watch::Sender<StreamStats>,
}

impl Worker {
    async fn run(mut self) {
        loop {
            let reason = match self.open().await {
                Ok((ws, connection_id)) => {
                    self.backoff.connected();
                    self.stats.send_modify(|s| s.connects += 1);
                    tracing::info!(token = %token_hash(&self.token), %connection_id, "pnut stream connected");
                    if !self
                        .emit(PnutStreamEvent::Connected { connection_id })
                        .await
                    {
                        return;
                    }
                    let connected = GaugeGuard::hold(self.settings.metrics.connections.clone());
                    let end = self.serve(ws).await;
                    drop(connected);
                    self.backoff.disconnected();
                    match end {
                        End::Stop => return,
                        End::Lost(reason) => reason,
                    }
                }
                Err(OpenError::Rejected(status)) => {
                    self.settings.metrics.record_stream_failure(Some(status));
                    tracing::warn!(token = %token_hash(&self.token), status, "pnut stream refused");
                    let _ = self.events.send(PnutStreamEvent::Rejected { status }).await;
                    return;
                }
                Err(OpenError::Failed(reason)) => {
                    self.settings.metrics.record_stream_failure(None);
                    reason
                }
            };
            let retry_in = self.backoff.next_delay();
            tracing::info!(token = %token_hash(&self.token), %reason, ?retry_in, "pnut stream lost");
            if !self
                .emit(PnutStreamEvent::Disconnected { reason, retry_in })
                .await
            {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(retry_in) => {}
                _ = self.close.recv() => return,
            }
        }
    }

    /// Sends an event to the owner unless it closes; `false` means stop.
    async fn emit(&mut self, event: PnutStreamEvent) -> bool {
        tokio::select! {
            sent = self.events.send(event) => sent.is_ok(),
            _ = self.close.recv() => false,
        }
    }

    /// Upgrade (token as `settings.stream_auth` says) and hello.
    async fn open(&mut self) -> Result<(Ws, String), OpenError> {
        let request = stream_request(&self.settings, &self.token)?;
        let limit = self.settings.request_timeout;
        let connected = timeout(limit, crate::upstream::connect_upstream(request)).await;
        let mut ws = match connected {
            Err(_) => return Err(OpenError::Failed("stream upgrade timed out".into())),
            Ok(Err(tungstenite::Error::Http(response))) => {
                let status = response.status().as_u16();
                return Err(if (400..500).contains(&status) && status != 429 {
                    OpenError::Rejected(status)
                } else {
                    OpenError::Failed(format!("stream upgrade answered HTTP {status}"))
                });
            }
            Ok(Err(error)) => {
                return Err(OpenError::Failed(format!("stream upgrade failed: {error}")));
            }
            Ok(Ok((ws, _))) => ws,
        };
        let hello_deadline = Instant::now() + self.settings.idle_timeout.min(limit);
        loop {
            let frame = match timeout(hello_deadline - Instant::now(), ws.next()).await {
                Err(_) => return Err(OpenError::Failed("no hello frame in time".into())),
                Ok(None) | Ok(Some(Err(_))) => {
                    return Err(OpenError::Failed("stream ended before the hello".into()));
                }
                Ok(Some(Ok(frame))) => frame,
            };
            match frame {
                Message::Text(text) => {
                    let hello: Option<Envelope<serde_json::Value>> =
                        serde_json::from_str(text.as_str()).ok();
                    if let Some(connection_id) = hello.and_then(|h| h.meta.connection_id) {
                        return Ok((ws, connection_id));
                    }
                }
                Message::Close(_) => {
                    return Err(OpenError::Failed("closed before the hello".into()));
                }
                _ => {}
            }
        }
    }

    /// Reads frames until the connection ends or the owner stops. A keep-alive text goes
    /// every `keepalive` (pnut closes a silent client); a websocket ping every
    /// `min(keepalive, pong_timeout / 2)`, and a ping unanswered for `pong_timeout` means a
    /// hung server (its websocket layer answers pings even when nothing else moves, so a
    /// missing pong is a server that reads nothing): reconnect, and the owner backfills.
    async fn serve(&mut self, mut ws: Ws) -> End {
        let keepalive_every = self.settings.keepalive.max(Duration::from_millis(1));
        let mut keepalive = interval_at(Instant::now() + keepalive_every, keepalive_every);
        keepalive.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let pong_timeout = self.settings.pong_timeout.max(Duration::from_millis(2));
        let ping_every = keepalive_every
            .min(pong_timeout / 2)
            .max(Duration::from_millis(1));
        let mut ping = interval_at(Instant::now() + ping_every, ping_every);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // Set when a ping is sent and none is outstanding; cleared by any pong.
        let mut pong_deadline: Option<Instant> = None;
        let idle = self.settings.idle_timeout;
        let mut idle_deadline = Instant::now() + idle;
        loop {
            tokio::select! {
                _ = keepalive.tick() => {
                    if let Err(end) = send_keepalive(&mut ws, &self.stats).await {
                        return end;
                    }
                }
                _ = ping.tick() => {
                    if ws.send(Message::Ping(Default::default())).await.is_err() {
                        return End::Lost("ping send failed".into());
                    }
                    pong_deadline.get_or_insert(Instant::now() + pong_timeout);
                    self.stats.send_modify(|s| s.pings_sent += 1);
                }
                () = sleep_until_opt(pong_deadline) => {
                    self.stats.send_modify(|s| s.pong_timeouts += 1);
                    return End::Lost(format!("no pong within {pong_timeout:?}: stream presumed dead"));
                }
                _ = self.close.recv() => {
                    let _ = ws.close(None).await;
                    return End::Stop;
                }
                () = sleep_until(idle_deadline) => {
                    self.stats.send_modify(|s| s.idle_timeouts += 1);
                    return End::Lost(format!("no frame for {idle:?}: stream presumed dead"));
                }
                frame = ws.next() => {
                    if matches!(frame, Some(Ok(Message::Pong(_)))) {
                        pong_deadline = None;
                        continue;
                    }
                    idle_deadline = Instant::now() + idle;
                    match frame {
                        Some(Ok(Message::Text(text))) => {
                            if let Some(event) = self.decode(text.as_str()) {
                                if let Err(end) = self.deliver(&mut ws, &mut keepalive, event).await {
                                    return end;
                                }
                                // Time spent blocked on the consumer (the socket unread) is
                                // neither upstream silence nor a missing pong.
                                idle_deadline = Instant::now() + idle;
                                if pong_deadline.is_some() {
                                    pong_deadline = Some(Instant::now() + pong_timeout);
                                }
                            }
                        }
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

    /// An event frame, or `None` for pongs and undecodable frames (counted).
    fn decode(&self, text: &str) -> Option<StreamEvent> {
        match decode_event_frame(text) {
            Ok(Some(frame)) => {
                self.settings.metrics.events_in.inc();
                Some(frame)
            }
            Ok(None) => {
                self.stats.send_modify(|s| s.pongs_received += 1);
                None
            }
            Err(error) => {
                self.stats.send_modify(|s| s.undecodable_frames += 1);
                tracing::warn!(%error, "undecodable pnut stream frame dropped");
                None
            }
        }
    }

    /// Hands an event to the owner, waiting (without reading the socket) while the queue is
    /// full, still sending keep-alives.
    async fn deliver(
        &mut self,
        ws: &mut Ws,
        keepalive: &mut tokio::time::Interval,
        event: StreamEvent,
    ) -> Result<(), End> {
        let mut event = Some(event);
        loop {
            tokio::select! {
                permit = self.events.reserve() => {
                    let Ok(permit) = permit else { return Err(End::Stop) };
                    if let Some(event) = event.take() {
                        permit.send(PnutStreamEvent::Event(Box::new(event)));
                    }
                    return Ok(());
                }
                _ = keepalive.tick() => send_keepalive(ws, &self.stats).await?,
                _ = self.close.recv() => {
                    let _ = ws.close(None).await;
                    return Err(End::Stop);
                }
            }
        }
    }
}

/// The upgrade request of `token`'s user stream: `settings.stream_url` with the token in the
/// `access_token` query or the `Authorization` header. The URL then holds a secret: it and
/// errors about it are never shown (messages name no URL).
fn stream_request(
    settings: &PnutClientSettings,
    token: &str,
) -> Result<tungstenite::handshake::client::Request, OpenError> {
    let mut url = url::Url::parse(&settings.stream_url)
        .map_err(|error| OpenError::Failed(format!("bad stream url: {error}")))?;
    if settings.stream_auth == StreamAuth::Query {
        url.query_pairs_mut().append_pair("access_token", token);
    }
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|_| OpenError::Failed("bad stream url".into()))?;
    if settings.stream_auth == StreamAuth::Header {
        let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| OpenError::Rejected(401))?;
        request.headers_mut().insert("Authorization", bearer);
    }
    Ok(request)
}

/// Decodes one text frame of a user stream: `Ok(Some)` for an event frame, `Ok(None)` for a
/// frame without `data` (pongs, the hello), `Err` for an undecodable frame.
pub fn decode_event_frame(text: &str) -> Result<Option<StreamEvent>, serde_json::Error> {
    serde_json::from_str::<Envelope<EventData>>(text)
        .map(|frame| frame.data.is_some().then_some(frame))
}
