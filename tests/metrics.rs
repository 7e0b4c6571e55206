//! `/metrics` and the admin listener: real scenarios through both fronts, then the scraped
//! OpenMetrics text is parsed and specific values are asserted.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pnutkey::app::{RunPlan, Running};
use pnutkey::config::Config;
use pnutkey::sim::pnut::ForcedFailure;
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

mod common;

use common::ws::{Ws, next_json};

/// Upper bound on waiting for anything (a guard; events are awaited).
const WAIT: Duration = Duration::from_secs(10);

async fn start(tweak: impl FnOnce(&mut Config)) -> Running {
    let mut config = Config::default();
    config.listen.addr = "127.0.0.1:0".parse().unwrap();
    config.sim.activity_interval = None;
    tweak(&mut config);
    let plan = RunPlan::from_config(&config);
    pnutkey::app::start(&plan).await.unwrap()
}

/// One scrape: `name{labels}` → value, plus the content type.
async fn scrape(addr: std::net::SocketAddr) -> (String, HashMap<String, f64>) {
    let response = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap();
    (content_type, parse(&text))
}

fn parse(text: &str) -> HashMap<String, f64> {
    assert!(text.ends_with("# EOF\n"), "not OpenMetrics text: {text}");
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (key, value) = line.rsplit_once(' ').expect("sample line");
            (key.to_owned(), value.parse::<f64>().expect("sample value"))
        })
        .collect()
}

/// The value of sample `key` (0 when the labelled sample does not exist yet).
async fn value(addr: std::net::SocketAddr, key: &str) -> f64 {
    scrape(addr).await.1.get(key).copied().unwrap_or(0.0)
}

/// Scrapes until sample `key` satisfies `want` (bounded by [`WAIT`]); returns the value.
async fn until(addr: std::net::SocketAddr, key: &str, want: impl Fn(f64) -> bool) -> f64 {
    let result = tokio::time::timeout(WAIT, async {
        loop {
            let v = value(addr, key).await;
            if want(v) {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    match result {
        Ok(v) => v,
        Err(_) => panic!(
            "{key} never reached the wanted value (now {})",
            value(addr, key).await
        ),
    }
}

async fn misskey_connect(ws: &mut Ws, channel: &str, id: &str) {
    let frame = json!({"type": "connect", "body": {"channel": channel, "id": id, "params": {}, "pong": true}});
    ws.send(Message::text(frame.to_string())).await.unwrap();
    loop {
        let frame = next_json(ws).await;
        if frame["type"] == "connected" && frame["body"]["id"] == id {
            return;
        }
    }
}

async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("closed in time")
        {
            None | Some(Err(_)) => return None,
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
        }
    }
}

const MISSKEY_CLIENTS: &str = "pnutkey_clients_connected{front=\"misskey\"}";
const PNUT_CLIENTS: &str = "pnutkey_clients_connected{front=\"pnut\"}";
const HOME_CHANNELS: &str = "pnutkey_channel_connections{channel=\"homeTimeline\"}";

#[tokio::test]
async fn the_misskey_front_scenario_moves_its_counters_and_gauges() {
    let running = start(|config| {
        config.limits.max_frame_size = bytesize::ByteSize::b(1024);
    })
    .await;
    let addr = running.addr;
    let control = running.sim_pnut.as_ref().unwrap().control();
    let (content_type, before) = scrape(addr).await;
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert_eq!(before.get(MISSKEY_CLIENTS).copied().unwrap_or(0.0), 0.0);

    let url = format!("ws://{addr}/streaming?i=demo-alice");
    let (mut ws, _) = connect_async(url).await.unwrap();
    misskey_connect(&mut ws, "homeTimeline", "home").await;
    until(addr, MISSKEY_CLIENTS, |v| v == 1.0).await;
    until(addr, HOME_CHANNELS, |v| v == 1.0).await;
    until(
        addr,
        "pnutkey_upstream_connections{upstream=\"pnut\"}",
        |v| v == 1.0,
    )
    .await;
    until(
        addr,
        "pnutkey_upstream_subscriptions{upstream=\"pnut\"}",
        |v| v == 1.0,
    )
    .await;

    control.create_post("bob", "counted", None).await.unwrap();
    loop {
        let frame = next_json(&mut ws).await;
        if frame["type"] == "channel" && frame["body"]["type"] == "note" {
            assert_eq!(frame["body"]["body"]["text"], "counted");
            break;
        }
    }
    until(addr, "pnutkey_events_in_total{upstream=\"pnut\"}", |v| {
        v >= 1.0
    })
    .await;
    until(addr, "pnutkey_events_out_total{front=\"misskey\"}", |v| {
        v >= 1.0
    })
    .await;

    // Two bad frames and a text heartbeat (not bad input), then an acknowledged connect:
    // all were read before the ack.
    ws.send(Message::text("h")).await.unwrap();
    ws.send(Message::text("{not json")).await.unwrap();
    ws.send(Message::text("[1,2]")).await.unwrap();
    misskey_connect(&mut ws, "localTimeline", "local").await;
    assert_eq!(
        value(addr, "pnutkey_bad_input_total{front=\"misskey\"}").await,
        2.0
    );

    // An oversized frame on a second socket: 1009, counted as too_big.
    let url = format!("ws://{addr}/streaming?i=demo-bob");
    let (mut big, _) = connect_async(url).await.unwrap();
    until(addr, MISSKEY_CLIENTS, |v| v == 2.0).await;
    big.send(Message::text("x".repeat(2000))).await.unwrap();
    assert_eq!(close_code(&mut big).await, Some(1009));
    until(
        addr,
        "pnutkey_client_closes_total{front=\"misskey\",reason=\"too_big\"}",
        |v| v == 1.0,
    )
    .await;
    until(addr, MISSKEY_CLIENTS, |v| v == 1.0).await;

    // Closing the client gives its gauges back.
    ws.close(None).await.unwrap();
    until(addr, MISSKEY_CLIENTS, |v| v == 0.0).await;
    until(addr, HOME_CHANNELS, |v| v == 0.0).await;

    // A refused token: the upstream's 401 is counted by status, never by token.
    let refused = connect_async(format!("ws://{addr}/streaming?i=wrong-token-abc")).await;
    assert!(refused.is_err());
    until(
        addr,
        "pnutkey_upstream_errors_total{upstream=\"pnut\",status=\"401\"}",
        |v| v == 1.0,
    )
    .await;
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for secret in ["demo-alice", "demo-bob", "wrong-token-abc"] {
        assert!(!text.contains(secret), "{secret} in metrics");
    }
}

#[tokio::test]
async fn the_pnut_front_scenario_moves_its_counters_and_gauges() {
    let running = start(|_| {}).await;
    let addr = running.addr;
    let control = running.sim_misskey.as_ref().unwrap().control();
    let (mut ws, _) = connect_async(format!("ws://{addr}/v1/user?access_token=demo-alice"))
        .await
        .unwrap();
    let hello = next_json(&mut ws).await;
    let connection_id = hello["meta"]["connection_id"].as_str().unwrap().to_owned();
    until(addr, PNUT_CLIENTS, |v| v == 1.0).await;
    let response = reqwest::Client::new()
        .get(format!(
            "http://{addr}/v1/posts/streams/me?connection_id={connection_id}"
        ))
        .bearer_auth("demo-alice")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    until(
        addr,
        "pnutkey_upstream_connections{upstream=\"misskey\"}",
        |v| v == 1.0,
    )
    .await;
    let subscriptions = until(
        addr,
        "pnutkey_upstream_subscriptions{upstream=\"misskey\"}",
        |v| v >= 1.0,
    )
    .await;
    control.post("bob", "to the tool").await.unwrap();
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["data"][0]["content"]["text"], "to the tool");
    until(addr, "pnutkey_events_in_total{upstream=\"misskey\"}", |v| {
        v >= 1.0
    })
    .await;
    until(addr, "pnutkey_events_out_total{front=\"pnut\"}", |v| {
        v == 1.0
    })
    .await;

    ws.close(None).await.unwrap();
    until(addr, PNUT_CLIENTS, |v| v == 0.0).await;
    // The subscription ends with its connection; the upstream channel goes with it.
    until(
        addr,
        "pnutkey_upstream_subscriptions{upstream=\"misskey\"}",
        |v| v < subscriptions,
    )
    .await;
}

#[tokio::test]
async fn an_upstream_429_moves_pause_fast_fail_and_error_counters() {
    let running = start(|config| {
        config.ratelimit.max_wait = Duration::from_millis(100);
    })
    .await;
    let addr = running.addr;
    let control = running.sim_pnut.as_ref().unwrap().control();
    control
        .force_failures(ForcedFailure {
            remaining: 1,
            status: 429,
            token: Some("demo-alice".into()),
            endpoint: Some("GET /v1/users/{user}".into()),
        })
        .await;
    let http = reqwest::Client::new();
    for _ in 0..2 {
        let response = http
            .post(format!("http://{addr}/api/i"))
            .json(&json!({"i": "demo-alice"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 429);
    }
    let (_, samples) = scrape(addr).await;
    let get = |key: &str| samples.get(key).copied().unwrap_or(0.0);
    assert_eq!(
        get("pnutkey_ratelimit_pauses_total{upstream=\"pnut\"}"),
        1.0
    );
    // The second call met the 1 s pause, longer than max_wait: refused locally.
    assert_eq!(
        get("pnutkey_ratelimit_fast_fails_total{upstream=\"pnut\"}"),
        1.0
    );
    assert_eq!(get("pnutkey_ratelimit_waits_total{upstream=\"pnut\"}"), 0.0);
    assert_eq!(
        get("pnutkey_ratelimit_pauses_total{upstream=\"misskey\"}"),
        0.0
    );
    // Only the upstream's 429 is an upstream error; the local refusal is not.
    assert_eq!(
        get("pnutkey_upstream_errors_total{upstream=\"pnut\",status=\"429\"}"),
        1.0
    );
}

#[tokio::test]
async fn the_admin_listener_serves_metrics_and_healthz_and_the_main_one_does_not() {
    let running = start(|config| {
        config.listen.admin = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let admin = running.admin_addr.expect("admin listener bound");
    assert_ne!(admin, running.addr);
    let (content_type, samples) = scrape(admin).await;
    assert_eq!(
        content_type,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert_eq!(
        samples.get(MISSKEY_CLIENTS),
        Some(&0.0),
        "no client yet, series present"
    );
    let health = reqwest::get(format!("http://{admin}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let body: Value = health.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    for path in ["/metrics", "/healthz"] {
        let response = reqwest::get(format!("http://{}{path}", running.addr))
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path} on the main listener");
    }
    // The fronts stay on the main listener, and the admin one counts their clients.
    let (_ws, _) = connect_async(format!("ws://{}/streaming?i=demo-alice", running.addr))
        .await
        .unwrap();
    until(admin, MISSKEY_CLIENTS, |v| v == 1.0).await;
    let response = reqwest::get(format!("http://{admin}/streaming"))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn without_an_admin_listener_both_routes_are_on_the_main_one() {
    let running = start(|_| {}).await;
    assert_eq!(running.admin_addr, None);
    let (content_type, _) = scrape(running.addr).await;
    assert!(content_type.starts_with("application/openmetrics-text"));
    let health = reqwest::get(format!("http://{}/healthz", running.addr))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn a_resubscribe_backfill_is_counted() {
    let running = start(|config| {
        config.timeouts.reconnect_backoff_min = Duration::from_millis(100);
        config.timeouts.reconnect_backoff_max = Duration::from_millis(200);
    })
    .await;
    let addr = running.addr;
    let control = running.sim_pnut.as_ref().unwrap().control();
    let (mut ws, _) = connect_async(format!("ws://{addr}/streaming?i=demo-alice"))
        .await
        .unwrap();
    misskey_connect(&mut ws, "homeTimeline", "home").await;
    until(
        addr,
        "pnutkey_upstream_subscriptions{upstream=\"pnut\"}",
        |v| v == 1.0,
    )
    .await;
    control.create_post("bob", "live", None).await.unwrap();
    next_note(&mut ws, "live").await;
    assert_eq!(control.drop_streams().await, 1);
    // No subscription exists now: this post can only arrive through the re-subscribe page.
    control.create_post("carol", "missed", None).await.unwrap();
    next_note(&mut ws, "missed").await;
    until(
        addr,
        "pnutkey_backfilled_events_total{front=\"misskey\"}",
        |v| v == 1.0,
    )
    .await;
    assert_eq!(
        value(
            addr,
            "pnutkey_backfill_gaps_skipped_total{front=\"misskey\"}"
        )
        .await,
        0.0
    );
}

async fn next_note(ws: &mut Ws, text: &str) {
    loop {
        let frame = next_json(ws).await;
        if frame["type"] == "channel" && frame["body"]["type"] == "note" {
            assert_eq!(frame["body"]["body"]["text"], text);
            return;
        }
    }
}

#[tokio::test]
async fn a_misskey_reconnect_backfill_is_counted_on_the_pnut_front() {
    let running = start(|_| {}).await;
    let addr = running.addr;
    let control = running.sim_misskey.as_ref().unwrap().control();
    let (mut ws, _) = connect_async(format!("ws://{addr}/v1/user?access_token=demo-alice"))
        .await
        .unwrap();
    let hello = next_json(&mut ws).await;
    let connection_id = hello["meta"]["connection_id"].as_str().unwrap().to_owned();
    let response = reqwest::Client::new()
        .get(format!(
            "http://{addr}/v1/posts/streams/me?connection_id={connection_id}"
        ))
        .bearer_auth("demo-alice")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    until(
        addr,
        "pnutkey_upstream_subscriptions{upstream=\"misskey\"}",
        |v| v >= 1.0,
    )
    .await;
    control.post("bob", "live").await.unwrap();
    assert_eq!(
        next_json(&mut ws).await["data"][0]["content"]["text"],
        "live"
    );
    // The bridge reconnects after reconnect_backoff_min (1 s): this note falls in the gap.
    control.drop_streams().await;
    control.post("carol", "missed").await.unwrap();
    assert_eq!(
        next_json(&mut ws).await["data"][0]["content"]["text"],
        "missed"
    );
    assert!(value(addr, "pnutkey_backfilled_events_total{front=\"pnut\"}").await >= 1.0);
    assert_eq!(
        value(addr, "pnutkey_backfill_gaps_skipped_total{front=\"pnut\"}").await,
        0.0
    );
}
