//! One upstream session per token across the fleet (`[cluster]`, mapping.md §9): with a
//! cluster, a token's Misskey-front session on each instance is a relay task standing in for
//! the pool (the sockets talk to it with the pool's commands).
//!
//! - Every Misskey connect becomes a *virtual channel*: its id is derived from the channel and
//!   params ([`frames::virtual_id`]), so all clients of the token on all instances with the same
//!   connect share one. Captured notes (`subNote`) are shared the same way, by note id.
//! - The instance holding the token's lease (renewed every third of `lease_ttl`) is the
//!   *owner*: it runs the token's real pool, connects there every virtual channel the fleet
//!   needs (its own and those the others announce; fleet-wide refcounts, so the pool's
//!   16-per-connection rule and its linger hold for the fleet), and publishes each frame of its
//!   pool once on the token's event channel.
//! - The others are *followers*: they announce their needs on the token's command channel (on
//!   every change, and every third of `lease_ttl`, so a restarted owner learns them) and
//!   deliver the owner's frames to their clients, re-spliced per client channel id.
//! - When the owner dies its lease runs out; the next follower to claim it becomes owner,
//!   starts the pool from the newest post it delivered ([`PoolCommand::Resume`]) so the first
//!   page of each re-created subscription is the backfill, and says hello so the others
//!   announce at once. With Redis down a relay serves its own clients alone (its own pool,
//!   resumed from the newest post delivered). Rejoining as a follower it keeps that pool as a
//!   *standby* until the owner said `connected` for each of its needs, and announces where it
//!   stopped so the owner's new subscriptions backfill from there; what arrives twice goes
//!   out once ([`handover`]).
//! - A follower's client events for the session itself (`readNotification`, the bridge's own
//!   `main` events) go to the owner's pool over the command channel; the resulting frames
//!   reach every client of the fleet like any other. The session events of REST calls, which
//!   may land where no relay runs, reach the owners through the fleet ([`rest_events`]).
//!
//! The relay task owns all of this and never awaits Redis: claims and publishes run in their
//! own tasks (publishes in order, through one bounded queue: full → dropped, counted).

mod frames;
mod handover;
mod local;
mod owner;
mod rest_events;

pub use rest_events::{read_notifications, user_main_event};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cluster::{Cluster, Holder, Subscription};
use crate::front::BridgeContext;
use crate::front::misskey::stream::{ClientId, PoolCommand, PoolHandle};
use crate::front::outbound::{ClientQueue, ClientSink, SlowSignal};
use crate::session::SessionEnd;

/// Commands from local sockets queued for a relay (senders wait when full).
const COMMAND_QUEUE: usize = 256;
/// Fleet messages queued for a relay (the bus drops beyond: counted).
const FLEET_QUEUE: usize = 1024;
/// Frames queued for publishing (beyond: dropped, counted).
const PUBLISH_QUEUE: usize = 1024;
/// Session events (reads, `main` events) held until the first claim answers (beyond: dropped).
const EARLY_EVENTS: usize = 32;
/// The pool's client id for the relay itself.
const RELAY_CLIENT: ClientId = ClientId::MAX;
/// The lease name of the Misskey front's sessions.
const FRONT: &str = "misskey";

/// The local pool of a relay: its handle, end, and the queue of its frames.
struct LocalPool {
    pool: PoolHandle,
    pool_end: SessionEnd,
    frames: ClientQueue,
    sink: ClientSink,
    /// Resolves if the relay ever fell 64 MiB behind its pool (frames were lost).
    overflow: SlowSignal,
}

/// What this instance is for the token.
enum Mode {
    /// The first claim has not answered yet.
    Pending,
    /// Runs the token's pool; `alone` while Redis is down (nothing published).
    Owner { local: LocalPool, alone: bool },
    /// Another instance owns the session. `standby`: the pool this instance ran until it
    /// (re)joined as a follower, still serving its clients until the owner said `connected`
    /// for every virtual channel needed here (so no frame falls between the two), at most
    /// until `until`.
    Follower {
        owner: String,
        standby: Option<(LocalPool, Instant)>,
    },
}

/// The relay task of one token.
struct Relay {
    ctx: Arc<BridgeContext>,
    cluster: Arc<Cluster>,
    token: String,
    me_id: String,
    end: SessionEnd,
    ev_channel: String,
    cmd_channel: String,
    /// Local channel connections → the virtual channel of each connection under that id.
    channels: HashMap<local::ConnKey, Vec<String>>,
    needed: HashMap<String, local::Needed>,
    captures: HashMap<String, HashMap<ClientId, ClientSink>>,
    /// The newest pnut post id delivered here (where a takeover resumes).
    newest: Option<String>,
    /// Set while this instance rejoins as a follower after serving its clients itself: where
    /// the owner's new subscriptions for its needs start (their first page is a backfill).
    resume: Option<String>,
    mode: Mode,
    /// Session events that came before the first claim answered, applied once it did.
    early: Vec<PoolCommand>,
    owner: owner::OwnerState,
    fleet_rx: mpsc::Receiver<Arc<str>>,
    fleet_tx: mpsc::Sender<Arc<str>>,
    subscription: Option<Subscription>,
    /// The user's fleet channel of `main` events ([`rest_events`]), heard while the owner.
    user_channel: String,
    user_subscription: Option<Subscription>,
    publish: mpsc::Sender<(String, Arc<str>)>,
    claims_tx: mpsc::Sender<Result<Holder, ()>>,
    claim_in_flight: bool,
}

/// Starts the relay session of `token` (pnut user `me_id`); for
/// [`crate::session::Sessions::acquire`] in place of the pool.
pub fn start(
    ctx: Arc<BridgeContext>,
    cluster: Arc<Cluster>,
    token: String,
    me_id: String,
    end: SessionEnd,
) -> PoolHandle {
    let (commands, inbox) = mpsc::channel(COMMAND_QUEUE);
    let (fleet_tx, fleet_rx) = mpsc::channel(FLEET_QUEUE);
    let (publish, to_publish) = mpsc::channel(PUBLISH_QUEUE);
    let (claims_tx, claims_rx) = mpsc::channel(4);
    let tag = crate::cluster::token_key(&token);
    let handle = PoolHandle::from_sender(commands, &me_id);
    let relay = Relay {
        ev_channel: cluster.key(&format!("ev:{{{FRONT}:{tag}}}")),
        cmd_channel: rest_events::cmd_channel(&cluster, &token),
        user_channel: rest_events::user_channel(&cluster, &me_id),
        user_subscription: None,
        ctx: Arc::clone(&ctx),
        cluster: Arc::clone(&cluster),
        token,
        me_id,
        end,
        channels: HashMap::new(),
        needed: HashMap::new(),
        captures: HashMap::new(),
        newest: None,
        resume: None,
        mode: Mode::Pending,
        early: Vec::new(),
        owner: owner::OwnerState::default(),
        fleet_rx,
        fleet_tx,
        subscription: None,
        publish,
        claims_tx,
        claim_in_flight: false,
    };
    tokio::spawn(publisher(cluster, to_publish));
    ctx.drain.spawn(relay.run(inbox, claims_rx));
    handle
}

/// Publishes queued frames in order; ends when the relay is gone.
async fn publisher(cluster: Arc<Cluster>, mut queue: mpsc::Receiver<(String, Arc<str>)>) {
    while let Some((channel, frame)) = queue.recv().await {
        let _ = cluster.publish(&channel, &frame).await;
    }
}

impl Relay {
    async fn run(
        mut self,
        mut inbox: mpsc::Receiver<PoolCommand>,
        mut claims: mpsc::Receiver<Result<Holder, ()>>,
    ) {
        let every = (self.cluster.settings().lease_ttl / 3).max(Duration::from_millis(10));
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let drain = self.ctx.drain.clone();
        let end = self.end.clone();
        loop {
            tokio::select! {
                () = drain.requested() => break,
                () = end.requested() => break,
                command = inbox.recv() => match command {
                    Some(command) => self.command(command).await,
                    None => break,
                },
                Some(output) = pool_output(&mut self.mode) => match output {
                    PoolOutput::Frame(frame) => self.pool_frame(&frame),
                    PoolOutput::Standby(frame) => self.deliver(&frame, true),
                    PoolOutput::Overflow => self.restart_pool().await,
                },
                Some(message) = self.fleet_rx.recv() => self.fleet_message(&message).await,
                Some(claim) = claims.recv() => {
                    self.claim_in_flight = false;
                    self.claimed(claim).await;
                }
                _ = tick.tick() => self.tick().await,
            }
        }
        self.shutdown();
        self.end.ended();
    }

    async fn command(&mut self, command: PoolCommand) {
        match command {
            PoolCommand::Connect {
                client,
                id,
                channel,
                params,
                pong,
                sink,
                since: _,
            } => self.connect((client, id), channel, params, pong, sink),
            PoolCommand::Disconnect { client, id } => self.release(&(client, id)),
            PoolCommand::ClientGone { client } => self.client_gone(client),
            PoolCommand::SubNote {
                client,
                note_id,
                sink,
            } => {
                if !self.capture(client, note_id, sink) {
                    return;
                }
            }
            PoolCommand::UnsubNote { client, note_id } => self.uncapture(client, &note_id),
            PoolCommand::Resume { .. } => return,
            command @ (PoolCommand::MainEvent { .. } | PoolCommand::ReadNotifications) => {
                // The unread state and the `main` connections live in the session's pool:
                // applied there, or forwarded to the owner's (its frames reach the fleet).
                self.apply_in_session(command).await;
                return;
            }
        }
        self.needs_changed().await;
    }

    /// Claims (or renews) the lease in a spawned call; the answer comes back as a message.
    fn spawn_claim(&mut self) {
        if self.claim_in_flight {
            return;
        }
        self.claim_in_flight = true;
        let cluster = Arc::clone(&self.cluster);
        let token = self.token.clone();
        let answers = self.claims_tx.clone();
        tokio::spawn(async move {
            let claim = cluster.claim(FRONT, &token).await.map_err(|_| ());
            let _ = answers.send(claim).await;
        });
    }

    /// Queues `frame` for publishing on `channel` (full: dropped, counted).
    fn publish(&self, channel: &str, frame: Arc<str>) {
        if self.publish.try_send((channel.to_owned(), frame)).is_err() {
            self.cluster.metrics().messages_dropped.inc();
        }
    }

    async fn tick(&mut self) {
        self.spawn_claim();
        match &self.mode {
            Mode::Follower { .. } => {
                self.settle_standby(Instant::now());
                self.announce();
            }
            Mode::Owner { .. } => self.expire_remotes(Instant::now()).await,
            Mode::Pending => {}
        }
    }

    fn shutdown(&mut self) {
        self.subscription = None;
        self.user_subscription = None;
        match std::mem::replace(&mut self.mode, Mode::Pending) {
            Mode::Owner { local, .. } => {
                local.pool_end.ended();
                let (cluster, token) = (Arc::clone(&self.cluster), self.token.clone());
                tokio::spawn(async move { cluster.release(FRONT, &token).await });
            }
            Mode::Follower { standby, .. } => {
                if let Some((local, _)) = standby {
                    local.pool_end.ended();
                }
                self.needed.clear();
                self.captures.clear();
                self.announce();
            }
            Mode::Pending => {}
        }
    }
}

/// What the local pool produced.
enum PoolOutput {
    /// A frame of the session's pool (this instance owns the session).
    Frame(Arc<str>),
    /// A frame of the standby pool (a follower's, during a hand-over).
    Standby(Arc<str>),
    /// Its queue to the relay overflowed: frames were lost.
    Overflow,
}

/// The next output of the local pool, when this instance runs one (else never).
async fn pool_output(mode: &mut Mode) -> Option<PoolOutput> {
    match mode {
        Mode::Owner { local, .. } => tokio::select! {
            frame = local.frames.next() => frame.map(PoolOutput::Frame),
            () = local.overflow.overflowed() => Some(PoolOutput::Overflow),
        },
        Mode::Follower {
            standby: Some((local, _)),
            ..
        } => tokio::select! {
            frame = local.frames.next() => frame.map(PoolOutput::Standby),
            // The standby is a bridge over a hand-over: one that falls behind just ends.
            () = local.overflow.overflowed() => Some(PoolOutput::Overflow),
        },
        _ => std::future::pending().await,
    }
}

/// True when pnut id `candidate` is newer than `current` (ids are decimal strings).
fn newer(candidate: &str, current: Option<&str>) -> bool {
    current.is_none_or(|current| (candidate.len(), candidate) > (current.len(), current))
}
