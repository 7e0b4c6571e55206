//! The hub's side of the token's Misskey stream: opened with the first join, one channel
//! connection per distinct (channel, params) refcounted across subscriptions, note captures
//! refcounted, `ready` signals once joins are acknowledged, and the newest note seen per
//! channel connection (where a gap backfill starts).

use std::collections::{BTreeSet, HashMap, VecDeque};

use serde_json::{Map, Value};
use tokio::sync::oneshot;
use tokio::time::{Duration, Instant};

use super::super::backfill;
use super::super::spec::SubSpec;
use crate::front::{BridgeContext, Drain};
use crate::upstream::misskey::{MisskeyStream, MisskeyStreamEvent};

/// A channel connection's identity: channel name and its params as JSON text.
pub type ChannelKey = (String, String);

fn channel_key(channel: &str, params: &Map<String, Value>) -> ChannelKey {
    (
        channel.to_owned(),
        Value::Object(params.clone()).to_string(),
    )
}

struct Joined {
    upstream_id: String,
    params: Map<String, Value>,
    /// When the current `connect` was sent, and how many were sent before it.
    sent_at: Instant,
    attempts: u32,
    /// Newest note id seen on this channel connection (backfill starts after it).
    last_note: Option<String>,
    refcount: usize,
    acknowledged: bool,
}

struct Waiter {
    remaining: BTreeSet<String>,
    ready: Option<oneshot::Sender<()>>,
}

/// The Misskey stream of one token and what is joined on it.
#[derive(Default)]
pub struct Upstream {
    stream: Option<MisskeyStream>,
    /// The upstream refused the token for good: nothing more arrives on this stream.
    ended: bool,
    channels: HashMap<ChannelKey, Joined>,
    by_upstream_id: HashMap<String, ChannelKey>,
    captures: HashMap<String, usize>,
    /// Notes captured because their post was pushed to a tool, oldest first (bounded by
    /// `limits.captured_posts`); their deletions reach the tools (issue 15).
    pushed: VecDeque<String>,
    waiters: Vec<Waiter>,
    next_channel: u64,
}

impl Upstream {
    /// Joins `spec`'s channels and capture (opening the stream if needed); `ready` completes
    /// once every new channel connection is acknowledged. Returns the keys it holds.
    pub async fn join(
        &mut self,
        ctx: &BridgeContext,
        token: &str,
        spec: &SubSpec,
        ready: oneshot::Sender<()>,
    ) -> Vec<ChannelKey> {
        let stream = self
            .stream
            .get_or_insert_with(|| ctx.misskey.open_stream(token));
        // Captured first: the channel joins' acknowledgements then imply it is live.
        if let Some(note_id) = &spec.capture {
            let count = self.captures.entry(note_id.clone()).or_insert(0);
            if *count == 0 {
                let _ = stream.sub_note(note_id).await;
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
            let _ = stream
                .connect_channel(&upstream_id, channel, connect_params)
                .await;
            remaining.insert(upstream_id.clone());
            self.by_upstream_id.insert(upstream_id.clone(), key.clone());
            self.channels.insert(
                key,
                Joined {
                    upstream_id,
                    params: params.clone(),
                    sent_at: Instant::now(),
                    attempts: 0,
                    last_note: None,
                    refcount: 1,
                    acknowledged: false,
                },
            );
        }
        if remaining.is_empty() || self.ended {
            let _ = ready.send(());
        } else {
            self.waiters.push(Waiter {
                remaining,
                ready: Some(ready),
            });
        }
        keys
    }

    /// Releases `keys` and `capture` of one subscription.
    pub async fn leave(&mut self, keys: &[ChannelKey], capture: Option<&str>) {
        for key in keys {
            let Some(joined) = self.channels.get_mut(key) else {
                continue;
            };
            joined.refcount = joined.refcount.saturating_sub(1);
            if joined.refcount == 0 {
                let upstream_id = joined.upstream_id.clone();
                self.channels.remove(key);
                self.by_upstream_id.remove(&upstream_id);
                if let Some(stream) = &self.stream {
                    let _ = stream.disconnect_channel(&upstream_id).await;
                }
            }
        }
        if let Some(note_id) = capture
            && let Some(count) = self.captures.get_mut(note_id)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.captures.remove(note_id);
                let still_pushed = self.pushed.iter().any(|id| id == note_id);
                if let Some(stream) = self.stream.as_ref().filter(|_| !still_pushed) {
                    let _ = stream.unsub_note(note_id).await;
                }
            }
        }
    }

    /// Captures note `note_id`, whose post was just pushed, keeping at most `max` such
    /// captures (the oldest is released; a note a thread subscription captures stays).
    pub async fn capture_pushed(&mut self, note_id: &str, max: usize) {
        let Some(stream) = &self.stream else {
            return;
        };
        if max == 0 || self.pushed.iter().any(|id| id == note_id) {
            return;
        }
        if !self.captures.contains_key(note_id) {
            let _ = stream.sub_note(note_id).await;
        }
        self.pushed.push_back(note_id.to_owned());
        while self.pushed.len() > max {
            let Some(oldest) = self.pushed.pop_front() else {
                break;
            };
            if !self.captures.contains_key(&oldest) {
                let _ = stream.unsub_note(&oldest).await;
            }
        }
    }

    /// When the next unacknowledged channel connection is due to be joined again (`None`:
    /// none is waiting): `base` × 2^attempts after its `connect`, at most `max`.
    pub fn next_rejoin(&self, base: Duration, max: Duration) -> Option<Instant> {
        if self.stream.is_none() || self.ended {
            return None;
        }
        self.channels
            .values()
            .filter(|joined| !joined.acknowledged)
            .map(|joined| joined.sent_at + rejoin_delay(joined.attempts, base, max))
            .min()
    }

    /// Joins again (under a fresh id, the old one disconnected) every channel connection
    /// still unacknowledged past its delay (a `connect` Misskey ignored, issue 14).
    pub async fn rejoin_overdue(&mut self, base: Duration, max: Duration) {
        let Some(stream) = &self.stream else {
            return;
        };
        let now = Instant::now();
        let overdue: Vec<ChannelKey> = self
            .channels
            .iter()
            .filter(|(_, j)| {
                !j.acknowledged && j.sent_at + rejoin_delay(j.attempts, base, max) <= now
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in overdue {
            self.next_channel += 1;
            let fresh = format!("pnutkey-{}", self.next_channel);
            let Some(joined) = self.channels.get_mut(&key) else {
                continue;
            };
            let stale = std::mem::replace(&mut joined.upstream_id, fresh.clone());
            joined.attempts = joined.attempts.saturating_add(1);
            joined.sent_at = now;
            let connect_params = (!joined.params.is_empty()).then(|| joined.params.clone());
            self.by_upstream_id.remove(&stale);
            self.by_upstream_id.insert(fresh.clone(), key.clone());
            for waiter in &mut self.waiters {
                if waiter.remaining.remove(&stale) {
                    waiter.remaining.insert(fresh.clone());
                }
            }
            let _ = stream.disconnect_channel(&stale).await;
            let _ = stream.connect_channel(&fresh, &key.0, connect_params).await;
        }
    }

    /// The keys of channel connections joined again at least once and still unacknowledged.
    pub fn rejoining(&self) -> Vec<ChannelKey> {
        self.channels
            .iter()
            .filter(|(_, j)| !j.acknowledged && j.attempts > 0)
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// Whether nothing is joined or captured by a subscription any more (captures of pushed
    /// posts end with the stream).
    pub fn is_unused(&self) -> bool {
        self.channels.is_empty() && self.captures.is_empty()
    }

    /// Closes the stream beside the hub (its close handshake is network; tracked by the
    /// drain) and forgets everything joined on it; the next join opens a fresh one.
    pub fn close(&mut self, drain: &Drain) {
        if let Some(stream) = self.stream.take() {
            drain.spawn(stream.close());
        }
        self.release_waiters();
        *self = Self {
            next_channel: self.next_channel,
            ..Self::default()
        };
    }

    /// The next event of the open stream; pending while there is none (or it has ended).
    pub async fn next_event(&mut self) -> Option<MisskeyStreamEvent> {
        match &mut self.stream {
            Some(stream) if !self.ended => stream.next_event().await,
            _ => std::future::pending().await,
        }
    }

    /// The stream task has ended (the upstream refused the token for good): subscriptions
    /// stay (they end with their connections) but nothing more arrives.
    pub fn stream_ended(&mut self) {
        self.ended = true;
        self.release_waiters();
    }

    /// Completes every pending `ready` (no acknowledgement will come).
    fn release_waiters(&mut self) {
        for waiter in self.waiters.drain(..) {
            if let Some(ready) = waiter.ready {
                let _ = ready.send(());
            }
        }
    }

    /// Channel connection `upstream_id` was acknowledged (`connected`).
    pub fn acknowledged(&mut self, upstream_id: &str) {
        if let Some(joined) = self
            .by_upstream_id
            .get(upstream_id)
            .and_then(|key| self.channels.get_mut(key))
        {
            joined.acknowledged = true;
        }
        for waiter in &mut self.waiters {
            waiter.remaining.remove(upstream_id);
            if waiter.remaining.is_empty()
                && let Some(ready) = waiter.ready.take()
            {
                let _ = ready.send(());
            }
        }
        self.waiters.retain(|w| w.ready.is_some());
    }

    /// The key of channel connection `upstream_id`, if it is live.
    pub fn key_of(&self, upstream_id: &str) -> Option<ChannelKey> {
        self.by_upstream_id.get(upstream_id).cloned()
    }

    /// Whether note `note_id` is captured (by a subscription or as a pushed post).
    pub fn captures(&self, note_id: &str) -> bool {
        self.captures.contains_key(note_id) || self.pushed.iter().any(|id| id == note_id)
    }

    /// Remembers the newest note id seen on a channel connection.
    pub fn saw_note(&mut self, key: &ChannelKey, body: &Value) {
        let id = backfill::note_id(body);
        if id.is_empty() {
            return;
        }
        if let Some(joined) = self.channels.get_mut(key)
            && joined.last_note.as_deref().is_none_or(|last| last < id)
        {
            joined.last_note = Some(id.to_owned());
        }
    }

    /// Where each channel connection's backfill starts: (upstream id, channel, params, newest
    /// note seen), for connections that saw a note.
    pub fn backfill_points(&self) -> Vec<(String, String, Map<String, Value>, String)> {
        self.channels
            .iter()
            .filter_map(|((channel, _), joined)| {
                let since = joined.last_note.clone()?;
                Some((
                    joined.upstream_id.clone(),
                    channel.clone(),
                    joined.params.clone(),
                    since,
                ))
            })
            .collect()
    }
}

/// How long an unacknowledged `connect` is given after `attempts` earlier ones.
fn rejoin_delay(attempts: u32, base: Duration, max: Duration) -> Duration {
    base.saturating_mul(1 << attempts.min(16)).min(max)
}
