//! First pages retried (issue 14, pnut front): a subscribe whose first page failed upstream
//! (5xx, transport, 429) keeps its subscription; the hub fetches the page again beside itself
//! with exponential backoff (`timeouts.reconnect_backoff_min` … `_max`, or the 429's pause)
//! for as long as the subscription lives, and sends the page as one frame naming that
//! subscription when it arrives. `pnutkey_subscriptions_pending{front="pnut"}` counts the
//! subscriptions waiting.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::Hub;
use crate::front::pnut::rest::{Query, RestError, first_page};
use crate::pnut::Meta;
use crate::ratelimit::token_hash;

/// A subscription whose first page is being retried.
pub struct PendingPage {
    path: String,
    query: Query,
    attempts: u32,
}

/// The outcome of one retried first page.
pub struct PageOutcome {
    subscription_id: String,
    /// The page's `data`, or the upstream's pause (`None`: back off).
    result: Result<Value, Option<Duration>>,
}

/// Whether a first-page failure is worth retrying (the upstream may answer later).
pub fn retryable(error: &RestError) -> Option<Option<Duration>> {
    match error {
        RestError::Upstream(error) if error.retry_in().is_some() || error.is_retryable() => {
            Some(error.retry_in())
        }
        _ => None,
    }
}

impl Hub {
    /// The first page of `subscription_id` (`path` with `query`) failed: retry it while the
    /// subscription lives.
    pub(super) fn page_failed(
        &mut self,
        subscription_id: String,
        path: String,
        query: Query,
        retry_in: Option<Duration>,
    ) {
        if !self.subscriptions.contains_key(&subscription_id)
            || self.pending_pages.contains_key(&subscription_id)
        {
            return;
        }
        self.pending_gauge().inc();
        self.pending_pages.insert(
            subscription_id.clone(),
            PendingPage {
                path,
                query,
                attempts: 0,
            },
        );
        self.schedule_page(&subscription_id, retry_in);
    }

    fn pending_gauge(&self) -> prometheus_client::metrics::gauge::Gauge {
        self.ctx
            .metrics
            .front(crate::metrics::Front::Pnut)
            .subscriptions_pending
    }

    /// Fetches the page again after the backoff (or `pause`), beside the hub.
    fn schedule_page(&mut self, subscription_id: &str, pause: Option<Duration>) {
        let Some(pending) = self.pending_pages.get_mut(subscription_id) else {
            return;
        };
        let timeouts = self.ctx.config().timeouts.clone();
        let backoff = timeouts
            .reconnect_backoff_min
            .saturating_mul(1 << pending.attempts.min(16))
            .min(timeouts.reconnect_backoff_max);
        pending.attempts = pending.attempts.saturating_add(1);
        let delay = pause.unwrap_or(backoff);
        let ctx = Arc::clone(&self.ctx);
        let token = self.token_text.clone();
        let (path, query) = (pending.path.clone(), pending.query.clone());
        let subscription_id = subscription_id.to_owned();
        let results = self.page_tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let result = match first_page(&ctx, &token, &path, &query).await {
                Ok(reply) => Ok(reply.envelope.data.unwrap_or(Value::Null)),
                Err(error) => {
                    tracing::debug!(token = %token_hash(&token), %error, "pnut hub: first page retry failed");
                    Err(retryable(&error).flatten())
                }
            };
            let _ = results
                .send(PageOutcome {
                    subscription_id,
                    result,
                })
                .await;
        });
    }

    /// A retried page came back: its frame goes out, or the next attempt is scheduled.
    pub(super) fn page_outcome(&mut self, outcome: PageOutcome) {
        if !self.pending_pages.contains_key(&outcome.subscription_id) {
            return;
        }
        let data = match outcome.result {
            Ok(data) => data,
            Err(pause) => {
                self.schedule_page(&outcome.subscription_id, pause);
                return;
            }
        };
        self.forget_page(&outcome.subscription_id);
        let Some(connection) = self
            .subscriptions
            .get(&outcome.subscription_id)
            .and_then(|sub| self.connections.get(&sub.connection_id))
        else {
            return;
        };
        let meta = Meta {
            subscription_ids: Some(vec![outcome.subscription_id]),
            timestamp: Some(chrono::Utc::now().timestamp()),
            ..Meta::default()
        };
        let (Ok(meta_json), Ok(data_json)) =
            (serde_json::to_string(&meta), serde_json::to_string(&data))
        else {
            return;
        };
        connection.pipe.push(Arc::from(format!(
            r#"{{"meta":{meta_json},"data":{data_json}}}"#
        )));
    }

    /// Stops retrying the page of `subscription_id` (it arrived, or the subscription ended).
    pub(super) fn forget_page(&mut self, subscription_id: &str) {
        if self.pending_pages.remove(subscription_id).is_some() {
            self.pending_gauge().dec();
        }
    }
}
