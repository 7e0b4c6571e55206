//! Config reload: in-process through `Running::reload` / `reload_from`, and through SIGHUP on
//! the real binary. Running connections keep the settings they opened with; new sockets,
//! connects and subscribes get the reloaded ones; a bad reload keeps the running config.

use std::path::PathBuf;
use std::time::Duration;

mod common;

use common::ws::{Ws, next_json};

use common::bridge_process::BridgeProcess;
use futures_util::SinkExt;
use pnutkey::app::{RunPlan, Running};
use pnutkey::config::Config;
use pnutkey::sim::pnut::{SimCounts, SimPnutControl};
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

/// Upper bound on waiting for anything (events are awaited, never slept for).
const WAIT: Duration = Duration::from_secs(15);

async fn start(tweak: impl FnOnce(&mut Config)) -> Running {
    let mut config = Config::default();
    config.listen.addr = "127.0.0.1:0".parse().unwrap();
    config.sim.activity_interval = None;
    tweak(&mut config);
    pnutkey::app::start(&RunPlan::from_config(&config))
        .await
        .unwrap()
}

/// `toml` (a fragment; everything else default) as a config to reload.
fn reloaded(toml: &str) -> Config {
    pnutkey::config::parse_str(toml).unwrap()
}

async fn open_misskey(addr: std::net::SocketAddr, token: &str) -> Ws {
    let url = format!("ws://{addr}/streaming?i={token}");
    connect_async(url).await.unwrap().0
}

async fn send(ws: &mut Ws, frame: Value) {
    ws.send(Message::text(frame.to_string())).await.unwrap();
}

fn connect_frame(channel: &str, id: &str) -> Value {
    json!({"type": "connect", "body": {"channel": channel, "id": id, "params": {}, "pong": true}})
}

/// Connects and awaits `connected`, skipping other frames.
async fn connect(ws: &mut Ws, channel: &str, id: &str) {
    send(ws, connect_frame(channel, id)).await;
    loop {
        let frame = next_json(ws).await;
        if frame["type"] == "connected" && frame["body"]["id"] == id {
            return;
        }
    }
}

/// The next `connected` frame's id (other frames skipped).
async fn next_connected(ws: &mut Ws) -> String {
    loop {
        let frame = next_json(ws).await;
        if frame["type"] == "connected" {
            return frame["body"]["id"].as_str().unwrap_or_default().to_owned();
        }
    }
}

/// Asserts the socket allows exactly one channel: `a` connects, `b` is ignored, and after
/// disconnecting `a` the next `connected` is `c` (frames are handled in order, so `b` would
/// have answered first).
async fn assert_one_channel_allowed(ws: &mut Ws) {
    connect(ws, "homeTimeline", "a").await;
    send(ws, connect_frame("main", "b")).await;
    send(ws, json!({"type": "disconnect", "body": {"id": "a"}})).await;
    send(ws, connect_frame("main", "c")).await;
    assert_eq!(
        next_connected(ws).await,
        "c",
        "connect over the limit answered"
    );
}

/// Waits (bounded) until the sim's counts satisfy `done`.
async fn until_counts(control: &SimPnutControl, done: impl Fn(&SimCounts) -> bool) -> SimCounts {
    tokio::time::timeout(WAIT, control.wait_for_counts(done))
        .await
        .expect("sim counts never reached the wanted state")
}

fn subscriptions(counts: &SimCounts) -> usize {
    counts.subscriptions.values().sum()
}

/// Subscribe calls the sim saw for `endpoint` (its route, e.g. `/posts/streams/me`).
fn calls_to(counts: &SimCounts, endpoint: &str) -> u64 {
    counts
        .calls
        .iter()
        .filter(|(route, _)| route.starts_with("GET ") && route.ends_with(endpoint))
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test]
async fn misskey_reload_applies_to_new_connects_and_sockets_while_running_ones_keep_theirs() {
    let running = start(|_| {}).await;
    let control = running.sim_pnut.as_ref().unwrap().control();
    let mut old = open_misskey(running.addr, "demo-alice").await;
    connect(&mut old, "homeTimeline", "home-old").await;
    let before = until_counts(&control, |c| subscriptions(c) == 1).await;
    assert_eq!(calls_to(&before, "/posts/streams/me"), 1, "{before:?}");

    let report = running.reload(reloaded(
        "[limits]\nmax_channels_per_socket = 1\n\
         [mapping.misskey_channels.homeTimeline]\npnut = [\"/posts/streams/unified\"]\n",
    ));
    assert_eq!(report.changed_sections, ["limits", "mapping"]);
    assert!(
        report
            .kept
            .contains(&"listen.addr: needs a restart; kept 127.0.0.1:0".to_owned()),
        "{:?}",
        report.kept
    );
    assert_eq!(running.config().limits.max_channels_per_socket, 1);
    assert_eq!(running.config().listen.addr.port(), 0, "listen.addr kept");

    // The running channel connection keeps its subscription and still delivers.
    control
        .create_post("bob", "after reload", None)
        .await
        .unwrap();
    loop {
        let frame = next_json(&mut old).await;
        if frame["type"] == "channel" && frame["body"]["type"] == "note" {
            assert_eq!(frame["body"]["id"], "home-old");
            assert_eq!(frame["body"]["body"]["text"], "after reload");
            break;
        }
    }
    // The running socket keeps its channel limit (32): a second channel is accepted.
    connect(&mut old, "main", "main-old").await;

    // A new socket gets the new limit, and a new homeTimeline connect the new mapping.
    let mut new = open_misskey(running.addr, "demo-alice").await;
    connect(&mut new, "homeTimeline", "home-new").await;
    let after = until_counts(&control, |c| calls_to(c, "/posts/streams/unified") == 1).await;
    assert_eq!(calls_to(&after, "/posts/streams/me"), 1, "{after:?}");
    send(
        &mut new,
        json!({"type": "disconnect", "body": {"id": "home-new"}}),
    )
    .await;
    assert_one_channel_allowed(&mut new).await;
}

#[tokio::test]
async fn a_bad_config_file_is_refused_naming_the_key_and_the_running_config_stays() {
    let running = start(|config| config.limits.max_channels_per_socket = 1).await;
    let path = temp_path("bad-in-process");
    std::fs::write(
        &path,
        "[limits]\nmax_chanels_per_socket = 3\nbackfill_count = 0\n",
    )
    .unwrap();
    let error = running.reload_from(Some(&path)).unwrap_err();
    let _ = std::fs::remove_file(&path);
    assert!(
        error
            .problems
            .iter()
            .any(|p| p.contains("limits.max_chanels_per_socket")),
        "{:?}",
        error.problems
    );
    assert!(
        error.problems.iter().any(|p| p.contains("backfill_count")),
        "{:?}",
        error.problems
    );
    assert_eq!(running.config().limits.max_channels_per_socket, 1);
    let mut ws = open_misskey(running.addr, "demo-alice").await;
    assert_one_channel_allowed(&mut ws).await;
}

#[tokio::test]
async fn pnut_tool_connections_keep_their_subscription_limit_and_new_ones_get_the_new_one() {
    let running = start(|config| config.limits.front_max_subscriptions_per_connection = 1).await;
    let http = reqwest::Client::new();
    let (_old_ws, old) = open_pnut(&running, "demo-alice").await;
    running.reload(reloaded(
        "[limits]\nfront_max_subscriptions_per_connection = 2\n\
         [mapping.pnut_endpoints.\"/users/me/followers\"]\nbridged = false\n",
    ));
    let subscribe = |connection: String, path: &'static str| {
        let request = http
            .get(format!(
                "http://{}{path}?connection_id={connection}",
                running.addr
            ))
            .bearer_auth("demo-alice");
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // The running connection keeps its limit of 1.
    assert_eq!(subscribe(old.clone(), "/v1/posts/streams/me").await, 200);
    assert_eq!(subscribe(old, "/v1/users/me/mentions").await, 400);
    // A new connection may hold 2, and new subscribes resolve with the new tables.
    let (_new_ws, new) = open_pnut(&running, "demo-alice").await;
    assert_eq!(subscribe(new.clone(), "/v1/users/me/followers").await, 400);
    assert_eq!(subscribe(new.clone(), "/v1/posts/streams/me").await, 200);
    assert_eq!(subscribe(new, "/v1/users/me/mentions").await, 200);
}

async fn open_pnut(running: &Running, token: &str) -> (Ws, String) {
    let url = format!("ws://{}/v1/user?access_token={token}", running.addr);
    let (mut ws, _) = connect_async(url).await.unwrap();
    let hello = next_json(&mut ws).await;
    let id = hello["meta"]["connection_id"].as_str().unwrap().to_owned();
    (ws, id)
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("pnutkey-reload-{}-{name}.toml", std::process::id()))
}

/// Removes a temporary config file when the test ends.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn message(line: &Value) -> &str {
    line["fields"]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn sighup_reloads_the_config_file_and_refuses_a_bad_one() {
    let config = temp_path("sighup");
    std::fs::write(&config, "[limits]\nmax_channels_per_socket = 8\n").unwrap();
    let config = RemoveOnDrop(config);
    let mut bridge_process = BridgeProcess::spawn(Some(&config.0), &[]);
    let bridge = bridge_process.bridge_addr(WAIT).await;
    let addr: std::net::SocketAddr = bridge.parse().unwrap();

    // A good rewrite: applied, logged with the changed sections.
    std::fs::write(&config.0, "[limits]\nmax_channels_per_socket = 1\n").unwrap();
    bridge_process.signal("HUP");
    let changed = bridge_process
        .log_until(WAIT, |l| {
            (message(l) == "config reloaded").then(|| l["fields"]["changed"].clone())
        })
        .await;
    assert_eq!(changed, "limits");
    let mut ws = open_misskey(addr, "demo-alice").await;
    assert_one_channel_allowed(&mut ws).await;

    // A bad rewrite: refused, the key named, the bridge still serves with the previous config.
    std::fs::write(&config.0, "[limits]\nmax_channels_per_socket = \"many\"\n").unwrap();
    bridge_process.signal("HUP");
    let refused = bridge_process
        .log_until(WAIT, |l| {
            let text = message(l);
            text.starts_with("config reload refused: ")
                .then(|| text.to_owned())
        })
        .await;
    assert!(
        refused.contains("limits.max_channels_per_socket"),
        "{refused}"
    );
    let mut ws = open_misskey(addr, "demo-alice").await;
    assert_one_channel_allowed(&mut ws).await;
    assert!(bridge_process.is_running(), "the bridge exited");
}

#[tokio::test]
async fn ratelimit_quotas_reload_with_fresh_buckets() {
    let running = start(|_| {}).await;
    let http = reqwest::Client::new();
    let call_i = || {
        let request = http
            .post(format!("http://{}/api/i", running.addr))
            .json(&json!({"i": "demo-alice"}));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    for _ in 0..5 {
        assert_eq!(call_i().await, 200, "default quotas refused a call");
    }
    let report = running.reload(reloaded(
        "[ratelimit]\nmax_wait = \"1s\"\n[ratelimit.pnut]\nget_per_hour = 2\n",
    ));
    assert_eq!(report.changed_sections, ["ratelimit"]);
    // The new bucket starts full (2 GETs), then the next GET would wait ~30 min: refused.
    assert_eq!(call_i().await, 200, "a fresh bucket refused the first call");
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(call_i().await);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test(start_paused = true)]
async fn a_replaced_limiter_keeps_running_429_pauses() {
    use pnutkey::ratelimit::{PnutQuotas, pnut_limiter};
    let old = pnut_limiter(&PnutQuotas::default());
    old.pause("paused-token", Duration::from_secs(600));
    old.pause("over-token", Duration::from_secs(5));
    tokio::time::advance(Duration::from_secs(10)).await;
    let new = pnut_limiter(&PnutQuotas::default());
    new.carry_pauses_from(&old);
    let left = new.paused_for("paused-token").expect("pause carried over");
    assert_eq!(left, Duration::from_secs(590));
    assert_eq!(new.paused_for("over-token"), None);
}
