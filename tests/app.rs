//! The `pnutkey` binary end to end: the embedded default starts both simulated upstreams and
//! the listener, logs where they are, serves `/healthz`, and exits cleanly on SIGTERM.

use std::process::Command;
use std::time::Duration;

mod common;

use common::bridge_process::BridgeProcess;

fn field<'a>(line: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    line.get("fields")?.get(name)?.as_str()
}

#[tokio::test]
async fn embedded_default_starts_sims_serves_health_and_stops_on_sigterm() {
    let mut bridge_process = BridgeProcess::spawn(None, &[]);
    let limit = Duration::from_secs(30);
    let bridge = bridge_process
        .log_until(limit, |l| field(l, "bridge").map(str::to_owned))
        .await;
    let (pnut, misskey) = bridge_process
        .log_until(limit, |l| {
            Some((
                field(l, "pnut")?.to_owned(),
                field(l, "misskey")?.to_owned(),
            ))
        })
        .await;
    let tokens = bridge_process
        .log_until(limit, |l| field(l, "accounts").map(str::to_owned))
        .await;
    assert!(tokens.contains("alice=demo-alice"), "{tokens}");

    let http = reqwest::Client::new();
    let health = http
        .get(format!("{bridge}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);

    // Both embedded upstreams answer on loopback with the demo token.
    let me = http
        .get(format!("{pnut}/users/me"))
        .bearer_auth("demo-alice")
        .send()
        .await
        .expect("sim pnut");
    assert_eq!(me.status(), 200);
    let body: serde_json::Value = me.json().await.expect("pnut json");
    assert_eq!(body["data"]["username"], "alice");
    let i = http
        .post(format!("{misskey}/api/i"))
        .json(&serde_json::json!({ "i": "demo-alice" }))
        .send()
        .await
        .expect("sim misskey");
    assert_eq!(i.status(), 200);
    let body: serde_json::Value = i.json().await.expect("misskey json");
    assert_eq!(body["username"], "alice");

    bridge_process.signal("TERM");
    let status = bridge_process.exit(limit).await;
    assert!(status.success(), "exit status {status}");
}

#[test]
fn check_config_on_shipped_config_exits_zero() {
    let out = Command::new(env!("CARGO_BIN_EXE_pnutkey"))
        .args([
            "check-config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"),
        ])
        .output()
        .expect("run check-config");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[listen]"), "{text}");
}

#[test]
fn version_and_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_pnutkey"))
        .arg("--version")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
    let out = Command::new(env!("CARGO_BIN_EXE_pnutkey"))
        .arg("--help")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("check-config"));
}

/// `/healthz` answers 503 naming the unreachable upstream (mapping.md §1), 200 when both are up.
#[tokio::test]
async fn healthz_is_503_while_an_upstream_is_unreachable() {
    // A port that was just free: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_addr = closed.local_addr().expect("addr");
    drop(closed);
    let mut config = pnutkey::config::Config::default();
    config.listen.addr = "127.0.0.1:0".parse().expect("addr");
    config.sim.activity_interval = None;
    config.upstream.misskey.url =
        pnutkey::config::UpstreamTarget::Url(format!("http://{closed_addr}").parse().expect("url"));
    let plan = pnutkey::app::RunPlan::from_config(&config);
    let running = pnutkey::app::start(&plan).await.expect("start");
    let reply = reqwest::get(format!("http://{}/healthz", running.addr))
        .await
        .expect("healthz");
    assert_eq!(reply.status(), 503);
    let body: serde_json::Value = reply.json().await.expect("json");
    assert_eq!(body["upstreams"]["misskey"], "unreachable");
    assert_eq!(body["upstreams"]["pnut"], "reachable");
    running.stop(std::time::Duration::from_secs(5)).await;
}

/// An upstream that accepts TCP and never answers is unreachable for `/healthz`: the probe is
/// a real request with a short timeout, not a TCP connect.
#[tokio::test]
async fn healthz_is_503_when_an_upstream_accepts_but_never_answers() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let silent_addr = silent.local_addr().expect("addr");
    let (accepted_tx, mut accepted) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        while let Ok((socket, _)) = silent.accept().await {
            // Hold the connection open, never answer.
            if accepted_tx.send(socket).await.is_err() {
                break;
            }
        }
    });
    let mut config = pnutkey::config::Config::default();
    config.listen.addr = "127.0.0.1:0".parse().expect("addr");
    config.sim.activity_interval = None;
    config.upstream.pnut.url = pnutkey::config::UpstreamTarget::Url(
        format!("http://{silent_addr}/v1").parse().expect("url"),
    );
    config.upstream.pnut.request_timeout = std::time::Duration::from_millis(300);
    let plan = pnutkey::app::RunPlan::from_config(&config);
    let running = pnutkey::app::start(&plan).await.expect("start");
    let reply = reqwest::get(format!("http://{}/healthz", running.addr))
        .await
        .expect("healthz");
    assert!(accepted.recv().await.is_some(), "the probe connected");
    assert_eq!(reply.status(), 503);
    let body: serde_json::Value = reply.json().await.expect("json");
    assert_eq!(body["upstreams"]["pnut"], "unreachable", "{body}");
    assert_eq!(body["upstreams"]["misskey"], "reachable", "{body}");
    running.stop(std::time::Duration::from_secs(5)).await;
}
