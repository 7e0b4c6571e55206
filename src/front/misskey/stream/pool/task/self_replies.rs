//! `reply` on `main` for the token owner's replies to their own posts (real-servers.md §1:
//! Misskey sends `main:reply` to the parent's author even for a self-reply, with no
//! notification). pnut's `main` subscriptions do not carry the owner's own posts, so such a
//! reply is taken from any post subscription of the token (the home timeline), once per
//! event. A parent whose author the pool does not know is looked up as for mentions
//! (`replies.rs`); at most [`super::replies::MAX_DEFERRED`] self-replies wait, past that
//! one is dropped (no `reply`, as when the parent cannot be read).

use super::Pool;
use super::replies::MAX_DEFERRED;
use crate::front::misskey::stream::pool::deliver::deliver_main_event;
use crate::pnut::{Post, StreamEvent};
use crate::translate;

impl Pool {
    /// Sends `reply` to the `main` connections for the event's self-replies (holding the
    /// ones whose parent's author is unknown until it is looked up).
    pub(super) fn route_self_replies(&mut self, event: &StreamEvent) {
        if event.meta.is_deleted == Some(true) || event.meta.revision.is_some() {
            return;
        }
        if !self.channels.values().any(|conn| conn.main) {
            return;
        }
        let Some(Ok(posts)) = event.data.as_ref().map(|data| data.posts()) else {
            return;
        };
        for post in posts {
            if post.deleted() || post.author_id() != Some(self.me_id.as_str()) {
                continue;
            }
            let Some(parent) = post.reply_to.clone() else {
                continue;
            };
            match self.authors.get(&parent) {
                Some(author) => {
                    if author.as_deref() == Some(self.me_id.as_str()) {
                        self.send_self_reply(&post);
                    }
                }
                None => {
                    if self.own_replies.len() >= MAX_DEFERRED {
                        continue;
                    }
                    if self.looking_up.insert(parent.clone()) {
                        self.spawn_parent_lookup(parent);
                    }
                    self.own_replies.push_back(post);
                }
            }
        }
    }

    /// After a parent lookup: the held self-replies whose parent is now known, in order.
    pub(super) fn release_self_replies(&mut self) {
        let held = std::mem::take(&mut self.own_replies);
        for post in held {
            let parent = post.reply_to.as_deref().unwrap_or_default();
            match self.authors.get(parent) {
                Some(author) => {
                    if author.as_deref() == Some(self.me_id.as_str()) {
                        self.send_self_reply(&post);
                    }
                }
                None => self.own_replies.push_back(post),
            }
        }
    }

    fn send_self_reply(&self, post: &Post) {
        let Ok(note) = translate::post_to_note(post, None, &self.ctx.translate) else {
            return;
        };
        let Ok(body) = serde_json::to_value(&note) else {
            return;
        };
        let mains: Vec<(&str, &crate::front::outbound::ClientSink)> = self
            .channels
            .iter()
            .filter(|(_, conn)| conn.main)
            .map(|((_, id, _), conn)| (id.as_str(), &conn.sink))
            .collect();
        deliver_main_event("reply", &body, &mains);
    }
}
