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
//!   announce at once. With Redis down a relay serves its own clients alone (its own pool).
//!
//! The relay task owns all of this and never awaits Redis: claims and publishes run in their
//! own tasks (publishes in order, through one bounded queue: full → dropped, counted).

mod frames;
mod owner;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cluster::{Cluster, Holder, Subscription};
use crate::front::BridgeContext;
use crate::front::misskey::stream::{ClientId, PoolCommand, PoolHandle};
use crate::front::outbound::{ClientQueue, ClientSink, SlowSignal};
use crate::misskey::ServerMessage;
use crate::session::SessionEnd;
use frames::{Frame, Splicer};

/// Commands from local sockets queued for a relay (senders wait when full).
const COMMAND_QUEUE: usize = 256;
/// Fleet messages queued for a relay (the bus drops beyond: counted).
const FLEET_QUEUE: usize = 1024;
/// Frames queued for publishing (beyond: dropped, counted).
const PUBLISH_QUEUE: usize = 1024;
/// Note ids remembered per virtual channel to deliver each note once.
const RECENT_NOTES: usize = 512;
/// The pool's client id for the relay itself.
const RELAY_CLIENT: ClientId = ClientId::MAX;
/// The lease name of the Misskey front's sessions.
const FRONT: &str = "misskey";

/// One local channel connection: its virtual channel and where its frames go.
struct LocalChannel {
    vid: String,
    sink: ClientSink,
}

/// One virtual channel this instance needs.
struct Needed {
    channel: String,
    params: Value,
    /// The local channel connections on it.
    clients: BTreeSet<(ClientId, String)>,
    /// Whether the owner's pool said `connected` for it.
    connected: bool,
    /// Local connects waiting for that `connected`.
    pending: Vec<(String, ClientSink)>,
    /// The notes delivered on it lately: a note seen twice (a takeover's backfill overlapping
    /// what another owner sent, a switch between owners) goes out once.
    recent: RecentNotes,
}

/// The last [`RECENT_NOTES`] note ids of a virtual channel.
#[derive(Default)]
struct RecentNotes {
    order: std::collections::VecDeque<String>,
    ids: std::collections::HashSet<String>,
}

impl RecentNotes {
    /// Records `id`; false when it was seen already.
    fn first_time(&mut self, id: &str) -> bool {
        if self.ids.contains(id) {
            return false;
        }
        if self.order.len() >= RECENT_NOTES
            && let Some(oldest) = self.order.pop_front()
        {
            self.ids.remove(&oldest);
        }
        self.order.push_back(id.to_owned());
        self.ids.insert(id.to_owned());
        true
    }
}

/// What this instance is for the token.
enum Mode {
    /// The first claim has not answered yet.
    Pending,
    /// Runs the token's pool; `alone` while Redis is down (nothing published).
    Owner {
        pool: PoolHandle,
        pool_end: SessionEnd,
        frames: ClientQueue,
        sink: ClientSink,
        /// Resolves if the relay ever fell 64 MiB behind its pool (frames were lost).
        overflow: SlowSignal,
        alone: bool,
    },
    /// Another instance owns the session.
    Follower { owner: String },
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
    channels: HashMap<(ClientId, String), LocalChannel>,
    needed: HashMap<String, Needed>,
    captures: HashMap<String, HashMap<ClientId, ClientSink>>,
    /// The newest pnut post id delivered here (where a takeover resumes).
    newest: Option<String>,
    mode: Mode,
    owner: owner::OwnerState,
    fleet_rx: mpsc::Receiver<Arc<str>>,
    fleet_tx: mpsc::Sender<Arc<str>>,
    subscription: Option<Subscription>,
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
        cmd_channel: cluster.key(&format!("cmd:{{{FRONT}:{tag}}}")),
        ctx: Arc::clone(&ctx),
        cluster: Arc::clone(&cluster),
        token,
        me_id,
        end,
        channels: HashMap::new(),
        needed: HashMap::new(),
        captures: HashMap::new(),
        newest: None,
        mode: Mode::Pending,
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
            } => self.connect(client, id, channel, params, pong, sink),
            PoolCommand::Disconnect { client, id } => self.release(&(client, id)),
            PoolCommand::ClientGone { client } => {
                let gone: Vec<_> = self
                    .channels
                    .keys()
                    .filter(|(c, _)| *c == client)
                    .cloned()
                    .collect();
                for key in gone {
                    self.release(&key);
                }
                let notes: Vec<String> = self.captures.keys().cloned().collect();
                for note in notes {
                    self.uncapture(client, &note);
                }
            }
            PoolCommand::SubNote {
                client,
                note_id,
                sink,
            } => {
                let clients = self.captures.entry(note_id).or_default();
                let fresh = clients.is_empty();
                clients.insert(client, sink);
                if !fresh {
                    return;
                }
            }
            PoolCommand::UnsubNote { client, note_id } => self.uncapture(client, &note_id),
            PoolCommand::Resume { .. } => return,
            PoolCommand::MainEvent { kind, body } => {
                // The bridge's own main events (e.g. `registryUpdated`) go out through the
                // owner's pool; a follower's are not forwarded over the bus (yet).
                if let Mode::Owner { pool, .. } = &self.mode {
                    let _ = pool.send(PoolCommand::MainEvent { kind, body }).await;
                }
                return;
            }
            PoolCommand::ReadNotifications => {
                // The unread state lives in the owner's pool; a follower's read is not
                // forwarded over the bus (yet).
                if let Mode::Owner { pool, .. } = &self.mode {
                    let _ = pool.read_notifications().await;
                }
                return;
            }
        }
        self.needs_changed().await;
    }

    fn connect(
        &mut self,
        client: ClientId,
        id: String,
        channel: String,
        params: Value,
        pong: bool,
        sink: ClientSink,
    ) {
        let vid = frames::virtual_id(&channel, &params);
        self.release(&(client, id.clone()));
        let needed = self.needed.entry(vid.clone()).or_insert_with(|| Needed {
            channel,
            params,
            clients: BTreeSet::new(),
            connected: false,
            pending: Vec::new(),
            recent: RecentNotes::default(),
        });
        needed.clients.insert((client, id.clone()));
        if pong {
            if needed.connected {
                sink.push(Arc::from(
                    ServerMessage::Connected { id: id.clone() }.to_json(),
                ));
            } else {
                needed.pending.push((id.clone(), sink.clone()));
            }
        }
        self.channels
            .insert((client, id), LocalChannel { vid, sink });
    }

    fn release(&mut self, key: &(ClientId, String)) {
        let Some(local) = self.channels.remove(key) else {
            return;
        };
        if let Some(needed) = self.needed.get_mut(&local.vid) {
            needed.clients.remove(key);
            if needed.clients.is_empty() {
                self.needed.remove(&local.vid);
            }
        }
    }

    fn uncapture(&mut self, client: ClientId, note_id: &str) {
        if let Some(clients) = self.captures.get_mut(note_id) {
            clients.remove(&client);
            if clients.is_empty() {
                self.captures.remove(note_id);
            }
        }
    }

    /// Delivers one frame of the token's session (from the local pool or the owner) here.
    fn deliver(&mut self, frame: &str) {
        match frames::classify(frame) {
            Frame::Channel { vid, rest } => {
                let note = frames::note_id(rest);
                let Some(needed) = self.needed.get_mut(vid) else {
                    return;
                };
                if let Some(note) = &note {
                    if !needed.recent.first_time(note) {
                        return;
                    }
                    self.note_seen(note);
                }
                let Some(needed) = self.needed.get(vid) else {
                    return;
                };
                let mut splicer = Splicer::new(rest);
                for key in &needed.clients {
                    if let Some(local) = self.channels.get(key) {
                        local.sink.push(splicer.for_id(&key.1));
                    }
                }
            }
            Frame::Connected { vid } => {
                if let Some(needed) = self.needed.get_mut(&vid) {
                    needed.connected = true;
                    for (id, sink) in needed.pending.drain(..) {
                        sink.push(Arc::from(ServerMessage::Connected { id }.to_json()));
                    }
                }
            }
            Frame::NoteUpdated { note_id } => {
                let frame: Arc<str> = Arc::from(frame);
                for sink in self
                    .captures
                    .get(&note_id)
                    .into_iter()
                    .flat_map(|c| c.values())
                {
                    sink.push(Arc::clone(&frame));
                }
            }
            Frame::OwnerHello | Frame::Other => {}
        }
    }

    fn note_seen(&mut self, misskey_id: &str) {
        let Ok(pnut_id) = crate::ids::pnut_id_from_misskey(misskey_id) else {
            return;
        };
        let newer = self
            .newest
            .as_deref()
            .is_none_or(|newest| (pnut_id.len(), pnut_id.as_str()) > (newest.len(), newest));
        if newer {
            self.newest = Some(pnut_id);
        }
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
            Mode::Follower { .. } => self.announce(),
            Mode::Owner { .. } => self.expire_remotes(Instant::now()).await,
            Mode::Pending => {}
        }
    }

    fn shutdown(&mut self) {
        self.subscription = None;
        match std::mem::replace(&mut self.mode, Mode::Pending) {
            Mode::Owner { pool_end, .. } => {
                pool_end.ended();
                let (cluster, token) = (Arc::clone(&self.cluster), self.token.clone());
                tokio::spawn(async move { cluster.release(FRONT, &token).await });
            }
            Mode::Follower { .. } => {
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
    /// A frame for the token's clients.
    Frame(Arc<str>),
    /// Its queue to the relay overflowed: frames were lost.
    Overflow,
}

/// The next output of the local pool, when this instance owns the session (else never).
async fn pool_output(mode: &mut Mode) -> Option<PoolOutput> {
    match mode {
        Mode::Owner {
            frames, overflow, ..
        } => tokio::select! {
            frame = frames.next() => frame.map(PoolOutput::Frame),
            () = overflow.overflowed() => Some(PoolOutput::Overflow),
        },
        _ => std::future::pending().await,
    }
}
