//! The `pnutkey` binary as a child process for end-to-end tests: spawned with JSON logs on an
//! ephemeral port, its log lines read on threads (every line kept; JSON lines forwarded to the
//! test), signalled with `kill`, and killed if the test fails before stopping it.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

/// JSON log lines buffered for the test; past it further lines are only kept for the end.
const FORWARDED_LINES: usize = 4096;

/// A running `pnutkey run` child.
pub struct BridgeProcess {
    child: Option<Child>,
    log: mpsc::Receiver<Value>,
    stdout: Option<JoinHandle<Vec<String>>>,
    stderr: Option<JoinHandle<Vec<String>>>,
}

impl BridgeProcess {
    /// Spawns `pnutkey [--config FILE] --log-format json run` listening on `127.0.0.1:0` with
    /// the activity generator off and `RUST_LOG=info`; `envs` add to or override those.
    pub fn spawn(config: Option<&Path>, envs: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pnutkey"));
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        command
            .args(["--log-format", "json", "run"])
            .env("PNUTKEY__LISTEN__ADDR", "127.0.0.1:0")
            .env("PNUTKEY__SIM__ACTIVITY_INTERVAL", "off")
            .env("RUST_LOG", "info")
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn pnutkey");
        let (tx, log) = mpsc::channel(FORWARDED_LINES);
        let stdout = pump(child.stdout.take().expect("stdout"), Some(tx.clone()));
        let stderr = pump(child.stderr.take().expect("stderr"), Some(tx));
        Self {
            child: Some(child),
            log,
            stdout: Some(stdout),
            stderr: Some(stderr),
        }
    }

    /// Awaits JSON log lines until `pred` returns a value (each line awaited at most `limit`).
    pub async fn log_until<T>(
        &mut self,
        limit: Duration,
        mut pred: impl FnMut(&Value) -> Option<T>,
    ) -> T {
        loop {
            let line = tokio::time::timeout(limit, self.log.recv())
                .await
                .expect("a log line in time")
                .expect("the log is still open");
            if let Some(value) = pred(&line) {
                return value;
            }
        }
    }

    /// The bridge's `host:port`, from the start-up banner's `bridge` field.
    pub async fn bridge_addr(&mut self, limit: Duration) -> String {
        self.log_until(limit, |line| {
            line["fields"]["bridge"]
                .as_str()
                .map(|url| url.trim_start_matches("http://").to_owned())
        })
        .await
    }

    /// Sends `SIGNAL` (e.g. `TERM`, `HUP`) with `kill`.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("child running").id().to_string();
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{signal} {pid}");
    }

    /// True while the child has not exited.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// A bridge process in the fleet on `redis_url` as instance `instance` (lease 2 s, short
    /// Redis timeouts) with `upstream` env vars, once both its banner (the address, returned)
    /// and its first answer from Redis were logged, in whichever order they come.
    pub async fn spawn_in_fleet(
        upstream: &[(&str, &str)],
        redis_url: &str,
        instance: &str,
        limit: Duration,
    ) -> (Self, String) {
        let mut envs = upstream.to_vec();
        envs.extend([
            ("PNUTKEY__CLUSTER__REDIS_URL", redis_url),
            ("PNUTKEY__CLUSTER__KEY_PREFIX", "test:"),
            ("PNUTKEY__CLUSTER__INSTANCE_ID", instance),
            ("PNUTKEY__CLUSTER__LEASE_TTL", "2s"),
            ("PNUTKEY__CLUSTER__HEALTH_INTERVAL", "50ms"),
            ("PNUTKEY__CLUSTER__OP_TIMEOUT", "300ms"),
        ]);
        let mut process = Self::spawn(None, &envs);
        let (mut addr, mut up) = (None, false);
        let bridge = process
            .log_until(limit, |line| {
                if let Some(url) = line["fields"]["bridge"].as_str() {
                    addr = Some(url.trim_start_matches("http://").to_owned());
                }
                up |= line["fields"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("redis up"));
                addr.clone().filter(|_| up)
            })
            .await;
        (process, bridge)
    }

    /// Awaits the child's exit, at most `limit`.
    pub async fn exit(&mut self, limit: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("child running");
        tokio::time::timeout(limit, tokio::task::spawn_blocking(move || child.wait()))
            .await
            .expect("the bridge exits in time")
            .expect("join")
            .expect("wait")
    }

    /// Every line the child wrote (stdout, then stderr); call after [`Self::exit`].
    pub fn output_lines(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        for reader in [self.stdout.take(), self.stderr.take()]
            .into_iter()
            .flatten()
        {
            lines.extend(reader.join().expect("log reader"));
        }
        lines
    }
}

impl Drop for BridgeProcess {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Keeps every line of `source`; forwards JSON ones to `json` while the test keeps up.
fn pump(
    source: impl Read + Send + 'static,
    json: Option<mpsc::Sender<Value>>,
) -> JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let mut all = Vec::new();
        for line in BufReader::new(source).lines().map_while(Result::ok) {
            if let (Some(tx), Ok(value)) = (&json, serde_json::from_str::<Value>(&line)) {
                let _ = tx.try_send(value);
            }
            all.push(line);
        }
        all
    })
}
