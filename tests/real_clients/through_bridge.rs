//! The real clients through the bridge: pnutpy, a pnut user stream and pnutty over the bridge's
//! pnut front on `SimMisskey`, misskey-js over its Misskey front on `SimPnut`.

use std::path::PathBuf;

use serde_json::Value;

use super::support::{
    NOTE_WAIT_MS, POST_WAIT_SECONDS, assert_success, require_node_modules, run_stream_client,
    run_to_exit, spawn_client, venv_python,
};

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
