//! Session events of REST calls in a fleet (mapping.md §9) on a real Redis: a call landing on
//! an instance with no socket of the token or its user still reaches the user's clients on the
//! other instances — `i/registry/set` → `registryUpdated`, `i/notifications` marking read →
//! `readAllNotifications` — exactly once, and a call on an instance that has a socket (owner or
//! follower) still gives one frame per client, not two; with Redis down a call reaches the
//! local sockets as without a cluster.

mod common;

use std::time::Duration;

use pnutkey::app::Running;
use pnutkey::config::UpstreamTarget;
use pnutkey::sim::pnut::{SimPnut, SimPnutOptions};
use serde_json::{Value, json};

use common::redis::RedisServer;
use common::ws::{Ws, next_json};

const WAIT: Duration = Duration::from_secs(20);
const TOKEN: &str = "demo-alice";

/// An instance `instance` of the fleet on `redis` and `sim`.
async fn bridge(redis: &RedisServer, sim: &SimPnut, instance: &str) -> Running {
    let cluster = common::redis::cluster_config(redis, instance, Duration::from_secs(2));
    let api: url::Url = format!("{}/v1", sim.base_url()).parse().expect("url");
    let stream = serde_json::from_value(json!(sim.stream_url())).expect("stream url");
    let running = common::app::start(move |c| {
        c.upstream.pnut.url = UpstreamTarget::Url(api);
        c.upstream.pnut.stream_url = Some(stream);
        c.cluster = Some(cluster);
    })
    .await;
    let cluster = running.context().cluster.clone().expect("cluster");
    tokio::time::timeout(WAIT, cluster.wait_until_up(true))
        .await
        .expect("redis up");
    running
}

/// A Misskey client of [`TOKEN`] on `running` with `main` connected as "m" (awaited).
async fn main_client(running: &Running) -> Ws {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let url = format!("ws://{}/streaming?i={TOKEN}", running.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade");
    let connect = json!({"type": "connect", "body": {"channel": "main", "id": "m", "params": {}, "pong": true}});
    ws.send(Message::text(connect.to_string()))
        .await
        .expect("send");
    tokio::time::timeout(WAIT, async {
        while next_json(&mut ws).await["type"] != "connected" {}
    })
    .await
    .expect("connected");
    ws
}

/// Reads `main` events on "m" until `(kind, done(body))`; appends every one seen on the way,
/// that one included, to `seen` as `(kind, body)`.
async fn main_until(
    ws: &mut Ws,
    kind: &str,
    done: impl Fn(&Value) -> bool,
    seen: &mut Vec<(String, Value)>,
) {
    let found = tokio::time::timeout(WAIT, async {
        loop {
            let frame = next_json(ws).await;
            let body = &frame["body"];
            if frame["type"] != "channel" || body["id"] != "m" {
                continue;
            }
            let got = body["type"].as_str().unwrap_or_default().to_owned();
            let matched = got == kind && done(&body["body"]);
            seen.push((got, body["body"].clone()));
            if matched {
                return;
            }
        }
    })
    .await;
    assert!(found.is_ok(), "{kind} in time; saw {seen:?}");
}

/// `i/registry/set` of `key` through `running`'s REST front.
async fn registry_set(running: &Running, key: &str) {
    let url = format!("http://{}", running.addr);
    let set = json!({"scope": ["client"], "key": key, "value": 1});
    let (status, body) = common::api::post(&url, "i/registry/set", Some(TOKEN), set).await;
    assert_eq!(status, 204, "{body}");
}

/// `i/notifications` (marking read by default) through `running`'s REST front.
async fn read_notifications(running: &Running) {
    let url = format!("http://{}", running.addr);
    let (status, body) = common::api::post(&url, "i/notifications", Some(TOKEN), json!({})).await;
    assert_eq!(status, 200, "{body}");
}

/// Awaits a listener on the fleet channel `channel` (under the tests' prefix): the owner's relay
/// subscribes in the background, and a message published before that reaches no one. Redis
/// tells no one when a subscription starts, so this watches its commands (`MONITOR`, started
/// first) for the `SUBSCRIBE`, unless `PUBSUB NUMSUB` says it already happened.
async fn listened(redis: &RedisServer, channel: &str) {
    use futures_util::StreamExt;
    let channel = format!("test:{channel}");
    let client = redis::Client::open(redis.url()).expect("redis url");
    let mut monitor = client.get_async_monitor().await.expect("MONITOR");
    let mut connection = redis.connection().await;
    let (_, listeners): (String, u64) = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(&channel)
        .query_async(&mut connection)
        .await
        .expect("PUBSUB NUMSUB");
    if listeners > 0 {
        return;
    }
    let quoted = format!("\"{channel}\"");
    let mut commands = monitor.on_message::<String>();
    let heard = tokio::time::timeout(WAIT, async {
        while let Some(line) = commands.next().await {
            if line.to_ascii_uppercase().contains("\"SUBSCRIBE\"") && line.contains(&quoted) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(heard, Ok(true), "a listener on {channel}");
}

/// The keys of the `registryUpdated` events in `seen`, in order.
fn registry_keys(seen: &[(String, Value)]) -> Vec<String> {
    seen.iter()
        .filter(|(kind, _)| kind == "registryUpdated")
        .map(|(_, body)| body["key"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_registry_write_on_an_instance_without_a_socket_reaches_the_users_client_once() {
    let mut redis = RedisServer::start().await;
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim");
    let with_socket = bridge(&redis, &sim, "a").await;
    let without = bridge(&redis, &sim, "b").await;
    let mut ws = main_client(&with_socket).await;
    let mut seen = Vec::new();
    let is = |key: &'static str| move |body: &Value| body["key"] == key;
    // The user's channel of `main` events (alice is pnut user 1), heard by the owner's relay.
    listened(&redis, "user:{misskey:1}").await;
    // On the instance with the socket: one frame (it also shows the fleet reaches the socket).
    registry_set(&with_socket, "here").await;
    main_until(&mut ws, "registryUpdated", is("here"), &mut seen).await;
    // On an instance with no session of the token or its user: still to the socket.
    registry_set(&without, "there").await;
    main_until(&mut ws, "registryUpdated", is("there"), &mut seen).await;
    // A last write closes the count: no event came twice in between.
    registry_set(&with_socket, "last").await;
    main_until(&mut ws, "registryUpdated", is("last"), &mut seen).await;
    assert_eq!(registry_keys(&seen), ["here", "there", "last"], "{seen:?}");
    // A client on the other instance too (a follower there): a write there reaches both once.
    let mut on_follower = main_client(&without).await;
    let mut seen_there = Vec::new();
    registry_set(&without, "both").await;
    main_until(&mut ws, "registryUpdated", is("both"), &mut seen).await;
    main_until(
        &mut on_follower,
        "registryUpdated",
        is("both"),
        &mut seen_there,
    )
    .await;
    registry_set(&with_socket, "end").await;
    main_until(&mut ws, "registryUpdated", is("end"), &mut seen).await;
    main_until(
        &mut on_follower,
        "registryUpdated",
        is("end"),
        &mut seen_there,
    )
    .await;
    let all = ["here", "there", "last", "both", "end"];
    assert_eq!(registry_keys(&seen), all, "{seen:?}");
    assert_eq!(
        registry_keys(&seen_there),
        ["both", "end"],
        "{seen_there:?}"
    );
    drop(on_follower);
    // Redis down: the write reaches this instance's sockets as without a cluster.
    redis.stop().await;
    let cluster = with_socket.context().cluster.clone().expect("cluster");
    tokio::time::timeout(WAIT, cluster.wait_until_up(false))
        .await
        .expect("redis seen down");
    registry_set(&with_socket, "alone").await;
    main_until(&mut ws, "registryUpdated", is("alone"), &mut seen).await;
    assert_eq!(
        registry_keys(&seen),
        [&all[..], &["alone"]].concat(),
        "{seen:?}"
    );
    drop(ws);
    with_socket.stop(Duration::from_secs(5)).await;
    without.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn marking_read_on_an_instance_without_a_socket_reaches_the_tokens_client_once() {
    let redis = RedisServer::start().await;
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim");
    let control = sim.control();
    let with_socket = bridge(&redis, &sim, "a").await;
    let without = bridge(&redis, &sim, "b").await;
    let mut ws = main_client(&with_socket).await;
    let mut seen = Vec::new();
    let any = |_: &Value| true;
    // The token's command channel, heard by the owner's relay.
    let token_key = pnutkey::cluster::token_key(TOKEN);
    listened(&redis, &format!("cmd:{{misskey:{token_key}}}")).await;
    for (step, text) in ["@alice one", "@alice two", "@alice three"]
        .into_iter()
        .enumerate()
    {
        control.create_post("bob", text, None).await.expect("post");
        main_until(&mut ws, "unreadNotification", any, &mut seen).await;
        match step {
            // On an instance with no session of the token: the owner's pool marks them read.
            0 => read_notifications(&without).await,
            // On the instance with the socket: one frame, not two.
            1 => read_notifications(&with_socket).await,
            _ => break,
        }
        main_until(&mut ws, "readAllNotifications", Value::is_null, &mut seen).await;
    }
    let reads = seen
        .iter()
        .filter(|(kind, _)| kind == "readAllNotifications")
        .count();
    assert_eq!(reads, 2, "one per call: {seen:?}");
    drop(ws);
    with_socket.stop(Duration::from_secs(5)).await;
    without.stop(Duration::from_secs(5)).await;
}
