//! Routing one pnut event of the pool: to every channel connection holding a matching
//! subscription key (once each, presented as that channel's `events` mapping says), to the
//! `renotes_of_mine` channels for reposts of the token's posts, and as `noteUpdated` to the
//! clients capturing the post.

use std::sync::Arc;

use super::Pool;
use super::replies::{has_replies, has_reposts};
use crate::front::misskey::stream::pool::deliver::{
    Target, deliver_event, deliver_renotes_of_mine, newer, note_updates,
};
use crate::front::outbound::ClientSink;
use crate::mapping::{EventKind, PnutData, SubscriptionKey, pnut_endpoint_data};
use crate::misskey::ServerMessage;
use crate::translate::PollsByPost;

/// Whether any of `keys` carries posts.
fn carries_posts(keys: &[SubscriptionKey]) -> bool {
    keys.iter()
        .any(|key| pnut_endpoint_data(&key.endpoint) == PnutData::Posts)
}

impl Pool {
    /// `noteUpdated` for captured notes, once per client, from any subscription carrying the
    /// post (not again when the event was already handled for a post key in `delivered`).
    pub(super) fn send_note_updates(
        &self,
        keys: &[SubscriptionKey],
        event: &crate::pnut::StreamEvent,
        delivered: &[SubscriptionKey],
    ) {
        if self.captures.is_empty() || !carries_posts(keys) || carries_posts(delivered) {
            return;
        }
        for update in note_updates(event, &self.ctx.translate) {
            let Some(clients) = self.captures.get(&update.note_id) else {
                continue;
            };
            let frame: Arc<str> = Arc::from(
                ServerMessage::note_updated(update.note_id.clone(), &update.event).to_json(),
            );
            for sink in clients.values() {
                sink.push(Arc::clone(&frame));
            }
        }
    }

    /// Delivers one event to every channel connection holding any of `keys` and none of
    /// `delivered` (the keys it already went out for), once each. A post event naming a poll
    /// not known yet waits for its lookup (`note_polls.rs`); mentions replying to a post whose
    /// author is unknown wait for its lookup (`replies.rs`).
    pub(super) fn route(
        &mut self,
        keys: &[SubscriptionKey],
        event: &crate::pnut::StreamEvent,
        delivered: &[SubscriptionKey],
    ) {
        if keys.is_empty() {
            return;
        }
        let polls = if carries_posts(keys) {
            match self.hold_for_polls(keys, event, delivered) {
                Some(polls) => polls,
                None => return,
            }
        } else {
            PollsByPost::new()
        };
        self.route_with_polls(keys, event, delivered, &polls);
    }

    /// [`Pool::route`] once the event's polls are known: its notes get `polls` (by pnut post
    /// id).
    pub(super) fn route_with_polls(
        &mut self,
        keys: &[SubscriptionKey],
        event: &crate::pnut::StreamEvent,
        delivered: &[SubscriptionKey],
        polls: &PollsByPost,
    ) {
        // Per event, every channel connection: the passes over all of them and any decoding
        // beyond `deliver_event`'s happen only for the events that can use them.
        let posts = carries_posts(keys);
        if posts {
            self.authors.learn(event);
        }
        let parents = if posts && has_replies(event) && self.mentions_held(keys, delivered) {
            self.unknown_parents(event)
        } else {
            Default::default()
        };
        if !parents.is_empty() && self.defer_mentions(keys, event, delivered, parents, polls) {
            self.route_kinds(keys, event, delivered, polls, |kind| {
                kind != EventKind::Mention
            });
        } else {
            self.route_kinds(keys, event, delivered, polls, |_| true);
        }
        if posts && !carries_posts(delivered) && has_reposts(event) {
            let mains: Vec<(&str, &ClientSink)> = self
                .channels
                .iter()
                .filter(|(_, conn)| conn.renotes_of_mine)
                .map(|((_, id, _), conn)| (id.as_str(), &conn.sink))
                .collect();
            let notified =
                deliver_renotes_of_mine(event, &mains, &self.me_id, polls, &self.ctx.translate);
            self.unread_notifications |= notified;
        }
        if posts && !carries_posts(delivered) && has_replies(event) {
            self.route_self_replies(event);
        }
    }

    /// Whether a channel connection presents any of `keys` as mentions.
    fn mentions_held(&self, keys: &[SubscriptionKey], delivered: &[SubscriptionKey]) -> bool {
        self.channels.values().any(|conn| {
            !delivered.iter().any(|key| conn.holds(key))
                && conn
                    .keys
                    .iter()
                    .any(|(key, kind)| *kind == Some(EventKind::Mention) && keys.contains(key))
        })
    }

    /// Delivers the event to the connections whose presentation `wanted` accepts.
    pub(super) fn route_kinds(
        &mut self,
        keys: &[SubscriptionKey],
        event: &crate::pnut::StreamEvent,
        delivered: &[SubscriptionKey],
        polls: &PollsByPost,
        wanted: impl Fn(EventKind) -> bool,
    ) {
        // What each of the event's (few) keys carries, looked up once per event rather than
        // once per connection (a catalogue scan: it showed in scenario a's profile).
        let data_of: Vec<PnutData> = keys
            .iter()
            .map(|key| pnut_endpoint_data(&key.endpoint))
            .collect();
        let mut targets: Vec<Target<'_>> = Vec::with_capacity(self.channels.len());
        for ((_, id, _), conn) in &self.channels {
            if delivered.iter().any(|key| conn.holds(key)) {
                continue;
            }
            let held = conn.keys.iter().find_map(|(key, kind)| {
                let kind = (*kind)?;
                keys.iter().position(|k| k == key).map(|at| (at, kind))
            });
            if let Some((at, kind)) = held
                && wanted(kind)
            {
                targets.push(Target {
                    id,
                    sink: &conn.sink,
                    filters: conn.filters,
                    kind,
                    data: data_of[at],
                });
            }
        }
        let outcome = deliver_event(
            event,
            &targets,
            &self.me_id,
            self.authors.map(),
            polls,
            &self.ctx.translate,
        );
        self.unread_notifications |= outcome.notified;
        if let Some(newest) = outcome.newest {
            for key in keys {
                if let Some(state) = self.keys.get_mut(key)
                    && newer(&newest, state.newest_id.as_deref())
                {
                    state.newest_id = Some(newest.clone());
                }
            }
        }
    }
}
