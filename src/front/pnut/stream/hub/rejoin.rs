//! Channel joins retried (issue 14, pnut front): a `connect` Misskey never acknowledged is
//! sent again (under a fresh id) with exponential backoff (`timeouts.reconnect_backoff_min` …
//! `_max`) for as long as a subscription holds the channel connection; the subscriptions
//! waiting on one are counted in `pnutkey_subscriptions_pending{front="pnut"}`.

use tokio::time::Instant;

use super::Hub;

impl Hub {
    /// When the next unacknowledged join is due again (`None`: nothing waits).
    pub(super) fn rejoin_at(&self) -> Option<Instant> {
        let timeouts = &self.ctx.config().timeouts;
        self.upstream.next_rejoin(
            timeouts.reconnect_backoff_min,
            timeouts.reconnect_backoff_max,
        )
    }

    /// Joins overdue channel connections again and recounts the waiting subscriptions.
    pub(super) async fn rejoin(&mut self) {
        let timeouts = self.ctx.config().timeouts.clone();
        self.upstream
            .rejoin_overdue(
                timeouts.reconnect_backoff_min,
                timeouts.reconnect_backoff_max,
            )
            .await;
        self.recount_joins();
    }

    /// Sets this hub's share of the pending gauge to the subscriptions holding a channel
    /// connection that is being joined again.
    pub(super) fn recount_joins(&mut self) {
        let rejoining = self.upstream.rejoining();
        let waiting = self
            .subscriptions
            .values()
            .filter(|sub| sub.keys.iter().any(|key| rejoining.contains(key)))
            .count();
        let gauge = self
            .ctx
            .metrics
            .front(crate::metrics::Front::Pnut)
            .subscriptions_pending;
        let before = i64::try_from(self.joins_pending).unwrap_or(i64::MAX);
        let now = i64::try_from(waiting).unwrap_or(i64::MAX);
        gauge.inc_by(now - before);
        self.joins_pending = waiting;
    }
}
