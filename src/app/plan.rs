//! What `run` starts, derived from the config.

use std::net::SocketAddr;
use std::time::Duration;

use crate::config::{Config, UpstreamTarget};

/// The pieces `run` starts.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// The bridge listener's address.
    pub listen: SocketAddr,
    /// The pnut upstream.
    pub pnut: UpstreamTarget,
    /// The Misskey upstream.
    pub misskey: UpstreamTarget,
    /// Activity generator interval of the embedded sims (`None`: off).
    pub activity_interval: Option<Duration>,
    /// Seed of the embedded sims' worlds.
    pub seed: u64,
    /// How long a shutdown may take.
    pub grace: Duration,
}

impl RunPlan {
    /// Derives the plan from the effective config.
    pub fn from_config(config: &Config) -> Self {
        Self {
            listen: config.listen.addr,
            pnut: config.upstream.pnut.url.clone(),
            misskey: config.upstream.misskey.url.clone(),
            activity_interval: config.sim.activity_interval,
            seed: config.sim.seed,
            grace: config.timeouts.shutdown_grace,
        }
    }
}
