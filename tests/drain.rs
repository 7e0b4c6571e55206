//! Graceful drain (mapping.md §7): on stop (in process) or SIGTERM (the binary) every client
//! socket of both fronts gets Close 1001 "going away", the Misskey front's upstream pnut
//! streams are deleted, the pnut front's upstream Misskey sockets closed, within the grace.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pnutkey::app::{RunPlan, Running};
use pnutkey::config::Config;
use pnutkey::sim::misskey::SimMisskeyControl;
use pnutkey::sim::pnut::{SimCounts, SimPnut, SimPnutControl, SimPnutOptions};
use serde_json::json;
use tokio::task::JoinHandle;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

mod common;

use common::ws::{Ws, next_json};

use common::bridge_process::BridgeProcess;

/// Upper bound on waiting for anything (events are awaited, never slept for).
const WAIT: Duration = Duration::from_secs(10);
/// The grace the tests give a drain.
const GRACE: Duration = Duration::from_secs(8);

/// Opens a Misskey client on `bridge` (`host:port`) and connects `homeTimeline`.
async fn misskey_client(bridge: &str, token: &str) -> Ws {
    let url = format!("ws://{bridge}/streaming?i={token}");
    let mut ws = connect_async(url).await.expect("upgrade").0;
    let connect = json!({"type": "connect", "body": {"channel": "homeTimeline", "id": "home", "params": {}, "pong": true}});
    ws.send(Message::text(connect.to_string()))
        .await
        .expect("send");
    while next_json(&mut ws).await["type"] != "connected" {}
    ws
}

/// Reads `ws` in the background until its close: the close frame's (code, reason), or `None`
/// when the connection ended without one. Reading also answers the close handshake.
fn await_close(mut ws: Ws) -> JoinHandle<Option<(u16, String)>> {
    tokio::spawn(async move {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => {
                    return frame.map(|f| (u16::from(f.code), f.reason.as_str().to_owned()));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    })
}

async fn closed_with(close: JoinHandle<Option<(u16, String)>>) -> Option<(u16, String)> {
    tokio::time::timeout(WAIT, close)
        .await
        .expect("closed in time")
        .expect("reader task")
}

/// Awaits (bounded) sim pnut counts of which `done` holds.
async fn pnut_counts_until(control: &SimPnutControl, done: impl Fn(&SimCounts) -> bool) {
    tokio::time::timeout(WAIT, control.wait_for_counts(done))
        .await
        .expect("sim pnut counts in time");
}

/// Awaits (bounded) `sockets` streaming sockets of `username` on the sim Misskey.
async fn misskey_sockets_until(control: &SimMisskeyControl, username: &str, sockets: usize) {
    let mine = |counts: &pnutkey::sim::misskey::SimCounts| {
        counts
            .sockets
            .iter()
            .filter(|s| s.username.as_deref() == Some(username))
            .count()
    };
    tokio::time::timeout(WAIT, control.wait_for_counts(|c| mine(c) == sockets))
        .await
        .expect("sim Misskey sockets in time");
}

/// `DELETE /users/me/streams/{connection_id}` calls the sim pnut saw.
fn stream_deletes(counts: &SimCounts) -> u64 {
    counts
        .calls
        .iter()
        .filter(|(route, _)| route.starts_with("DELETE") && route.ends_with("{connection_id}"))
        .map(|(_, n)| n)
        .sum()
}

async fn start() -> Running {
    let mut config = Config::default();
    config.listen.addr = "127.0.0.1:0".parse().expect("addr");
    config.sim.activity_interval = None;
    pnutkey::app::start(&RunPlan::from_config(&config))
        .await
        .expect("start")
}

#[tokio::test]
async fn stop_closes_both_fronts_with_1001_and_deletes_upstream_pnut_streams() {
    let mut running = start().await;
    let bridge = running.addr.to_string();
    let sim_pnut = running.sim_pnut.take().expect("sim pnut");
    let sim_misskey = running.sim_misskey.take().expect("sim misskey");
    let pnut = sim_pnut.control();
    let misskey = sim_misskey.control();
    // Two Misskey clients of two tokens: two pools, two upstream pnut streams.
    let alice = misskey_client(&bridge, "demo-alice").await;
    let bob = misskey_client(&bridge, "demo-bob").await;
    pnut_counts_until(&pnut, |c| {
        c.connections == 2 && c.subscriptions.values().sum::<usize>() == 2
    })
    .await;
    // A pnut tool with a subscription: a hub with an upstream Misskey socket.
    let (mut tool, _) = connect_async(format!("ws://{bridge}/v1/user?access_token=demo-carol"))
        .await
        .expect("tool upgrade");
    let hello = next_json(&mut tool).await;
    let connection_id = hello["meta"]["connection_id"].as_str().expect("id");
    let subscribed = reqwest::Client::new()
        .get(format!(
            "http://{bridge}/v1/posts/streams/me?connection_id={connection_id}"
        ))
        .bearer_auth("demo-carol")
        .send()
        .await
        .expect("subscribe");
    assert_eq!(subscribed.status(), 200);
    misskey_sockets_until(&misskey, "carol", 1).await;

    let closes = [await_close(alice), await_close(bob), await_close(tool)];
    let started = tokio::time::Instant::now();
    running.stop(GRACE).await;
    assert!(started.elapsed() < GRACE, "drained within the grace");
    for close in closes {
        assert_eq!(
            closed_with(close).await,
            Some((1001, "going away".to_owned()))
        );
    }
    // The pools finished before stop returned: their deletes are done.
    let counts = pnut.counts().await;
    assert_eq!(stream_deletes(&counts), 2, "{:?}", counts.calls);
    assert_eq!(counts.connections, 0, "{counts:?}");
    misskey_sockets_until(&misskey, "carol", 0).await;
}

/// The bridge binary against the test's sim pnut: SIGTERM closes the Misskey client with 1001,
/// deletes the upstream stream, and the process exits 0 within the grace.
#[tokio::test]
async fn sigterm_drains_the_binary_and_deletes_its_upstream_pnut_stream() {
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim pnut");
    let control = sim.control();
    let pnut_url = format!("{}/v1", sim.base_url());
    let stream_url = sim.stream_url();
    let mut bridge_process = BridgeProcess::spawn(
        None,
        &[
            ("PNUTKEY__UPSTREAM__PNUT__URL", pnut_url.as_str()),
            ("PNUTKEY__UPSTREAM__PNUT__STREAM_URL", stream_url.as_str()),
            ("PNUTKEY__TIMEOUTS__SHUTDOWN_GRACE", "8s"),
        ],
    );
    let bridge = bridge_process.bridge_addr(WAIT * 3).await;

    let alice = misskey_client(&bridge, "demo-alice").await;
    pnut_counts_until(&control, |c| {
        c.connections == 1 && c.subscriptions.values().sum::<usize>() == 1
    })
    .await;
    let close = await_close(alice);
    bridge_process.signal("TERM");
    assert_eq!(
        closed_with(close).await,
        Some((1001, "going away".to_owned()))
    );
    let started = tokio::time::Instant::now();
    let status = bridge_process.exit(GRACE + WAIT).await;
    assert!(status.success(), "exit status {status}");
    assert!(started.elapsed() < GRACE, "exited within the grace");
    let counts = control.counts().await;
    assert_eq!(stream_deletes(&counts), 1, "{:?}", counts.calls);
    assert_eq!(counts.connections, 0, "{counts:?}");
}
