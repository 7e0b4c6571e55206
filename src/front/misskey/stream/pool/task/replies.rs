//! `reply` on `main` (real-servers.md §1: a reply to my note is `reply` + `mention` +
//! `notification {reply}`): a mention's parent author decides it, and a pnut post carries
//! only `reply_to`. The pool remembers the authors of the posts it routes (bounded); for an
//! unknown parent it delivers the event to every other channel at once, holds the `main`
//! delivery, and looks the parent up in a spawned call (`GET /posts/{id}`) whose result comes
//! back as a message. At most [`MAX_DEFERRED`] events wait; past that a mention goes out
//! without the lookup (as a plain mention).

use std::collections::{HashMap, HashSet, VecDeque};

use super::Pool;
use super::calls::CallResult;
use crate::mapping::{EventKind, SubscriptionKey};
use crate::pnut::{Post, StreamEvent};

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

    /// Records the authors of the posts an event carries (and of the posts they repost).
    pub(super) fn learn(&mut self, event: &StreamEvent) {
        let Some(Ok(posts)) = event.data.as_ref().map(|data| data.posts()) else {
            return;
        };
        for post in &posts {
            for seen in std::iter::once(post).chain(post.repost_of.as_deref()) {
                if let Some(author) = seen.author_id() {
                    self.insert(seen.id.clone(), Some(author.to_owned()));
                }
            }
        }
    }
}

/// An event whose `main` (mention) delivery waits for parent lookups.
pub(super) struct Deferred {
    pub(super) event: StreamEvent,
    pub(super) keys: Vec<SubscriptionKey>,
    pub(super) delivered: Vec<SubscriptionKey>,
    waiting: HashSet<String>,
}

impl Pool {
    /// The parents of the event's replies whose author is not known.
    pub(super) fn unknown_parents(&self, event: &StreamEvent) -> HashSet<String> {
        let Some(Ok(posts)) = event.data.as_ref().map(|data| data.posts()) else {
            return HashSet::new();
        };
        posts
            .iter()
            .filter_map(|post| post.reply_to.clone())
            .filter(|parent| self.authors.get(parent).is_none())
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
            self.route_kinds(&ready.keys, &ready.event, &ready.delivered, |kind| {
                kind == EventKind::Mention
            });
        }
        self.release_self_replies();
    }
}
