//! Real third-party clients against the simulated servers: pnutpy (Python) against `SimPnut`
//! and misskey-js (Node) against `SimMisskey`, each started in-process on 127.0.0.1:0.
//!
//! The clients are the pinned packages installed by `tests/clients/setup.sh` (run by
//! `tests/run.sh`); the scripts driving them live beside it. A missing install fails the test
//! with a message naming the setup script. Every client run is bounded by [`CLIENT_DEADLINE`], so
//! a hang fails the test instead of blocking it.

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use pnutkey::sim::misskey::{SimMisskey, SimMisskeyOptions};
use pnutkey::sim::pnut::{SimPnut, SimPnutOptions};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use tokio::task::JoinHandle;

/// Upper bound of one whole client run (start, REST calls, stream, exit).
const CLIENT_DEADLINE: Duration = Duration::from_secs(30);
/// How long the misskey-js script waits for the note event once it printed READY (ms).
const NOTE_WAIT_MS: &str = "10000";
/// How long the pnut stream script waits for the post event once it printed READY (s).
const POST_WAIT_SECONDS: &str = "10";
/// Bound on collecting a killed client's stderr for the failure message.
const STDERR_GRACE: Duration = Duration::from_secs(5);

/// `tests/clients/`: the scripts, pins and installed clients.
fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("clients")
}

/// The venv's python; fails the test when the venv is missing.
fn venv_python() -> PathBuf {
    let python = clients_dir().join(".venv").join("bin").join("python");
    assert!(
        python.exists(),
        "{} is missing: run `bash tests/clients/setup.sh` (or `bash tests/run.sh`) to install pnutpy",
        python.display()
    );
    python
}

/// Fails the test when the npm packages are missing.
fn require_node_modules() {
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
fn spawn_client(program: PathBuf, args: &[&str]) -> Child {
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
async fn run_to_exit(script: &str, mut child: Child) -> (ExitStatus, String, String) {
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
fn assert_success(script: &str, status: ExitStatus, stdout: &str, stderr: &str) {
    assert!(
        status.success(),
        "{script} failed ({status}); stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

#[tokio::test]
async fn pnutpy_reads_creates_and_fetches_posts_on_sim_pnut() {
    let python = venv_python();
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("start the simulated pnut server");
    let base_url = sim.base_url();

    let (status, out, err) = run_to_exit(
        "pnutpy_sim.py",
        spawn_client(python, &["pnutpy_sim.py", &base_url, "demo-alice"]),
    )
    .await;
    assert_success("pnutpy_sim.py", status, &out, &err);

    let summary_line = out.lines().last().unwrap_or_default();
    let summary: Value = serde_json::from_str(summary_line)
        .unwrap_or_else(|error| panic!("summary line is not JSON ({error}): {out}"));
    assert_eq!(summary["ok"], Value::Bool(true), "{summary}");
    assert_eq!(summary["username"], "alice", "{summary}");
    let post_id = summary["created_post_id"]
        .as_u64()
        .unwrap_or_else(|| panic!("no numeric created_post_id: {summary}"));
    let text = summary["created_text"]
        .as_str()
        .unwrap_or_else(|| panic!("no created_text: {summary}"));
    // pnutpy's multipart upload is stored with its bytes.
    let file_id = summary["uploaded_file_id"]
        .as_str()
        .expect("uploaded_file_id");
    let (stored, bytes) = sim
        .control()
        .file_content(file_id)
        .await
        .expect("the upload is stored");
    assert_eq!(stored.name, "pnutpy.png");
    assert_eq!(stored.mime_type.as_deref(), Some("image/png"));
    assert_eq!(
        bytes.map(|b| b.len() as u64),
        summary["uploaded_size"].as_u64()
    );

    // The post pnutpy created is really on the server: another user fetches it over the wire.
    let response = reqwest::Client::new()
        .get(format!("{base_url}/v1/posts/{post_id}"))
        .bearer_auth("demo-bob")
        .send()
        .await
        .expect("GET /v1/posts/{id} as bob");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let body: Value = response.json().await.expect("post envelope is JSON");
    assert_eq!(body["data"]["id"], Value::String(post_id.to_string()));
    assert_eq!(body["data"]["content"]["text"], text);
    assert_eq!(body["data"]["user"]["username"], "alice");

    // pnutpy's calls reached the server as the routes they name.
    let calls = sim.control().counts().await.calls;
    for route in [
        "GET /v1/token",
        "GET /v1/posts/streams/me",
        "GET /v1/posts/streams/unified",
        "POST /v1/posts",
    ] {
        assert!(
            calls.get(route).copied().unwrap_or(0) >= 1,
            "no {route} call recorded: {calls:?}"
        );
    }
}

/// Runs a streaming client script: waits for its `READY` line, runs `trigger`, then waits for
/// the line starting with `event_prefix` and for a successful exit. Returns that line without
/// the prefix. The whole run is bounded by [`CLIENT_DEADLINE`].
async fn run_stream_client<F>(
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

#[tokio::test]
async fn misskey_js_receives_a_home_timeline_note_from_sim_misskey() {
    require_node_modules();
    let sim = SimMisskey::start(SimMisskeyOptions::default())
        .await
        .expect("start the simulated misskey server");
    let base_url = sim.base_url();
    let text = format!("misskey-js sees this {}", std::process::id());

    let control = sim.control();
    // After READY: the socket really holds alice's homeTimeline connection and the REST calls
    // really reached the server; then bob (whom alice follows) posts through the control API.
    let trigger = async {
        let counts = control.counts().await;
        let alice_home = counts.sockets.iter().any(|socket| {
            socket.username.as_deref() == Some("alice")
                && socket
                    .channels
                    .iter()
                    .any(|channel| channel == "homeTimeline")
        });
        if !alice_home {
            return Err(format!(
                "READY without alice's homeTimeline connection: {counts:?}"
            ));
        }
        for endpoint in ["i", "meta", "notes/timeline"] {
            if counts.calls.get(endpoint).copied().unwrap_or(0) == 0 {
                return Err(format!("misskey-js never called {endpoint}: {counts:?}"));
            }
        }
        control
            .post("bob", &text)
            .await
            .map(|_| ())
            .map_err(|error| format!("control post as bob: {error}"))
    };

    let child = spawn_client(
        PathBuf::from("node"),
        &["misskey_js_sim.mjs", &base_url, "demo-alice", NOTE_WAIT_MS],
    );
    let note_json = run_stream_client("misskey_js_sim.mjs", child, "NOTE ", trigger).await;

    let note: Value = serde_json::from_str(&note_json)
        .unwrap_or_else(|error| panic!("note line is not JSON ({error}): {note_json}"));
    assert_eq!(note["text"], Value::String(text), "{note}");
    assert_eq!(note["user"]["username"], "bob", "{note}");
}

#[tokio::test]
async fn pnut_user_stream_delivers_a_post_parsed_by_pnutpy() {
    let python = venv_python();
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("start the simulated pnut server");
    let base_url = sim.base_url();
    let stream_url = sim.stream_url();
    let text = format!("pnut stream sees this {}", std::process::id());

    let control = sim.control();
    // After READY: the server holds one connection with the script's subscription; then bob
    // (whom alice follows) posts through the control API.
    let trigger = async {
        let counts = control.counts().await;
        if counts.connections != 1 || counts.subscriptions.values().sum::<usize>() != 1 {
            return Err(format!(
                "READY without exactly one connection and subscription: {counts:?}"
            ));
        }
        control
            .create_post("bob", &text, None)
            .await
            .map(|_| ())
            .map_err(|error| format!("control post as bob: {error}"))
    };

    let child = spawn_client(
        python,
        &[
            "pnut_stream_sim.py",
            &base_url,
            "demo-alice",
            POST_WAIT_SECONDS,
            &stream_url,
        ],
    );
    let post_json = run_stream_client("pnut_stream_sim.py", child, "POST ", trigger).await;

    let post: Value = serde_json::from_str(&post_json)
        .unwrap_or_else(|error| panic!("post line is not JSON ({error}): {post_json}"));
    assert_eq!(post["content"]["text"], Value::String(text), "{post}");
    assert_eq!(post["user"]["username"], "bob", "{post}");
}

#[tokio::test]
async fn pnutpy_reports_an_unknown_token_as_a_pnut_auth_error() {
    let python = venv_python();
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("start the simulated pnut server");
    let base_url = sim.base_url();

    let (status, out, err) = run_to_exit(
        "pnutpy_sim.py",
        spawn_client(python, &["pnutpy_sim.py", &base_url, "not-a-token"]),
    )
    .await;
    assert_eq!(status.code(), Some(1), "stdout:\n{out}\nstderr:\n{err}");
    // pnutpy maps meta.code 401 to PnutAuthAPIException, reading meta.error_message.
    assert!(
        err.contains("PnutAuthAPIException"),
        "expected a pnut 401 envelope; stderr:\n{err}"
    );
}

#[tokio::test]
async fn misskey_js_reports_an_unknown_token_as_authentication_failed() {
    require_node_modules();
    let sim = SimMisskey::start(SimMisskeyOptions::default())
        .await
        .expect("start the simulated misskey server");
    let base_url = sim.base_url();

    let (status, out, err) = run_to_exit(
        "misskey_js_sim.mjs",
        spawn_client(
            PathBuf::from("node"),
            &["misskey_js_sim.mjs", &base_url, "not-a-token", NOTE_WAIT_MS],
        ),
    )
    .await;
    assert_eq!(status.code(), Some(1), "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        !out.contains("READY"),
        "READY despite a refused token:\n{out}"
    );
    // misskey-js rejects with the Misskey error body (misskey.md §7.2).
    assert!(
        err.contains("\"code\":\"AUTHENTICATION_FAILED\""),
        "expected AUTHENTICATION_FAILED; stderr:\n{err}"
    );
}

/// Starts the bridge on its embedded default (both simulated upstreams, no activity) on an
/// ephemeral port.
async fn start_bridge() -> pnutkey::app::Running {
    let mut config = pnutkey::config::Config::default();
    config.listen.addr = "127.0.0.1:0".parse().expect("listen address");
    config.sim.activity_interval = None;
    let plan = pnutkey::app::RunPlan::from_config(&config);
    pnutkey::app::start(&plan).await.expect("start the bridge")
}

/// The digits of a numeric field in a JSON line, as written (pnut ids made from Misskey ids
/// exceed u64, so they are compared as decimal strings).
fn raw_number_field(line: &str, field: &str) -> Option<String> {
    let at = line.find(&format!("\"{field}\": "))? + field.len() + 4;
    let digits: String = line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

/// pnutpy through the bridge's pnut REST front over the simulated Misskey (mapping.md §4.3):
/// its own models parse every answer, and its post really is a Misskey note upstream.
#[tokio::test]
async fn pnutpy_works_through_the_bridge_over_sim_misskey() {
    let python = venv_python();
    let bridge = start_bridge().await;
    let base_url = format!("http://{}", bridge.addr);
    let (status, out, err) = run_to_exit(
        "pnutpy_sim.py",
        spawn_client(python, &["pnutpy_sim.py", &base_url, "demo-alice"]),
    )
    .await;
    assert_success("pnutpy_sim.py", status, &out, &err);
    let summary_line = out.lines().last().unwrap_or_default();
    let summary: Value = serde_json::from_str(summary_line)
        .unwrap_or_else(|error| panic!("summary line is not JSON ({error}): {out}"));
    assert_eq!(summary["ok"], Value::Bool(true), "{summary}");
    assert_eq!(summary["username"], "alice", "{summary}");
    let post_id = raw_number_field(summary_line, "created_post_id")
        .unwrap_or_else(|| panic!("no numeric created_post_id: {summary_line}"));
    let text = summary["created_text"].as_str().expect("created_text");
    // pnutpy's upload reached the simulated Misskey's drive, the same size.
    let file_id = summary["uploaded_file_id"]
        .as_str()
        .expect("uploaded_file_id");
    let misskey_file = pnutkey::ids::pnut_to_misskey(
        file_id,
        pnutkey::config::Config::default().ids.misskey_format,
    )
    .expect("a bridge file id");
    let (stored, bytes) = bridge
        .sim_misskey
        .as_ref()
        .expect("sim misskey")
        .control()
        .drive_file(&misskey_file)
        .await
        .expect("the upload is in the drive");
    assert_eq!(stored["name"], "pnutpy.png");
    assert_eq!(
        bytes.map(|b| b.len() as u64),
        summary["uploaded_size"].as_u64()
    );

    // Another user reads the post back through the bridge by its decimal id.
    let response = reqwest::Client::new()
        .get(format!("{base_url}/v1/posts/{post_id}"))
        .bearer_auth("demo-bob")
        .send()
        .await
        .expect("GET /v1/posts/{id} as bob");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let body: Value = response.json().await.expect("post envelope is JSON");
    assert_eq!(body["data"]["content"]["text"], text);
    assert_eq!(body["data"]["user"]["username"], "alice");

    // Upstream, it was a Misskey notes/create.
    let sim = bridge.sim_misskey.as_ref().expect("embedded sim Misskey");
    let calls = sim.control().counts().await.calls;
    assert!(
        calls.get("notes/create").copied().unwrap_or(0) >= 1,
        "{calls:?}"
    );
}

/// A pnutty-style tool through the bridge's pnut front over the simulated Misskey
/// (mapping.md §4.1–4.2): it opens `/v1/user`, subscribes with `?connection_id=` on the REST
/// front, and a note bob posts upstream arrives as a post pnutpy parses.
#[tokio::test]
async fn pnut_user_stream_works_through_the_bridge_over_sim_misskey() {
    let python = venv_python();
    let bridge = start_bridge().await;
    let base_url = format!("http://{}", bridge.addr);
    let text = format!("bridged stream sees this {}", std::process::id());
    let control = bridge
        .sim_misskey
        .as_ref()
        .expect("embedded sim Misskey")
        .control();
    // After READY the subscription has joined homeTimeline upstream; bob (whom alice follows)
    // then posts a note on the simulated Misskey.
    let trigger = async {
        let counts = control.counts().await;
        let joined = counts.sockets.iter().any(|s| {
            s.username.as_deref() == Some("alice") && s.channels.iter().any(|c| c == "homeTimeline")
        });
        if !joined {
            return Err(format!(
                "READY without an upstream homeTimeline join: {counts:?}"
            ));
        }
        control
            .post("bob", &text)
            .await
            .map(|_| ())
            .map_err(|error| format!("control post as bob: {error}"))
    };
    let child = spawn_client(
        python,
        &[
            "pnut_stream_sim.py",
            &base_url,
            "demo-alice",
            POST_WAIT_SECONDS,
        ],
    );
    let post_json = run_stream_client("pnut_stream_sim.py", child, "POST ", trigger).await;
    let post: Value = serde_json::from_str(&post_json)
        .unwrap_or_else(|error| panic!("post line is not JSON ({error}): {post_json}"));
    assert_eq!(post["content"]["text"], Value::String(text), "{post}");
    assert_eq!(post["user"]["username"], "bob", "{post}");
}

/// misskey-js through the bridge's Misskey front over the simulated pnut (mapping.md §3):
/// `APIClient` calls `i`, `meta` and `notes/timeline`; its `Stream` on homeTimeline receives a
/// post bob makes upstream, as a Note.
#[tokio::test]
async fn misskey_js_works_through_the_bridge_over_sim_pnut() {
    require_node_modules();
    let bridge = start_bridge().await;
    let base_url = format!("http://{}", bridge.addr);
    let text = format!("bridged misskey-js sees this {}", std::process::id());
    let control = bridge
        .sim_pnut
        .as_ref()
        .expect("embedded sim pnut")
        .control();
    // After READY the bridge holds alice's homeTimeline as one pnut subscription upstream
    // (/posts/streams/me); then bob (whom alice follows) posts on the simulated pnut.
    let trigger = async {
        // The bridge answers `connected` only after the upstream subscribe returned, so at
        // READY the subscription exists at the sim: no waiting.
        let counts = control.counts().await;
        if counts.subscriptions.values().sum::<usize>() == 0 {
            return Err(format!(
                "READY without a pnut subscription upstream: {counts:?}"
            ));
        }
        control
            .create_post("bob", &text, None)
            .await
            .map(|_| ())
            .map_err(|error| format!("control post as bob: {error}"))
    };
    let child = spawn_client(
        PathBuf::from("node"),
        &["misskey_js_sim.mjs", &base_url, "demo-alice", NOTE_WAIT_MS],
    );
    let note_json = run_stream_client("misskey_js_sim.mjs", child, "NOTE ", trigger).await;
    let note: Value = serde_json::from_str(&note_json)
        .unwrap_or_else(|error| panic!("note line is not JSON ({error}): {note_json}"));
    assert_eq!(note["text"], Value::String(text), "{note}");
    assert_eq!(note["user"]["username"], "bob", "{note}");
}

/// misskey-js `useChannel('homeTimeline', {withRenotes: false})` makes a non-shared connection
/// whose `connect` carries the params: the bridge must honour them. Bob reposts carol's post and
/// then posts; the first `note` misskey-js sees must be bob's own post (the repost filtered).
#[tokio::test]
async fn misskey_js_with_params_works_through_the_bridge_over_sim_pnut() {
    require_node_modules();
    let bridge = start_bridge().await;
    let base_url = format!("http://{}", bridge.addr);
    let text = format!(
        "bridged misskey-js with params sees this {}",
        std::process::id()
    );
    let control = bridge
        .sim_pnut
        .as_ref()
        .expect("embedded sim pnut")
        .control();
    // Created before the client subscribes, so it is never streamed itself.
    let original = control
        .create_post("carol", "carol's post bob reposts", None)
        .await
        .expect("control post as carol");
    let trigger = async {
        // The bridge answers `connected` only after the upstream subscribe returned, so at
        // READY the subscription exists at the sim: no waiting.
        let counts = control.counts().await;
        if counts.subscriptions.values().sum::<usize>() == 0 {
            return Err(format!(
                "READY without a pnut subscription upstream: {counts:?}"
            ));
        }
        control
            .repost("bob", &original.id)
            .await
            .map_err(|error| format!("control repost as bob: {error}"))?;
        control
            .create_post("bob", &text, None)
            .await
            .map(|_| ())
            .map_err(|error| format!("control post as bob: {error}"))
    };
    let child = spawn_client(
        PathBuf::from("node"),
        &[
            "misskey_js_sim.mjs",
            &base_url,
            "demo-alice",
            NOTE_WAIT_MS,
            r#"{"withRenotes":false}"#,
        ],
    );
    let note_json = run_stream_client("misskey_js_sim.mjs", child, "NOTE ", trigger).await;
    let note: Value = serde_json::from_str(&note_json)
        .unwrap_or_else(|error| panic!("note line is not JSON ({error}): {note_json}"));
    assert_eq!(note["text"], Value::String(text), "{note}");
    assert_eq!(note["user"]["username"], "bob", "{note}");
    assert!(note["renoteId"].is_null(), "{note}");
}

/// pnutty 0.1.0 (the pnut TTY client) through the bridge over the simulated Misskey: its own
/// `PnutStream`, repointed at the bridge, subscribes and displays with its own `print_post` a
/// post with a photo that bob makes upstream (pnutty reads every oembed raw's
/// `embeddable_url` unconditionally, issue 15).
#[tokio::test]
async fn pnutty_displays_posts_pushed_over_the_user_stream() {
    let python = venv_python();
    let bridge = start_bridge().await;
    let base_url = format!("http://{}", bridge.addr);
    let text = format!("pnutty sees this {}", std::process::id());
    let control = bridge
        .sim_misskey
        .as_ref()
        .expect("embedded sim Misskey")
        .control();
    let trigger = async {
        let file = control
            .upload_file("bob", "photo.png", "image/png", 100)
            .await
            .map_err(|error| format!("upload as bob: {error}"))?;
        let note = pnutkey::sim::misskey::NewNote {
            text: Some(text.clone()),
            file_ids: vec![file["id"].as_str().unwrap_or_default().to_owned()],
            ..Default::default()
        };
        control
            .create_note("bob", note)
            .await
            .map(|_| ())
            .map_err(|error| format!("control note as bob: {error}"))
    };
    let child = spawn_client(
        python,
        &[
            "pnutty_stream.py",
            &base_url,
            "demo-alice",
            &text,
            POST_WAIT_SECONDS,
        ],
    );
    let seen = run_stream_client("pnutty_stream.py", child, "SEEN ", trigger).await;
    assert!(seen.contains(&text), "{seen}");
}
