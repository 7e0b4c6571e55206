//! A real Redis for the cluster tests: Debian's `redis-server`, started by the test on a free
//! loopback port with a temporary directory and no persistence, killed when dropped.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `redis-server` (stopped and restarted on the same port by the tests).
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts `redis-server` on a free loopback port; fails the test with a clear message when
    /// it is not installed (`apt-get install -y redis-server`).
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let dir = std::env::temp_dir().join(format!("pnutkey-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("redis temp dir");
        let mut server = Self {
            port,
            dir,
            child: None,
        };
        server.restart().await;
        server
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL) and waits for it to be gone.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// (Re)starts the server on the same port (empty: nothing is persisted); returns once it
    /// says it accepts connections.
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--logfile", ""])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect(
                "redis-server is needed by the cluster tests and is not installed: \
                 apt-get install -y redis-server",
            );
        let stdout = child.stdout.take().expect("redis stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("Ready to accept connections") {
                    return true;
                }
            }
            false
        };
        let ready = tokio::time::timeout(std::time::Duration::from_secs(20), ready).await;
        assert!(
            matches!(ready, Ok(true)),
            "redis-server on port {} did not become ready",
            self.port
        );
        // Keep draining its log so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.child = Some(child);
    }

    /// A plain connection for the test's own checks.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .expect("redis url")
            .get_multiplexed_async_connection()
            .await
            .expect("redis connection")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `[cluster]` for instance `instance` on `redis` (prefix `test:`, short timeouts, leases of
/// `lease_ttl`); every other key keeps its default.
pub fn cluster_config(
    redis: &RedisServer,
    instance: &str,
    lease_ttl: std::time::Duration,
) -> pnutkey::config::ClusterConfig {
    pnutkey::config::ClusterConfig {
        redis_url: pnutkey::config::RedisUrl::parse(&redis.url()).expect("redis url"),
        key_prefix: "test:".to_owned(),
        instance_id: instance.to_owned(),
        lease_ttl,
        op_timeout: std::time::Duration::from_millis(300),
        health_interval: std::time::Duration::from_millis(50),
        ..Default::default()
    }
}
