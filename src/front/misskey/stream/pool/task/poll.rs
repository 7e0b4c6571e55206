//! Polled needs (local/global timelines, hashtags: no pnut subscription exists): one shared
//! `since_id` poll per endpoint every `timeouts.poll_interval`, refcounted like subscriptions.

use serde_json::Value;

use super::Pool;
use crate::front::misskey::stream::pool::deliver::{Target, deliver_event, newer};
use crate::mapping::PollEntry;
use crate::pnut::{Envelope, EventData};
use crate::ratelimit::token_hash;

/// One shared poll.
pub(super) struct PollState {
    refs: usize,
    /// Newest id seen; only newer items are delivered.
    newest_id: Option<String>,
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
    /// Takes a reference on a poll; a new one records the newest id now (no history is sent).
    pub(super) async fn acquire_poll(&mut self, entry: &PollEntry) {
        if let Some(state) = self.polls.get_mut(entry) {
            state.refs += 1;
            return;
        }
        let newest_id = self
            .fetch(entry, None)
            .await
            .into_iter()
            .map(|(id, _)| id)
            .fold(None::<String>, |newest, id| {
                if newer(&id, newest.as_deref()) {
                    Some(id)
                } else {
                    newest
                }
            });
        self.polls
            .insert(entry.clone(), PollState { refs: 1, newest_id });
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

    /// One round of every poll: items newer than the last seen go out, oldest first.
    pub(super) async fn poll_all(&mut self) {
        let entries: Vec<(PollEntry, Option<String>)> = self
            .polls
            .iter()
            .map(|(entry, state)| (entry.clone(), state.newest_id.clone()))
            .collect();
        for (entry, since) in entries {
            let mut fresh: Vec<(String, Value)> = self
                .fetch(&entry, since.as_deref())
                .await
                .into_iter()
                .filter(|(id, _)| newer(id, since.as_deref()))
                .collect();
            if fresh.is_empty() {
                continue;
            }
            fresh.sort_by(|(a, _), (b, _)| (a.len(), a).cmp(&(b.len(), b)));
            fresh.dedup_by(|(a, _), (b, _)| a == b);
            let newest = fresh.last().map(|(id, _)| id.clone());
            let data = EventData::List(fresh.into_iter().map(|(_, item)| item).collect());
            let event = Envelope::event(String::new(), 0, Vec::new(), data);
            let targets: Vec<Target<'_>> = self
                .channels
                .iter()
                .filter(|(_, conn)| conn.polls.contains(&entry))
                .map(|((_, id), conn)| Target {
                    id,
                    sink: &conn.sink,
                    filters: conn.filters,
                    endpoint: &entry.endpoint,
                })
                .collect();
            deliver_event(&event, &targets, &self.me_id, &self.ctx.translate);
            if let Some(state) = self.polls.get_mut(&entry) {
                state.newest_id = newest.or(state.newest_id.take());
            }
        }
    }

    /// One page of `entry` (after `since` when given); empty on any upstream error.
    async fn fetch(&self, entry: &PollEntry, since: Option<&str>) -> Vec<(String, Value)> {
        let count = self.ctx.config().limits.backfill_count.to_string();
        let mut query: Vec<(&str, &str)> = entry
            .params
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        match since {
            Some(since) => {
                query.push(("since_id", since));
                query.push(("count", &count));
            }
            None => query.push(("count", "1")),
        }
        match self
            .ctx
            .pnut
            .get::<Value>(&self.token, &entry.endpoint, &query)
            .await
        {
            Ok(envelope) => page_items(envelope),
            Err(error) => {
                tracing::debug!(token = %token_hash(&self.token), endpoint = %entry.endpoint, %error, "pnut poll failed");
                Vec::new()
            }
        }
    }
}
