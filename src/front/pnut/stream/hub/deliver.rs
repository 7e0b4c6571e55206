//! Upstream events into frames: each event is translated once and goes out once per tool
//! connection, naming every matching subscription of that connection that has not had it yet
//! (mapping.md §4.2).

use std::collections::{BTreeMap, HashSet, VecDeque};

use super::super::backfill::Backfilled;
use super::super::matching::{EventFacts, translate_channel_event, translate_note_updated};
use super::{Hub, Subscription};
use crate::misskey::ServerMessage;
use crate::pnut::Meta;
use crate::upstream::misskey::MisskeyStreamEvent;

/// How many recently delivered (subscription, event) pairs are remembered for deduplication.
const DEDUP_WINDOW: usize = 1024;

/// The recently delivered (subscription id, event key) pairs.
#[derive(Default)]
pub struct Dedup {
    order: VecDeque<(String, String)>,
    /// The same pairs, for O(1) lookups (one per subscription per event).
    set: HashSet<(String, String)>,
}

impl Dedup {
    /// Records the pair; `false` if it was already delivered.
    fn first_time(&mut self, subscription_id: &str, key: &str) -> bool {
        let marker = (subscription_id.to_owned(), key.to_owned());
        if self.set.contains(&marker) {
            return false;
        }
        self.order.push_back(marker.clone());
        self.set.insert(marker);
        if self.order.len() > DEDUP_WINDOW
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        true
    }
}

impl Hub {
    /// One event of the Misskey stream (`None`: the stream task has ended).
    pub(super) fn upstream_event(&mut self, event: Option<MisskeyStreamEvent>) {
        let Some(event) = event else {
            self.upstream.stream_ended();
            return;
        };
        match event {
            MisskeyStreamEvent::Message(ServerMessage::Connected { id }) => {
                self.upstream.acknowledged(&id);
            }
            MisskeyStreamEvent::Message(ServerMessage::Channel { id, kind, body }) => {
                let Some(key) = self.upstream.key_of(&id) else {
                    return;
                };
                self.upstream.saw_note(&key, &body);
                let channel = key.0.clone();
                let facts = translate_channel_event(
                    &channel,
                    &kind,
                    &body,
                    &self.me,
                    &self.token,
                    &self.ctx.translate,
                );
                if let Some(facts) = facts {
                    self.deliver(&facts, |sub| {
                        sub.keys.contains(&key) && sub.spec.takes(&channel, &kind)
                    });
                }
            }
            MisskeyStreamEvent::Message(ServerMessage::NoteUpdated { id, kind, body }) => {
                if !self.upstream.captures(&id) {
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

    /// Replays backfilled notes through the normal event path (deduplicated there).
    pub(super) fn replay(&mut self, done: Backfilled) {
        self.ctx
            .metrics
            .front(crate::metrics::Front::Pnut)
            .backfilled
            .inc_by(done.notes.len() as u64);
        for body in done.notes {
            self.upstream_event(Some(MisskeyStreamEvent::Message(ServerMessage::Channel {
                id: done.upstream_id.clone(),
                kind: done.kind.to_owned(),
                body,
            })));
        }
    }

    /// Sends `facts` once per tool connection, naming every matching subscription that has not
    /// had this event yet.
    fn deliver(&mut self, facts: &EventFacts, joined: impl Fn(&Subscription) -> bool) {
        let mut per_connection: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (subscription_id, sub) in &self.subscriptions {
            if !sub.joined || !joined(sub) || !facts.passes(&sub.spec, &self.me) {
                continue;
            }
            if !self.dedup.first_time(subscription_id, &facts.dedup_key) {
                continue;
            }
            per_connection
                .entry(sub.connection_id.as_str())
                .or_default()
                .push(subscription_id.clone());
        }
        if per_connection.is_empty() {
            return;
        }
        // `data` is serialised once per event; only the small `meta` differs per connection.
        let Ok(data_json) = serde_json::to_string(&facts.event.data) else {
            return;
        };
        for (connection_id, subscription_ids) in per_connection {
            let Some(connection) = self.connections.get(connection_id) else {
                continue;
            };
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
            connection.pipe.push(std::sync::Arc::from(format!(
                r#"{{"meta":{meta_json},"data":{data_json}}}"#
            )));
        }
    }
}
