//! One upstream session per token across the fleet (mapping.md §9), on a real Redis: many
//! Misskey clients of one token spread over three instances share one pnut subscription and
//! each gets every note once; when the owner instance is SIGKILLed another takes the lease
//! over and backfills what was posted meanwhile, none twice.

mod common;

use std::time::Duration;

use futures_util::SinkExt;
use pnutkey::app::Running;
use pnutkey::config::{ClusterConfig, UpstreamTarget};
use pnutkey::sim::pnut::{SimPnut, SimPnutOptions};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use common::redis::RedisServer;
use common::ws::{Ws, next_json};

const LEASE_TTL: Duration = Duration::from_secs(2);
const WAIT: Duration = Duration::from_secs(20);

fn cluster_config(redis: &RedisServer, instance: &str) -> ClusterConfig {
    common::redis::cluster_config(redis, instance, LEASE_TTL)
}

async fn bridge(redis: &RedisServer, sim: &SimPnut, instance: &str) -> Running {
    bridge_with(redis, sim, instance, |_| {}).await
}

/// [`bridge`] after `tweak` adjusted the config.
async fn bridge_with(
    redis: &RedisServer,
    sim: &SimPnut,
    instance: &str,
    tweak: impl FnOnce(&mut pnutkey::config::Config),
) -> Running {
    let cluster = cluster_config(redis, instance);
    let api: url::Url = format!("{}/v1", sim.base_url()).parse().expect("url");
    let stream = serde_json::from_value(json!(sim.stream_url())).expect("stream url");
    let running = common::app::start(move |c| {
        c.upstream.pnut.url = UpstreamTarget::Url(api);
        c.upstream.pnut.stream_url = Some(stream);
        c.cluster = Some(cluster);
        tweak(c);
    })
    .await;
    let cluster = running.context().cluster.clone().expect("cluster");
    tokio::time::timeout(WAIT, cluster.wait_until_up(true))
        .await
        .expect("redis up");
    running
}

/// A Misskey client of `token` on `addr` with `homeTimeline` connected as id "1".
async fn home_client(addr: &str, token: &str) -> Ws {
    let url = format!("ws://{addr}/streaming?i={token}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade");
    let connect = json!({"type": "connect", "body": {"channel": "homeTimeline", "id": "1", "params": {}, "pong": true}});
    ws.send(Message::text(connect.to_string()))
        .await
        .expect("send");
    tokio::time::timeout(WAIT, async {
        loop {
            let frame = next_json(&mut ws).await;
            if frame["type"] == "connected" && frame["body"]["id"] == "1" {
                return;
            }
        }
    })
    .await
    .expect("connected");
    ws
}

/// Reads `note` frames until `last` arrives; returns every note text seen, in order.
async fn notes_until(ws: &mut Ws, last: &str) -> Vec<String> {
    let mut texts = Vec::new();
    tokio::time::timeout(WAIT, async {
        loop {
            let frame: Value = next_json(ws).await;
            if frame["type"] == "channel" && frame["body"]["type"] == "note" {
                assert_eq!(frame["body"]["id"], "1", "spliced for this client: {frame}");
                let text = frame["body"]["body"]["text"].as_str().unwrap_or_default();
                texts.push(text.to_owned());
                if text == last {
                    return;
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{last:?} in time; got {texts:?}"));
    texts
}

fn subscriptions(counts: &pnutkey::sim::pnut::SimCounts) -> usize {
    counts.subscriptions.values().sum()
}

#[tokio::test]
async fn clients_of_one_token_on_three_instances_share_one_pnut_subscription() {
    let redis = RedisServer::start().await;
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim");
    let mut bridges = Vec::new();
    for name in ["a", "b", "c"] {
        bridges.push(bridge(&redis, &sim, name).await);
    }
    let mut clients = Vec::new();
    for _ in 0..100 {
        for bridge in &bridges {
            clients.push(home_client(&bridge.addr.to_string(), "demo-alice").await);
        }
    }
    let counts = sim.control().counts().await;
    assert_eq!(subscriptions(&counts), 1, "{counts:?}");
    assert_eq!(counts.connections, 1, "{counts:?}");
    let control = sim.control();
    for text in ["one", "two", "three"] {
        control.create_post("bob", text, None).await.expect("post");
    }
    for ws in &mut clients {
        assert_eq!(notes_until(ws, "three").await, ["one", "two", "three"]);
    }
    let counts = sim.control().counts().await;
    assert_eq!(subscriptions(&counts), 1, "{counts:?}");
    drop(clients);
    for bridge in bridges {
        bridge.stop(Duration::from_secs(5)).await;
    }
}

#[tokio::test]
async fn when_the_owner_is_killed_another_instance_takes_over_and_backfills_once() {
    let redis = RedisServer::start().await;
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim");
    let stream_url = sim.stream_url();
    let api = format!("{}/v1", sim.base_url());
    let redis_url = redis.url();
    let (owner, owner_addr) = common::bridge_process::BridgeProcess::spawn_in_fleet(
        &[
            ("PNUTKEY__UPSTREAM__PNUT__URL", api.as_str()),
            ("PNUTKEY__UPSTREAM__PNUT__STREAM_URL", stream_url.as_str()),
        ],
        &redis_url,
        "doomed",
        WAIT,
    )
    .await;
    // The first client makes the process the token's owner.
    let mut on_owner = home_client(&owner_addr, "demo-alice").await;
    let others = [
        bridge(&redis, &sim, "b").await,
        bridge(&redis, &sim, "c").await,
    ];
    let mut clients = Vec::new();
    for bridge in &others {
        for _ in 0..5 {
            clients.push(home_client(&bridge.addr.to_string(), "demo-alice").await);
        }
    }
    let mut connection = redis.connection().await;
    let leases: Vec<String> = redis::cmd("KEYS")
        .arg("test:lease:*")
        .query_async(&mut connection)
        .await
        .expect("KEYS");
    assert_eq!(leases.len(), 1, "{leases:?}");
    let holder: String = redis::cmd("GET")
        .arg(&leases[0])
        .query_async(&mut connection)
        .await
        .expect("GET");
    assert_eq!(holder, "doomed");
    let control = sim.control();
    control
        .create_post("bob", "before", None)
        .await
        .expect("post");
    assert_eq!(notes_until(&mut on_owner, "before").await, ["before"]);
    for ws in &mut clients {
        assert_eq!(notes_until(ws, "before").await, ["before"]);
    }
    assert_eq!(subscriptions(&control.counts().await), 1);

    owner.signal("KILL");
    let killed_at = std::time::Instant::now();
    control
        .wait_for_counts(|counts| counts.connections == 0)
        .await;
    for text in ["gap 1", "gap 2"] {
        control.create_post("bob", text, None).await.expect("post");
    }
    // The new owner's re-subscribe page carries the gap; then live notes flow again.
    for ws in &mut clients {
        let texts = notes_until(ws, "gap 2").await;
        assert_eq!(texts, ["gap 1", "gap 2"], "backfilled once, in order");
    }
    let moved_within = killed_at.elapsed();
    assert!(
        moved_within < LEASE_TTL * 3,
        "the lease moved within the lease time (+ a claim period): {moved_within:?}"
    );
    let holder: String = redis::cmd("GET")
        .arg(&leases[0])
        .query_async(&mut connection)
        .await
        .expect("GET");
    assert!(["b", "c"].contains(&holder.as_str()), "{holder}");
    control
        .create_post("bob", "after", None)
        .await
        .expect("post");
    for ws in &mut clients {
        assert_eq!(notes_until(ws, "after").await, ["after"], "nothing twice");
    }
    assert_eq!(subscriptions(&control.counts().await), 1);
    drop((clients, on_owner));
    for bridge in others {
        bridge.stop(Duration::from_secs(5)).await;
    }
}

#[tokio::test]
async fn without_redis_each_instance_serves_its_clients_then_the_fleet_shares_one_session_again() {
    let mut redis = RedisServer::start().await;
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim");
    let control = sim.control();
    let bridges = [
        bridge(&redis, &sim, "a").await,
        bridge(&redis, &sim, "b").await,
    ];
    let mut clients = Vec::new();
    for bridge in &bridges {
        clients.push(home_client(&bridge.addr.to_string(), "demo-alice").await);
    }
    control.create_post("bob", "up", None).await.expect("post");
    for ws in &mut clients {
        assert_eq!(notes_until(ws, "up").await, ["up"]);
    }
    assert_eq!(subscriptions(&control.counts().await), 1);

    redis.stop().await;
    for bridge in &bridges {
        let cluster = bridge.context().cluster.clone().expect("cluster");
        tokio::time::timeout(WAIT, cluster.wait_until_up(false))
            .await
            .expect("redis seen down");
    }
    // The follower serves its own clients with its own pool meanwhile.
    tokio::time::timeout(WAIT, control.wait_for_counts(|c| subscriptions(c) == 2))
        .await
        .expect("each instance subscribed for its own clients");
    control
        .create_post("bob", "down", None)
        .await
        .expect("post");
    for ws in &mut clients {
        assert_eq!(notes_until(ws, "down").await, ["down"]);
    }

    redis.restart().await;
    tokio::time::timeout(WAIT, control.wait_for_counts(|c| subscriptions(c) == 1))
        .await
        .expect("one instance owns the session again");
    // A fresh connect on each instance is acknowledged only once its relay and the owner
    // hear each other again.
    for bridge in &bridges {
        let _fresh = home_client(&bridge.addr.to_string(), "demo-alice").await;
    }
    control
        .create_post("bob", "back", None)
        .await
        .expect("post");
    for ws in &mut clients {
        assert_eq!(notes_until(ws, "back").await, ["back"], "nothing twice");
    }
    assert_eq!(subscriptions(&control.counts().await), 1);
    drop(clients);
    for bridge in bridges {
        bridge.stop(Duration::from_secs(5)).await;
    }
}

/// Sends `frame` on `ws`.
async fn send(ws: &mut Ws, frame: Value) {
    ws.send(Message::text(frame.to_string()))
        .await
        .expect("send");
}

#[tokio::test]
async fn a_note_captured_on_a_follower_gets_its_note_updated_from_the_owner() {
    let redis = RedisServer::start().await;
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim");
    let control = sim.control();
    let owner = bridge(&redis, &sim, "a").await;
    let follower = bridge(&redis, &sim, "b").await;
    let mut on_owner = home_client(&owner.addr.to_string(), "demo-alice").await;
    let mut ws = home_client(&follower.addr.to_string(), "demo-alice").await;
    let post = control
        .create_post("bob", "soon gone", None)
        .await
        .expect("post");
    assert_eq!(notes_until(&mut on_owner, "soon gone").await, ["soon gone"]);
    let note_id = loop {
        let frame = next_json(&mut ws).await;
        if frame["body"]["type"] == "note" {
            break frame["body"]["body"]["id"].as_str().expect("id").to_owned();
        }
    };
    send(&mut ws, json!({"type": "subNote", "body": {"id": note_id}})).await;
    // A later connect's `connected` comes back through the owner: the capture is in place.
    send(
        &mut ws,
        json!({"type": "connect", "body": {"channel": "main", "id": "sync", "pong": true}}),
    )
    .await;
    tokio::time::timeout(WAIT, async {
        loop {
            let frame = next_json(&mut ws).await;
            if frame["type"] == "connected" && frame["body"]["id"] == "sync" {
                return;
            }
        }
    })
    .await
    .expect("sync connected");
    control.delete_post("bob", &post.id).await.expect("delete");
    tokio::time::timeout(WAIT, async {
        loop {
            let frame = next_json(&mut ws).await;
            if frame["type"] == "noteUpdated" {
                assert_eq!(frame["body"]["id"], note_id.as_str());
                assert_eq!(frame["body"]["type"], "deleted");
                return;
            }
        }
    })
    .await
    .expect("noteUpdated on the follower");
    // Clients gone first: the drain then has no close handshake left to wait for.
    drop((ws, on_owner));
    owner.stop(Duration::from_secs(5)).await;
    follower.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_channel_only_a_follower_needs_is_released_upstream_when_its_last_client_leaves() {
    let redis = RedisServer::start().await;
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim");
    let control = sim.control();
    let linger = |c: &mut pnutkey::config::Config| c.timeouts.linger = Duration::from_millis(100);
    let owner = bridge_with(&redis, &sim, "a", linger).await;
    let follower = bridge_with(&redis, &sim, "b", linger).await;
    let on_owner = home_client(&owner.addr.to_string(), "demo-alice").await;
    assert_eq!(subscriptions(&control.counts().await), 1);
    // Only the follower's client wants `main`: the owner subscribes it for the fleet...
    let mut ws = home_client(&follower.addr.to_string(), "demo-alice").await;
    send(
        &mut ws,
        json!({"type": "connect", "body": {"channel": "main", "id": "m", "pong": true}}),
    )
    .await;
    tokio::time::timeout(WAIT, async {
        loop {
            let frame = next_json(&mut ws).await;
            if frame["type"] == "connected" && frame["body"]["id"] == "m" {
                return;
            }
        }
    })
    .await
    .expect("main connected");
    let with_main = subscriptions(&control.counts().await);
    assert!(with_main > 1, "main's subscriptions made by the owner");
    // ...and lets it go (after the linger) once that client is gone.
    drop(ws);
    tokio::time::timeout(WAIT, control.wait_for_counts(|c| subscriptions(c) == 1))
        .await
        .expect("the fleet's last reference released");
    drop(on_owner);
    owner.stop(Duration::from_secs(5)).await;
    follower.stop(Duration::from_secs(5)).await;
}
