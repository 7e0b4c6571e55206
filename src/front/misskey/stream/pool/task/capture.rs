//! `subNote` captures (mapping.md §3.1): which clients want `noteUpdated` for which note, and
//! the `GET /posts/{id}/thread` subscription the pool holds for a captured post while any client
//! of the token captures it (one reference per post, not per client).
//!
//! Whether another subscription of the token already carries the post is not knowable from the
//! pool's state, so every captured post gets its thread subscription when a pnut connection that
//! is already open has room (captures never open a second pnut connection: channel connects keep
//! the capacity). With no room the capture stays best-effort from the token's other
//! subscriptions, counted in `best_effort_captures`.

use super::Pool;
use super::{ClientId, MAX_CAPTURES_PER_CLIENT};
use crate::front::outbound::ClientSink;
use crate::ids::pnut_id_from_misskey;
use crate::mapping::SubscriptionKey;
use crate::ratelimit::token_hash;

/// The thread subscription key covering the post of a Misskey-side note id.
fn thread_key(note_id: &str) -> Option<SubscriptionKey> {
    let post_id = pnut_id_from_misskey(note_id).ok()?;
    Some(SubscriptionKey {
        endpoint: format!("/posts/{post_id}/thread"),
        params: Default::default(),
    })
}

impl Pool {
    /// `subNote`: `client` captures `note_id`; the first capture of a post subscribes its thread.
    pub(super) fn capture(&mut self, client: ClientId, note_id: String, sink: ClientSink) {
        let held = self
            .captures
            .values()
            .filter(|clients| clients.contains_key(&client))
            .count();
        if held >= MAX_CAPTURES_PER_CLIENT {
            tracing::debug!("subNote over the per-client capture limit ignored");
            return;
        }
        let clients = self.captures.entry(note_id.clone()).or_default();
        let first = clients.is_empty();
        clients.insert(client, sink);
        if !first {
            return;
        }
        let Some(key) = thread_key(&note_id) else {
            tracing::debug!("subNote of a note id that is no pnut id; capture best-effort");
            return;
        };
        if self.acquire_within_open(&key) {
            self.capture_keys.insert(note_id, key);
        } else {
            self.best_effort_captures += 1;
            self.metrics.best_effort_captures.inc();
            tracing::info!(
                token = %token_hash(&self.token),
                best_effort = self.best_effort_captures,
                "no room for a thread subscription; subNote capture best-effort"
            );
        }
    }

    /// `unsubNote` (or the client gone): the last release of a post releases its thread key.
    pub(super) fn uncapture(&mut self, client: ClientId, note_id: &str) {
        let Some(clients) = self.captures.get_mut(note_id) else {
            return;
        };
        clients.remove(&client);
        if !clients.is_empty() {
            return;
        }
        self.captures.remove(note_id);
        if let Some(key) = self.capture_keys.remove(note_id) {
            self.release_key(&key);
        }
    }

    /// Every capture of a client that is gone.
    pub(super) fn uncapture_all(&mut self, client: ClientId) {
        let held: Vec<String> = self
            .captures
            .iter()
            .filter(|(_, clients)| clients.contains_key(&client))
            .map(|(note_id, _)| note_id.clone())
            .collect();
        for note_id in held {
            self.uncapture(client, &note_id);
        }
    }
}
