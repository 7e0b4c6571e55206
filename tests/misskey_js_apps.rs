//! misskey-js's `APIClient` replays the start-up sequences of Misskey apps (the web client,
//! Miria, Aria; real-servers.md §2) and a note's and a user's in-use calls through the bridge
//! on the simulated pnut, and a poll note created, voted on and shown; every body is checked
//! against the shape misskey-js 2026.5.1 declares (`tests/clients/misskey_js_apps.mjs`): by
//! hand from its `built/autogen/types.d.ts`, and with ajv against the JSON schema generated from
//! that file by the pinned ts-json-schema-generator (`tests/clients/misskey_js_schema.mjs`,
//! cached under `target/misskey-js-schema/`). Needs `bash tests/clients/setup.sh`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use pnutkey::app::{self, RunPlan};
use pnutkey::config::Config;
use tokio::process::Command;

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("clients")
}

/// misskey-js uploads a file (`drive/files/create` as multipart) through the bridge: the
/// DriveFile has misskey-js's declared members, the bytes reach the simulated pnut, the file
/// goes into a note (`tests/clients/misskey_js_upload.mjs`).
#[tokio::test]
async fn misskey_js_uploads_a_file_and_attaches_it() {
    let manifest = clients_dir().join("node_modules/misskey-js/package.json");
    assert!(
        manifest.exists(),
        "{} is missing: run `bash tests/clients/setup.sh`",
        manifest.display()
    );
    let mut config = Config::default();
    config.listen.addr = "127.0.0.1:0".parse().unwrap();
    config.sim.activity_interval = None;
    let running = app::start(&RunPlan::from_config(&config)).await.unwrap();
    let base_url = format!("http://{}", running.addr);
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new("node")
            .args(["misskey_js_upload.mjs", &base_url, "demo-alice"])
            .current_dir(clients_dir())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("misskey_js_upload.mjs finished in time")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.starts_with("OK "),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    let file_id = stdout
        .trim()
        .trim_start_matches("OK ")
        .trim_start_matches('0');
    let control = running.sim_pnut.as_ref().expect("sim pnut").control();
    let (stored, bytes) = control
        .file_content(file_id)
        .await
        .expect("stored upstream");
    assert_eq!(stored.name, "from-misskey-js.png");
    assert_eq!(
        bytes.as_deref(),
        Some(
            &[
                0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3, 0xff
            ][..]
        )
    );
    running.stop(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn misskey_js_replays_app_start_ups_with_declared_shapes() {
    let manifest = clients_dir().join("node_modules/misskey-js/package.json");
    assert!(
        manifest.exists(),
        "{} is missing: run `bash tests/clients/setup.sh`",
        manifest.display()
    );
    let mut config = Config::default();
    config.listen.addr = "127.0.0.1:0".parse().unwrap();
    config.sim.activity_interval = None;
    let running = app::start(&RunPlan::from_config(&config)).await.unwrap();
    let base_url = format!("http://{}", running.addr);
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new("node")
            .args(["misskey_js_apps.mjs", &base_url, "demo-alice"])
            .current_dir(clients_dir())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("misskey_js_apps.mjs finished in time")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.starts_with("OK "),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    running.stop(Duration::from_secs(2)).await;
}
