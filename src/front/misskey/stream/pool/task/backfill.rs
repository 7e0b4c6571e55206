//! The backfill of a re-subscribe (mapping.md §3.2): the re-subscribe's page holds the posts
//! missed since the newest one delivered; a gap larger than one page is paged back further
//! (in the spawned subscribe call, before its result reaches the pool) until it is closed or
//! `limits.backfill_max` posts are fetched, waiting out 429 pauses. The pool then delivers the
//! posts not delivered yet, oldest first, and counts the gap as skipped only if it is still
//! open.

use std::time::Duration;

use serde_json::Value;

use super::{Pool, newer_order};
use crate::front::misskey::stream::pool::deliver::newer;
use crate::mapping::{PnutData, SubscriptionKey, pnut_endpoint_data};
use crate::pnut::{Envelope, EventData};
use crate::ratelimit::token_hash;
use crate::upstream::pnut::PnutClient;

/// Attempts at one further page after a rate limit (each first waits out its pause).
const RATE_LIMITED_ATTEMPTS: u32 = 3;

/// Whether `key`'s items are posts or messages (the only ones backfilled).
fn paged(key: &SubscriptionKey) -> bool {
    matches!(
        pnut_endpoint_data(&key.endpoint),
        PnutData::Posts | PnutData::Messages
    )
}

/// The oldest id among `items`.
fn oldest_id(items: &[Value]) -> Option<String> {
    items
        .iter()
        .filter_map(|item| item.get("id").and_then(Value::as_str))
        .min_by(|a, b| newer_order(a, b))
        .map(str::to_owned)
}

/// Pages back from the oldest post of `page` (a re-subscribe answer with `since_id = since`)
/// while pnut says `more`, appending each page's items to `page.data` and setting
/// `page.meta.more` to what the last page said (`true` when the bound or an error stopped it).
pub(super) async fn fetch_rest_of_gap(
    pnut: &PnutClient,
    token: &str,
    key: &SubscriptionKey,
    since: &str,
    count: &str,
    max: usize,
    page: &mut Envelope<Value>,
) {
    if !paged(key) || page.meta.more != Some(true) {
        return;
    }
    let Some(Value::Array(items)) = page.data.as_mut() else {
        return;
    };
    let mut before = oldest_id(items);
    let mut limited = 0;
    while let Some(before_id) = before.clone() {
        if items.len() >= max {
            break;
        }
        let mut query = super::note_polls::upstream_query(&key.endpoint, &key.params);
        query.extend([
            ("since_id", since),
            ("before_id", &before_id),
            ("count", count),
        ]);
        match pnut.get::<Value>(token, &key.endpoint, &query).await {
            Ok(next) => {
                limited = 0;
                let more = next.meta.more == Some(true);
                let older = match next.data {
                    Some(Value::Array(older)) => older,
                    _ => Vec::new(),
                };
                before = if more { oldest_id(&older) } else { None };
                items.extend(older);
                page.meta.more = Some(more && before.is_some());
            }
            Err(error) => {
                let wait = error
                    .retry_in()
                    .filter(|_| limited < RATE_LIMITED_ATTEMPTS)
                    .map(|wait| wait.max(Duration::from_millis(1)));
                let Some(wait) = wait else {
                    tracing::warn!(token = %token_hash(token), endpoint = %key.endpoint, %error, "backfill page failed; rest of the gap skipped");
                    break;
                };
                limited += 1;
                tokio::time::sleep(wait).await;
            }
        }
    }
}

impl Pool {
    /// Sends the posts of a re-subscribe page (and the pages fetched behind it) that were not
    /// yet delivered, oldest first; a gap still open counts as skipped.
    pub(super) fn backfill(&mut self, key: &SubscriptionKey, envelope: Envelope<Value>) {
        if !paged(key) {
            return;
        }
        if envelope.meta.more == Some(true) {
            self.skipped_gaps += 1;
            self.metrics.gaps_skipped.inc();
            tracing::warn!(endpoint = %key.endpoint, skipped_gaps = self.skipped_gaps, "backfill gap larger than limits.backfill_max; rest skipped");
        }
        let Some(Value::Array(items)) = envelope.data else {
            return;
        };
        let delivered = self.keys.get(key).and_then(|state| state.newest_id.clone());
        let mut fresh: Vec<(String, Value)> = items
            .into_iter()
            .filter_map(|item| {
                let id = item.get("id").and_then(Value::as_str)?.to_owned();
                newer(&id, delivered.as_deref()).then_some((id, item))
            })
            .collect();
        fresh.sort_by(|(a, _), (b, _)| newer_order(a, b));
        fresh.dedup_by(|(a, _), (b, _)| a == b);
        if fresh.is_empty() {
            return;
        }
        self.metrics.backfilled.inc_by(fresh.len() as u64);
        let data = EventData::List(fresh.into_iter().map(|(_, item)| item).collect());
        let event = Envelope::event(String::new(), 0, Vec::new(), data);
        let keys = vec![key.clone()];
        self.route(&keys, &event, &[]);
    }
}
