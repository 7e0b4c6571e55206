//! Shared harness of `tests/front_misskey_stream.rs`: the bridge on the embedded simulated pnut,
//! Misskey streaming clients, and the sim's counts.

use std::time::Duration;

use futures_util::SinkExt;
use pnutkey::app::{RunPlan, Running};
use pnutkey::config::Config;
use pnutkey::sim::pnut::SimPnutControl;
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

use crate::common::ws::{Ws, next_json};

/// Upper bound on waiting for anything (events are awaited, never slept for).
pub const WAIT: Duration = Duration::from_secs(10);

pub async fn start(tweak: impl FnOnce(&mut Config)) -> (Running, SimPnutControl) {
    let mut config = Config::default();
    config.listen.addr = "127.0.0.1:0".parse().unwrap();
    config.sim.activity_interval = None;
    tweak(&mut config);
    let plan = RunPlan::from_config(&config);
    let running = pnutkey::app::start(&plan).await.unwrap();
    let control = running.sim_pnut.as_ref().unwrap().control();
    (running, control)
}

pub async fn open(running: &Running, token: &str) -> Ws {
    let url = format!("ws://{}/streaming?i={token}&_t=1", running.addr);
    connect_async(url).await.unwrap().0
}

pub async fn send(ws: &mut Ws, frame: Value) {
    ws.send(Message::text(frame.to_string())).await.unwrap();
}

/// The next `channel` frame of kind `kind` whose body passes `pick`, skipping others.
pub async fn next_channel_event(ws: &mut Ws, kind: &str, pick: impl Fn(&Value) -> bool) -> Value {
    loop {
        let frame = next_json(ws).await;
        if frame["type"] == "channel" && frame["body"]["type"] == kind && pick(&frame["body"]) {
            return frame["body"].clone();
        }
    }
}

pub async fn connect(ws: &mut Ws, channel: &str, id: &str, params: Value) {
    send(
        ws,
        json!({"type": "connect", "body": {"channel": channel, "id": id, "params": params, "pong": true}}),
    )
    .await;
    loop {
        let frame = next_json(ws).await;
        if frame["type"] == "connected" && frame["body"]["id"] == id {
            return;
        }
    }
}

/// Waits (bounded) until the sim's counts satisfy `done`.
pub async fn until_counts(
    control: &SimPnutControl,
    done: impl Fn(&pnutkey::sim::pnut::SimCounts) -> bool,
) -> pnutkey::sim::pnut::SimCounts {
    tokio::time::timeout(WAIT, control.wait_for_counts(done))
        .await
        .expect("sim counts never reached the wanted state")
}

/// The sim's counts, asserting `want` subscriptions exist upstream — no waiting: `connected`
/// is answered only after the upstream subscribe returned.
pub async fn assert_subscriptions(
    control: &SimPnutControl,
    want: usize,
) -> pnutkey::sim::pnut::SimCounts {
    let counts = control.counts().await;
    assert_eq!(total_subscriptions(&counts), want, "{counts:?}");
    counts
}

pub fn total_subscriptions(counts: &pnutkey::sim::pnut::SimCounts) -> usize {
    counts.subscriptions.values().sum()
}

/// Calls of `method` on a route ending in `suffix`, from the sim's counts.
pub fn calls_to(counts: &pnutkey::sim::pnut::SimCounts, method: &str, suffix: &str) -> u64 {
    counts
        .calls
        .iter()
        .filter(|(route, _)| route.starts_with(method) && route.ends_with(suffix))
        .map(|(_, n)| n)
        .sum()
}
