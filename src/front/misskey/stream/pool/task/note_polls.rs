//! `poll` on streamed notes (mapping.md §5): a post's `io.pnut.core.poll-notice` raw names a
//! poll whose choices and counts need `GET /polls/{id}?poll_token=`. A post event carrying a
//! notice whose poll is not known (fresh) is held whole while the pool looks the poll up in a
//! spawned call; it is routed, its notes with their `poll`, once every poll it names is back.
//! Held events leave in the order they came, and while one is held every later post event
//! of the token queues behind it (so the token's notes keep their order). A failed lookup
//! releases the note without `poll`; past [`MAX_HELD`] held events an event goes out at once
//! with the polls already known (never dropped). Polls looked up stay known for
//! [`POLL_FRESH`] (at most [`MAX_KNOWN`]), so an event seen on several subscriptions costs one
//! lookup.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use super::Pool;
use super::calls::CallResult;
use super::replies::raw_items;
use crate::front::misskey::stream::pool::deliver::newer;
use crate::mapping::{PnutData, SubscriptionKey, pnut_endpoint_data};
use crate::misskey::Poll;
use crate::pnut::{POLL_NOTICE_RAW_TYPE, PollNotice, StreamEvent};
use crate::translate::{PollsByPost, pnut_poll_to_misskey};

/// Post events held for poll lookups (the lookups in flight are at most as many polls as
/// these events name).
pub(super) const MAX_HELD: usize = 256;
/// Polls remembered after their lookup.
const MAX_KNOWN: usize = 256;
/// How long a looked-up poll serves other events (its counts change).
const POLL_FRESH: Duration = Duration::from_secs(5);

/// An event waiting for poll lookups.
struct Held {
    keys: Vec<SubscriptionKey>,
    event: StreamEvent,
    delivered: Vec<SubscriptionKey>,
    /// Poll ids not back yet → the posts (pnut ids) showing them.
    waiting: HashMap<String, Vec<String>>,
    /// The event's polls known so far, by pnut post id.
    polls: PollsByPost,
}

/// The pool's poll lookups: known polls, lookups in flight, held events.
#[derive(Default)]
pub(super) struct NotePolls {
    /// Poll id → when it was looked up and the poll (`None`: not readable).
    known: HashMap<String, (Instant, Option<Poll>)>,
    order: VecDeque<String>,
    looking_up: HashSet<String>,
    held: VecDeque<Held>,
}

impl NotePolls {
    fn fresh(&self, poll_id: &str, now: Instant) -> Option<&Option<Poll>> {
        self.known
            .get(poll_id)
            .filter(|(at, _)| now.saturating_duration_since(*at) < POLL_FRESH)
            .map(|(_, poll)| poll)
    }

    fn remember(&mut self, poll_id: String, poll: Option<Poll>, now: Instant) {
        if self.known.insert(poll_id.clone(), (now, poll)).is_none() {
            self.order.push_back(poll_id);
            if self.order.len() > MAX_KNOWN
                && let Some(old) = self.order.pop_front()
            {
                self.known.remove(&old);
            }
        }
    }
}

/// The poll notices of a post event's posts (and of the posts they repost), as
/// `(post id, notice)`, read off the raw items.
fn notices(event: &StreamEvent) -> Vec<(String, PollNotice)> {
    let mut found = Vec::new();
    for post in raw_items(event) {
        for seen in std::iter::once(post).chain(post.get("repost_of")) {
            let (Some(id), Some(items)) = (
                seen["id"].as_str(),
                seen["raw"][POLL_NOTICE_RAW_TYPE].as_array(),
            ) else {
                continue;
            };
            let notice = items
                .iter()
                .find_map(|item| serde_json::from_value::<PollNotice>(item.clone()).ok());
            if let Some(notice) = notice {
                found.push((id.to_owned(), notice));
            }
        }
    }
    found
}

/// The query of a subscribe, poll or backfill call on `endpoint` with `params`: posts come
/// with their `raw` (`include_post_raw=1`), which carries their poll notices and files.
pub(super) fn upstream_query<'a>(
    endpoint: &str,
    params: &'a BTreeMap<String, String>,
) -> Vec<(&'a str, &'a str)> {
    let mut query: Vec<(&str, &str)> = params
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let raw_asked = ["include_raw", "include_post_raw"]
        .iter()
        .any(|flag| params.contains_key(*flag));
    if pnut_endpoint_data(endpoint) == PnutData::Posts && !raw_asked {
        query.push(("include_post_raw", "1"));
    }
    query
}

/// Whether an event shows notes (not a deletion or revision, which are `noteUpdated`).
fn shows_notes(event: &StreamEvent) -> bool {
    event.meta.is_deleted != Some(true) && event.meta.revision.is_none()
}

impl Pool {
    /// Holds a post event that must wait for poll lookups (or for held events before it):
    /// `None`; else `Some(polls)`: route it now, its notes with `polls`.
    pub(super) fn hold_for_polls(
        &mut self,
        keys: &[SubscriptionKey],
        event: &StreamEvent,
        delivered: &[SubscriptionKey],
    ) -> Option<PollsByPost> {
        let now = Instant::now();
        let found = if shows_notes(event) {
            notices(event)
        } else {
            Vec::new()
        };
        let mut polls = PollsByPost::new();
        let mut missing: Vec<(String, PollNotice)> = Vec::new();
        for (post_id, notice) in found {
            match self.note_polls.fresh(&notice.poll_id, now) {
                Some(poll) => {
                    if let Some(poll) = poll {
                        polls.insert(post_id, poll.clone());
                    }
                }
                None => missing.push((post_id, notice)),
            }
        }
        let behind = !self.note_polls.held.is_empty();
        if (missing.is_empty() && !behind) || self.note_polls.held.len() >= MAX_HELD {
            return Some(polls);
        }
        let mut waiting: HashMap<String, Vec<String>> = HashMap::new();
        for (post_id, notice) in missing {
            waiting
                .entry(notice.poll_id.clone())
                .or_default()
                .push(post_id);
            if self.note_polls.looking_up.insert(notice.poll_id.clone()) {
                self.spawn_poll_lookup(notice);
            }
        }
        // A re-subscribe's backfill starts past the held posts (they are not sent twice).
        let newest = raw_items(event)
            .iter()
            .filter_map(|post| post["id"].as_str())
            .fold(
                None,
                |newest: Option<&str>, id| {
                    if newer(id, newest) { Some(id) } else { newest }
                },
            );
        if let Some(newest) = newest {
            for key in keys {
                if let Some(state) = self.keys.get_mut(key)
                    && newer(newest, state.newest_id.as_deref())
                {
                    state.newest_id = Some(newest.to_owned());
                }
            }
        }
        self.note_polls.held.push_back(Held {
            keys: keys.to_vec(),
            event: event.clone(),
            delivered: delivered.to_vec(),
            waiting,
            polls,
        });
        None
    }

    /// `GET /polls/{id}?poll_token=` as the pool's token, spawned.
    fn spawn_poll_lookup(&self, notice: PollNotice) {
        let pnut = self.ctx.pnut.clone();
        let token = self.token.clone();
        self.spawn_call(async move {
            let path = format!("/polls/{}", notice.poll_id);
            let query = [("poll_token", notice.poll_token.as_str())];
            let poll = match pnut.get::<crate::pnut::Poll>(&token, &path, &query).await {
                Ok(envelope) => envelope.data.map(|poll| pnut_poll_to_misskey(&poll)),
                Err(error) => {
                    tracing::debug!(%error, "a streamed note's poll could not be read");
                    None
                }
            };
            CallResult::NotePoll {
                poll_id: notice.poll_id,
                poll,
            }
        });
    }

    /// A poll lookup returned: the held events no longer waiting are routed, in order.
    pub(super) fn note_poll_returned(&mut self, poll_id: String, poll: Option<Poll>) {
        self.note_polls.looking_up.remove(&poll_id);
        for held in &mut self.note_polls.held {
            if let Some(posts) = held.waiting.remove(&poll_id)
                && let Some(poll) = &poll
            {
                for post in posts {
                    held.polls.insert(post, poll.clone());
                }
            }
        }
        self.note_polls.remember(poll_id, poll, Instant::now());
        while self
            .note_polls
            .held
            .front()
            .is_some_and(|held| held.waiting.is_empty())
        {
            let Some(ready) = self.note_polls.held.pop_front() else {
                break;
            };
            self.route_with_polls(&ready.keys, &ready.event, &ready.delivered, &ready.polls);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn event(data: Value) -> StreamEvent {
        serde_json::from_value(serde_json::json!({"meta": {}, "data": data})).expect("event")
    }

    #[test]
    fn notices_are_read_off_posts_and_their_reposts() {
        let notice = serde_json::json!({"io.pnut.core.poll-notice": [
            {"poll_id": "5", "poll_token": "t", "prompt": "?"}]});
        let posts = event(serde_json::json!([
            {"id": "2", "raw": notice, "repost_of": {"id": "1", "raw": notice}},
            {"id": "3", "raw": {"io.pnut.core.poll-notice": [{"bad": 1}]}},
            {"id": "4"}
        ]));
        let found: Vec<(String, String)> = notices(&posts)
            .into_iter()
            .map(|(post, notice)| (post, notice.poll_id))
            .collect();
        assert_eq!(found, [("2".into(), "5".into()), ("1".into(), "5".into())]);
    }

    #[tokio::test(start_paused = true)]
    async fn known_polls_go_stale_and_are_bounded() {
        let mut polls = NotePolls::default();
        let now = Instant::now();
        polls.remember("1".into(), Some(Poll::default()), now);
        assert!(polls.fresh("1", now).is_some());
        assert!(polls.fresh("1", now + POLL_FRESH).is_none());
        for id in 0..=MAX_KNOWN {
            polls.remember(format!("x{id}"), None, now);
        }
        assert!(polls.known.len() <= MAX_KNOWN);
        assert!(polls.fresh("1", now).is_none(), "oldest forgotten first");
    }
}
