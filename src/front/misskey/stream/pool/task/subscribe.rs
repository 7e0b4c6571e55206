//! pnut subscribe calls of the pool, and the backfill a re-subscribe page carries
//! (mapping.md §3.2).

use serde_json::Value;

use super::Pool;
use super::newer_order;
use crate::front::misskey::stream::pool::deliver::{endpoint_kind, newer};
use crate::mapping::SubscriptionKey;
use crate::pnut::{Envelope, EventData};
use crate::ratelimit::token_hash;

impl Pool {
    /// Subscribes `key` on `connection_id`; a known newest id makes the response a backfill.
    /// `connected` answers waiting for it are settled once it returned.
    pub(super) async fn subscribe(&mut self, key: &SubscriptionKey, connection_id: &str) {
        self.subscribe_once(key, connection_id).await;
        self.settle_acks(Some(key));
    }

    async fn subscribe_once(&mut self, key: &SubscriptionKey, connection_id: &str) {
        let since = self.keys.get(key).and_then(|state| state.newest_id.clone());
        let count = self.ctx.config().limits.backfill_count.to_string();
        let mut query: Vec<(&str, &str)> = key
            .params
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        if let Some(since) = since.as_deref() {
            query.push(("since_id", since));
            query.push(("count", &count));
        }
        let response = self
            .ctx
            .pnut
            .subscribe::<Value>(&self.token, &key.endpoint, connection_id, &query)
            .await;
        let envelope = match response {
            Ok(envelope) => envelope,
            Err(error) => {
                tracing::warn!(token = %token_hash(&self.token), endpoint = %key.endpoint, %error, "pnut subscribe failed");
                return;
            }
        };
        let Some(subscription_id) = envelope.meta.subscription_id.clone() else {
            tracing::warn!(endpoint = %key.endpoint, "pnut subscribe answered without subscription_id");
            return;
        };
        if let Some(state) = self.keys.get_mut(key) {
            state.subscription_id = Some(subscription_id.clone());
        }
        self.by_subscription.insert(subscription_id, key.clone());
        if since.is_some() {
            self.backfill(key, envelope);
        }
    }

    /// Sends the posts of a re-subscribe page that were not yet delivered, oldest first.
    fn backfill(&mut self, key: &SubscriptionKey, envelope: Envelope<Value>) {
        if !matches!(
            endpoint_kind(&key.endpoint),
            "posts" | "mentions" | "messages"
        ) {
            return;
        }
        if envelope.meta.more == Some(true) {
            self.skipped_gaps += 1;
            self.metrics.gaps_skipped.inc();
            tracing::warn!(endpoint = %key.endpoint, skipped_gaps = self.skipped_gaps, "backfill gap larger than one page; rest skipped");
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
        self.route(&keys, &event);
    }
}
