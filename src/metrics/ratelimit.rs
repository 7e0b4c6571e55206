//! Exports the limiters' own counts ([`crate::ratelimit::LimiterCounts`]) at scrape time, so
//! the limiter needs no metrics handle. Each upstream's limiter is looked up through a
//! [`LimiterSource`] on every scrape, so a limiter swapped by a reload is followed (the new
//! limiter starts from the old one's counts: [`UpstreamLimiter::carry_counts_from`]).

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;

use super::labels::{UpstreamLabels, upstream_label};
use crate::ratelimit::{LimiterCounts, UpstreamLimiter};
use crate::upstream::UpstreamKind;

/// Gives the limiter an upstream's calls go through now.
pub type LimiterSource = Box<dyn Fn() -> Arc<UpstreamLimiter> + Send + Sync>;

/// Reads the wait, fast-fail and pause counts of each upstream's current limiter.
pub(super) struct LimiterCollector {
    sources: Vec<(&'static str, LimiterSource)>,
}

impl std::fmt::Debug for LimiterCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let upstreams: Vec<&str> = self.sources.iter().map(|(name, _)| *name).collect();
        f.debug_struct("LimiterCollector")
            .field("upstreams", &upstreams)
            .finish()
    }
}

impl LimiterCollector {
    pub(super) fn new(sources: Vec<(UpstreamKind, LimiterSource)>) -> Self {
        Self {
            sources: sources
                .into_iter()
                .map(|(kind, source)| (upstream_label(kind), source))
                .collect(),
        }
    }
}

type Field = fn(&LimiterCounts) -> u64;

const FAMILIES: [(&str, &str, Field); 3] = [
    (
        "ratelimit_waits",
        "Upstream calls that waited for a rate-limit permit or a 429 pause",
        |c| c.waits,
    ),
    (
        "ratelimit_fast_fails",
        "Upstream calls refused locally (the wait would exceed ratelimit.max_wait)",
        |c| c.fast_fails,
    ),
    (
        "ratelimit_pauses",
        "Token pauses set after an upstream 429",
        |c| c.pauses,
    ),
];

impl Collector for LimiterCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        if self.sources.is_empty() {
            return Ok(());
        }
        let counts: Vec<(&'static str, LimiterCounts)> = self
            .sources
            .iter()
            .map(|(upstream, source)| (*upstream, source().counts()))
            .collect();
        for (name, help, field) in FAMILIES {
            let probe = ConstCounter::new(0u64);
            let mut family = encoder.encode_descriptor(name, help, None, probe.metric_type())?;
            for (upstream, counts) in &counts {
                let labels = UpstreamLabels { upstream };
                let metric = family.encode_family(&labels)?;
                ConstCounter::new(field(counts)).encode(metric)?;
            }
        }
        Ok(())
    }
}
