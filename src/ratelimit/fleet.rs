//! The limiter's link to the fleet's budget (`[cluster]`, mapping.md §9): after a call got
//! its local permits, the fleet's GCRA in Redis has the last word; while Redis is down the
//! local permits alone decide (counted), and a 429 pause learnt here is published.

use std::collections::HashMap;
use std::sync::Arc;

use governor::Quota;

use crate::cluster::{Cluster, FleetAnswer, FleetQuota};

/// The fleet budget of one upstream's limiter.
#[derive(Debug)]
pub(super) struct Fleet {
    cluster: Arc<Cluster>,
    quotas: HashMap<String, FleetQuota>,
}

impl Fleet {
    /// The fleet form of `buckets` (name → per-instance quota).
    pub(super) fn new(cluster: Arc<Cluster>, buckets: &[(String, Quota)]) -> Self {
        let quotas = buckets
            .iter()
            .map(|(name, quota)| (name.clone(), FleetQuota::from_quota(*quota)))
            .collect();
        Self { cluster, quotas }
    }

    /// The fleet's answer for one call of `token` drawing from `buckets` (unknown names are
    /// ignored); `None` when Redis cannot answer: the local permits decide.
    pub(super) async fn ask(
        &self,
        upstream: &str,
        buckets: &[&str],
        token: &str,
    ) -> Option<FleetAnswer> {
        let drawn: Vec<(&str, FleetQuota)> = buckets
            .iter()
            .filter_map(|name| self.quotas.get(*name).map(|quota| (*name, *quota)))
            .collect();
        match self.cluster.take(upstream, token, &drawn).await {
            Ok(answer) => Some(answer),
            Err(_) => {
                self.cluster.metrics().local_decisions.inc();
                None
            }
        }
    }

    /// Publishes a 429 pause to the fleet (a failure is only logged: the local pause holds).
    pub(super) async fn publish_pause(
        &self,
        upstream: &'static str,
        token: &str,
        pause: std::time::Duration,
    ) {
        if let Err(error) = self.cluster.pause(upstream, token, pause).await {
            tracing::debug!(%error, "cluster: 429 pause not shared");
        }
    }
}
