//! Polled needs (local/global timelines, hashtags: no pnut subscription exists): one shared
//! `since_id` poll per endpoint every `timeouts.poll_interval`, refcounted like subscriptions.
//! Each poll call runs in a spawned task; at most one call per poll is in flight (a tick that
//! finds one still running skips that poll).

use serde_json::Value;

use super::Pool;
use super::calls::CallResult;
use crate::front::misskey::stream::pool::deliver::{Target, deliver_event, newer};
use crate::mapping::{PollEntry, pnut_endpoint_data};
use crate::pnut::{Envelope, EventData};
use crate::ratelimit::token_hash;
use crate::translate::PollsByPost;

/// One shared poll.
pub(super) struct PollState {
    refs: usize,
    /// Tells this poll's results from those of an earlier poll of the same entry.
    generation: u64,
    /// Newest id seen; only newer items are delivered.
    newest_id: Option<String>,
    /// The first call (which records the newest id, delivering nothing) has returned.
    pub(super) baseline_done: bool,
    /// A call is in flight.
    in_flight: bool,
}

/// The ids and items of a list page, newest id first as pnut returns them.
fn page_items(envelope: Envelope<Value>) -> Vec<(String, Value)> {
    let Some(Value::Array(items)) = envelope.data else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| Some((item.get("id").and_then(Value::as_str)?.to_owned(), item)))
        .collect()
}

impl Pool {
    /// Takes a reference on a poll; a new one first records the newest id (no history is
    /// sent): `connected` answers wait for that first call.
    pub(super) fn acquire_poll(&mut self, entry: &PollEntry) {
        if let Some(state) = self.polls.get_mut(entry) {
            state.refs += 1;
            return;
        }
        self.next_generation += 1;
        let generation = self.next_generation;
        self.polls.insert(
            entry.clone(),
            PollState {
                refs: 1,
                generation,
                newest_id: None,
                baseline_done: false,
                in_flight: true,
            },
        );
        self.dispatch_poll(entry, generation, None, true);
    }

    /// Whether polling `wanted` would take the token past `max` distinct polled endpoints
    /// (`limits.max_polls_per_token`).
    pub(super) fn exceeds_poll_bound<K>(&self, wanted: &[(PollEntry, K)], max: u32) -> bool {
        let mut new: Vec<&PollEntry> = wanted
            .iter()
            .map(|(entry, _)| entry)
            .filter(|entry| !self.polls.contains_key(*entry))
            .collect();
        new.sort();
        new.dedup();
        !new.is_empty() && self.polls.len() + new.len() > max as usize
    }

    /// Drops a reference; an unused poll just stops (it holds nothing upstream).
    pub(super) fn release_poll(&mut self, entry: &PollEntry) {
        if let Some(state) = self.polls.get_mut(entry) {
            state.refs = state.refs.saturating_sub(1);
            if state.refs == 0 {
                self.polls.remove(entry);
            }
        }
    }

    /// One round: every poll with no call in flight asks for items newer than the last seen.
    pub(super) fn poll_all(&mut self) {
        let due: Vec<(PollEntry, u64, Option<String>)> = self
            .polls
            .iter_mut()
            .filter(|(_, state)| state.baseline_done && !state.in_flight)
            .map(|(entry, state)| {
                state.in_flight = true;
                (entry.clone(), state.generation, state.newest_id.clone())
            })
            .collect();
        for (entry, generation, since) in due {
            self.dispatch_poll(&entry, generation, since, false);
        }
    }

    /// One page of `entry` (after `since` when given) in a spawned call; empty on any error.
    /// The `first` call is part of the connect (it waits for a permit like a subscribe); the
    /// rounds after it only use the polls' share of the budget and skip when none is free.
    fn dispatch_poll(
        &self,
        entry: &PollEntry,
        generation: u64,
        since: Option<String>,
        first: bool,
    ) {
        let count = self.ctx.config().limits.backfill_count.to_string();
        let pnut = self.ctx.pnut.clone();
        let token = self.token.clone();
        let entry = entry.clone();
        self.spawn_call(async move {
            let mut query = super::note_polls::upstream_query(&entry.endpoint, &entry.params);
            match since.as_deref() {
                Some(since) => {
                    query.push(("since_id", since));
                    query.push(("count", &count));
                }
                None => query.push(("count", "1")),
            }
            let page = if first {
                pnut.get::<Value>(&token, &entry.endpoint, &query).await
            } else {
                pnut.poll::<Value>(&token, &entry.endpoint, &query).await
            };
            let items = match page {
                Ok(envelope) => page_items(envelope),
                Err(error) => {
                    tracing::debug!(token = %token_hash(&token), endpoint = %entry.endpoint, %error, "pnut poll failed");
                    Vec::new()
                }
            };
            CallResult::Polled {
                entry,
                generation,
                items,
            }
        });
    }

    /// A poll page returned: the first records the newest id; later ones deliver the items
    /// newer than the last seen, oldest first.
    pub(super) fn polled(
        &mut self,
        entry: &PollEntry,
        generation: u64,
        items: Vec<(String, Value)>,
    ) {
        let Some(state) = self
            .polls
            .get_mut(entry)
            .filter(|state| state.generation == generation)
        else {
            return;
        };
        state.in_flight = false;
        let since = state.newest_id.clone();
        if !state.baseline_done {
            state.baseline_done = true;
            state.newest_id = items
                .into_iter()
                .map(|(id, _)| id)
                .fold(None, |newest, id| {
                    if newer(&id, newest.as_deref()) {
                        Some(id)
                    } else {
                        newest
                    }
                });
            self.settle_acks();
            return;
        }
        let mut fresh: Vec<(String, Value)> = items
            .into_iter()
            .filter(|(id, _)| newer(id, since.as_deref()))
            .collect();
        if fresh.is_empty() {
            return;
        }
        fresh.sort_by(|(a, _), (b, _)| (a.len(), a).cmp(&(b.len(), b)));
        fresh.dedup_by(|(a, _), (b, _)| a == b);
        let newest = fresh.last().map(|(id, _)| id.clone());
        let data = EventData::List(fresh.into_iter().map(|(_, item)| item).collect());
        let event = Envelope::event(String::new(), 0, Vec::new(), data);
        let endpoint_data = pnut_endpoint_data(&entry.endpoint);
        let targets: Vec<Target<'_>> = self
            .channels
            .iter()
            .filter_map(|((_, id, _), conn)| {
                let (_, kind) = conn.polls.iter().find(|(held, _)| held == entry)?;
                Some(Target {
                    id,
                    sink: &conn.sink,
                    filters: conn.filters,
                    kind: (*kind)?,
                    data: endpoint_data,
                })
            })
            .collect();
        let delivered = deliver_event(
            &event,
            &targets,
            &self.me_id,
            self.authors.map(),
            &PollsByPost::new(),
            &self.ctx.translate,
        );
        self.unread_notifications |= delivered.notified;
        if let Some(state) = self.polls.get_mut(entry) {
            state.newest_id = newest.or(state.newest_id.take());
        }
    }
}
