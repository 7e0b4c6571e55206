//! Upstream events into frames: each event is translated once and goes out once per tool
//! connection, naming every matching subscription of that connection (mapping.md §4.2).
//!
//! A note's membership is decided on its first arrival from the note itself (its mentions, its
//! reply target, its thread, its author) as well as from the channel that brought it; a later
//! arrival of the same note (on another Misskey channel, or replayed by a backfill) reaches only
//! connections that have not had it. Other events (follows, renames, files) are each a new
//! event and never filtered as repeats.

use std::collections::BTreeMap;

use super::super::backfill::Backfilled;
use super::super::matching::{EventFacts, translate_channel_event, translate_note_updated};
use super::recent::Recipients;
use super::{Hub, Subscription};
use crate::misskey::ServerMessage;
use crate::pnut::{EventKind, Meta};
use crate::upstream::misskey::MisskeyStreamEvent;

impl Hub {
    /// One event of the Misskey stream (`None`: the stream task has ended).
    pub(super) async fn upstream_event(&mut self, event: Option<MisskeyStreamEvent>) {
        let Some(event) = event else {
            self.upstream.stream_ended();
            return;
        };
        match event {
            MisskeyStreamEvent::Message(ServerMessage::Connected { id }) => {
                self.upstream.acknowledged(&id);
                if self.joins_pending > 0 {
                    self.recount_joins();
                }
            }
            MisskeyStreamEvent::Message(ServerMessage::Channel { id, kind, body }) => {
                let Some(key) = self.upstream.key_of(&id) else {
                    return;
                };
                self.upstream.saw_note(&key, &body);
                let channel = key.0.clone();
                let Some(facts) = translate_channel_event(
                    &channel,
                    &kind,
                    &body,
                    &self.me,
                    &self.token,
                    &self.ctx.translate,
                ) else {
                    return;
                };
                let Some(note) = facts.note.clone() else {
                    self.deliver(&facts, |_, sub| {
                        sub.keys.contains(&key) && sub.spec.takes(&channel, &kind)
                    });
                    return;
                };
                self.chains.learn(&note);
                let chains = &self.chains;
                let in_thread = |root: &str| chains.reaches(&note, root);
                let me = &self.me;
                let delivered = &self.delivered;
                let recipients = self.deliver(&facts, |_, sub| {
                    if delivered.had(&note.misskey_id, &sub.connection_id) {
                        return false;
                    }
                    let by_channel = sub.keys.contains(&key)
                        && sub.spec.takes(&channel, &kind)
                        && facts.passes(&sub.spec, me, in_thread);
                    by_channel || facts.member_by_note(&sub.spec, me, in_thread)
                });
                // Posts only: a deleted chat message has no post frame to become.
                let pushed = !recipients.is_empty() && facts.event.kind == EventKind::Post;
                self.delivered.record(&note.misskey_id, recipients);
                if pushed {
                    let max = self.ctx.config().limits.captured_posts as usize;
                    self.upstream.capture_pushed(&note.misskey_id, max).await;
                }
            }
            MisskeyStreamEvent::Message(ServerMessage::NoteUpdated { id, kind, body }) => {
                if !self.upstream.captures(&id) {
                    return;
                }
                // To the thread subscriptions capturing it and the subscriptions it was pushed
                // to (one frame per connection).
                if let Some(facts) = translate_note_updated(&id, &kind, &body, &self.ctx.translate)
                {
                    let delivered = &self.delivered;
                    self.deliver(&facts, |sid, sub| {
                        sub.spec.capture.as_deref() == Some(id.as_str())
                            || delivered
                                .recipients(&id)
                                .iter()
                                .any(|(_, pushed_to)| pushed_to == sid)
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
    pub(super) async fn replay(&mut self, done: Backfilled) {
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
            })))
            .await;
        }
    }

    /// Sends `facts` once per tool connection, naming every joined subscription `matches`
    /// takes; returns the (connection, subscription) pairs it went to.
    fn deliver(
        &self,
        facts: &EventFacts,
        matches: impl Fn(&str, &Subscription) -> bool,
    ) -> Recipients {
        let mut per_connection: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (subscription_id, sub) in &self.subscriptions {
            if sub.joined && matches(subscription_id, sub) {
                per_connection
                    .entry(sub.connection_id.as_str())
                    .or_default()
                    .push(subscription_id.clone());
            }
        }
        let mut recipients = Recipients::new();
        if per_connection.is_empty() {
            return recipients;
        }
        // `data` is serialised once per event; only the small `meta` differs per connection.
        let Ok(data_json) = serde_json::to_string(&facts.event.data) else {
            return recipients;
        };
        for (connection_id, subscription_ids) in per_connection {
            let Some(connection) = self.connections.get(connection_id) else {
                continue;
            };
            let meta = Meta {
                subscription_ids: Some(subscription_ids.clone()),
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
            recipients.extend(
                subscription_ids
                    .into_iter()
                    .map(|sid| (connection_id.to_owned(), sid)),
            );
        }
        recipients
    }
}
