//! Routing one pnut event of the pool: to every channel connection holding a matching
//! subscription key (once each), to `main` for renotes of the token's posts, and as
//! `noteUpdated` to the clients capturing the post.

use std::sync::Arc;

use super::Pool;
use crate::front::misskey::stream::outbound::ClientSink;
use crate::front::misskey::stream::pool::deliver::{
    Target, deliver_event, deliver_renotes_of_mine, endpoint_kind, newer, note_updates,
};
use crate::mapping::SubscriptionKey;
use crate::misskey::ServerMessage;

impl Pool {
    /// `noteUpdated` for captured notes, once per client, from any subscription carrying the post.
    pub(super) fn send_note_updates(
        &self,
        keys: &[SubscriptionKey],
        event: &crate::pnut::StreamEvent,
    ) {
        if self.captures.is_empty()
            || !keys
                .iter()
                .any(|key| matches!(endpoint_kind(&key.endpoint), "posts" | "mentions"))
        {
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

    /// Delivers one event to every channel connection holding any of `keys`, once each.
    pub(super) fn route(&mut self, keys: &[SubscriptionKey], event: &crate::pnut::StreamEvent) {
        if keys.is_empty() {
            return;
        }
        let mut targets: Vec<Target<'_>> = Vec::new();
        for ((_, id), conn) in &self.channels {
            if let Some(key) = conn.keys.iter().find(|key| keys.contains(key)) {
                targets.push(Target {
                    id,
                    sink: &conn.sink,
                    filters: conn.filters,
                    endpoint: &key.endpoint,
                });
            }
        }
        let newest = deliver_event(event, &targets, &self.me_id, &self.ctx.translate);
        if keys
            .iter()
            .any(|key| matches!(endpoint_kind(&key.endpoint), "posts" | "mentions"))
        {
            let mains: Vec<(&str, &ClientSink)> = self
                .channels
                .iter()
                .filter(|(_, conn)| conn.is_main)
                .map(|((_, id), conn)| (id.as_str(), &conn.sink))
                .collect();
            deliver_renotes_of_mine(event, &mains, &self.me_id, &self.ctx.translate);
        }
        if let Some(newest) = newest {
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
