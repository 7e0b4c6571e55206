//! Prometheus metrics (`GET /metrics`, mapping.md §1), encoded by the `prometheus-client`
//! crate in the OpenMetrics text format. Every name is prefixed `pnutkey_`. Labels are drawn
//! from fixed sets (see [`labels`]): never a token, a user id or a connection id.
//!
//! Hot paths hold pre-resolved handles ([`FrontMetrics`], [`UpstreamMetrics`]); the rate
//! limiters keep their own counts, read at scrape time ([`ratelimit`]).

pub mod handles;
pub mod labels;
mod ratelimit;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

pub use handles::{GaugeGuard, GaugeShare, UpstreamMetrics};
pub use labels::{CloseReason, Front};
pub use ratelimit::LimiterSource;

use crate::upstream::UpstreamKind;
use labels::{
    ChannelLabels, CloseLabels, FrontLabels, UpstreamErrorLabels, UpstreamLabels, channel_label,
    upstream_label,
};

/// The `Content-Type` of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every metric family of the bridge, registered once. Share it as `Arc<Metrics>`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    clients_connected: Family<FrontLabels, Gauge>,
    channel_connections: Family<ChannelLabels, Gauge>,
    upstream_connections: Family<UpstreamLabels, Gauge>,
    upstream_subscriptions: Family<UpstreamLabels, Gauge>,
    sessions: Family<UpstreamLabels, Gauge>,
    events_in: Family<UpstreamLabels, Counter>,
    budget_remaining: Family<UpstreamLabels, Gauge>,
    events_out: Family<FrontLabels, Counter>,
    backfilled_events: Family<FrontLabels, Counter>,
    backfill_gaps_skipped: Family<FrontLabels, Counter>,
    subscriptions_pending: Family<FrontLabels, Gauge>,
    upstream_errors: Family<UpstreamErrorLabels, Counter>,
    client_closes: Family<CloseLabels, Counter>,
    bad_input: Family<FrontLabels, Counter>,
    note_captures_best_effort: Counter,
    polls_refused: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every family (the rate-limit ones come with [`Metrics::export_limiters`]).
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("pnutkey");
        let metrics = Self {
            clients_connected: Family::default(),
            channel_connections: Family::default(),
            upstream_connections: Family::default(),
            upstream_subscriptions: Family::default(),
            sessions: Family::default(),
            events_in: Family::default(),
            budget_remaining: Family::default(),
            events_out: Family::default(),
            backfilled_events: Family::default(),
            backfill_gaps_skipped: Family::default(),
            subscriptions_pending: Family::default(),
            upstream_errors: Family::default(),
            client_closes: Family::default(),
            bad_input: Family::default(),
            note_captures_best_effort: Counter::default(),
            polls_refused: Counter::default(),
            registry: Registry::default(),
        };
        let m = &metrics;
        registry.register(
            "clients_connected",
            "Client connections open on each front's streaming endpoint",
            m.clients_connected.clone(),
        );
        registry.register(
            "channel_connections",
            "Misskey channel connections open on the Misskey front, by channel",
            m.channel_connections.clone(),
        );
        registry.register(
            "upstream_connections",
            "Streaming connections open to each upstream",
            m.upstream_connections.clone(),
        );
        registry.register(
            "upstream_subscriptions",
            "Live upstream subscriptions (pnut) or channel connections and note captures (Misskey)",
            m.upstream_subscriptions.clone(),
        );
        registry.register(
            "sessions",
            "Sessions (per-token upstream state) held, by the upstream they use",
            m.sessions.clone(),
        );
        registry.register(
            "events_in",
            "Events received on upstream streams",
            m.events_in.clone(),
        );
        registry.register(
            "upstream_ratelimit_remaining",
            "Remaining rate-limit budget the upstream last reported (X-RateLimit-Remaining; -1: none yet)",
            m.budget_remaining.clone(),
        );
        registry.register(
            "events_out",
            "Text frames written to clients from their outbound queues, by front",
            m.events_out.clone(),
        );
        registry.register(
            "backfilled_events",
            "Events replayed by a backfill after an upstream reconnect",
            m.backfilled_events.clone(),
        );
        registry.register(
            "backfill_gaps_skipped",
            "Backfills whose gap exceeded one page (the older rest was skipped)",
            m.backfill_gaps_skipped.clone(),
        );
        registry.register(
            "subscriptions_pending",
            "Client subscriptions whose upstream side (subscribe, channel join, first page) is not made yet: in flight, or failed and waiting for its retry",
            m.subscriptions_pending.clone(),
        );
        registry.register(
            "upstream_errors",
            "Failed upstream calls, by HTTP status or transport/timeout/decode",
            m.upstream_errors.clone(),
        );
        registry.register(
            "client_closes",
            "Client connections the bridge closed, by reason",
            m.client_closes.clone(),
        );
        registry.register(
            "bad_input",
            "Client frames dropped as unparsable",
            m.bad_input.clone(),
        );
        registry.register(
            "note_captures_best_effort",
            "subNote captures served best-effort (no room for a thread subscription)",
            m.note_captures_best_effort.clone(),
        );
        registry.register(
            "polls_refused",
            "Misskey connects ignored because their token already polls limits.max_polls_per_token endpoints",
            m.polls_refused.clone(),
        );
        // Every front and upstream series exists from the start (0, not absent).
        for front in [Front::Misskey, Front::Pnut] {
            let _ = metrics.front(front);
        }
        for kind in [UpstreamKind::Pnut, UpstreamKind::Misskey] {
            metrics.upstream(kind).budget_remaining.set(-1);
            let _ = metrics.sessions(kind);
        }
        Self {
            registry,
            ..metrics
        }
    }

    /// Exports the wait, fast-fail and pause counts of each upstream's limiter, looked up
    /// through its source on every scrape (call once, before sharing the metrics).
    pub fn export_limiters(&mut self, sources: Vec<(UpstreamKind, LimiterSource)>) {
        self.registry
            .register_collector(Box::new(ratelimit::LimiterCollector::new(sources)));
    }

    /// Registers the `pnutkey_cluster_*` families of a `[cluster]` member (call once, before
    /// sharing the metrics) and returns their handles.
    pub fn register_cluster(&mut self) -> crate::cluster::ClusterMetrics {
        let handles = crate::cluster::ClusterMetrics::default();
        let r = &mut self.registry;
        r.register(
            "cluster_redis_up",
            "1 while the fleet's Redis answers, 0 while this instance serves on local limits",
            handles.up.clone(),
        );
        r.register(
            "cluster_redis_errors",
            "Redis calls that failed or timed out",
            handles.errors.clone(),
        );
        r.register(
            "cluster_local_decisions",
            "Rate-limit decisions taken on local limits only because Redis was down",
            handles.local_decisions.clone(),
        );
        r.register(
            "cluster_pauses_shared",
            "Upstream 429 pauses this instance published to the fleet",
            handles.pauses_shared.clone(),
        );
        r.register(
            "cluster_messages_dropped",
            "Fleet messages dropped on a full relay or publish queue",
            handles.messages_dropped.clone(),
        );
        r.register(
            "cluster_leases_taken",
            "Session leases this instance took (first, or over from a dead owner)",
            handles.leases_taken.clone(),
        );
        r.register(
            "cluster_pnut_forwards",
            "pnut-front user streams and connection-bound calls forwarded to their session's owner",
            handles.pnut_forwards.clone(),
        );
        handles
    }

    /// The whole registry in the OpenMetrics text format (see [`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
            text.push_str("# EOF\n");
        }
        text
    }

    /// The handles of one front, resolved once per socket.
    pub fn front(&self, front: Front) -> FrontMetrics {
        let labels = FrontLabels {
            front: front.as_str(),
        };
        FrontMetrics {
            front,
            connected: self.clients_connected.get_or_create_owned(&labels),
            events_out: self.events_out.get_or_create_owned(&labels),
            bad_input: self.bad_input.get_or_create_owned(&labels),
            backfilled: self.backfilled_events.get_or_create_owned(&labels),
            gaps_skipped: self.backfill_gaps_skipped.get_or_create_owned(&labels),
            subscriptions_pending: self.subscriptions_pending.get_or_create_owned(&labels),
            best_effort_captures: self.note_captures_best_effort.clone(),
            polls_refused: self.polls_refused.clone(),
            closes: self.client_closes.clone(),
        }
    }

    /// The handles of one upstream, resolved once per client.
    pub fn upstream(&self, kind: UpstreamKind) -> UpstreamMetrics {
        let labels = UpstreamLabels {
            upstream: upstream_label(kind),
        };
        UpstreamMetrics::from_parts(
            labels.upstream,
            self.upstream_connections.get_or_create_owned(&labels),
            self.upstream_subscriptions.get_or_create_owned(&labels),
            self.events_in.get_or_create_owned(&labels),
            self.budget_remaining.get_or_create_owned(&labels),
            self.upstream_errors.clone(),
        )
    }

    /// The live-session gauge of the sessions that use upstream `kind`.
    pub fn sessions(&self, kind: UpstreamKind) -> Gauge {
        let labels = UpstreamLabels {
            upstream: upstream_label(kind),
        };
        self.sessions.get_or_create_owned(&labels)
    }

    /// Counts one Misskey channel connection of `channel` until the guard is dropped.
    pub fn channel_connection(&self, channel: &str) -> GaugeGuard {
        let labels = ChannelLabels {
            channel: channel_label(channel),
        };
        GaugeGuard::hold(self.channel_connections.get_or_create_owned(&labels))
    }
}

/// The metric handles of one front (cheap to clone; increments are atomic adds).
#[derive(Debug, Clone)]
pub struct FrontMetrics {
    front: Front,
    connected: Gauge,
    /// Event frames written to clients.
    pub events_out: Counter,
    /// Client frames dropped as unparsable.
    pub bad_input: Counter,
    /// Events replayed by a backfill.
    pub backfilled: Counter,
    /// Backfills whose gap exceeded one page.
    pub gaps_skipped: Counter,
    /// Client subscriptions whose upstream side is not made yet, in flight or retried
    /// (`pnutkey_subscriptions_pending{front}`; summed over sessions with [`GaugeShare`]s).
    pub subscriptions_pending: Gauge,
    /// subNote captures served best-effort.
    pub best_effort_captures: Counter,
    /// Connects ignored for the per-token poll bound (`pnutkey_polls_refused_total`).
    pub polls_refused: Counter,
    closes: Family<CloseLabels, Counter>,
}

impl FrontMetrics {
    /// Counts one connected client until the guard is dropped.
    pub fn connected(&self) -> GaugeGuard {
        GaugeGuard::hold(self.connected.clone())
    }

    /// Counts one close by the bridge (rare: resolved per call).
    pub fn closed(&self, reason: CloseReason) {
        self.closes
            .get_or_create(&CloseLabels {
                front: self.front.as_str(),
                reason: reason.as_str(),
            })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_prefixed_families_with_values() {
        let metrics = Metrics::default();
        let front = metrics.front(Front::Misskey);
        let guard = front.connected();
        front.events_out.inc_by(3);
        front.closed(CloseReason::TooBig);
        let _channel = metrics.channel_connection("homeTimeline");
        metrics.upstream(UpstreamKind::Pnut).record_error(
            &crate::upstream::UpstreamError::Status {
                upstream: UpstreamKind::Pnut,
                status: 401,
                message: String::new(),
                code: None,
            },
        );
        let text = metrics.encode();
        assert!(
            text.contains("pnutkey_clients_connected{front=\"misskey\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("pnutkey_events_out_total{front=\"misskey\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("pnutkey_client_closes_total{front=\"misskey\",reason=\"too_big\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("pnutkey_channel_connections{channel=\"homeTimeline\"} 1\n"));
        assert!(
            text.contains("pnutkey_upstream_errors_total{upstream=\"pnut\",status=\"401\"} 1\n")
        );
        assert!(text.ends_with("# EOF\n"));
        drop(guard);
        assert!(
            metrics
                .encode()
                .contains("pnutkey_clients_connected{front=\"misskey\"} 0\n")
        );
    }

    #[test]
    fn gauge_share_moves_by_the_change_and_leaves_on_drop() {
        let gauge = Gauge::default();
        let mut a = GaugeShare::new(gauge.clone());
        let mut b = GaugeShare::new(gauge.clone());
        a.set(3);
        b.set(2);
        a.set(1);
        assert_eq!(gauge.get(), 3);
        drop(b);
        assert_eq!(gauge.get(), 1);
        drop(a);
        assert_eq!(gauge.get(), 0);
    }
}
