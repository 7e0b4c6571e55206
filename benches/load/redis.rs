//! A `redis-server` for the fleet scenario (f): a free loopback port, no persistence, killed
//! on drop; and the number of commands it ran (`INFO commandstats`), to count Redis operations
//! per event.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `redis-server`.
pub struct Redis {
    child: Child,
    /// `redis://127.0.0.1:PORT`.
    pub url: String,
}

impl Redis {
    /// Starts `redis-server` (`apt-get install -y redis-server` when missing).
    pub fn start() -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("free port: {e}"))?
            .port();
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--logfile", ""])
            .arg("--dir")
            .arg(std::env::temp_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("redis-server (apt-get install -y redis-server): {e}"))?;
        let stdout = child.stdout.take().ok_or("no redis stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("Ready to accept connections") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(20))
            .map_err(|_| "redis-server did not become ready".to_string())?;
        Ok(Self {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        })
    }

    /// Commands Redis ran so far (every `cmdstat_*` `calls=`), and its `PUBLISH`es.
    pub async fn commands(&self) -> Result<(u64, u64), String> {
        let client = redis::Client::open(self.url.as_str()).map_err(|e| e.to_string())?;
        let mut connection = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| e.to_string())?;
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut connection)
            .await
            .map_err(|e| e.to_string())?;
        let mut total = 0;
        let mut publishes = 0;
        for line in info.lines().filter(|l| l.starts_with("cmdstat_")) {
            let calls = line
                .split([':', ','])
                .find_map(|field| field.strip_prefix("calls="))
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
            // The measuring connection's own INFO is not the bridge's.
            if !line.starts_with("cmdstat_info:") {
                total += calls;
            }
            if line.starts_with("cmdstat_publish:") {
                publishes += calls;
            }
        }
        Ok((total, publishes))
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
