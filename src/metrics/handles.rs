//! Pre-resolved metric handles for hot paths: a socket, pool or stream task resolves its
//! labelled counters once and then increments atomics (no map lookup, no allocation).

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use super::labels::{UpstreamErrorLabels, error_status, status_label};
use crate::upstream::UpstreamError;

/// Holds one unit of a gauge: incremented on creation, decremented on drop (so a task that
/// ends or is aborted always gives its unit back).
#[derive(Debug)]
pub struct GaugeGuard {
    gauge: Gauge,
}

impl GaugeGuard {
    /// Increments `gauge` until the guard is dropped.
    pub fn hold(gauge: Gauge) -> Self {
        gauge.inc();
        Self { gauge }
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

/// One owner's share of a gauge summed over many owners (e.g. one pool's subscriptions in
/// the total): [`GaugeShare::set`] moves the gauge by the change; drop removes the share.
#[derive(Debug)]
pub struct GaugeShare {
    gauge: Gauge,
    held: i64,
}

impl GaugeShare {
    /// A share of `gauge`, starting at 0.
    pub fn new(gauge: Gauge) -> Self {
        Self { gauge, held: 0 }
    }

    /// Sets this owner's share to `count`.
    pub fn set(&mut self, count: usize) {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        if count != self.held {
            self.gauge.inc_by(count - self.held);
            self.held = count;
        }
    }
}

impl Drop for GaugeShare {
    fn drop(&mut self) {
        self.gauge.dec_by(self.held);
    }
}

/// The metrics of one upstream, handed to its clients and stream tasks (cheap to clone).
/// [`UpstreamMetrics::detached`] counts into handles nobody scrapes (clients built outside
/// the app, e.g. in tests).
#[derive(Debug, Clone)]
pub struct UpstreamMetrics {
    /// Label value of the upstream.
    pub upstream: &'static str,
    /// Open streaming connections to this upstream.
    pub connections: Gauge,
    /// Live subscriptions (pnut) or channel connections and note captures (Misskey).
    pub subscriptions: Gauge,
    /// Events received on the upstream streams.
    pub events_in: Counter,
    /// The remaining budget the upstream last reported (`X-RateLimit-Remaining`, any token);
    /// -1 until it reports one.
    pub budget_remaining: Gauge,
    errors: Family<UpstreamErrorLabels, Counter>,
}

impl UpstreamMetrics {
    /// Handles registered nowhere.
    pub fn detached(upstream: &'static str) -> Self {
        Self::from_parts(
            upstream,
            Gauge::default(),
            Gauge::default(),
            Counter::default(),
            Gauge::default(),
            Family::default(),
        )
    }

    pub(super) fn from_parts(
        upstream: &'static str,
        connections: Gauge,
        subscriptions: Gauge,
        events_in: Counter,
        budget_remaining: Gauge,
        errors: Family<UpstreamErrorLabels, Counter>,
    ) -> Self {
        Self {
            upstream,
            connections,
            subscriptions,
            events_in,
            budget_remaining,
            errors,
        }
    }

    /// Records the remaining budget an answer reported.
    pub fn record_budget(&self, remaining: u64) {
        self.budget_remaining
            .set(i64::try_from(remaining).unwrap_or(i64::MAX));
    }

    /// Counts an error of a call to this upstream (refusals by the bridge's own limiter are
    /// not upstream errors and are not counted here).
    pub fn record_error(&self, error: &UpstreamError) {
        if let Some(status) = error_status(error) {
            self.count_error(status);
        }
    }

    /// Counts a stream open that failed: refused with an HTTP `status`, or (`None`) lost
    /// before the upgrade or hello completed (`transport`).
    pub fn record_stream_failure(&self, status: Option<u16>) {
        self.count_error(status_label(status));
    }

    fn count_error(&self, status: String) {
        self.errors
            .get_or_create(&UpstreamErrorLabels {
                upstream: self.upstream,
                status,
            })
            .inc();
    }
}
