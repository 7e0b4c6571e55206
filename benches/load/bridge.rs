//! The bridge under test as its own process (so its RSS and CPU time are its own), pointed at
//! simulated upstreams running in the load tool, plus `/proc` readings of that process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Clock ticks per second of `/proc/PID/stat` times (`getconf CLK_TCK`, 100 on Linux).
const CLK_TCK: f64 = 100.0;

/// A running `pnutkey run` child, killed on drop.
pub struct Bridge {
    child: Child,
    /// `127.0.0.1:PORT` the bridge listens on.
    pub addr: String,
}

/// Resident memory and CPU time of a process.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcStats {
    /// VmRSS in bytes.
    pub rss_bytes: u64,
    /// utime + stime in seconds.
    pub cpu_secs: f64,
}

impl Bridge {
    /// Starts the bridge on an ephemeral port with the given upstream URLs and extra
    /// `PNUTKEY__…` config variables.
    pub fn spawn_with(
        pnut_url: &str,
        pnut_stream_url: &str,
        misskey_url: &str,
        extra_env: &[(&str, String)],
    ) -> Result<Self, String> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pnutkey"))
            .args(["--log-format", "json", "run"])
            .env("PNUTKEY__LISTEN__ADDR", "127.0.0.1:0")
            .env("PNUTKEY__UPSTREAM__PNUT__URL", pnut_url)
            .env("PNUTKEY__UPSTREAM__PNUT__STREAM_URL", pnut_stream_url)
            .env("PNUTKEY__UPSTREAM__MISSKEY__URL", misskey_url)
            .env("PNUTKEY__SIM__ACTIVITY_INTERVAL", "off")
            // The sims have no binding limits; lift the bridge's own upstream quotas so that
            // thousands of connections of one token are not throttled at connect time.
            .env("PNUTKEY__RATELIMIT__PNUT__GET_PER_HOUR", "1000000")
            .env("PNUTKEY__RATELIMIT__PNUT__UPSTREAM_PER_SECOND", "100000")
            .env(
                "PNUTKEY__RATELIMIT__MISSKEY__PER_TOKEN_PER_SECOND",
                "100000",
            )
            .env("PNUTKEY__RATELIMIT__MISSKEY__UPSTREAM_PER_SECOND", "100000")
            .envs(extra_env.iter().map(|(key, value)| (*key, value.as_str())))
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("spawn pnutkey: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = mpsc::channel();
        // Keeps draining the log so the bridge never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                if let Some(bridge) = value["fields"]["bridge"].as_str() {
                    let _ = tx.send(bridge.trim_start_matches("http://").to_owned());
                }
            }
        });
        let mut bridge = Self {
            child,
            addr: String::new(),
        };
        bridge.addr = rx
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| "the bridge did not log its address".to_string())?;
        Ok(bridge)
    }

    /// Starts `perf record` (sampling, flat profile) on the bridge, writing `output`.
    pub fn profile(&self, output: &str) -> Result<Profiler, String> {
        let child = Command::new("perf")
            .args(["record", "-F", "999", "-o", output, "-p"])
            .arg(self.child.id().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("perf: {e}"))?;
        Ok(Profiler(child))
    }

    /// Current RSS and CPU time of the bridge process.
    pub fn stats(&self) -> ProcStats {
        proc_stats(self.child.id())
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `perf record`; stopped (SIGINT, so it writes its data) by [`Profiler::stop`].
pub struct Profiler(Child);

impl Profiler {
    /// Stops the profiler and waits for it to write its output.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// RSS and CPU time of process `pid` (zeros when `/proc` cannot be read).
pub fn proc_stats(pid: u32) -> ProcStats {
    let rss_bytes = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024);
    let cpu_secs = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
            let after = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = after.split_whitespace().collect();
            let utime: u64 = fields.get(11)?.parse().ok()?;
            let stime: u64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) as f64 / CLK_TCK)
        })
        .unwrap_or(0.0);
    ProcStats {
        rss_bytes,
        cpu_secs,
    }
}
