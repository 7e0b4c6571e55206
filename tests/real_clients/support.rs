//! Shared harness of `tests/real_clients.rs`: locating the pinned clients, spawning them with
//! bounded runs, reading their output and asserting on their exit.

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use tokio::task::JoinHandle;

/// Upper bound of one whole client run (start, REST calls, stream, exit).
const CLIENT_DEADLINE: Duration = Duration::from_secs(30);

/// How long the misskey-js script waits for the note event once it printed READY (ms).
pub const NOTE_WAIT_MS: &str = "10000";

/// How long the pnut stream script waits for the post event once it printed READY (s).
pub const POST_WAIT_SECONDS: &str = "10";

/// Bound on collecting a killed client's stderr for the failure message.
const STDERR_GRACE: Duration = Duration::from_secs(5);

/// `tests/clients/`: the scripts, pins and installed clients.
fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("clients")
}

/// The venv's python; fails the test when the venv is missing.
pub fn venv_python() -> PathBuf {
    let python = clients_dir().join(".venv").join("bin").join("python");
    assert!(
        python.exists(),
        "{} is missing: run `bash tests/clients/setup.sh` (or `bash tests/run.sh`) to install pnutpy",
        python.display()
    );
    python
}

/// Fails the test when the npm packages are missing.
pub fn require_node_modules() {
    for package in ["misskey-js", "ws"] {
        let manifest = clients_dir()
            .join("node_modules")
            .join(package)
            .join("package.json");
        assert!(
            manifest.exists(),
            "{} is missing: run `bash tests/clients/setup.sh` (or `bash tests/run.sh`) to install misskey-js",
            manifest.display()
        );
    }
}

/// Spawns a client with piped stdout/stderr, killed if the test drops it.
pub fn spawn_client(program: PathBuf, args: &[&str]) -> Child {
    Command::new(&program)
        .args(args)
        .current_dir(clients_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "cannot start {} ({error}): run `bash tests/clients/setup.sh`",
                program.display()
            )
        })
}

/// Collects a child's whole stderr in the background.
fn collect_stderr(child: &mut Child) -> JoinHandle<String> {
    let mut stderr = child.stderr.take().expect("stderr is piped");
    tokio::spawn(async move {
        let mut text = String::new();
        let mut bytes = Vec::new();
        if stderr.read_to_end(&mut bytes).await.is_ok() {
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

/// Kills the child (if still running) and returns what it wrote on stderr.
async fn kill_and_stderr(child: &mut Child, stderr: JoinHandle<String>) -> String {
    let _ = child.start_kill();
    match tokio::time::timeout(STDERR_GRACE, stderr).await {
        Ok(Ok(text)) => text,
        _ => "<stderr unavailable>".to_owned(),
    }
}

/// Reads stdout lines until one satisfies `wanted`; returns it, or an error naming what was seen.
async fn read_until(
    lines: &mut Lines<BufReader<ChildStdout>>,
    seen: &mut Vec<String>,
    wanted: impl Fn(&str) -> bool,
) -> Result<String, String> {
    loop {
        match lines.next_line().await {
            Ok(Some(line)) => {
                seen.push(line.clone());
                if wanted(&line) {
                    return Ok(line);
                }
            }
            Ok(None) => return Err(format!("stdout closed; lines so far: {seen:?}")),
            Err(error) => return Err(format!("stdout read error {error}; lines so far: {seen:?}")),
        }
    }
}

/// Runs a client to its exit (bounded by [`CLIENT_DEADLINE`]); returns its status, stdout, stderr.
pub async fn run_to_exit(script: &str, mut child: Child) -> (ExitStatus, String, String) {
    let stderr = collect_stderr(&mut child);
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let run = async {
        let mut out = Vec::new();
        let read = stdout.read_to_end(&mut out).await;
        let status = child.wait().await;
        (read.map(|_| out), status)
    };
    let outcome = tokio::time::timeout(CLIENT_DEADLINE, run).await;
    let err = kill_and_stderr(&mut child, stderr).await;
    match outcome {
        Ok((Ok(out), Ok(status))) => (status, String::from_utf8_lossy(&out).into_owned(), err),
        Ok((read, status)) => panic!("{script}: io error {read:?} {status:?}; stderr:\n{err}"),
        Err(_) => panic!("{script} hung for {CLIENT_DEADLINE:?}; stderr:\n{err}"),
    }
}

/// Fails the test with the client's output unless it exited 0.
pub fn assert_success(script: &str, status: ExitStatus, stdout: &str, stderr: &str) {
    assert!(
        status.success(),
        "{script} failed ({status}); stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

/// Runs a streaming client script: waits for its `READY` line, runs `trigger`, then waits for
/// the line starting with `event_prefix` and for a successful exit. Returns that line without
/// the prefix. The whole run is bounded by [`CLIENT_DEADLINE`].
pub async fn run_stream_client<F>(
    script: &str,
    mut child: Child,
    event_prefix: &str,
    trigger: F,
) -> String
where
    F: std::future::Future<Output = Result<(), String>>,
{
    let stderr = collect_stderr(&mut child);
    let stdout = child.stdout.take().expect("stdout is piped");
    let flow = async {
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = Vec::new();
        read_until(&mut lines, &mut seen, |line| line == "READY").await?;
        trigger.await?;
        let event =
            read_until(&mut lines, &mut seen, |line| line.starts_with(event_prefix)).await?;
        let status = child.wait().await.map_err(|error| error.to_string())?;
        Ok::<_, String>((event, status, seen))
    };
    let outcome = tokio::time::timeout(CLIENT_DEADLINE, flow).await;
    let err = kill_and_stderr(&mut child, stderr).await;
    let (event, status, seen) = match outcome {
        Ok(Ok(done)) => done,
        Ok(Err(problem)) => panic!("{script}: {problem}; stderr:\n{err}"),
        Err(_) => panic!("{script} hung for {CLIENT_DEADLINE:?}; stderr:\n{err}"),
    };
    assert_success(script, status, &seen.join("\n"), &err);
    event
        .strip_prefix(event_prefix)
        .unwrap_or_default()
        .to_owned()
}
