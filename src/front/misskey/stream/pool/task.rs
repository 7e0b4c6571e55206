//! The pool task: owns the pnut connections, the refcounted subscription keys and the channel
//! connections of one token.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::{ClientId, PoolCommand};
use crate::front::BridgeContext;
use crate::front::misskey::stream::outbound::ClientSink;
use crate::mapping::{self, NoteFilters, PollEntry, SubscriptionKey, UpstreamNeed};
use crate::metrics::{Front, FrontMetrics, GaugeShare};
use crate::ratelimit::token_hash;
use crate::upstream::UpstreamKind;
use crate::upstream::pnut::PnutStreamEvent;

mod ack;
mod capture;
mod linger;
mod poll;
mod route;
mod subscribe;

use poll::PollState;

use linger::sleep_until_opt;

/// At most this many notes captured (`subNote`) per client socket; more are ignored.
const MAX_CAPTURES_PER_CLIENT: usize = 1024;

/// One Misskey channel connection of a client.
struct ChannelConn {
    sink: ClientSink,
    keys: Vec<SubscriptionKey>,
    polls: Vec<PollEntry>,
    filters: NoteFilters,
    /// A `main` channel (gets renotes of my posts from any subscription).
    is_main: bool,
}

/// One shared pnut subscription.
struct KeyState {
    refs: usize,
    slot: usize,
    subscription_id: Option<String>,
    newest_id: Option<String>,
    unused_since: Option<Instant>,
}

/// One pnut user-stream connection.
struct UpConn {
    generation: u64,
    connection_id: Option<String>,
    keys: BTreeSet<SubscriptionKey>,
    empty_since: Option<Instant>,
    forwarder: JoinHandle<()>,
}

struct Pool {
    ctx: Arc<BridgeContext>,
    token: String,
    me_id: String,
    commands: mpsc::Sender<PoolCommand>,
    channels: HashMap<(ClientId, String), ChannelConn>,
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
    /// The Misskey front's counters (backfills, gaps, best-effort captures).
    metrics: FrontMetrics,
    /// `connected` answers waiting for upstream subscribes.
    pending_acks: Vec<ack::PendingAck>,
}

/// Spawns the pool task of `token`.
pub(super) fn spawn(
    ctx: Arc<BridgeContext>,
    token: String,
    me_id: String,
    commands: mpsc::Sender<PoolCommand>,
    inbox: mpsc::Receiver<PoolCommand>,
) {
    let subscriptions_gauge =
        GaugeShare::new(ctx.metrics.upstream(UpstreamKind::Pnut).subscriptions);
    let metrics = ctx.metrics.front(Front::Misskey);
    let pool = Pool {
        subscriptions_gauge,
        metrics,
        ctx,
        token,
        me_id,
        commands,
        channels: HashMap::new(),
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
    };
    let drain = pool.ctx.drain.clone();
    drain.spawn(pool.run(inbox));
}

impl Pool {
    async fn run(mut self, mut inbox: mpsc::Receiver<PoolCommand>) {
        let poll_every = self
            .ctx
            .config()
            .timeouts
            .poll_interval
            .max(Duration::from_millis(10));
        let mut poll_timer = tokio::time::interval_at(Instant::now() + poll_every, poll_every);
        poll_timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let drain = self.ctx.drain.clone();
        loop {
            let deadline = self.next_deadline();
            tokio::select! {
                () = drain.requested() => {
                    self.drain().await;
                    break;
                }
                command = inbox.recv() => match command {
                    Some(command) => self.handle(command).await,
                    None => break,
                },
                () = sleep_until_opt(deadline) => self.expire(Instant::now()).await,
                _ = poll_timer.tick() => self.poll_all().await,
            }
            self.subscriptions_gauge.set(self.by_subscription.len());
        }
        for conn in self.conns.iter().flatten() {
            conn.forwarder.abort();
        }
    }

    async fn handle(&mut self, command: PoolCommand) {
        match command {
            PoolCommand::Connect {
                client,
                id,
                channel,
                params,
                pong,
                sink,
            } => {
                self.connect(client, id, &channel, &params, pong, sink)
                    .await
            }
            PoolCommand::Disconnect { client, id } => self.release_channel(&(client, id)),
            PoolCommand::ClientGone { client } => {
                let gone: Vec<_> = self
                    .channels
                    .keys()
                    .filter(|(c, _)| *c == client)
                    .cloned()
                    .collect();
                for key in gone {
                    self.release_channel(&key);
                }
                self.forget_acks(client, None);
                self.uncapture_all(client);
            }
            PoolCommand::SubNote {
                client,
                note_id,
                sink,
            } => self.capture(client, note_id, sink).await,
            PoolCommand::UnsubNote { client, note_id } => self.uncapture(client, &note_id),
            PoolCommand::Upstream {
                slot,
                generation,
                event,
            } => self.upstream(slot, generation, event).await,
        }
    }

    async fn connect(
        &mut self,
        client: ClientId,
        id: String,
        channel: &str,
        params: &Value,
        pong: bool,
        sink: ClientSink,
    ) {
        let tables = &self.ctx.config().mapping;
        let params = &pnut_params(params);
        let needs = match mapping::resolve_connect(tables, channel, params) {
            Ok(needs) => needs,
            Err(error) => {
                // Misskey's `init` refusing: the connection is removed, no `connected`.
                tracing::debug!(%error, "connect not resolvable; removed");
                self.release_channel(&(client, id));
                return;
            }
        };
        let filters = mapping::connect_filters(tables, channel, params);
        let mut keys = Vec::new();
        let mut polls = Vec::new();
        for need in needs {
            match need {
                UpstreamNeed::Subscribe(key) => keys.push(key),
                UpstreamNeed::Poll(entry) => polls.push(entry),
            }
        }
        for entry in &polls {
            self.acquire_poll(entry).await;
        }
        // Acquire before releasing a replaced connect, so a shared key never lingers.
        let mut held = Vec::new();
        for key in keys {
            if self.acquire(&key).await {
                held.push(key);
            }
        }
        let conn = ChannelConn {
            sink,
            keys: held,
            polls,
            filters,
            is_main: channel == "main",
        };
        if pong {
            self.ack_when_subscribed(client, id.clone(), conn.sink.clone());
        }
        if let Some(old) = self.channels.insert((client, id), conn) {
            for key in &old.keys {
                self.release_key(key);
            }
            for entry in &old.polls {
                self.release_poll(entry);
            }
        }
    }

    /// Takes a reference on `key`, subscribing it if new; false when no connection has room.
    async fn acquire(&mut self, key: &SubscriptionKey) -> bool {
        self.acquire_in(key, true).await
    }

    /// Like `acquire`, but never opens a pnut connection beyond the first.
    async fn acquire_within_open(&mut self, key: &SubscriptionKey) -> bool {
        let may_open = self.conns.iter().flatten().count() == 0;
        self.acquire_in(key, may_open).await
    }

    async fn acquire_in(&mut self, key: &SubscriptionKey, may_open: bool) -> bool {
        if let Some(state) = self.keys.get_mut(key) {
            state.refs += 1;
            state.unused_since = None;
            return true;
        }
        let Some(slot) = self.slot_with_room(may_open) else {
            if !may_open {
                return false;
            }
            self.refused_keys += 1;
            tracing::warn!(
                token = %token_hash(&self.token),
                refused = self.refused_keys,
                "every pnut connection of the token is full; key not subscribed"
            );
            return false;
        };
        self.keys.insert(
            key.clone(),
            KeyState {
                refs: 1,
                slot,
                subscription_id: None,
                newest_id: None,
                unused_since: None,
            },
        );
        let connection_id = self
            .conns
            .get_mut(slot)
            .and_then(Option::as_mut)
            .and_then(|conn| {
                conn.keys.insert(key.clone());
                conn.empty_since = None;
                conn.connection_id.clone()
            });
        if let Some(connection_id) = connection_id {
            self.subscribe(key, &connection_id).await;
        }
        true
    }

    /// A connection slot with fewer than the maximum subscriptions, opening one if allowed
    /// (`may_open` and under the per-token connection limit).
    fn slot_with_room(&mut self, may_open: bool) -> Option<usize> {
        let limits = &self.ctx.config().limits;
        let per_connection = limits.max_subscriptions_per_connection.max(1) as usize;
        if let Some(slot) = self.conns.iter().position(|conn| {
            conn.as_ref()
                .is_some_and(|conn| conn.keys.len() < per_connection)
        }) {
            return Some(slot);
        }
        let open = self.conns.iter().flatten().count();
        if !may_open || open >= limits.max_connections_per_token as usize {
            return None;
        }
        let slot = match self.conns.iter().position(Option::is_none) {
            Some(slot) => slot,
            None => {
                self.conns.push(None);
                self.conns.len() - 1
            }
        };
        self.next_generation += 1;
        let generation = self.next_generation;
        let mut stream = self.ctx.pnut.open_stream(&self.token);
        let commands = self.commands.clone();
        let forwarder = tokio::spawn(async move {
            while let Some(event) = stream.next_event().await {
                let command = PoolCommand::Upstream {
                    slot,
                    generation,
                    event,
                };
                if commands.send(command).await.is_err() {
                    break;
                }
            }
        });
        if let Some(entry) = self.conns.get_mut(slot) {
            *entry = Some(UpConn {
                generation,
                connection_id: None,
                keys: BTreeSet::new(),
                empty_since: None,
                forwarder,
            });
        }
        Some(slot)
    }

    fn release_channel(&mut self, key: &(ClientId, String)) {
        self.forget_acks(key.0, Some(&key.1));
        if let Some(conn) = self.channels.remove(key) {
            for key in &conn.keys {
                self.release_key(key);
            }
            for entry in &conn.polls {
                self.release_poll(entry);
            }
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

    async fn upstream(&mut self, slot: usize, generation: u64, event: PnutStreamEvent) {
        let current = self
            .conns
            .get(slot)
            .and_then(Option::as_ref)
            .is_some_and(|conn| conn.generation == generation);
        if !current {
            return;
        }
        match event {
            PnutStreamEvent::Connected { connection_id } => {
                let keys: Vec<SubscriptionKey> =
                    match self.conns.get_mut(slot).and_then(Option::as_mut) {
                        Some(conn) => {
                            conn.connection_id = Some(connection_id.clone());
                            conn.keys.iter().cloned().collect()
                        }
                        None => Vec::new(),
                    };
                for key in keys {
                    self.forget_subscription(&key);
                    self.subscribe(&key, &connection_id).await;
                }
            }
            PnutStreamEvent::Disconnected { reason, .. } => {
                tracing::debug!(%reason, "pnut connection lost; will re-subscribe");
                let keys: Vec<SubscriptionKey> =
                    match self.conns.get_mut(slot).and_then(Option::as_mut) {
                        Some(conn) => {
                            conn.connection_id = None;
                            conn.keys.iter().cloned().collect()
                        }
                        None => Vec::new(),
                    };
                for key in keys {
                    self.forget_subscription(&key);
                }
            }
            PnutStreamEvent::Rejected { status } => {
                tracing::warn!(token = %token_hash(&self.token), status, "pnut refused the stream");
                self.close_slot(slot);
            }
            PnutStreamEvent::Event(event) => {
                let keys: Vec<SubscriptionKey> = event
                    .meta
                    .subscription_ids
                    .iter()
                    .flatten()
                    .filter_map(|id| self.by_subscription.get(id).cloned())
                    .collect();
                self.send_note_updates(&keys, &event);
                self.route(&keys, &event);
            }
        }
    }

    fn forget_subscription(&mut self, key: &SubscriptionKey) {
        if let Some(state) = self.keys.get_mut(key)
            && let Some(id) = state.subscription_id.take()
        {
            self.by_subscription.remove(&id);
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
