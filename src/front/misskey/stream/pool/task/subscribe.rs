//! pnut subscribe calls of the pool (dispatched, their results taken back as messages) and the
//! retry of a failed subscribe while the key is held (mapping.md §3.2). A re-subscribe's page
//! is a backfill ([`super::backfill`]).

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::backfill::fetch_rest_of_gap;
use super::calls::CallResult;
use super::{Pool, SubState};
use crate::mapping::SubscriptionKey;
use crate::pnut::Envelope;
use crate::ratelimit::token_hash;
use crate::upstream::UpstreamError;

impl Pool {
    /// Subscribes `key` on `connection_id` in a spawned call; a known newest id makes the
    /// response a backfill. The key is `InFlight` until the result comes back.
    pub(super) fn dispatch_subscribe(&mut self, key: &SubscriptionKey, connection_id: &str) {
        let Some(state) = self.keys.get_mut(key) else {
            return;
        };
        let slot = state.slot;
        let Some(generation) = self
            .conns
            .get(slot)
            .and_then(Option::as_ref)
            .map(|conn| conn.generation)
        else {
            return;
        };
        state.sub = SubState::InFlight {
            connection_id: connection_id.to_owned(),
        };
        let since = state.newest_id.clone();
        let count = self.ctx.config().limits.backfill_count.to_string();
        let backfill_max = self.ctx.config().limits.backfill_max;
        let pnut = self.ctx.pnut.clone();
        let token = self.token.clone();
        let key = key.clone();
        let connection_id = connection_id.to_owned();
        self.spawn_call(async move {
            let mut query = super::note_polls::upstream_query(&key.endpoint, &key.params);
            if let Some(since) = since.as_deref() {
                query.push(("since_id", since));
                query.push(("count", &count));
            }
            let mut outcome = pnut
                .subscribe::<Value>(&token, &key.endpoint, &connection_id, &query)
                .await;
            if let (Some(since), Ok(page)) = (since.as_deref(), outcome.as_mut()) {
                let max = usize::try_from(backfill_max).unwrap_or(usize::MAX);
                fetch_rest_of_gap(&pnut, &token, &key, since, &count, max, page).await;
            }
            CallResult::Subscribed {
                key,
                slot,
                generation,
                connection_id,
                since,
                outcome: Box::new(outcome),
            }
        });
    }

    /// A subscribe returned. A result nobody waits for any more (the key was dropped, or its
    /// connection replaced, meanwhile) only has its subscription deleted if it made one on a
    /// live connection. `connected` answers waiting for the key are settled either way.
    pub(super) fn subscribed(
        &mut self,
        key: &SubscriptionKey,
        slot: usize,
        generation: u64,
        connection_id: &str,
        since: Option<String>,
        outcome: Result<Envelope<Value>, UpstreamError>,
    ) {
        let live_conn = self
            .conns
            .get(slot)
            .and_then(Option::as_ref)
            .is_some_and(|conn| {
                conn.generation == generation
                    && conn.connection_id.as_deref() == Some(connection_id)
            });
        let in_flight = SubState::InFlight {
            connection_id: connection_id.to_owned(),
        };
        let awaited = live_conn
            && self
                .keys
                .get(key)
                .is_some_and(|state| state.slot == slot && state.sub == in_flight);
        if !awaited {
            if live_conn
                && let Ok(envelope) = &outcome
                && let Some(subscription_id) = envelope.meta.subscription_id.clone()
                && !self.by_subscription.contains_key(&subscription_id)
            {
                self.spawn_delete_subscription(connection_id.to_owned(), subscription_id);
            }
            self.settle_acks();
            return;
        }
        match outcome {
            Ok(envelope) => match envelope.meta.subscription_id.clone() {
                Some(subscription_id) => {
                    if let Some(state) = self.keys.get_mut(key) {
                        state.sub = SubState::Subscribed {
                            subscription_id: subscription_id.clone(),
                        };
                        state.failures = 0;
                    }
                    self.by_subscription
                        .insert(subscription_id.clone(), key.clone());
                    if since.is_some() {
                        self.backfill(key, envelope);
                    }
                    self.replay_parked(slot, generation, &subscription_id, key);
                }
                None => {
                    tracing::warn!(endpoint = %key.endpoint, "pnut subscribe answered without subscription_id");
                    self.set_sub(key, SubState::Failed);
                }
            },
            Err(error) => self.subscribe_failed(key, connection_id, &error),
        }
        self.prune_parked();
        self.settle_acks();
    }

    /// A failed subscribe: retried with a backoff (`timeouts.reconnect_backoff_*`, at least
    /// the upstream's `retry_in`) when the failure may pass (5xx, 429, transport), for as long
    /// as the key is held; given up on this connection otherwise.
    fn subscribe_failed(
        &mut self,
        key: &SubscriptionKey,
        connection_id: &str,
        error: &UpstreamError,
    ) {
        tracing::warn!(token = %token_hash(&self.token), endpoint = %key.endpoint, %error, "pnut subscribe failed");
        let timeouts = self.ctx.config().timeouts.clone();
        let Some(state) = self.keys.get_mut(key) else {
            return;
        };
        if !error.is_retryable() {
            state.sub = SubState::Failed;
            return;
        }
        state.failures = state.failures.saturating_add(1);
        let doubling = 2u32.saturating_pow(state.failures.saturating_sub(1).min(20));
        let backoff = timeouts
            .reconnect_backoff_min
            .max(Duration::from_millis(1))
            .saturating_mul(doubling)
            .min(timeouts.reconnect_backoff_max);
        let delay = backoff.max(error.retry_in().unwrap_or_default());
        state.sub = SubState::RetryAt {
            at: Instant::now() + delay,
            connection_id: connection_id.to_owned(),
        };
    }

    /// Re-dispatches every subscribe whose retry time has come, if its key is still held;
    /// an unheld key stays failed (its linger removes it).
    pub(super) fn retry_subscribes(&mut self, now: Instant) {
        let due: Vec<(SubscriptionKey, String)> = self
            .keys
            .iter()
            .filter_map(|(key, state)| match &state.sub {
                SubState::RetryAt { at, connection_id } if *at <= now => {
                    Some((key.clone(), connection_id.clone()))
                }
                _ => None,
            })
            .collect();
        for (key, connection_id) in due {
            let held = self.keys.get(&key).is_some_and(|state| state.refs > 0);
            if held {
                self.dispatch_subscribe(&key, &connection_id);
            } else {
                self.set_sub(&key, SubState::Failed);
            }
        }
    }

    /// The earliest subscribe retry.
    pub(super) fn next_retry(&self) -> Option<Instant> {
        self.keys
            .values()
            .filter_map(|state| match state.sub {
                SubState::RetryAt { at, .. } => Some(at),
                _ => None,
            })
            .min()
    }

    fn set_sub(&mut self, key: &SubscriptionKey, sub: SubState) {
        if let Some(state) = self.keys.get_mut(key) {
            state.sub = sub;
        }
    }
}
