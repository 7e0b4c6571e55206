//! The real clients straight against the simulated servers: pnutpy's REST calls and errors and
//! a pnut user stream on `SimPnut`, misskey-js's stream and errors on `SimMisskey`.

use std::path::PathBuf;

use pnutkey::sim::misskey::{SimMisskey, SimMisskeyOptions};
use pnutkey::sim::pnut::{SimPnut, SimPnutOptions};
use serde_json::Value;

use super::support::{
    NOTE_WAIT_MS, POST_WAIT_SECONDS, assert_success, require_node_modules, run_stream_client,
    run_to_exit, spawn_client, venv_python,
};

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
