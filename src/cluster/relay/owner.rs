//! The relay's fleet side: the owner's view of what the other instances need (announced,
//! forgotten after a lease time of silence), reconciling the pool with the fleet's needs, and
//! the moves between owner and follower.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

use super::{EARLY_EVENTS, LocalPool, Mode, PoolCommand, RELAY_CLIENT, Relay, frames};
use crate::cluster::Holder;
use crate::misskey::ServerMessage;
use crate::session::SessionEnd;

/// Bytes the owner's pool may queue for the relay (it drains them at once).
const POOL_QUEUE_BYTES: usize = 64 << 20;

/// A follower's needs, as announced on the command channel.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Announce {
    from: String,
    /// Virtual channel id → (Misskey channel, params).
    vids: HashMap<String, (String, Value)>,
    notes: BTreeSet<String>,
    /// While it rejoins after serving its clients itself: the newest post it delivered, where
    /// the owner's new subscriptions for its needs start (mapping.md §9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resume: Option<String>,
}

/// What a follower (or a REST call: [`super::rest_events`]) tells the owner on the token's
/// command channel, or the user's fleet channel.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub(super) enum ToOwner {
    /// Its needs (on every change, and as its keep-alive).
    Announce(Announce),
    /// A client of it read the notifications ([`PoolCommand::ReadNotifications`]).
    ReadNotifications { from: String },
    /// A bridge-made `main` event for the token's user ([`PoolCommand::MainEvent`]).
    MainEvent {
        from: String,
        kind: String,
        body: Value,
    },
    /// A bridge-made `main` event for the user, on the user's fleet channel: every owner of a
    /// session of the user applies it, wherever it came from.
    UserMainEvent { kind: String, body: Value },
}

/// One other instance's needs, as the owner last heard them.
#[derive(Debug)]
struct Remote {
    vids: HashMap<String, (String, Value)>,
    notes: BTreeSet<String>,
    resume: Option<String>,
    seen: Instant,
}

/// What the owner keeps about the fleet and its pool.
#[derive(Debug, Default)]
pub(super) struct OwnerState {
    remotes: HashMap<String, Remote>,
    /// Virtual channels connected in the pool.
    open: HashSet<String>,
    /// Notes captured in the pool.
    open_notes: HashSet<String>,
    /// Virtual channels the pool said `connected` for.
    connected: HashSet<String>,
}

impl Relay {
    /// Whether this instance's pool runs the session and said `connected` for `vid` (a local
    /// connect to a channel the fleet has up already is answered at once).
    pub(super) fn pool_connected(&self, vid: &str) -> bool {
        matches!(self.mode, Mode::Owner { .. }) && self.owner.connected.contains(vid)
    }

    /// Local needs changed: the owner reconciles its pool, a follower announces.
    pub(super) async fn needs_changed(&mut self) {
        match self.mode {
            Mode::Owner { .. } => self.reconcile().await,
            Mode::Follower { .. } => self.announce(),
            Mode::Pending => {}
        }
    }

    /// Connects in the pool every virtual channel and note the fleet needs, and lets go of the
    /// rest (the pool's refcounts and linger take it from there).
    async fn reconcile(&mut self) {
        let Mode::Owner { local, .. } = &self.mode else {
            return;
        };
        let (pool, sink) = (&local.pool, &local.sink);
        let mut vids: HashMap<&String, (&String, &Value)> = self
            .needed
            .iter()
            .map(|(vid, needed)| (vid, (&needed.channel, &needed.params)))
            .collect();
        let mut notes: HashSet<&String> = self.captures.keys().collect();
        for remote in self.owner.remotes.values() {
            vids.extend(remote.vids.iter().map(|(vid, (c, p))| (vid, (c, p))));
            notes.extend(remote.notes.iter());
        }
        let mut commands = Vec::new();
        for (vid, (channel, params)) in &vids {
            if self.owner.open.insert((*vid).clone()) {
                // A rejoining follower's need starts where that follower stopped.
                let since = self
                    .owner
                    .remotes
                    .values()
                    .filter(|remote| remote.vids.contains_key(*vid))
                    .filter_map(|remote| remote.resume.clone())
                    .min_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
                commands.push(PoolCommand::Connect {
                    client: RELAY_CLIENT,
                    id: (*vid).clone(),
                    channel: (*channel).clone(),
                    params: (*params).clone(),
                    pong: true,
                    sink: sink.clone(),
                    since,
                });
            }
        }
        let gone: Vec<String> = self
            .owner
            .open
            .iter()
            .filter(|vid| !vids.contains_key(vid))
            .cloned()
            .collect();
        for vid in gone {
            self.owner.open.remove(&vid);
            self.owner.connected.remove(&vid);
            commands.push(PoolCommand::Disconnect {
                client: RELAY_CLIENT,
                id: vid,
            });
        }
        for note in &notes {
            if self.owner.open_notes.insert((*note).clone()) {
                commands.push(PoolCommand::SubNote {
                    client: RELAY_CLIENT,
                    note_id: (*note).clone(),
                    sink: sink.clone(),
                });
            }
        }
        let released: Vec<String> = self
            .owner
            .open_notes
            .iter()
            .filter(|note| !notes.contains(note))
            .cloned()
            .collect();
        for note_id in released {
            self.owner.open_notes.remove(&note_id);
            commands.push(PoolCommand::UnsubNote {
                client: RELAY_CLIENT,
                note_id,
            });
        }
        let pool = pool.clone();
        for command in commands {
            pool.send(command).await;
        }
    }

    /// A frame of the owner's pool: delivered here, and published once for the fleet.
    pub(super) fn pool_frame(&mut self, frame: &Arc<str>) {
        if let frames::Frame::Connected { vid } = frames::classify(frame) {
            self.owner.connected.insert(vid);
        }
        self.deliver(frame, false);
        // Published even before any other instance announced itself: right after a takeover
        // the backfill comes before the others' announcements, and they are listening already.
        if let Mode::Owner { alone: false, .. } = self.mode {
            self.publish(&self.ev_channel, Arc::clone(frame));
        }
    }

    /// A message of the fleet: an announce (owner) or a frame of the owner (follower).
    pub(super) async fn fleet_message(&mut self, message: &str) {
        match self.mode {
            Mode::Owner { .. } => {
                let Ok(message) = serde_json::from_str::<ToOwner>(message) else {
                    return;
                };
                let announce = match message {
                    ToOwner::Announce(announce) => announce,
                    ToOwner::ReadNotifications { from } => {
                        if from != self.cluster.instance_id() {
                            self.apply_in_session(PoolCommand::ReadNotifications).await;
                        }
                        return;
                    }
                    ToOwner::MainEvent { from, kind, body } => {
                        if from != self.cluster.instance_id() {
                            self.apply_in_session(PoolCommand::MainEvent { kind, body })
                                .await;
                        }
                        return;
                    }
                    ToOwner::UserMainEvent { kind, body } => {
                        self.apply_in_session(PoolCommand::MainEvent { kind, body })
                            .await;
                        return;
                    }
                };
                if announce.from == self.cluster.instance_id() {
                    return;
                }
                // Followers waiting for `connected` of channels already up get it now.
                for vid in announce.vids.keys() {
                    if self.owner.connected.contains(vid) {
                        let frame = ServerMessage::Connected { id: vid.clone() }.to_json();
                        self.publish(&self.ev_channel, Arc::from(frame));
                    }
                }
                let remote = Remote {
                    vids: announce.vids,
                    notes: announce.notes,
                    resume: announce.resume,
                    seen: Instant::now(),
                };
                if remote.vids.is_empty() && remote.notes.is_empty() {
                    self.owner.remotes.remove(&announce.from);
                } else {
                    self.owner.remotes.insert(announce.from, remote);
                }
                self.reconcile().await;
            }
            Mode::Follower { .. } => {
                if frames::classify(message) == frames::Frame::OwnerHello {
                    self.announce();
                } else {
                    self.deliver(message, false);
                    self.settle_standby(Instant::now());
                }
            }
            Mode::Pending => {}
        }
    }

    /// Tells the owner everything this instance needs (idempotent; also the keep-alive).
    pub(super) fn announce(&self) {
        let announce = Announce {
            from: self.cluster.instance_id().to_owned(),
            vids: self
                .needed
                .iter()
                .map(|(vid, n)| (vid.clone(), (n.channel.clone(), n.params.clone())))
                .collect(),
            notes: self.captures.keys().cloned().collect(),
            resume: self.resume.clone(),
        };
        self.tell_owner(&ToOwner::Announce(announce));
    }

    /// Publishes `message` on the token's command channel.
    fn tell_owner(&self, message: &ToOwner) {
        if let Ok(text) = serde_json::to_string(message) {
            self.publish(&self.cmd_channel, Arc::from(text));
        }
    }

    /// A client event for the session itself (`ReadNotifications`, `MainEvent`): applied by
    /// this instance's pool when it runs the session, else forwarded to the owner's (held
    /// until the first claim answers, at most [`EARLY_EVENTS`]).
    pub(super) async fn apply_in_session(&mut self, command: PoolCommand) {
        match &self.mode {
            Mode::Owner { local, .. } => {
                local.pool.send(command).await;
            }
            Mode::Follower { .. } => {
                let from = self.cluster.instance_id().to_owned();
                match command {
                    PoolCommand::ReadNotifications => {
                        self.tell_owner(&ToOwner::ReadNotifications { from });
                    }
                    PoolCommand::MainEvent { kind, body } => {
                        self.tell_owner(&ToOwner::MainEvent { from, kind, body });
                    }
                    _ => {}
                }
            }
            Mode::Pending if self.early.len() < EARLY_EVENTS => self.early.push(command),
            Mode::Pending => {
                tracing::debug!("cluster: too many session events before the first claim; dropped");
            }
        }
    }

    /// Forgets instances silent for a lease time (they died) and lets go of their needs.
    pub(super) async fn expire_remotes(&mut self, now: Instant) {
        let ttl = self.cluster.settings().lease_ttl;
        let before = self.owner.remotes.len();
        self.owner
            .remotes
            .retain(|_, remote| remote.seen + ttl > now);
        if self.owner.remotes.len() != before {
            self.reconcile().await;
        }
    }

    /// The answer of a lease claim (`Err`: Redis could not answer).
    pub(super) async fn claimed(&mut self, claim: Result<Holder, ()>) {
        match (claim, &mut self.mode) {
            (Ok(Holder::Me), Mode::Pending | Mode::Follower { .. }) => {
                self.become_owner(false).await;
            }
            (Ok(Holder::Me), Mode::Owner { alone, .. }) if *alone => {
                *alone = false;
                self.join_as_owner().await;
            }
            (Ok(Holder::Me), Mode::Owner { .. }) => {}
            (Ok(Holder::Other(owner)), Mode::Follower { owner: known, .. }) => {
                if *known != owner {
                    *known = owner;
                    self.announce();
                }
            }
            (Ok(Holder::Other(owner)), _) => self.become_follower(owner).await,
            (Err(()), Mode::Pending | Mode::Follower { .. }) => self.become_owner(true).await,
            (Err(()), Mode::Owner { alone, .. }) => *alone = true,
        }
        for command in std::mem::take(&mut self.early) {
            self.apply_in_session(command).await;
        }
    }

    /// Starts the token's pool here; `alone`: Redis is down, serve only local clients.
    async fn become_owner(&mut self, alone: bool) {
        self.end_standby();
        self.resume = None;
        let pool_end = SessionEnd::default();
        let local = self.start_local_pool(pool_end).await;
        self.owner = OwnerState::default();
        self.reset_connected();
        self.mode = Mode::Owner { local, alone };
        tracing::debug!(
            token = %crate::ratelimit::token_hash(&self.token),
            instance = %self.cluster.instance_id(),
            alone,
            resume = self.newest.is_some(),
            "cluster: this instance runs the token's session"
        );
        if !alone {
            self.join_as_owner().await;
        }
        self.reconcile().await;
    }

    /// A local pool resumed from the newest post delivered here: the first page of each of
    /// its subscriptions is the backfill of what was posted since (mapping.md §3.2, §9).
    async fn start_local_pool(&self, pool_end: SessionEnd) -> LocalPool {
        let (sink, frames) = crate::front::outbound::client_queue(POOL_QUEUE_BYTES);
        let overflow = frames.slow_signal();
        let pool = crate::front::misskey::stream::start_pool(
            Arc::clone(&self.ctx),
            self.token.clone(),
            self.me_id.clone(),
            pool_end.clone(),
        );
        if let Some(since) = self.newest.clone() {
            pool.send(PoolCommand::Resume { since }).await;
        }
        LocalPool {
            pool,
            pool_end,
            frames,
            sink,
            overflow,
        }
    }

    /// The relay fell so far behind its pool that frames were lost: a fresh pool resumes from
    /// the newest post delivered (its subscriptions' first pages backfill the loss). A standby
    /// pool that fell behind just ends (the owner's frames and backfill take over).
    pub(super) async fn restart_pool(&mut self) {
        let alone = match &self.mode {
            Mode::Owner { local, alone } => {
                local.pool_end.ended();
                *alone
            }
            Mode::Follower { .. } => {
                self.end_standby();
                return;
            }
            Mode::Pending => return,
        };
        tracing::warn!(
            token = %crate::ratelimit::token_hash(&self.token),
            "cluster: relay fell behind its pool; restarting the pool with a backfill"
        );
        self.cluster.metrics().messages_dropped.inc();
        self.become_owner(alone).await;
    }

    /// As the fleet's owner: listen for announcements and say hello (they answer at once).
    async fn join_as_owner(&mut self) {
        self.cluster.metrics().leases_taken.inc();
        self.subscription = Some(
            self.cluster
                .bus()
                .subscribe(self.cmd_channel.clone(), self.fleet_tx.clone())
                .await,
        );
        self.user_subscription = Some(
            self.cluster
                .bus()
                .subscribe(self.user_channel.clone(), self.fleet_tx.clone())
                .await,
        );
        let hello = frames::owner_hello(self.cluster.instance_id());
        self.publish(&self.ev_channel, Arc::from(hello));
    }
}
