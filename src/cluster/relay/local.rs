//! The relay's local side: this instance's client channel connections on the token's virtual
//! channels, and delivering the session's frames to them — each note once per virtual channel,
//! re-spliced per client channel id, once per connection under that id (two `connect`s under
//! one id both live, as without a cluster: real-servers.md §1).

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde_json::Value;

use super::Relay;
use super::frames::{self, Frame, Splicer};
use crate::front::misskey::stream::ClientId;
use crate::front::outbound::ClientSink;
use crate::misskey::ServerMessage;

/// Frames remembered per virtual channel to deliver each once.
const RECENT: usize = 512;

/// A client channel connection id: (client socket, its connection id).
pub(super) type ConnKey = (ClientId, String);

/// The connections of one client under one id on one virtual channel.
struct Conns {
    /// How many (each gets every frame, as the pool sends one per connection).
    count: usize,
    sink: ClientSink,
}

/// One virtual channel this instance needs.
pub(super) struct Needed {
    /// The Misskey channel.
    pub(super) channel: String,
    /// Its connect params.
    pub(super) params: Value,
    /// The local channel connections on it.
    clients: BTreeMap<ConnKey, Conns>,
    /// Whether the session's pool said `connected` for it.
    pub(super) connected: bool,
    /// Local connects waiting for that `connected`.
    pending: Vec<(ConnKey, ClientSink)>,
    /// The notes (and, while two sources overlap, other frames) delivered on it lately: one
    /// seen twice (a takeover's or a rejoin's backfill overlapping what was delivered, two
    /// pools during a hand-over) goes out once.
    recent: Recent,
}

/// The last [`RECENT`] keys seen on a virtual channel.
#[derive(Default)]
struct Recent {
    order: VecDeque<String>,
    ids: HashSet<String>,
}

impl Recent {
    /// Records `id`; false when it was seen already.
    fn first_time(&mut self, id: &str) -> bool {
        if self.ids.contains(id) {
            return false;
        }
        if self.order.len() >= RECENT
            && let Some(oldest) = self.order.pop_front()
        {
            self.ids.remove(&oldest);
        }
        self.order.push_back(id.to_owned());
        self.ids.insert(id.to_owned());
        true
    }
}

/// The dedup key of a `channel` frame's `rest`: its note id for a `note`, else (only while
/// two sources overlap: `overlap`) a digest of the whole event.
fn dedup_key(rest: &str, overlap: bool) -> Option<String> {
    if let Some(note) = frames::note_id(rest) {
        return Some(note);
    }
    overlap.then(|| {
        let mut hasher = DefaultHasher::new();
        rest.hash(&mut hasher);
        format!("#{:016x}", hasher.finish())
    })
}

impl Relay {
    /// A local `connect`: one more connection on its virtual channel (another one under the
    /// same id stays).
    pub(super) fn connect(
        &mut self,
        key: ConnKey,
        channel: String,
        params: Value,
        pong: bool,
        sink: ClientSink,
    ) {
        let vid = frames::virtual_id(&channel, &params);
        let connected = self.pool_connected(&vid);
        let needed = self.needed.entry(vid.clone()).or_insert_with(|| Needed {
            channel,
            params,
            clients: BTreeMap::new(),
            connected,
            pending: Vec::new(),
            recent: Recent::default(),
        });
        needed
            .clients
            .entry(key.clone())
            .and_modify(|conns| conns.count += 1)
            .or_insert_with(|| Conns {
                count: 1,
                sink: sink.clone(),
            });
        if pong {
            if needed.connected {
                let frame = ServerMessage::Connected { id: key.1.clone() }.to_json();
                sink.push(Arc::from(frame));
            } else {
                needed.pending.push((key.clone(), sink));
            }
        }
        self.channels.entry(key).or_default().push(vid);
    }

    /// A local `disconnect` (or the client gone): every connection under the id ends.
    pub(super) fn release(&mut self, key: &ConnKey) {
        let Some(vids) = self.channels.remove(key) else {
            return;
        };
        for vid in vids {
            if let Some(needed) = self.needed.get_mut(&vid) {
                needed.clients.remove(key);
                needed.pending.retain(|(waiting, _)| waiting != key);
                if needed.clients.is_empty() {
                    self.needed.remove(&vid);
                }
            }
        }
    }

    /// Releases every channel and captured note of `client`.
    pub(super) fn client_gone(&mut self, client: ClientId) {
        let gone: Vec<ConnKey> = self
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

    /// `subNote`: true when the note was not captured here yet.
    pub(super) fn capture(&mut self, client: ClientId, note_id: String, sink: ClientSink) -> bool {
        let clients = self.captures.entry(note_id).or_default();
        let fresh = clients.is_empty();
        clients.insert(client, sink);
        fresh
    }

    /// `unsubNote`.
    pub(super) fn uncapture(&mut self, client: ClientId, note_id: &str) {
        if let Some(clients) = self.captures.get_mut(note_id) {
            clients.remove(&client);
            if clients.is_empty() {
                self.captures.remove(note_id);
            }
        }
    }

    /// Whether every virtual channel needed here was said `connected` by the session's pool.
    pub(super) fn all_connected(&self) -> bool {
        self.needed.values().all(|needed| needed.connected)
    }

    /// Delivers one frame of the token's session here: from the session's pool (local or the
    /// owner's), or (`standby`) from the local pool still running during a hand-over, whose
    /// `connected` answers say nothing about the owner.
    pub(super) fn deliver(&mut self, frame: &str, standby: bool) {
        let overlap = self.has_standby();
        match frames::classify(frame) {
            Frame::Channel { vid, rest } => {
                let Some(needed) = self.needed.get_mut(vid) else {
                    return;
                };
                if let Some(key) = dedup_key(rest, overlap) {
                    if !needed.recent.first_time(&key) {
                        return;
                    }
                    if !key.starts_with('#') {
                        self.note_seen(&key);
                    }
                }
                let Some(needed) = self.needed.get(vid) else {
                    return;
                };
                let mut splicer = Splicer::new(rest);
                for ((_, id), conns) in &needed.clients {
                    let spliced = splicer.for_id(id);
                    for _ in 0..conns.count {
                        conns.sink.push(Arc::clone(&spliced));
                    }
                }
            }
            Frame::Connected { vid } if !standby => {
                if let Some(needed) = self.needed.get_mut(&vid) {
                    needed.connected = true;
                    for ((_, id), sink) in needed.pending.drain(..) {
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
                    .flat_map(HashMap::values)
                {
                    sink.push(Arc::clone(&frame));
                }
            }
            Frame::Connected { .. } | Frame::OwnerHello | Frame::Other => {}
        }
    }

    /// Every virtual channel is to be `connected` again (a new session pool).
    pub(super) fn reset_connected(&mut self) {
        for needed in self.needed.values_mut() {
            needed.connected = false;
        }
    }

    fn note_seen(&mut self, misskey_id: &str) {
        let Ok(pnut_id) = crate::ids::pnut_id_from_misskey(misskey_id) else {
            return;
        };
        if super::newer(&pnut_id, self.newest.as_deref()) {
            self.newest = Some(pnut_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_keys_deliver_once_and_forget_the_oldest() {
        let mut recent = Recent::default();
        assert!(recent.first_time("a"));
        assert!(!recent.first_time("a"));
        for i in 0..RECENT {
            assert!(recent.first_time(&i.to_string()));
        }
        assert!(recent.first_time("a"), "forgotten after RECENT others");
    }

    #[test]
    fn only_notes_are_deduplicated_unless_two_sources_overlap() {
        let note = r#","type":"note","body":{"id":"abc"}}}"#;
        let read = r#","type":"readAllNotifications","body":null}}"#;
        assert_eq!(dedup_key(note, false).as_deref(), Some("abc"));
        assert_eq!(dedup_key(read, false), None);
        let key = dedup_key(read, true).expect("a digest while overlapping");
        assert!(key.starts_with('#'));
        assert_eq!(dedup_key(read, true), Some(key));
    }
}
