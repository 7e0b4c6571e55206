//! The per-token hub: one Misskey streaming connection per token, one channel connection per
//! distinct (channel, params), refcounted across every subscription of every tool connection
//! of the token. Each upstream event is translated once and goes out once per tool
//! connection, naming every matching subscription of that connection (mapping.md §4.2).
//!
//! The hub only receives commands from the registry and never waits on it; frames go to the
//! tool connections without waiting — a full queue closes that connection (slow consumer).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};

use super::backfill::{self, Backfilled};
use super::matching::{Accept, EventFacts, translate_channel_event, translate_note_updated};
use super::registry::ConnectionPipe;
use crate::front::BridgeContext;
use crate::misskey::{MeDetailed, ServerMessage};
use crate::pnut::{Meta, Token, User};
use crate::ratelimit::token_hash;
use crate::upstream::misskey::{MisskeyStream, MisskeyStreamEvent};

/// Capacity of a hub's command queue.
const HUB_QUEUE: usize = 64;
/// How many recently delivered (subscription, event) pairs are remembered for deduplication.
const DEDUP_WINDOW: usize = 1024;
/// Capacity of the queue of backfill results.
const BACKFILL_QUEUE: usize = 16;

/// One subscription as the hub sees it.
#[derive(Debug, Clone)]
pub struct SubSpec {
    /// Misskey channels to join: (channel name, connect params).
    pub joins: Vec<(String, Map<String, Value>)>,
    /// Misskey id of a note to capture (`subNote`), if any.
    pub capture: Option<String>,
    /// pnut id of the captured post (thread subscriptions match on it).
    pub capture_pnut: Option<String>,
    /// Which upstream events the subscription takes.
    pub accept: Accept,
    /// Only the token owner's own notes pass.
    pub own_only: bool,
}

/// What the registry tells a hub.
#[derive(Debug)]
pub enum HubCommand {
    /// A new subscription; `ready` completes once its channel connections are joined upstream.
    AddSubscription {
        /// Owning tool connection.
        connection_id: String,
        /// The subscription's id.
        subscription_id: String,
        /// Where that connection's frames go.
        pipe: ConnectionPipe,
        /// What it joins and matches.
        spec: SubSpec,
        /// Completed when joined.
        ready: oneshot::Sender<()>,
    },
    /// A subscription ended.
    RemoveSubscription {
        /// The subscription's id.
        subscription_id: String,
    },
}

/// Starts the hub of `token`; it ends when the returned sender is dropped.
pub fn start(ctx: Arc<BridgeContext>, token: String) -> mpsc::Sender<HubCommand> {
    let (commands, rx) = mpsc::channel(HUB_QUEUE);
    let drain = ctx.drain.clone();
    drain.spawn(run(ctx, token, rx));
    commands
}

type ChannelKey = (String, String);

struct Joined {
    upstream_id: String,
    params: Map<String, Value>,
    /// Newest note id seen on this channel connection (backfill starts after it).
    last_note: Option<String>,
    refcount: usize,
    acknowledged: bool,
}

struct Subscription {
    connection_id: String,
    pipe: ConnectionPipe,
    spec: SubSpec,
    keys: Vec<ChannelKey>,
}

struct Waiter {
    remaining: BTreeSet<String>,
    ready: Option<oneshot::Sender<()>>,
}

struct Hub {
    ctx: Arc<BridgeContext>,
    token_text: String,
    backfill_tx: mpsc::Sender<Backfilled>,
    stream: MisskeyStream,
    stream_ended: bool,
    me: User,
    token: Token,
    channels: HashMap<ChannelKey, Joined>,
    by_upstream_id: HashMap<String, ChannelKey>,
    captures: HashMap<String, usize>,
    subscriptions: BTreeMap<String, Subscription>,
    waiters: Vec<Waiter>,
    delivered: VecDeque<(String, String)>,
    /// The same pairs, for O(1) lookups (one per subscription per event).
    delivered_set: HashSet<(String, String)>,
    next_channel: u64,
}

async fn run(ctx: Arc<BridgeContext>, token: String, mut commands: mpsc::Receiver<HubCommand>) {
    let stream = ctx.misskey.open_stream(&token);
    let me = match ctx
        .misskey
        .read::<MeDetailed>(&token, "i", Map::new())
        .await
    {
        Ok(me) => crate::translate::misskey_me_to_pnut(&me, &ctx.translate).unwrap_or_default(),
        Err(error) => {
            tracing::warn!(token = %token_hash(&token), %error, "pnut hub: cannot read the token's user");
            User::default()
        }
    };
    let pnut_token = Token {
        user: Some(me.clone()),
        ..Token::default()
    };
    let (backfill_tx, mut backfill_rx) = mpsc::channel(BACKFILL_QUEUE);
    let mut hub = Hub {
        ctx,
        token_text: token.clone(),
        backfill_tx,
        stream,
        stream_ended: false,
        me,
        token: pnut_token,
        channels: HashMap::new(),
        by_upstream_id: HashMap::new(),
        captures: HashMap::new(),
        subscriptions: BTreeMap::new(),
        waiters: Vec::new(),
        delivered: VecDeque::new(),
        delivered_set: HashSet::new(),
        next_channel: 0,
    };
    let drain = hub.ctx.drain.clone();
    loop {
        tokio::select! {
            // Draining: the upstream Misskey stream is closed below.
            () = drain.requested() => break,
            Some(done) = backfill_rx.recv() => hub.replay(done),
            command = commands.recv() => match command {
                Some(command) => hub.command(command).await,
                None => break,
            },
            event = hub.stream.next_event(), if !hub.stream_ended => match event {
                Some(event) => hub.upstream(event),
                None => {
                    // The upstream refused the token for good: subscriptions stay (they end
                    // with their connections) but nothing more arrives.
                    hub.stream_ended = true;
                    hub.release_waiters();
                }
            },
        }
    }
    tracing::debug!(token = %token_hash(&token), "pnut hub ends");
    hub.stream.close().await;
}

fn channel_key(channel: &str, params: &Map<String, Value>) -> ChannelKey {
    (
        channel.to_owned(),
        Value::Object(params.clone()).to_string(),
    )
}

impl Hub {
    async fn command(&mut self, command: HubCommand) {
        match command {
            HubCommand::AddSubscription {
                connection_id,
                subscription_id,
                pipe,
                spec,
                ready,
            } => {
                // Captured first: the channel joins' acknowledgements then imply it is live.
                if let Some(note_id) = &spec.capture {
                    let count = self.captures.entry(note_id.clone()).or_insert(0);
                    if *count == 0 {
                        let _ = self.stream.sub_note(note_id).await;
                    }
                    *count += 1;
                }
                let mut keys = Vec::new();
                let mut remaining = BTreeSet::new();
                for (channel, params) in &spec.joins {
                    let key = channel_key(channel, params);
                    if keys.contains(&key) {
                        continue;
                    }
                    keys.push(key.clone());
                    if let Some(joined) = self.channels.get_mut(&key) {
                        joined.refcount += 1;
                        if !joined.acknowledged {
                            remaining.insert(joined.upstream_id.clone());
                        }
                        continue;
                    }
                    self.next_channel += 1;
                    let upstream_id = format!("pnutkey-{}", self.next_channel);
                    let connect_params = (!params.is_empty()).then(|| params.clone());
                    let _ = self
                        .stream
                        .connect_channel(&upstream_id, channel, connect_params)
                        .await;
                    remaining.insert(upstream_id.clone());
                    self.by_upstream_id.insert(upstream_id.clone(), key.clone());
                    self.channels.insert(
                        key,
                        Joined {
                            upstream_id,
                            params: params.clone(),
                            last_note: None,
                            refcount: 1,
                            acknowledged: false,
                        },
                    );
                }
                if remaining.is_empty() || self.stream_ended {
                    let _ = ready.send(());
                } else {
                    self.waiters.push(Waiter {
                        remaining,
                        ready: Some(ready),
                    });
                }
                self.subscriptions.insert(
                    subscription_id,
                    Subscription {
                        connection_id,
                        pipe,
                        spec,
                        keys,
                    },
                );
            }
            HubCommand::RemoveSubscription { subscription_id } => {
                let Some(subscription) = self.subscriptions.remove(&subscription_id) else {
                    return;
                };
                for key in subscription.keys {
                    let Some(joined) = self.channels.get_mut(&key) else {
                        continue;
                    };
                    joined.refcount = joined.refcount.saturating_sub(1);
                    if joined.refcount == 0 {
                        let upstream_id = joined.upstream_id.clone();
                        self.channels.remove(&key);
                        self.by_upstream_id.remove(&upstream_id);
                        let _ = self.stream.disconnect_channel(&upstream_id).await;
                    }
                }
                if let Some(note_id) = subscription.spec.capture
                    && let Some(count) = self.captures.get_mut(&note_id)
                {
                    *count = count.saturating_sub(1);
                    if *count == 0 {
                        self.captures.remove(&note_id);
                        let _ = self.stream.unsub_note(&note_id).await;
                    }
                }
            }
        }
    }

    /// Completes every pending `ready` (the stream has ended: no acknowledgement will come).
    fn release_waiters(&mut self) {
        for waiter in self.waiters.drain(..) {
            if let Some(ready) = waiter.ready {
                let _ = ready.send(());
            }
        }
    }

    fn upstream(&mut self, event: MisskeyStreamEvent) {
        match event {
            MisskeyStreamEvent::Message(ServerMessage::Connected { id }) => {
                if let Some(joined) = self
                    .by_upstream_id
                    .get(&id)
                    .and_then(|key| self.channels.get_mut(key))
                {
                    joined.acknowledged = true;
                }
                for waiter in &mut self.waiters {
                    waiter.remaining.remove(&id);
                    if waiter.remaining.is_empty()
                        && let Some(ready) = waiter.ready.take()
                    {
                        let _ = ready.send(());
                    }
                }
                self.waiters.retain(|w| w.ready.is_some());
            }
            MisskeyStreamEvent::Message(ServerMessage::Channel { id, kind, body }) => {
                let Some((channel, _)) = self.by_upstream_id.get(&id).cloned() else {
                    return;
                };
                let key = self.by_upstream_id.get(&id).cloned();
                self.saw_note(key.as_ref(), &body);
                let facts = translate_channel_event(
                    &channel,
                    &kind,
                    &body,
                    &self.me,
                    &self.token,
                    &self.ctx.translate,
                );
                if let (Some(facts), Some(key)) = (facts, key) {
                    self.deliver(&facts, |sub| {
                        sub.keys.contains(&key) && sub.spec.accept.takes_channel(&channel, &kind)
                    });
                }
            }
            MisskeyStreamEvent::Message(ServerMessage::NoteUpdated { id, kind, body }) => {
                if !self.captures.contains_key(&id) {
                    return;
                }
                if let Some(facts) = translate_note_updated(&id, &kind, &body, &self.ctx.translate)
                {
                    self.deliver(&facts, |sub| {
                        sub.spec.capture.as_deref() == Some(id.as_str())
                    });
                }
            }
            MisskeyStreamEvent::Message(ServerMessage::Broadcast { .. })
            | MisskeyStreamEvent::Connected { reconnect: false }
            | MisskeyStreamEvent::Disconnected { .. } => {}
            MisskeyStreamEvent::Connected { reconnect: true } => self.start_backfill(),
            MisskeyStreamEvent::Rejected { status } => {
                tracing::warn!(status, "pnut hub: upstream stream refused");
            }
        }
    }

    /// Remembers the newest note id seen on a channel connection.
    fn saw_note(&mut self, key: Option<&ChannelKey>, body: &Value) {
        let id = backfill::note_id(body);
        if id.is_empty() {
            return;
        }
        if let Some(joined) = key.and_then(|key| self.channels.get_mut(key))
            && joined.last_note.as_deref().is_none_or(|last| last < id)
        {
            joined.last_note = Some(id.to_owned());
        }
    }

    /// After a reconnect: fetches what each note channel missed.
    fn start_backfill(&self) {
        for ((channel, _), joined) in &self.channels {
            if let Some(since) = &joined.last_note {
                backfill::spawn(
                    Arc::clone(&self.ctx),
                    self.token_text.clone(),
                    joined.upstream_id.clone(),
                    channel.clone(),
                    joined.params.clone(),
                    since.clone(),
                    self.backfill_tx.clone(),
                );
            }
        }
    }

    /// Replays backfilled notes through the normal event path (deduplicated there).
    fn replay(&mut self, done: Backfilled) {
        self.ctx
            .metrics
            .front(crate::metrics::Front::Pnut)
            .backfilled
            .inc_by(done.notes.len() as u64);
        for body in done.notes {
            self.upstream(MisskeyStreamEvent::Message(ServerMessage::Channel {
                id: done.upstream_id.clone(),
                kind: done.kind.to_owned(),
                body,
            }));
        }
    }

    /// Sends `facts` once per tool connection, naming every matching subscription that has not
    /// had this event yet.
    fn deliver(&mut self, facts: &EventFacts, joined: impl Fn(&Subscription) -> bool) {
        let mut per_connection: BTreeMap<String, (ConnectionPipe, Vec<String>)> = BTreeMap::new();
        for (subscription_id, sub) in &self.subscriptions {
            if !joined(sub) || !facts.passes(&sub.spec, &self.me) {
                continue;
            }
            let marker = (subscription_id.clone(), facts.dedup_key.clone());
            if self.delivered_set.contains(&marker) {
                continue;
            }
            self.delivered.push_back(marker.clone());
            self.delivered_set.insert(marker);
            if self.delivered.len() > DEDUP_WINDOW
                && let Some(oldest) = self.delivered.pop_front()
            {
                self.delivered_set.remove(&oldest);
            }
            per_connection
                .entry(sub.connection_id.clone())
                .or_insert_with(|| (sub.pipe.clone(), Vec::new()))
                .1
                .push(subscription_id.clone());
        }
        if per_connection.is_empty() {
            return;
        }
        // `data` is serialised once per event; only the small `meta` differs per connection.
        let Ok(data_json) = serde_json::to_string(&facts.event.data) else {
            return;
        };
        for (pipe, subscription_ids) in per_connection.into_values() {
            let meta = Meta {
                subscription_ids: Some(subscription_ids),
                id: Some(facts.event.object_id.clone()),
                timestamp: Some(chrono::Utc::now().timestamp()),
                is_deleted: facts.event.is_deleted.then_some(true),
                revision: facts.event.revision,
                channel_type: facts.channel_type.clone(),
                ..Meta::default()
            };
            let Ok(meta_json) = serde_json::to_string(&meta) else {
                continue;
            };
            pipe.push(format!(r#"{{"meta":{meta_json},"data":{data_json}}}"#));
        }
    }
}
