//! Simulated pnut server (stub: the sim work fills this in, keeping these signatures).

use std::net::SocketAddr;
use std::time::Duration;

/// Options of the simulated pnut server.
#[derive(Debug, Clone)]
pub struct SimPnutOptions {
    /// Listen address (`127.0.0.1:0` in tests).
    pub listen: SocketAddr,
    /// Interval of the activity generator; `None` turns it off (the default in tests).
    pub activity_interval: Option<Duration>,
    /// Seed of the deterministic world and activity generator.
    pub seed: u64,
}

impl Default for SimPnutOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            activity_interval: None,
            seed: 1,
        }
    }
}

/// A running simulated pnut server.
#[derive(Debug)]
pub struct SimPnut {
    addr: SocketAddr,
}

impl SimPnut {
    /// Binds and starts the server in the background of the current tokio runtime.
    pub async fn start(options: SimPnutOptions) -> std::io::Result<Self> {
        let _ = options;
        Err(std::io::Error::other("simulated pnut server not built yet"))
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Runs the simulated pnut server standalone on `listen` until the process ends.
pub async fn run_standalone(listen: SocketAddr) -> std::io::Result<()> {
    let _sim = SimPnut::start(SimPnutOptions {
        listen,
        ..Default::default()
    })
    .await?;
    std::future::pending::<()>().await;
    Ok(())
}
