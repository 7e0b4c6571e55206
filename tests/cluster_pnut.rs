//! One pnut-front session per token across the fleet (mapping.md §9), on a real Redis: pnut
//! tools of one token on three instances share one Misskey user stream (the lease holder's
//! hub; the others forward the streams and the connection-bound REST calls to it); the owner
//! SIGKILLed → tools reconnect to a survivor, which takes the lease, and the first page of each
//! re-created subscription carries what was posted meanwhile; Redis down → each instance serves
//! its tools locally, Redis back → one session again.

mod common;

use std::time::Duration;

use futures_util::StreamExt;
use pnutkey::app::Running;
use pnutkey::config::{ClusterConfig, UpstreamTarget};
use pnutkey::sim::misskey::{SimCounts, SimMisskey, SimMisskeyControl, SimMisskeyOptions};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use common::redis::RedisServer;
use common::ws::{Ws, next_json};

const LEASE_TTL: Duration = Duration::from_secs(2);
const WAIT: Duration = Duration::from_secs(20);
const TOKEN: &str = "demo-alice";
const STREAM: &str = "/v1/posts/streams/me";

fn cluster_config(redis: &RedisServer, instance: &str) -> ClusterConfig {
    common::redis::cluster_config(redis, instance, LEASE_TTL)
}

/// An instance on the shared simulated Misskey, once it heard from Redis.
async fn bridge(redis: &RedisServer, sim: &SimMisskey, instance: &str) -> Running {
    let cluster = cluster_config(redis, instance);
    let misskey: url::Url = sim.base_url().parse().expect("url");
    let running = common::app::start(move |c| {
        c.upstream.misskey.url = UpstreamTarget::Url(misskey);
        c.cluster = Some(cluster);
    })
    .await;
    let cluster = running.context().cluster.clone().expect("cluster");
    tokio::time::timeout(WAIT, cluster.wait_until_up(true))
        .await
        .expect("redis up");
    running
}

/// A pnut tool's user stream on `addr`: the socket, its connection id and the hello frame.
async fn open(addr: &str) -> (Ws, String, Value) {
    let url = format!("ws://{addr}/v1/user?access_token={TOKEN}");
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .expect("upgrade in time")
        .expect("upgrade");
    let hello = next_json(&mut ws).await;
    let id = hello["meta"]["connection_id"]
        .as_str()
        .expect("connection_id")
        .to_owned();
    (ws, id, hello)
}

/// A subscribe call (`?connection_id=`) of `path` sent to `addr`: status and body.
async fn subscribe(addr: &str, path: &str, connection_id: &str) -> (u16, Value) {
    let reply = reqwest::Client::new()
        .get(format!("http://{addr}{path}?connection_id={connection_id}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("subscribe");
    let status = reply.status().as_u16();
    (status, reply.json().await.expect("json"))
}

/// [`subscribe`] that must succeed; returns the subscription id and the first page's texts.
async fn subscribed(addr: &str, connection_id: &str) -> (String, Vec<String>) {
    let (status, body) = subscribe(addr, STREAM, connection_id).await;
    assert_eq!(status, 200, "{body}");
    let sid = body["meta"]["subscription_id"]
        .as_str()
        .expect("subscription_id")
        .to_owned();
    let texts = body["data"]
        .as_array()
        .expect("page")
        .iter()
        .filter_map(|post| post["content"]["text"].as_str().map(str::to_owned))
        .collect();
    (sid, texts)
}

/// Reads post frames until `last`; returns each frame's (text, subscription ids).
async fn posts_until(ws: &mut Ws, last: &str) -> Vec<(String, Vec<String>)> {
    let mut seen = Vec::new();
    tokio::time::timeout(WAIT, async {
        loop {
            let frame = next_json(ws).await;
            let text = frame["data"][0]["content"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let sids = frame["meta"]["subscription_ids"]
                .as_array()
                .map(|ids| {
                    ids.iter()
                        .filter_map(|id| id.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let done = text == last;
            seen.push((text, sids));
            if done {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{last:?} in time; got {seen:?}"));
    seen
}

/// (Misskey streaming sockets, channel connections) of alice at the simulated Misskey.
fn alice(counts: &SimCounts) -> (usize, usize) {
    let sockets: Vec<_> = counts
        .sockets
        .iter()
        .filter(|s| s.username.as_deref() == Some("alice"))
        .collect();
    (
        sockets.len(),
        sockets.iter().map(|s| s.channel_connections).sum(),
    )
}

async fn wait_alice(control: &SimMisskeyControl, want: (usize, usize)) {
    let counts = tokio::time::timeout(
        WAIT,
        control.wait_for_counts(|counts| alice(counts) == want),
    )
    .await
    .unwrap_or_else(|_| panic!("alice's upstream at {want:?}"));
    assert_eq!(alice(&counts), want);
}

/// `pnutkey_cluster_pnut_forwards_total` of the instance at `addr`.
async fn forwards(addr: &str) -> u64 {
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find_map(|line| line.strip_prefix("pnutkey_cluster_pnut_forwards_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("the forwards counter in {text}"))
}

/// Awaits the close of `ws`; its close code (`None`: the stream just ended).
async fn closed(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("closed in time")
        {
            None | Some(Err(_)) => return None,
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn tools_of_one_token_on_three_instances_share_one_misskey_session() {
    let redis = RedisServer::start().await;
    let sim = SimMisskey::start(SimMisskeyOptions::default())
        .await
        .expect("sim");
    let control = sim.control();
    let mut bridges = Vec::new();
    for name in ["a", "b", "c"] {
        bridges.push(bridge(&redis, &sim, name).await);
    }
    let addrs: Vec<String> = bridges.iter().map(|b| b.addr.to_string()).collect();
    // A stream on each instance, each subscribed through the *next* instance's REST front.
    let mut tools = Vec::new();
    for (i, addr) in addrs.iter().enumerate() {
        let (ws, cid, hello) = open(addr).await;
        assert_eq!(
            hello["meta"]["stream"]["endpoint"],
            format!("ws://{addr}/v1/user"),
            "the hello names the instance the tool connected to"
        );
        let (sid, _) = subscribed(&addrs[(i + 1) % 3], &cid).await;
        tools.push((ws, cid, sid));
    }
    // b forwarded its tool's stream and a's tool's subscribe; a, the owner, forwarded nothing.
    assert!(forwards(&addrs[1]).await >= 2);
    assert_eq!(forwards(&addrs[0]).await, 0);
    let cids: std::collections::HashSet<&String> = tools.iter().map(|(_, c, _)| c).collect();
    assert_eq!(cids.len(), 3, "own connection ids");
    wait_alice(&control, (1, 1)).await;

    for text in ["one", "two"] {
        control.post("bob", text).await.expect("post");
    }
    for (ws, _, sid) in &mut tools {
        let seen = posts_until(ws, "two").await;
        let want = vec![
            ("one".to_owned(), vec![sid.clone()]),
            ("two".to_owned(), vec![sid.clone()]),
        ];
        assert_eq!(seen, want, "every post once, with this tool's subscription");
    }

    // Sixteen subscriptions on the first tool's connection, spread over the instances; the
    // 17th is refused wherever the call lands.
    let cid = tools[0].1.clone();
    for n in 1..16 {
        subscribed(&addrs[n % 3], &cid).await;
    }
    for addr in &addrs {
        let (status, body) = subscribe(addr, STREAM, &cid).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            body["meta"]["error_message"],
            format!("connection {cid} already has the maximum of 16 subscriptions")
        );
    }
    // A delete lands on another instance than the stream and frees a place.
    let sid = tools[0].2.clone();
    let deleted = reqwest::Client::new()
        .delete(format!(
            "http://{}/v1/users/me/streams/{cid}/{sid}",
            addrs[2]
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status().as_u16(), 204);
    subscribed(&addrs[1], &cid).await;
    wait_alice(&control, (1, 1)).await;
    // A client presenting a made-up peer header is not served as forwarded: its stream still
    // goes to the owner (no second Misskey stream).
    let request = tokio_tungstenite::tungstenite::http::Request::builder()
        .uri(format!("ws://{}/v1/user?access_token={TOKEN}", addrs[1]))
        .header("host", addrs[1].as_str())
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header(pnutkey::cluster::PEER_HEADER, "guessed")
        .body(())
        .expect("request");
    let (mut forged, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrade");
    let forged_cid = next_json(&mut forged).await["meta"]["connection_id"]
        .as_str()
        .expect("connection_id")
        .to_owned();
    subscribed(&addrs[1], &forged_cid).await;
    assert_eq!(alice(&control.counts().await), (1, 1));
    drop(forged);
    // A connection id unknown to the whole fleet is still refused as unknown.
    let (status, _) = subscribe(&addrs[1], STREAM, "no-such-connection").await;
    assert_eq!(status, 400);
    // A follower draining closes the streams it bridges with 1001, as for its own.
    let c = bridges.pop().expect("c");
    c.stop(Duration::from_secs(5)).await;
    assert_eq!(closed(&mut tools[2].0).await, Some(1001));
    drop(tools);
    for bridge in bridges {
        bridge.stop(Duration::from_secs(5)).await;
    }
}

#[tokio::test]
async fn when_the_owner_is_killed_tools_reconnect_to_a_survivor_and_miss_nothing() {
    let redis = RedisServer::start().await;
    let sim = SimMisskey::start(SimMisskeyOptions::default())
        .await
        .expect("sim");
    let control = sim.control();
    let (misskey, redis_url) = (sim.base_url(), redis.url());
    let (owner, owner_addr) = common::bridge_process::BridgeProcess::spawn_in_fleet(
        &[("PNUTKEY__UPSTREAM__MISSKEY__URL", misskey.as_str())],
        &redis_url,
        "doomed",
        WAIT,
    )
    .await;
    // The first tool makes the process the token's owner.
    let (mut on_owner, owner_cid, _) = open(&owner_addr).await;
    let others = [
        bridge(&redis, &sim, "b").await,
        bridge(&redis, &sim, "c").await,
    ];
    let addrs: Vec<String> = others.iter().map(|b| b.addr.to_string()).collect();
    subscribed(&addrs[0], &owner_cid).await;
    let mut tools = Vec::new();
    for (i, addr) in addrs.iter().enumerate() {
        let (ws, cid, _) = open(addr).await;
        subscribed(&addrs[(i + 1) % 2], &cid).await;
        tools.push(ws);
    }
    wait_alice(&control, (1, 1)).await;
    let holder = || async {
        let mut connection = redis.connection().await;
        let leases: Vec<String> = redis::cmd("KEYS")
            .arg("test:lease:{pnut:*")
            .query_async(&mut connection)
            .await
            .expect("KEYS");
        assert_eq!(leases.len(), 1, "{leases:?}");
        let holder: String = redis::cmd("GET")
            .arg(&leases[0])
            .query_async(&mut connection)
            .await
            .expect("GET");
        holder
    };
    assert_eq!(holder().await, "doomed");
    control.post("bob", "before").await.expect("post");
    assert_eq!(posts_until(&mut on_owner, "before").await.len(), 1);
    for ws in &mut tools {
        assert_eq!(posts_until(ws, "before").await.len(), 1);
    }

    owner.signal("KILL");
    let killed_at = std::time::Instant::now();
    // The proxied streams close, as a restarting pnut server's do.
    for ws in &mut tools {
        assert_eq!(closed(ws).await, Some(1001));
    }
    wait_alice(&control, (0, 0)).await;
    control.post("bob", "meanwhile").await.expect("post");
    // The tools reconnect to the survivors (the connect waits for the lease to move) and
    // resubscribe: the first page carries what was posted meanwhile.
    let mut tools = Vec::new();
    for (i, addr) in addrs.iter().enumerate() {
        let (ws, cid, _) = open(addr).await;
        let (sid, page) = subscribed(&addrs[(i + 1) % 2], &cid).await;
        assert!(page.contains(&"meanwhile".to_owned()), "no gap: {page:?}");
        tools.push((ws, sid));
    }
    let moved_within = killed_at.elapsed();
    assert!(
        moved_within < LEASE_TTL * 3,
        "the lease moved within the lease time (+ a retry period): {moved_within:?}"
    );
    assert!(["b", "c"].contains(&holder().await.as_str()));
    wait_alice(&control, (1, 1)).await;
    control.post("bob", "after").await.expect("post");
    for (ws, sid) in &mut tools {
        assert_eq!(
            posts_until(ws, "after").await,
            vec![("after".to_owned(), vec![sid.clone()])]
        );
    }
    drop((tools, on_owner));
    for bridge in others {
        bridge.stop(Duration::from_secs(5)).await;
    }
}

#[tokio::test]
async fn without_redis_tools_are_served_locally_then_one_session_again() {
    let mut redis = RedisServer::start().await;
    let sim = SimMisskey::start(SimMisskeyOptions::default())
        .await
        .expect("sim");
    let control = sim.control();
    let bridges = [
        bridge(&redis, &sim, "a").await,
        bridge(&redis, &sim, "b").await,
    ];
    let addrs: Vec<String> = bridges.iter().map(|b| b.addr.to_string()).collect();
    let (mut first, first_cid, _) = open(&addrs[0]).await;
    subscribed(&addrs[1], &first_cid).await;
    wait_alice(&control, (1, 1)).await;

    redis.stop().await;
    for bridge in &bridges {
        let cluster = bridge.context().cluster.clone().expect("cluster");
        tokio::time::timeout(WAIT, cluster.wait_until_up(false))
            .await
            .expect("redis seen down");
    }
    // b serves its new tool itself meanwhile (subscribed on b, where its stream is).
    let (mut second, second_cid, hello) = open(&addrs[1]).await;
    assert_eq!(
        hello["meta"]["stream"]["endpoint"],
        format!("ws://{}/v1/user", addrs[1])
    );
    subscribed(&addrs[1], &second_cid).await;
    wait_alice(&control, (2, 2)).await;
    control.post("bob", "down").await.expect("post");
    for ws in [&mut first, &mut second] {
        assert_eq!(posts_until(ws, "down").await.len(), 1);
    }

    redis.restart().await;
    // One instance takes the lease; the other closes its local streams (1001) and its tool
    // reconnects there.
    let (loser, reconnect_to) = tokio::select! {
        code = closed(&mut first) => (code, 0),
        code = closed(&mut second) => (code, 1),
    };
    assert_eq!(loser, Some(1001));
    let (ws, cid, _) = open(&addrs[reconnect_to]).await;
    subscribed(&addrs[reconnect_to], &cid).await;
    if reconnect_to == 0 {
        first = ws;
    } else {
        second = ws;
    }
    wait_alice(&control, (1, 1)).await;
    control.post("bob", "up again").await.expect("post");
    for ws in [&mut first, &mut second] {
        assert_eq!(posts_until(ws, "up again").await.len(), 1);
    }
    drop((first, second));
    for bridge in bridges {
        bridge.stop(Duration::from_secs(5)).await;
    }
}
