//! Exports the limiters' own counts ([`crate::ratelimit::LimiterCounts`]) at scrape time, so
//! the limiter needs no metrics handle.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;

use super::labels::{UpstreamLabels, upstream_label};
use crate::ratelimit::{LimiterCounts, UpstreamLimiter};
use crate::upstream::UpstreamKind;

/// Reads the wait, fast-fail and pause counts of each upstream's limiter.
#[derive(Debug)]
pub(super) struct LimiterCollector {
    limiters: Vec<(&'static str, Arc<UpstreamLimiter>)>,
}

impl LimiterCollector {
    pub(super) fn new(limiters: &[(UpstreamKind, Arc<UpstreamLimiter>)]) -> Self {
        Self {
            limiters: limiters
                .iter()
                .map(|(kind, limiter)| (upstream_label(*kind), Arc::clone(limiter)))
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
        if self.limiters.is_empty() {
            return Ok(());
        }
        let counts: Vec<(&'static str, LimiterCounts)> = self
            .limiters
            .iter()
            .map(|(upstream, limiter)| (*upstream, limiter.counts()))
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
