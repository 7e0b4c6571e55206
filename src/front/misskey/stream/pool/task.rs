//! The pool task: owns the pnut connections, the refcounted subscription keys, the polls and
//! the channel connections of one token. It waits only on its queues and timers: REST calls
//! run in spawned tasks ([`calls`]) whose results come back on their own queue.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::{ClientId, PoolCommand, RESULT_QUEUE, UPSTREAM_QUEUE};
use crate::front::BridgeContext;
use crate::front::outbound::ClientSink;
use crate::mapping::{self, EventKind, NoteFilters, PollEntry, SubscriptionKey, UpstreamNeed};
use crate::metrics::{Front, FrontMetrics, GaugeShare};
use crate::ratelimit::token_hash;
use crate::session::SessionEnd;
use crate::upstream::UpstreamKind;

mod ack;
mod backfill;
mod calls;
mod capture;
mod keys;
mod linger;
mod note_polls;
mod poll;
mod replies;
mod route;
mod self_replies;
mod subscribe;
mod upstream;

use crate::upstream::sleep_until_opt;
use calls::CallResult;
use poll::PollState;
use upstream::{Parked, UpstreamEvent};

/// At most this many notes captured (`subNote`) per client socket; more are ignored.
const MAX_CAPTURES_PER_CLIENT: usize = 1024;

/// One Misskey channel connection of a client.
struct ChannelConn {
    sink: ClientSink,
    /// Held subscription keys, with how this channel presents their events.
    keys: Vec<(SubscriptionKey, Option<EventKind>)>,
    /// Held polls, with how this channel presents their items.
    polls: Vec<(PollEntry, Option<EventKind>)>,
    filters: NoteFilters,
    /// Gets reposts of the token owner's posts from any subscription (`renotes_of_mine`).
    renotes_of_mine: bool,
    /// A `main` connection (gets `readAllNotifications` and the bridge's own main-stream
    /// events).
    main: bool,
}

impl ChannelConn {
    fn holds(&self, key: &SubscriptionKey) -> bool {
        self.keys.iter().any(|(held, _)| held == key)
    }
}

/// Where one subscription key stands upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SubState {
    /// Its pnut connection has no `connection_id` yet (new or reconnecting).
    Waiting,
    /// A subscribe call is in flight on this connection.
    InFlight { connection_id: String },
    /// Subscribed as this subscription id.
    Subscribed { subscription_id: String },
    /// The subscribe failed; retried at `at` (with a backoff) while the key is held.
    RetryAt { at: Instant, connection_id: String },
    /// The subscribe was refused for good on this connection (e.g. 403/404).
    Failed,
}

/// One shared pnut subscription.
struct KeyState {
    refs: usize,
    slot: usize,
    sub: SubState,
    /// Failed subscribe attempts in a row (for the retry backoff).
    failures: u32,
    newest_id: Option<String>,
    unused_since: Option<Instant>,
}

impl KeyState {
    /// Whether its subscription is still to be made (waiting for a connection, in flight,
    /// or failed and waiting for its retry).
    fn pending_upstream(&self) -> bool {
        matches!(
            self.sub,
            SubState::Waiting | SubState::InFlight { .. } | SubState::RetryAt { .. }
        )
    }

    /// Whether a `connected` answer depending on this key still has to wait.
    fn pending(&self) -> bool {
        matches!(self.sub, SubState::Waiting | SubState::InFlight { .. })
    }
}

/// One pnut user-stream connection and the task forwarding its events.
struct UpConn {
    generation: u64,
    connection_id: Option<String>,
    keys: BTreeSet<SubscriptionKey>,
    empty_since: Option<Instant>,
    /// Stops the forwarder, which then closes the stream.
    stop: CancellationToken,
    forwarder: JoinHandle<()>,
}

struct Pool {
    ctx: Arc<BridgeContext>,
    token: String,
    me_id: String,
    /// Channel connections by (client, connection id, sequence): a `connect` reusing a live
    /// id adds a second connection under that id (real-servers.md §1), so the sequence
    /// tells them apart.
    channels: HashMap<(ClientId, String, u64), ChannelConn>,
    /// The next channel connection's sequence number.
    next_conn: u64,
    /// Authors of the posts routed lately (for `reply` on `main`).
    authors: replies::Authors,
    /// Parent posts being looked up.
    looking_up: std::collections::HashSet<String>,
    /// Events whose `main` delivery waits for parent lookups (bounded).
    deferred: VecDeque<replies::Deferred>,
    /// The owner's self-replies waiting for their parent's lookup (bounded).
    own_replies: VecDeque<crate::pnut::Post>,
    /// Polls of streamed notes: looked up, in flight, and the events waiting for them.
    note_polls: note_polls::NotePolls,
    /// A `notification` went out since the token last read its notifications (the
    /// session's unread state, what `readNotification` clears).
    unread_notifications: bool,
    keys: HashMap<SubscriptionKey, KeyState>,
    by_subscription: HashMap<String, SubscriptionKey>,
    conns: Vec<Option<UpConn>>,
    next_generation: u64,
    refused_keys: u64,
    /// Re-subscribe gaps larger than one backfill page (the rest was skipped).
    skipped_gaps: u64,
    /// Polled endpoints (unsubscribable on pnut) and their refcounts.
    polls: HashMap<PollEntry, PollState>,
    /// Captured notes (Misskey-side id) → the clients that captured them.
    captures: HashMap<String, HashMap<ClientId, ClientSink>>,
    /// Captured notes (Misskey-side id) → the thread subscription held for them (one ref each).
    capture_keys: HashMap<String, SubscriptionKey>,
    /// Captures that found no room for their thread subscription (best-effort).
    best_effort_captures: u64,
    /// This pool's live pnut subscriptions in `pnutkey_upstream_subscriptions`.
    subscriptions_gauge: GaugeShare,
    /// This pool's held keys not subscribed yet in `pnutkey_subscriptions_pending`.
    pending_gauge: GaugeShare,
    /// The Misskey front's counters (backfills, gaps, best-effort captures).
    metrics: FrontMetrics,
    /// `connected` answers waiting for upstream subscribes and first polls.
    pending_acks: Vec<ack::PendingAck>,
    /// Events whose subscription id is not known yet because its subscribe is in flight.
    parked: VecDeque<Parked>,
    /// Where forwarders send upstream events (a clone per forwarder).
    upstream_tx: mpsc::Sender<UpstreamEvent>,
    /// Where REST call tasks send their results (a clone per call).
    results_tx: mpsc::Sender<CallResult>,
    /// Cancels every REST call still in flight when the pool ends.
    calls_cancel: CancellationToken,
    /// This session's end (idle for `timeouts.session_idle`, or the pool stopped itself).
    end: SessionEnd,
    /// Where new post subscriptions start (`PoolCommand::Resume`: a fleet takeover).
    resume_since: Option<String>,
    /// Where the post subscriptions of the connect being handled start, if it says
    /// (`PoolCommand::Connect::since`).
    connect_since: Option<String>,
}

/// Spawns the pool task of `token`.
pub(super) fn spawn(
    ctx: Arc<BridgeContext>,
    token: String,
    me_id: String,
    end: SessionEnd,
    inbox: mpsc::Receiver<PoolCommand>,
) {
    let subscriptions_gauge =
        GaugeShare::new(ctx.metrics.upstream(UpstreamKind::Pnut).subscriptions);
    let metrics = ctx.metrics.front(Front::Misskey);
    let pending_gauge = GaugeShare::new(metrics.subscriptions_pending.clone());
    let (upstream_tx, upstream_rx) = mpsc::channel(UPSTREAM_QUEUE);
    let (results_tx, results_rx) = mpsc::channel(RESULT_QUEUE);
    let pool = Pool {
        subscriptions_gauge,
        pending_gauge,
        metrics,
        ctx,
        token,
        me_id,
        channels: HashMap::new(),
        next_conn: 0,
        unread_notifications: false,
        authors: replies::Authors::default(),
        looking_up: std::collections::HashSet::new(),
        deferred: VecDeque::new(),
        own_replies: VecDeque::new(),
        note_polls: note_polls::NotePolls::default(),
        keys: HashMap::new(),
        by_subscription: HashMap::new(),
        conns: Vec::new(),
        next_generation: 0,
        refused_keys: 0,
        skipped_gaps: 0,
        captures: HashMap::new(),
        capture_keys: HashMap::new(),
        best_effort_captures: 0,
        polls: HashMap::new(),
        pending_acks: Vec::new(),
        parked: VecDeque::new(),
        upstream_tx,
        results_tx,
        calls_cancel: CancellationToken::new(),
        end,
        resume_since: None,
        connect_since: None,
    };
    let drain = pool.ctx.drain.clone();
    drain.spawn(pool.run(inbox, upstream_rx, results_rx));
}

impl Pool {
    async fn run(
        mut self,
        mut inbox: mpsc::Receiver<PoolCommand>,
        mut upstream: mpsc::Receiver<UpstreamEvent>,
        mut results: mpsc::Receiver<CallResult>,
    ) {
        let poll_every = self
            .ctx
            .config()
            .timeouts
            .poll_interval
            .max(Duration::from_millis(10));
        let mut poll_timer = tokio::time::interval_at(Instant::now() + poll_every, poll_every);
        poll_timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let drain = self.ctx.drain.clone();
        let end = self.end.clone();
        loop {
            let deadline = self.next_deadline();
            tokio::select! {
                () = drain.requested() => break,
                () = end.requested() => break,
                Some(result) = results.recv() => self.call_returned(result),
                Some(event) = upstream.recv() => self.upstream(event),
                command = inbox.recv() => match command {
                    Some(command) => self.handle(command),
                    None => break,
                },
                () = sleep_until_opt(deadline) => self.expire(Instant::now()),
                _ = poll_timer.tick() => self.poll_all(),
            }
            self.subscriptions_gauge.set(self.by_subscription.len());
            let pending = self
                .keys
                .values()
                .filter(|state| state.refs > 0 && state.pending_upstream())
                .count();
            self.pending_gauge.set(pending);
        }
        // Past the loop: nothing is owned any more but the upstream streams to close.
        drop(inbox);
        self.shutdown().await;
        self.end.ended();
    }

    fn handle(&mut self, command: PoolCommand) {
        match command {
            PoolCommand::Connect {
                client,
                id,
                channel,
                params,
                pong,
                sink,
                since,
            } => {
                self.connect_since = since;
                self.connect(client, id, &channel, &params, pong, sink);
                self.connect_since = None;
            }
            PoolCommand::Disconnect { client, id } => self.release_channel(client, &id),
            PoolCommand::ClientGone { client } => {
                let gone: Vec<_> = self
                    .channels
                    .keys()
                    .filter(|(c, _, _)| *c == client)
                    .cloned()
                    .collect();
                for key in gone {
                    if let Some(conn) = self.channels.remove(&key) {
                        self.release_needs(&conn);
                    }
                }
                self.forget_acks(client, None);
                self.uncapture_all(client);
            }
            PoolCommand::SubNote {
                client,
                note_id,
                sink,
            } => self.capture(client, note_id, sink),
            PoolCommand::UnsubNote { client, note_id } => self.uncapture(client, &note_id),
            PoolCommand::Resume { since } => self.resume_since = Some(since),
            PoolCommand::ReadNotifications => self.read_notifications(),
            PoolCommand::MainEvent { kind, body } => {
                let mains = self.channels.iter().filter(|(_, conn)| conn.main);
                let targets: Vec<(&str, &ClientSink)> = mains
                    .map(|((_, id, _), conn)| (id.as_str(), &conn.sink))
                    .collect();
                super::deliver::deliver_main_event(&kind, &body, &targets);
            }
        }
    }

    fn connect(
        &mut self,
        client: ClientId,
        id: String,
        channel: &str,
        params: &Value,
        pong: bool,
        sink: ClientSink,
    ) {
        let config = self.ctx.config();
        let tables = &config.mapping;
        let params = &pnut_params(params);
        let needs = match mapping::resolve_connect(tables, channel, params) {
            Ok(needs) => needs,
            Err(error) => {
                // Misskey's `init` refusing: no connection, no `connected` (another one live
                // under the same id stays).
                tracing::debug!(%error, "connect not resolvable; ignored");
                return;
            }
        };
        let filters = mapping::connect_filters(tables, channel, params);
        let mut keys = Vec::new();
        let mut polls = Vec::new();
        for need in needs {
            match need {
                UpstreamNeed::Subscribe(key) => {
                    let kind = mapping::event_kind(tables, channel, &key.endpoint);
                    keys.push((key, kind));
                }
                UpstreamNeed::Poll(entry) => {
                    let kind = mapping::event_kind(tables, channel, &entry.endpoint);
                    polls.push((entry, kind));
                }
            }
        }
        if self.exceeds_poll_bound(&polls, config.limits.max_polls_per_token) {
            // Misskey ignores what it won't serve: no `connected`, nothing upstream.
            self.metrics.polls_refused.inc();
            tracing::debug!(token = %token_hash(&self.token), channel, "connect ignored: the token polls the most endpoints allowed");
            return;
        }
        for (entry, _) in &polls {
            self.acquire_poll(entry);
        }
        let mut held = Vec::new();
        for (key, kind) in keys {
            if self.acquire(&key) {
                held.push((key, kind));
            }
        }
        let conn = ChannelConn {
            sink,
            keys: held,
            polls,
            filters,
            renotes_of_mine: mapping::gets_renotes_of_mine(tables, channel),
            main: channel == "main",
        };
        if pong {
            let waiting = self.pending_needs(&conn);
            self.ack_when_ready(client, id.clone(), conn.sink.clone(), waiting);
        }
        let seq = self.next_conn;
        self.next_conn = self.next_conn.wrapping_add(1);
        self.channels.insert((client, id, seq), conn);
    }

    /// Every notification is read: `readAllNotifications` (body `null`) on every `main`
    /// connection of the token, if one was unread (as Misskey does).
    fn read_notifications(&mut self) {
        if !std::mem::take(&mut self.unread_notifications) {
            return;
        }
        // Built like every other channel frame of the pool (a fleet relay reads its prefix).
        let mains: Vec<(&str, &ClientSink)> = self
            .channels
            .iter()
            .filter(|(_, conn)| conn.main)
            .map(|((_, id, _), conn)| (id.as_str(), &conn.sink))
            .collect();
        super::deliver::deliver_main_event("readAllNotifications", &Value::Null, &mains);
    }

    /// `disconnect`: ends every channel connection of `client` under `id`.
    fn release_channel(&mut self, client: ClientId, id: &str) {
        self.forget_acks(client, Some(id));
        let gone: Vec<_> = self
            .channels
            .keys()
            .filter(|(c, conn_id, _)| *c == client && conn_id == id)
            .cloned()
            .collect();
        for key in gone {
            if let Some(conn) = self.channels.remove(&key) {
                self.release_needs(&conn);
            }
        }
    }

    fn release_needs(&mut self, conn: &ChannelConn) {
        for (key, _) in &conn.keys {
            self.release_key(key);
        }
        for (entry, _) in &conn.polls {
            self.release_poll(entry);
        }
    }

    fn release_key(&mut self, key: &SubscriptionKey) {
        if let Some(state) = self.keys.get_mut(key) {
            state.refs = state.refs.saturating_sub(1);
            if state.refs == 0 {
                state.unused_since = Some(Instant::now());
            }
        }
    }

    /// Forgets the key's subscription id (its connection is gone or new): back to `Waiting`.
    fn reset_subscription(&mut self, key: &SubscriptionKey) {
        if let Some(state) = self.keys.get_mut(key)
            && let SubState::Subscribed { subscription_id } =
                std::mem::replace(&mut state.sub, SubState::Waiting)
        {
            self.by_subscription.remove(&subscription_id);
        }
    }
}

/// Connect params with Misskey-side (zero-padded) pnut ids made pnut ids again (`channelId`).
fn pnut_params(params: &Value) -> Value {
    let mut params = params.clone();
    if let Some(id) = params.get_mut("channelId")
        && let Some(padded) = id.as_str()
        && let Ok(plain) = crate::ids::pnut_id_from_misskey(padded)
    {
        *id = Value::String(plain);
    }
    params
}

fn newer_order(a: &str, b: &str) -> std::cmp::Ordering {
    (a.len(), a).cmp(&(b.len(), b))
}
