//! The whole MiAuth flow in a real browser: Debian's headless Chromium, driven by
//! tests/clients/browser_miauth.mjs (playwright-core), opens the MiAuth link of the bridge on
//! its embedded default (simulated pnut), approves on the simulated pnut's page, lands on an app
//! page of another origin whose fetch() gets the token from `miauth/{session}/check` and calls
//! `POST /api/i` (a CORS preflight) and `/streaming` with it. The MiAuth page's screenshot is
//! kept as target/browser-artifacts/miauth-page.png.
//!
//! Needs `/usr/bin/chromium` (`.ci/run` installs Debian's `chromium`) and the npm packages of
//! tests/clients (`bash tests/clients/setup.sh`).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

mod common;

use common::api::post;

const CHROMIUM: &str = "/usr/bin/chromium";
/// Upper bound on the whole browser run.
const BROWSER_WAIT: Duration = Duration::from_secs(90);

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

fn require_browser() {
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run does it)"
    );
    let manifest = clients_dir().join("node_modules/playwright-core/package.json");
    assert!(
        manifest.exists(),
        "{} is missing: run `bash tests/clients/setup.sh`",
        manifest.display()
    );
}

/// The app's own origin: a callback page (what the browser lands on after approval).
async fn app_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the app");
    let addr = listener.local_addr().expect("addr");
    let router = Router::new().route(
        "/callback",
        get(|| async { Html("<!doctype html><title>app</title><p>back in the app</p>") }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    // `localhost`, not 127.0.0.1: another origin than the bridge's.
    format!("http://localhost:{}", addr.port())
}

#[tokio::test]
async fn chromium_logs_an_app_in_through_miauth_and_calls_the_api_cross_origin() {
    require_browser();
    let running = common::app::start(|config| {
        config.storage.path = ":memory:".to_owned();
    })
    .await;
    let bridge = format!("http://{}", running.addr);
    let app = app_server().await;
    let artifacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifact dir");
    let screenshot = artifacts.join("miauth-page.png");
    let _ = std::fs::remove_file(&screenshot);
    let session = "browser-session-1";

    let mut child = tokio::process::Command::new("node")
        .arg("browser_miauth.mjs")
        .args([&bridge, &app, session, &screenshot.display().to_string()])
        .current_dir(clients_dir())
        .env("CHROMIUM", CHROMIUM)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let stdout = child.stdout.take().expect("stdout");
    let result = tokio::time::timeout(BROWSER_WAIT, async {
        let mut lines = BufReader::new(stdout).lines();
        while let Some(line) = lines.next_line().await.expect("read") {
            if let Some(json) = line.strip_prefix("RESULT ") {
                return Some(json.to_owned());
            }
        }
        None
    })
    .await
    .expect("the browser run finishes in time")
    .expect("the browser script printed its RESULT line");
    let status = child.wait().await.expect("node exits");
    assert!(status.success(), "node: {status}");
    let result: Value = serde_json::from_str(&result).expect("RESULT JSON");

    assert_eq!(
        result["title"], "Browser App wants to use your pnut account",
        "{result}"
    );
    assert_eq!(
        result["landed"],
        format!("{app}/callback?session={session}"),
        "{result}"
    );
    assert_eq!(result["origin"], app, "{result}");
    assert_eq!(result["check"]["ok"], true, "{result}");
    assert_eq!(result["check"]["user"]["username"], "alice", "{result}");
    assert_eq!(
        (result["status"].as_u64(), result["me"]["username"].as_str()),
        (Some(200), Some("alice")),
        "{result}"
    );
    assert_eq!(result["streaming"], "b1", "{result}");
    let png = std::fs::read(&screenshot).expect("the screenshot is kept");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 1000,
        "screenshot of {} bytes",
        png.len()
    );

    // The token works from outside the browser too, and only once came out of check.
    let token = result["check"]["token"].as_str().expect("token");
    assert_eq!(
        post(&bridge, "i", Some(token), json!({})).await.1["username"],
        "alice"
    );
    assert_eq!(
        post(&bridge, &format!("miauth/{session}/check"), None, json!({})).await,
        (200, json!({"ok": false}))
    );
    running.stop(Duration::from_secs(5)).await;
}
