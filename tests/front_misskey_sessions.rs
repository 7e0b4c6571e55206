//! The Misskey streaming front's per-token sessions over the simulated pnut upstream, through
//! `/streaming` with real sockets: one token's stuck or failing upstream calls delay neither
//! other tokens nor the token's own other sockets, failed subscribes are retried, and idle
//! sessions end, leaving nothing behind upstream or in the bridge.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pnutkey::app::{RunPlan, Running};
use pnutkey::config::{Config, UpstreamTarget};
use pnutkey::sim::gate::ForcedFailure;
use pnutkey::sim::pnut::{SimCounts, SimPnut, SimPnutControl, SimPnutOptions};
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

mod common;

use common::ws::{Ws, next_json};

/// Upper bound on waiting for anything (events are awaited, never slept for).
const WAIT: Duration = Duration::from_secs(20);

fn base_config() -> Config {
    let mut config = Config::default();
    config.listen.addr = "127.0.0.1:0".parse().unwrap();
    config.sim.activity_interval = None;
    config
}

async fn start(tweak: impl FnOnce(&mut Config)) -> (Running, SimPnutControl) {
    let mut config = base_config();
    tweak(&mut config);
    let running = pnutkey::app::start(&RunPlan::from_config(&config))
        .await
        .unwrap();
    let control = running.sim_pnut.as_ref().unwrap().control();
    (running, control)
}

async fn open(running: &Running, token: &str) -> Ws {
    let url = format!("ws://{}/streaming?i={token}", running.addr);
    connect_async(url).await.unwrap().0
}

async fn send_connect(ws: &mut Ws, channel: &str, id: &str, params: Value) {
    let frame = json!({"type": "connect", "body": {"channel": channel, "id": id, "params": params, "pong": true}});
    ws.send(Message::text(frame.to_string())).await.unwrap();
}

/// Connects and awaits the `connected` answer (no other frame may come first).
async fn connect(ws: &mut Ws, channel: &str, id: &str, params: Value) {
    send_connect(ws, channel, id, params).await;
    assert_eq!(
        next_json(ws).await,
        json!({"type": "connected", "body": {"id": id}})
    );
}

/// The next frame, which must be a `note` on channel connection `id` with text `text`.
async fn expect_note(ws: &mut Ws, id: &str, text: &str) {
    let frame = next_json(ws).await;
    assert_eq!(frame["type"], "channel", "{frame}");
    assert_eq!(frame["body"]["id"], id, "{frame}");
    assert_eq!(frame["body"]["type"], "note", "{frame}");
    assert_eq!(frame["body"]["body"]["text"], text, "{frame}");
}

fn calls_to(counts: &SimCounts, method: &str, route: &str) -> u64 {
    counts
        .calls
        .get(&format!("{method} /v1{route}"))
        .copied()
        .unwrap_or(0)
}

fn total_subscriptions(counts: &SimCounts) -> usize {
    counts.subscriptions.values().sum()
}

async fn until_counts(control: &SimPnutControl, done: impl Fn(&SimCounts) -> bool) -> SimCounts {
    tokio::time::timeout(WAIT, control.wait_for_counts(done))
        .await
        .expect("sim counts never reached the wanted state")
}

/// One scrape of the bridge's `/metrics`: `name{labels}` → value.
async fn scrape(running: &Running) -> HashMap<String, f64> {
    let text = reqwest::get(format!("http://{}/metrics", running.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            Some((key.to_owned(), value.parse().ok()?))
        })
        .collect()
}

fn sample(metrics: &HashMap<String, f64>, key: &str) -> f64 {
    metrics.get(key).copied().unwrap_or(0.0)
}

/// alice's quota is used up by her first two GETs (token check, homeTimeline subscribe): her
/// next calls wait half an hour in the bridge's limiter. While her hashtag poll and channel
/// subscribe wait there, her subscribed homeTimeline keeps receiving on both her sockets,
/// a second socket of hers connects to the shared key at once, and bob (his own quota)
/// connects, subscribes and receives.
#[tokio::test]
async fn a_token_whose_calls_are_stuck_delays_neither_its_other_sockets_nor_other_tokens() {
    let (running, control) = start(|config| {
        config.ratelimit.pnut.get_per_hour = 2;
        config.ratelimit.max_wait = Duration::from_secs(3600);
        config.upstream.pnut.request_timeout = Duration::from_secs(3600);
    })
    .await;
    let mut alice = open(&running, "demo-alice").await;
    connect(&mut alice, "homeTimeline", "home", json!({})).await;
    // Both need a new upstream call: they wait in the limiter (quota used up).
    send_connect(&mut alice, "hashtag", "tag", json!({"q": "rust"})).await;
    let mut alice2 = open(&running, "demo-alice").await;
    connect(&mut alice2, "homeTimeline", "home2", json!({})).await;
    send_connect(&mut alice2, "channel", "chan", json!({"channelId": "5"})).await;

    let mut bob = open(&running, "demo-bob").await;
    connect(&mut bob, "homeTimeline", "bob-home", json!({})).await;
    control
        .create_post("bob", "while alice waits", None)
        .await
        .unwrap();
    expect_note(&mut bob, "bob-home", "while alice waits").await;
    // alice's next frames are the note, not the answers of her stuck connects.
    expect_note(&mut alice, "home", "while alice waits").await;
    expect_note(&mut alice2, "home2", "while alice waits").await;

    let counts = control.counts().await;
    assert_eq!(
        calls_to(&counts, "GET", "/posts/tags/{tag}"),
        0,
        "{counts:?}"
    );
    assert_eq!(
        calls_to(&counts, "GET", "/channels/{channel_id}/messages"),
        0,
        "{counts:?}"
    );
    assert_eq!(total_subscriptions(&counts), 2, "alice's and bob's homes");

    // alice's channel subscribe waits in the limiter: one subscription pending, shown.
    let pending = r#"pnutkey_subscriptions_pending{front="misskey"}"#;
    assert_eq!(sample(&scrape(&running).await, pending), 1.0);
    // Nobody needs it any more once its channel disconnects (the `connected` of a later
    // connect on the same socket comes after the disconnect was handled).
    let disconnect = json!({"type": "disconnect", "body": {"id": "chan"}});
    alice2
        .send(Message::text(disconnect.to_string()))
        .await
        .unwrap();
    connect(&mut alice2, "homeTimeline", "home3", json!({})).await;
    assert_eq!(sample(&scrape(&running).await, pending), 0.0);
}

/// alice's subscribes fail upstream (500, then 429): the pool answers `connected` once the
/// first attempt returned and retries with a backoff until the subscription exists, then her
/// channel receives; bob, meanwhile, connects and receives as usual.
#[tokio::test]
async fn a_failed_subscribe_is_retried_while_needed_and_other_tokens_go_on() {
    let (running, control) = start(|config| {
        config.timeouts.reconnect_backoff_min = Duration::from_millis(20);
        config.timeouts.reconnect_backoff_max = Duration::from_millis(200);
    })
    .await;
    for status in [500, 500, 429] {
        control
            .force_failures(ForcedFailure {
                remaining: 1,
                status,
                token: Some("demo-alice".to_owned()),
                endpoint: Some("GET /v1/posts/streams/me".to_owned()),
            })
            .await;
    }
    let mut alice = open(&running, "demo-alice").await;
    connect(&mut alice, "homeTimeline", "home", json!({})).await;
    let mut bob = open(&running, "demo-bob").await;
    connect(&mut bob, "homeTimeline", "bob-home", json!({})).await;
    control.create_post("bob", "first", None).await.unwrap();
    expect_note(&mut bob, "bob-home", "first").await;

    // Three failures, then the fourth subscribe of alice's home succeeds.
    let counts = until_counts(&control, |c| total_subscriptions(c) == 2).await;
    assert_eq!(
        calls_to(&counts, "GET", "/posts/streams/me"),
        5,
        "{counts:?}"
    );
    control.create_post("bob", "second", None).await.unwrap();
    // "first" reaches alice too if her retry succeeded before it was posted.
    let mut frame = next_json(&mut alice).await;
    if frame["body"]["body"]["text"] == "first" {
        frame = next_json(&mut alice).await;
    }
    assert_eq!(frame["body"]["id"], "home", "{frame}");
    assert_eq!(frame["body"]["body"]["text"], "second", "{frame}");
    expect_note(&mut bob, "bob-home", "second").await;
}

/// A subscribe the upstream refuses for good (403) is not retried.
#[tokio::test]
async fn a_refused_subscribe_is_not_retried() {
    let (running, control) = start(|config| {
        config.timeouts.reconnect_backoff_min = Duration::from_millis(1);
        config.timeouts.reconnect_backoff_max = Duration::from_millis(1);
    })
    .await;
    control
        .force_failures(ForcedFailure {
            remaining: 1,
            status: 403,
            token: Some("demo-alice".to_owned()),
            endpoint: Some("GET /v1/posts/streams/me".to_owned()),
        })
        .await;
    let mut alice = open(&running, "demo-alice").await;
    connect(&mut alice, "homeTimeline", "home", json!({})).await;
    // A later subscribe of another key on the same connection shows the pool went on.
    connect(&mut alice, "drive", "drive", json!({})).await;
    let counts = control.counts().await;
    assert_eq!(
        calls_to(&counts, "GET", "/posts/streams/me"),
        1,
        "{counts:?}"
    );
    assert_eq!(total_subscriptions(&counts), 1, "{counts:?}");
}

/// A session whose last client left ends after `session_idle`: its pnut stream is closed and
/// deleted; the token's next client starts a fresh session that subscribes again and receives.
#[tokio::test]
async fn an_ended_session_is_started_afresh_by_the_next_client() {
    let (running, control) = start(|config| {
        config.timeouts.session_idle = Duration::from_millis(50);
    })
    .await;
    let ctx = running.context();
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    assert_eq!(ctx.pools.len(), 1);
    close(ws).await;
    let counts = until_counts(&control, |c| {
        c.connections == 0 && calls_to(c, "DELETE", "/users/me/streams/{connection_id}") == 1
    })
    .await;
    assert_eq!(calls_to(&counts, "GET", "/posts/streams/me"), 1);
    assert_eq!(ctx.pools.len(), 0);

    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    assert_eq!(ctx.pools.len(), 1);
    let counts = control.counts().await;
    assert_eq!(counts.connections, 1);
    assert_eq!(calls_to(&counts, "GET", "/posts/streams/me"), 2);
    control
        .create_post("bob", "after the restart", None)
        .await
        .unwrap();
    expect_note(&mut ws, "home", "after the restart").await;
}

const SESSIONS: usize = 2000;
/// Sessions opened at once.
const BATCH: usize = 100;

/// One session: a socket of token `load-<n>` whose homeTimeline is subscribed upstream.
async fn open_session(running: &Running, n: usize) -> Ws {
    let mut ws = open(running, &format!("load-{n}")).await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    ws
}

async fn close(mut ws: Ws) {
    ws.close(None).await.unwrap();
    while let Some(Ok(_)) = ws.next().await {}
}

/// 2,000 tokens each open a session (a socket, a pnut stream, a subscription) and leave; each
/// session ends `session_idle` after its socket left: its stream is closed and deleted
/// upstream, and the session registry, the session gauge and the upstream connection gauge
/// are back at zero.
#[tokio::test]
async fn two_thousand_sessions_end_after_their_idle_time_and_leave_nothing_behind() {
    let sim = SimPnut::start(SimPnutOptions {
        extra_users: SESSIONS,
        ..SimPnutOptions::default()
    })
    .await
    .unwrap();
    let control = sim.control();
    let mut config = base_config();
    config.upstream.pnut.url =
        UpstreamTarget::Url(format!("{}/v1", sim.base_url()).parse().unwrap());
    // The simulated pnut serves user streams on its own stream host, as pnut.io does.
    config.upstream.pnut.stream_url =
        Some(serde_json::from_value(serde_json::json!(sim.stream_url())).unwrap());
    config.timeouts.session_idle = Duration::from_millis(50);
    config.ratelimit.pnut.upstream_per_second = 1_000_000;
    let running = pnutkey::app::start(&RunPlan::from_config(&config))
        .await
        .unwrap();
    let ctx = running.context();
    let started = std::time::Instant::now();

    // The first batch stays open: one session, one stream, one subscription per token.
    let first: Vec<Ws> =
        futures_util::future::join_all((0..BATCH).map(|n| open_session(&running, n))).await;
    assert_eq!(ctx.pools.len(), BATCH);
    let metrics = scrape(&running).await;
    assert_eq!(
        sample(&metrics, r#"pnutkey_sessions{upstream="pnut"}"#),
        BATCH as f64
    );
    let counts = control.counts().await;
    assert_eq!(counts.connections, BATCH);
    assert_eq!(total_subscriptions(&counts), BATCH);
    futures_util::future::join_all(first.into_iter().map(close)).await;

    for batch in (BATCH..SESSIONS).step_by(BATCH) {
        let sockets: Vec<Ws> = futures_util::future::join_all(
            (batch..batch + BATCH).map(|n| open_session(&running, n)),
        )
        .await;
        futures_util::future::join_all(sockets.into_iter().map(close)).await;
    }

    // A session deletes its stream only after closing it (and its stream task ended): once
    // every delete arrived, the bridge holds no session and no upstream connection.
    let counts = until_counts(&control, |c| {
        c.connections == 0
            && calls_to(c, "DELETE", "/users/me/streams/{connection_id}") == SESSIONS as u64
    })
    .await;
    assert_eq!(total_subscriptions(&counts), 0);
    assert_eq!(ctx.pools.len(), 0);
    let metrics = scrape(&running).await;
    assert_eq!(
        sample(&metrics, r#"pnutkey_sessions{upstream="pnut"}"#),
        0.0
    );
    assert_eq!(
        sample(&metrics, r#"pnutkey_upstream_connections{upstream="pnut"}"#),
        0.0
    );
    assert_eq!(
        sample(
            &metrics,
            r#"pnutkey_upstream_subscriptions{upstream="pnut"}"#
        ),
        0.0
    );
    eprintln!(
        "{SESSIONS} sessions opened and ended in {:?}",
        started.elapsed()
    );
}

/// A token polls at most `limits.max_polls_per_token` distinct endpoints: a connect that would
/// need one more is ignored (no `connected`, nothing upstream) and counted; connects that reuse
/// a polled endpoint, and the token's other channels, go on.
#[tokio::test]
async fn polled_endpoints_per_token_are_bounded() {
    let (running, control) = start(|config| {
        config.limits.max_polls_per_token = 2;
    })
    .await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "hashtag", "one", json!({"q": "one"})).await;
    connect(&mut ws, "hashtag", "two", json!({"q": "two"})).await;
    send_connect(&mut ws, "hashtag", "three", json!({"q": "three"})).await;
    // The next answer is this one's: `three` got none.
    connect(&mut ws, "hashtag", "one-again", json!({"q": "one"})).await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    let metrics = scrape(&running).await;
    assert_eq!(sample(&metrics, "pnutkey_polls_refused_total"), 1.0);
    let counts = control.counts().await;
    assert_eq!(
        calls_to(&counts, "GET", "/posts/tags/{tag}"),
        2,
        "{counts:?}"
    );
}
