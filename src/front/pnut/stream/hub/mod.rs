//! The per-token hub: the pnut front's session of one Misskey token (mapping.md §4.2, §8).
//! One task owns the token's tool connections, their subscriptions and the token's Misskey
//! streaming connection; HTTP handlers and sockets talk to it through [`HubHandle`].
//!
//! Lifecycle: every tool connection of the token holds a lease on the hub's session
//! (`ctx.hubs`) for its lifetime; `timeouts.session_idle` after the last one closed the
//! registry ends the session and the task returns. The Misskey stream is opened lazily, when
//! the first subscription joins, and closed when the last one leaves.
//!
//! The task never awaits the network: the token's user (`i`) and gap backfills are fetched by
//! spawned tasks whose results come back on bounded queues. Frames go to the tool connections
//! without waiting — a full queue closes that connection (slow consumer, [`ClientSink`]).

mod deliver;
mod pages;
mod recent;
mod rejoin;
mod upstream;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Map;
use tokio::sync::{mpsc, oneshot};

use super::backfill::{self, Backfilled};
use super::ids::random_id;
use super::refusal::Refusal;
use super::spec::SubSpec;
use crate::front::BridgeContext;
use crate::front::outbound::ClientSink;
use crate::misskey::MeDetailed;
use crate::pnut::{Token, User};
use crate::ratelimit::token_hash;
use crate::session::SessionEnd;
use recent::{Delivered, ReplyChains};

pub use pages::retryable as first_page_retryable;
use upstream::{ChannelKey, Upstream};

/// Capacity of a hub's command queue (senders wait while it is full; the hub never blocks
/// for long, so the wait is short).
const HUB_QUEUE: usize = 64;
/// Capacity of the queue of backfill results.
const BACKFILL_QUEUE: usize = 16;
/// Capacity of the queue of retried first pages.
const PAGE_QUEUE: usize = 16;

/// The handle of a hub (cheap to clone): the sender of its command queue.
#[derive(Debug, Clone)]
pub struct HubHandle {
    commands: mpsc::Sender<Command>,
}

/// A subscription the hub accepted.
#[derive(Debug)]
pub struct Subscribed {
    /// The subscription's id (`meta.subscription_id`).
    pub subscription_id: String,
    /// Completes once its upstream channel connections are joined (or can never be).
    pub ready: oneshot::Receiver<()>,
}

enum Command {
    Open {
        connection_id: String,
        pipe: ClientSink,
        max_subscriptions: u32,
    },
    Closed {
        connection_id: String,
    },
    Delete {
        connection_id: String,
        reply: oneshot::Sender<bool>,
    },
    Subscribe {
        connection_id: String,
        spec: Box<SubSpec>,
        reply: oneshot::Sender<Result<Subscribed, Refusal>>,
    },
    Unsubscribe {
        connection_id: String,
        subscription_id: String,
        reply: oneshot::Sender<bool>,
    },
    PageFailed {
        subscription_id: String,
        path: String,
        query: crate::front::pnut::rest::Query,
        retry_in: Option<std::time::Duration>,
    },
}

impl HubHandle {
    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(make(reply)).await.ok()?;
        answer.await.ok()
    }

    /// Adds tool connection `connection_id`, whose frames go to `pipe`.
    pub async fn open(
        &self,
        connection_id: String,
        pipe: ClientSink,
        max_subscriptions: u32,
    ) -> Result<(), Refusal> {
        let command = Command::Open {
            connection_id,
            pipe,
            max_subscriptions,
        };
        self.commands.send(command).await.map_err(|_| Refusal::Gone)
    }

    /// The socket of `connection_id` ended: its subscriptions end with it.
    pub async fn closed(&self, connection_id: String) {
        let _ = self.commands.send(Command::Closed { connection_id }).await;
    }

    /// Closes connection `connection_id` (`DELETE`); `false` if the hub does not have it.
    pub async fn delete(&self, connection_id: String) -> bool {
        self.ask(|reply| Command::Delete {
            connection_id,
            reply,
        })
        .await
        .unwrap_or(false)
    }

    /// Adds a subscription `spec` on `connection_id`.
    pub async fn subscribe(
        &self,
        connection_id: String,
        spec: SubSpec,
    ) -> Result<Subscribed, Refusal> {
        self.ask(|reply| Command::Subscribe {
            connection_id,
            spec: Box::new(spec),
            reply,
        })
        .await
        .unwrap_or(Err(Refusal::Gone))
    }

    /// The first page of `subscription_id` (`path` with `query`) failed upstream: the hub
    /// retries it with backoff (or after `retry_in`) while the subscription lives.
    pub async fn page_failed(
        &self,
        subscription_id: String,
        path: String,
        query: crate::front::pnut::rest::Query,
        retry_in: Option<std::time::Duration>,
    ) {
        let command = Command::PageFailed {
            subscription_id,
            path,
            query,
            retry_in,
        };
        let _ = self.commands.send(command).await;
    }

    /// Ends subscription `subscription_id` of `connection_id`; `false` if unknown.
    pub async fn unsubscribe(&self, connection_id: String, subscription_id: String) -> bool {
        self.ask(|reply| Command::Unsubscribe {
            connection_id,
            subscription_id,
            reply,
        })
        .await
        .unwrap_or(false)
    }
}

/// Starts the hub of `token`; it ends when `end` is requested (or the bridge drains).
pub fn start(ctx: Arc<BridgeContext>, token: String, end: SessionEnd) -> HubHandle {
    let (commands, rx) = mpsc::channel(HUB_QUEUE);
    let drain = ctx.drain.clone();
    drain.spawn(run(ctx, token, end, rx));
    HubHandle { commands }
}

/// The token's user, as far as the hub knows it.
enum Me {
    /// Not asked yet (no subscription joined so far).
    Unknown,
    /// `i` is under way; subscriptions wait in `pending`.
    Fetching,
    /// Known (a default user when `i` failed).
    Known,
}

struct Connection {
    pipe: ClientSink,
    /// `limits.front_max_subscriptions_per_connection` when the connection opened.
    max_subscriptions: u32,
    subscriptions: BTreeSet<String>,
}

struct Subscription {
    connection_id: String,
    spec: SubSpec,
    /// The channel connections it holds (empty until joined).
    keys: Vec<ChannelKey>,
    /// Whether it holds its channel connections and capture.
    joined: bool,
}

struct Hub {
    ctx: Arc<BridgeContext>,
    token_text: String,
    me_state: Me,
    me_tx: mpsc::Sender<User>,
    me: User,
    token: Token,
    backfill_tx: mpsc::Sender<Backfilled>,
    connections: HashMap<String, Connection>,
    subscriptions: BTreeMap<String, Subscription>,
    /// Subscriptions waiting for the token's user before they join.
    pending: Vec<(String, oneshot::Sender<()>)>,
    upstream: Upstream,
    /// Subscriptions whose first page is being retried.
    pending_pages: HashMap<String, pages::PendingPage>,
    /// Subscriptions counted in the pending gauge for a channel join being retried.
    joins_pending: usize,
    page_tx: mpsc::Sender<pages::PageOutcome>,
    /// Recent reply links (thread membership at any depth).
    chains: ReplyChains,
    /// Where recent notes went.
    delivered: Delivered,
}

async fn run(
    ctx: Arc<BridgeContext>,
    token: String,
    end: SessionEnd,
    mut commands: mpsc::Receiver<Command>,
) {
    let (me_tx, mut me_rx) = mpsc::channel(1);
    let (backfill_tx, mut backfill_rx) = mpsc::channel(BACKFILL_QUEUE);
    let (page_tx, mut page_rx) = mpsc::channel(PAGE_QUEUE);
    let drain = ctx.drain.clone();
    let mut hub = Hub {
        ctx,
        token_text: token,
        me_state: Me::Unknown,
        me_tx,
        me: User::default(),
        token: Token::default(),
        backfill_tx,
        connections: HashMap::new(),
        subscriptions: BTreeMap::new(),
        pending: Vec::new(),
        upstream: Upstream::default(),
        pending_pages: HashMap::new(),
        joins_pending: 0,
        page_tx,
        chains: ReplyChains::default(),
        delivered: Delivered::default(),
    };
    loop {
        tokio::select! {
            // Draining or idle: the upstream Misskey stream is closed below.
            () = drain.requested() => break,
            () = end.requested() => break,
            Some(me) = me_rx.recv() => hub.me_known(me).await,
            Some(done) = backfill_rx.recv() => hub.replay(done).await,
            Some(outcome) = page_rx.recv() => hub.page_outcome(outcome),
            () = crate::upstream::sleep_until_opt(hub.rejoin_at()) => hub.rejoin().await,
            command = commands.recv() => match command {
                Some(command) => hub.command(command).await,
                None => break,
            },
            event = hub.upstream.next_event() => hub.upstream_event(event).await,
        }
    }
    tracing::debug!(token = %token_hash(&hub.token_text), "pnut hub ends");
    for connection in hub.connections.values() {
        connection.pipe.close();
    }
    let waiting: Vec<String> = hub.pending_pages.keys().cloned().collect();
    for subscription_id in waiting {
        hub.forget_page(&subscription_id);
    }
    hub.subscriptions.clear();
    hub.recount_joins();
    hub.upstream.close(&drain);
    end.ended();
}

impl Hub {
    async fn command(&mut self, command: Command) {
        match command {
            Command::Open {
                connection_id,
                pipe,
                max_subscriptions,
            } => {
                let connection = Connection {
                    pipe,
                    max_subscriptions,
                    subscriptions: BTreeSet::new(),
                };
                self.connections.insert(connection_id, connection);
            }
            Command::Closed { connection_id } => self.remove_connection(&connection_id).await,
            Command::Delete {
                connection_id,
                reply,
            } => {
                let found = match self.connections.get(&connection_id) {
                    Some(connection) => {
                        connection.pipe.close();
                        true
                    }
                    None => false,
                };
                self.remove_connection(&connection_id).await;
                let _ = reply.send(found);
            }
            Command::Subscribe {
                connection_id,
                spec,
                reply,
            } => {
                let answer = self.subscribe(connection_id, *spec).await;
                let _ = reply.send(answer);
            }
            Command::Unsubscribe {
                connection_id,
                subscription_id,
                reply,
            } => {
                let owned = self
                    .connections
                    .get_mut(&connection_id)
                    .is_some_and(|c| c.subscriptions.remove(&subscription_id));
                if owned {
                    self.remove_subscription(&subscription_id).await;
                }
                let _ = reply.send(owned);
            }
            Command::PageFailed {
                subscription_id,
                path,
                query,
                retry_in,
            } => self.page_failed(subscription_id, path, query, retry_in),
        }
    }

    async fn subscribe(
        &mut self,
        connection_id: String,
        spec: SubSpec,
    ) -> Result<Subscribed, Refusal> {
        let connection = self
            .connections
            .get_mut(&connection_id)
            .ok_or(Refusal::UnknownConnection)?;
        let max = connection.max_subscriptions;
        if connection.subscriptions.len() >= max as usize {
            return Err(Refusal::Full(max));
        }
        let subscription_id = random_id();
        connection.subscriptions.insert(subscription_id.clone());
        self.subscriptions.insert(
            subscription_id.clone(),
            Subscription {
                connection_id,
                spec,
                keys: Vec::new(),
                joined: false,
            },
        );
        let (ready, ready_rx) = oneshot::channel();
        match self.me_state {
            Me::Known => self.join(&subscription_id, ready).await,
            Me::Fetching => self.pending.push((subscription_id.clone(), ready)),
            Me::Unknown => {
                self.pending.push((subscription_id.clone(), ready));
                self.me_state = Me::Fetching;
                self.fetch_me();
            }
        }
        Ok(Subscribed {
            subscription_id,
            ready: ready_rx,
        })
    }

    /// Fetches the token's user in the background; it arrives as [`Hub::me_known`].
    fn fetch_me(&self) {
        let ctx = Arc::clone(&self.ctx);
        let token = self.token_text.clone();
        let results = self.me_tx.clone();
        tokio::spawn(async move {
            let me = match ctx
                .misskey
                .read::<MeDetailed>(&token, "i", Map::new())
                .await
            {
                Ok(me) => {
                    crate::translate::misskey_me_to_pnut(&me, &ctx.translate).unwrap_or_default()
                }
                Err(error) => {
                    tracing::warn!(token = %token_hash(&token), %error, "pnut hub: cannot read the token's user");
                    User::default()
                }
            };
            let _ = results.send(me).await;
        });
    }

    /// The token's user arrived: the waiting subscriptions join.
    async fn me_known(&mut self, me: User) {
        self.token = Token {
            user: Some(me.clone()),
            ..Token::default()
        };
        self.me = me;
        self.me_state = Me::Known;
        for (subscription_id, ready) in std::mem::take(&mut self.pending) {
            self.join(&subscription_id, ready).await;
        }
    }

    /// Joins the channels and capture of a subscription (if it still exists).
    async fn join(&mut self, subscription_id: &str, ready: oneshot::Sender<()>) {
        let Some(subscription) = self.subscriptions.get_mut(subscription_id) else {
            let _ = ready.send(());
            return;
        };
        subscription.keys = self
            .upstream
            .join(&self.ctx, &self.token_text, &subscription.spec, ready)
            .await;
        subscription.joined = true;
    }

    async fn remove_connection(&mut self, connection_id: &str) {
        let Some(connection) = self.connections.remove(connection_id) else {
            return;
        };
        for subscription_id in connection.subscriptions {
            self.remove_subscription(&subscription_id).await;
        }
    }

    /// Drops a subscription; the Misskey stream closes with the last joined one.
    async fn remove_subscription(&mut self, subscription_id: &str) {
        let Some(subscription) = self.subscriptions.remove(subscription_id) else {
            return;
        };
        self.forget_page(subscription_id);
        if subscription.joined {
            self.upstream
                .leave(&subscription.keys, subscription.spec.capture.as_deref())
                .await;
        }
        if self.upstream.is_unused() {
            self.upstream.close(&self.ctx.drain);
        }
        if self.joins_pending > 0 {
            self.recount_joins();
        }
    }

    /// After a reconnect: fetches what each note channel missed, in the background.
    fn start_backfill(&self) {
        for (upstream_id, channel, params, since) in self.upstream.backfill_points() {
            backfill::spawn(
                Arc::clone(&self.ctx),
                self.token_text.clone(),
                upstream_id,
                channel,
                params,
                since,
                self.backfill_tx.clone(),
            );
        }
    }
}
