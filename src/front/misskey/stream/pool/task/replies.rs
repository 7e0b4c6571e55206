//! `reply` on `main` (real-servers.md §1: a reply to my note is `reply` + `mention` +
//! `notification {reply}`): a mention's parent author decides it, and a pnut post carries
//! only `reply_to`. The pool remembers the authors of the posts it routes (bounded); for an
//! unknown parent it delivers the event to every other channel at once, holds the `main`
//! delivery, and looks the parent up in a spawned call (`GET /posts/{id}`) whose result comes
//! back as a message. At most [`MAX_DEFERRED`] events wait; past that a mention goes out
//! without the lookup (as a plain mention).

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::Value;

use super::Pool;
use super::calls::CallResult;
use crate::mapping::{EventKind, SubscriptionKey};
use crate::pnut::{EventData, Post, StreamEvent};
use crate::translate::PollsByPost;

/// Post authors remembered per pool.
const MAX_AUTHORS: usize = 4096;
/// Events whose `main` delivery waits for parent lookups.
pub(super) const MAX_DEFERRED: usize = 256;

/// Known post authors (post id → author id; `None`: looked up, unknown), oldest forgotten
/// first.
#[derive(Default)]
pub(super) struct Authors {
    map: HashMap<String, Option<String>>,
    order: VecDeque<String>,
}

impl Authors {
    /// The author of `post_id`, when known (`Some(None)`: looked up without result).
    pub(super) fn get(&self, post_id: &str) -> Option<&Option<String>> {
        self.map.get(post_id)
    }

    /// Every known author.
    pub(super) fn map(&self) -> &HashMap<String, Option<String>> {
        &self.map
    }

    fn insert(&mut self, post_id: String, author: Option<String>) {
        if self.map.insert(post_id.clone(), author).is_none() {
            self.order.push_back(post_id);
            if self.order.len() > MAX_AUTHORS
                && let Some(old) = self.order.pop_front()
            {
                self.map.remove(&old);
            }
        }
    }

    /// Records the authors of the posts a post event carries (and of the posts they repost),
    /// read off the raw items: this runs for every routed event, so no post is decoded.
    pub(super) fn learn(&mut self, event: &StreamEvent) {
        for post in raw_items(event) {
            for seen in std::iter::once(post).chain(post.get("repost_of")) {
                let author = seen["user"]["id"]
                    .as_str()
                    .or_else(|| seen["user_id"].as_str());
                if let (Some(id), Some(author)) = (seen["id"].as_str(), author)
                    && self.map.get(id).and_then(Option::as_deref) != Some(author)
                {
                    self.insert(id.to_owned(), Some(author.to_owned()));
                }
            }
        }
    }
}

/// The items of an event's data, undecoded.
pub(super) fn raw_items(event: &StreamEvent) -> &[Value] {
    match &event.data {
        Some(EventData::List(items)) => items,
        Some(EventData::Object(item)) => std::slice::from_ref(item),
        None => &[],
    }
}

/// The `reply_to` of each raw post item that has one.
fn reply_tos(event: &StreamEvent) -> impl Iterator<Item = &str> {
    raw_items(event)
        .iter()
        .filter_map(|post| post["reply_to"].as_str())
}

/// Whether a post event carries a reply (only then can a mention be a `reply`).
pub(super) fn has_replies(event: &StreamEvent) -> bool {
    reply_tos(event).next().is_some()
}

/// Whether a post event carries a repost (only then can it be a renote of mine).
pub(super) fn has_reposts(event: &StreamEvent) -> bool {
    raw_items(event)
        .iter()
        .any(|post| post.get("repost_of").is_some_and(Value::is_object))
}

/// An event whose `main` (mention) delivery waits for parent lookups.
pub(super) struct Deferred {
    pub(super) event: StreamEvent,
    pub(super) keys: Vec<SubscriptionKey>,
    pub(super) delivered: Vec<SubscriptionKey>,
    waiting: HashSet<String>,
    /// The event's note polls (`note_polls.rs`).
    polls: PollsByPost,
}

impl Pool {
    /// The parents of the event's replies whose author is not known.
    pub(super) fn unknown_parents(&self, event: &StreamEvent) -> HashSet<String> {
        reply_tos(event)
            .filter(|parent| self.authors.get(parent).is_none())
            .map(str::to_owned)
            .collect()
    }

    /// Holds the mention delivery of `event` until `parents` are looked up (false: no room,
    /// deliver now).
    pub(super) fn defer_mentions(
        &mut self,
        keys: &[SubscriptionKey],
        event: &StreamEvent,
        delivered: &[SubscriptionKey],
        parents: HashSet<String>,
        polls: &PollsByPost,
    ) -> bool {
        if self.deferred.len() >= MAX_DEFERRED {
            return false;
        }
        for parent in &parents {
            if self.looking_up.insert(parent.clone()) {
                self.spawn_parent_lookup(parent.clone());
            }
        }
        self.deferred.push_back(Deferred {
            event: event.clone(),
            keys: keys.to_vec(),
            delivered: delivered.to_vec(),
            waiting: parents,
            polls: polls.clone(),
        });
        true
    }

    pub(super) fn spawn_parent_lookup(&self, post_id: String) {
        let pnut = self.ctx.pnut.clone();
        let token = self.token.clone();
        self.spawn_call(async move {
            let author = pnut
                .get::<Post>(&token, &format!("/posts/{post_id}"), &[])
                .await
                .ok()
                .and_then(|envelope| envelope.data)
                .and_then(|post| post.author_id().map(str::to_owned));
            CallResult::Parent { post_id, author }
        });
    }

    /// A parent lookup returned: the events no longer waiting get their mention delivery,
    /// in the order they came.
    pub(super) fn parent_returned(&mut self, post_id: String, author: Option<String>) {
        self.looking_up.remove(&post_id);
        self.authors.insert(post_id.clone(), author);
        for deferred in &mut self.deferred {
            deferred.waiting.remove(&post_id);
        }
        while self
            .deferred
            .front()
            .is_some_and(|deferred| deferred.waiting.is_empty())
        {
            let Some(ready) = self.deferred.pop_front() else {
                break;
            };
            self.route_kinds(
                &ready.keys,
                &ready.event,
                &ready.delivered,
                &ready.polls,
                |kind| kind == EventKind::Mention,
            );
        }
        self.release_self_replies();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(data: Value) -> StreamEvent {
        serde_json::from_value(serde_json::json!({"meta": {}, "data": data})).expect("event")
    }

    #[test]
    fn authors_are_read_off_the_raw_items_without_decoding_posts() {
        // Items a `Post` would refuse (no `content`, `created_at`…) still teach their ids.
        let reposting = serde_json::json!([
            {"id": "2", "user": {"id": "7"}, "reply_to": "1",
             "repost_of": {"id": "1", "user_id": "9"}},
            {"id": "3"}
        ]);
        let mut authors = Authors::default();
        let reposts = event(reposting);
        authors.learn(&reposts);
        assert_eq!(authors.get("2"), Some(&Some("7".to_owned())));
        assert_eq!(authors.get("1"), Some(&Some("9".to_owned())));
        assert_eq!(authors.get("3"), None, "no author, nothing learnt");
        // Learning the same posts again adds nothing to the bounded order.
        authors.learn(&reposts);
        assert_eq!(authors.order.len(), 2);
        assert!(has_replies(&reposts));
        assert!(has_reposts(&reposts));
        let plain = event(serde_json::json!([{"id": "4", "user": {"id": "7"}}]));
        assert!(!has_replies(&plain));
        assert!(!has_reposts(&plain));
        assert!(!has_reposts(&event(serde_json::json!({"id": "5"}))));
    }
}
