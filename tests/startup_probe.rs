//! Issue 16: at start the real binary probes its pnut upstream (`GET /v1/sys/config`, one
//! token-less stream upgrade) and logs each check as ok or failed with the reason; it starts
//! either way.

use std::time::Duration;

use pnutkey::sim::pnut::{SimPnut, SimPnutOptions};
use serde_json::Value;

mod common;

use common::bridge_process::BridgeProcess;

const LIMIT: Duration = Duration::from_secs(30);

/// What the start-up log says: the two probe lines and the banner's listener address.
struct StartLog {
    api: Value,
    stream: Value,
    bridge: String,
}

/// Reads log lines until both probe lines and the banner's listener line arrived (in any order).
async fn start_log(bridge: &mut BridgeProcess) -> StartLog {
    let (mut api, mut stream, mut addr) = (None, None, None);
    while api.is_none() || stream.is_none() || addr.is_none() {
        let line = bridge.log_until(LIMIT, |line| Some(line.clone())).await;
        let fields = &line["fields"];
        if let Some(url) = fields["bridge"].as_str() {
            addr = Some(url.trim_start_matches("http://").to_owned());
        }
        if fields["message"] != "start-up probe" {
            continue;
        }
        match fields["probe"].as_str() {
            Some("pnut api") => api = Some(line),
            Some("pnut stream") => stream = Some(line),
            _ => panic!("unexpected probe line: {line}"),
        }
    }
    StartLog {
        api: api.unwrap_or_default(),
        stream: stream.unwrap_or_default(),
        bridge: addr.unwrap_or_default(),
    }
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[tokio::test]
async fn a_split_pnut_passes_both_checks() {
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim pnut");
    let api_url = format!("{}/v1", sim.base_url());
    let stream_url = sim.stream_url();
    let mut bridge = BridgeProcess::spawn(
        None,
        &[
            ("PNUTKEY__UPSTREAM__PNUT__URL", api_url.as_str()),
            ("PNUTKEY__UPSTREAM__PNUT__STREAM_URL", stream_url.as_str()),
        ],
    );
    let StartLog { api, stream, .. } = start_log(&mut bridge).await;
    assert_eq!(api["fields"]["result"], "ok", "{api}");
    assert_eq!(api["level"], "INFO", "{api}");
    assert_eq!(api["fields"]["url"], api_url.as_str(), "{api}");
    assert_eq!(stream["fields"]["result"], "ok", "{stream}");
    assert_eq!(stream["fields"]["url"], stream_url.as_str(), "{stream}");
    let detail = stream["fields"]["detail"].as_str().unwrap_or("");
    assert!(detail.contains("401"), "{stream}");
    // The probe used no token: the sim saw one anonymous sys/config call and no stream.
    let counts = sim.control().counts().await;
    assert_eq!(
        counts.calls.get("GET /v1/sys/config"),
        Some(&1),
        "{counts:?}"
    );
    assert_eq!(counts.connections, 0);
}

#[tokio::test]
async fn a_wrong_api_url_and_the_api_host_as_stream_host_fail_and_the_bridge_starts() {
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim pnut");
    let api_url = format!("http://127.0.0.1:{}/v1", closed_port());
    // The API host with /v1/user: what deriving the stream URL from the API URL dials.
    let stream_url = format!("ws://{}/v1/user", sim.addr());
    let mut bridge = BridgeProcess::spawn(
        None,
        &[
            ("PNUTKEY__UPSTREAM__PNUT__URL", api_url.as_str()),
            ("PNUTKEY__UPSTREAM__PNUT__STREAM_URL", stream_url.as_str()),
        ],
    );
    let StartLog {
        api,
        stream,
        bridge: addr,
    } = start_log(&mut bridge).await;
    assert_eq!(api["fields"]["result"], "failed", "{api}");
    assert_eq!(api["level"], "WARN", "{api}");
    let reason = api["fields"]["reason"].as_str().unwrap_or("");
    assert!(reason.starts_with("could not connect"), "{api}");
    assert_eq!(stream["fields"]["result"], "failed", "{stream}");
    let reason = stream["fields"]["reason"].as_str().unwrap_or("");
    assert!(reason.contains("404"), "{stream}");
    // It started anyway: the banner named its listener, which answers.
    let health = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .expect("the bridge answers");
    assert!(health.status().as_u16() < 600);
    assert!(bridge.is_running());
}

#[tokio::test]
async fn the_embedded_simulated_pnut_is_probed_too() {
    let mut bridge = BridgeProcess::spawn(None, &[]);
    let StartLog { api, stream, .. } = start_log(&mut bridge).await;
    assert_eq!(api["fields"]["result"], "ok", "{api}");
    assert_eq!(stream["fields"]["result"], "ok", "{stream}");
}

/// pnut.io's stream URL is `wss://`: the upgrade must be dialed with TLS (a build without a
/// TLS feature would fail before any handshake with "TLS support not compiled in").
#[tokio::test]
async fn a_wss_stream_url_is_dialed_with_tls() {
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim pnut");
    let api_url = format!("{}/v1", sim.base_url());
    // The stream host speaks plain HTTP: the TLS handshake itself must be what fails.
    let stream_url = format!("wss://{}/v1/user", sim.stream_addr());
    let mut bridge = BridgeProcess::spawn(
        None,
        &[
            ("PNUTKEY__UPSTREAM__PNUT__URL", api_url.as_str()),
            ("PNUTKEY__UPSTREAM__PNUT__STREAM_URL", stream_url.as_str()),
        ],
    );
    let StartLog { stream, .. } = start_log(&mut bridge).await;
    assert_eq!(stream["fields"]["result"], "failed", "{stream}");
    let reason = stream["fields"]["reason"].as_str().unwrap_or("");
    assert!(!reason.contains("not compiled"), "{stream}");
}
