//! The Misskey-front relay of a fleet (mapping.md §9) on a real Redis, for what a client does
//! beyond receiving a timeline: two connects under one id both live on the owner and on a
//! follower; a follower's reads and the bridge's own `main` events reach the owner's pool and
//! from there every client of the token; and around Redis going down and coming back a
//! follower's clients get every note exactly once, the fleet ending on one pnut connection.

mod common;

use std::time::Duration;

use futures_util::SinkExt;
use pnutkey::app::Running;
use pnutkey::config::{Config, UpstreamTarget};
use pnutkey::sim::gate::ForcedFailure;
use pnutkey::sim::pnut::{SimCounts, SimPnut, SimPnutOptions};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use common::redis::RedisServer;
use common::ws::{Ws, next_json};

const WAIT: Duration = Duration::from_secs(20);
const TOKEN: &str = "demo-alice";

/// An instance `instance` of the fleet on `redis` and `sim`, with `lease_ttl`, after `tweak`.
async fn bridge(
    redis: &RedisServer,
    sim: &SimPnut,
    instance: &str,
    lease_ttl: Duration,
    tweak: impl FnOnce(&mut Config),
) -> Running {
    let cluster = common::redis::cluster_config(redis, instance, lease_ttl);
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

/// Sends `frame` on `ws`.
async fn send(ws: &mut Ws, frame: Value) {
    ws.send(Message::text(frame.to_string()))
        .await
        .expect("send");
}

/// A Misskey client of [`TOKEN`] on `running` with each `(channel, id)` connected (every
/// `connected` awaited, so each connect is in place fleet-wide).
async fn client(running: &Running, connects: &[(&str, &str)]) -> Ws {
    let url = format!("ws://{}/streaming?i={TOKEN}", running.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade");
    for (channel, id) in connects {
        let connect = json!({"type": "connect", "body": {"channel": channel, "id": id, "params": {}, "pong": true}});
        send(&mut ws, connect).await;
    }
    let mut waiting = connects.len();
    tokio::time::timeout(WAIT, async {
        while waiting > 0 {
            if next_json(&mut ws).await["type"] == "connected" {
                waiting -= 1;
            }
        }
    })
    .await
    .expect("connected");
    ws
}

/// Reads frames until the `channel` event `(id, kind)` with `done(body)`; returns every
/// `channel` event `(id, kind, body)` seen on the way, that one included.
async fn events_until(
    ws: &mut Ws,
    id: &str,
    kind: &str,
    done: impl Fn(&Value) -> bool,
) -> Vec<(String, String, Value)> {
    let mut seen = Vec::new();
    tokio::time::timeout(WAIT, async {
        loop {
            let frame = next_json(ws).await;
            if frame["type"] != "channel" {
                continue;
            }
            let body = &frame["body"];
            let (got_id, got_kind) = (body["id"].as_str(), body["type"].as_str());
            seen.push((
                got_id.unwrap_or_default().to_owned(),
                got_kind.unwrap_or_default().to_owned(),
                body["body"].clone(),
            ));
            if got_id == Some(id) && got_kind == Some(kind) && done(&body["body"]) {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{kind} on {id} in time; saw {seen:?}"));
    seen
}

/// The next `channel` event: `(id, kind, body)`.
async fn next_event(ws: &mut Ws) -> (String, String, Value) {
    loop {
        let frame = next_json(ws).await;
        if frame["type"] == "channel" {
            let body = &frame["body"];
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            return (text(&body["id"]), text(&body["type"]), body["body"].clone());
        }
    }
}

/// Reads events until one `note` and one `mention` of the post `text` came; asserts every
/// event on the way is on `id` and about that post.
async fn note_and_mention(ws: &mut Ws, id: &str, text: &str) {
    let mut pending = vec!["note", "mention"];
    while !pending.is_empty() {
        let (got_id, kind, body) = next_event(ws).await;
        assert_eq!(got_id, id, "{kind}: {body}");
        if kind == "note" || kind == "mention" {
            assert_eq!(body["text"], text, "{kind}: {body}");
        }
        pending.retain(|wanted| *wanted != kind);
    }
}

/// The texts of the `note` events on "1" until the one with text `last`.
async fn notes_until(ws: &mut Ws, last: &str) -> Vec<String> {
    events_until(ws, "1", "note", |body| body["text"] == last)
        .await
        .into_iter()
        .filter(|(_, kind, _)| kind == "note")
        .map(|(id, _, body)| {
            assert_eq!(id, "1", "spliced for this client");
            body["text"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

fn subscriptions(counts: &SimCounts) -> usize {
    counts.subscriptions.values().sum()
}

#[tokio::test]
async fn two_connects_under_one_id_both_live_on_owner_and_follower_until_its_disconnect() {
    let redis = RedisServer::start().await;
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim");
    let control = sim.control();
    let ttl = Duration::from_secs(2);
    let owner = bridge(&redis, &sim, "a", ttl, |_| {}).await;
    let follower = bridge(&redis, &sim, "b", ttl, |_| {}).await;
    // megalodon's start-up: `main` and `homeTimeline` under one id.
    let both = [("main", "1"), ("homeTimeline", "1")];
    let mut sockets = vec![client(&owner, &both).await, client(&follower, &both).await];
    control
        .create_post("bob", "@alice hello", None)
        .await
        .expect("post");
    for ws in &mut sockets {
        note_and_mention(ws, "1", "@alice hello").await;
    }
    // `disconnect` ends both; the same channels under a new id get the next post, id 1 nothing.
    for ws in &mut sockets {
        send(ws, json!({"type": "disconnect", "body": {"id": "1"}})).await;
        for channel in ["main", "homeTimeline"] {
            let connect = json!({"type": "connect", "body": {"channel": channel, "id": "2", "params": {}, "pong": true}});
            send(ws, connect).await;
        }
        let mut connected = 0;
        while connected < 2 {
            let frame = next_json(ws).await;
            if frame["type"] == "connected" {
                assert_eq!(frame["body"]["id"], "2");
                connected += 1;
            }
        }
    }
    control
        .create_post("bob", "@alice again", None)
        .await
        .expect("post");
    for ws in &mut sockets {
        // Nothing more on id "1": were one of its connections alive, its copy of the post
        // would come with the others.
        note_and_mention(ws, "2", "@alice again").await;
    }
    drop(sockets);
    owner.stop(Duration::from_secs(5)).await;
    follower.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn the_same_channel_twice_under_one_id_gets_each_note_twice_as_without_a_cluster() {
    let redis = RedisServer::start().await;
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim");
    let control = sim.control();
    let ttl = Duration::from_secs(2);
    let owner = bridge(&redis, &sim, "a", ttl, |_| {}).await;
    let follower = bridge(&redis, &sim, "b", ttl, |_| {}).await;
    // The reference: an instance without `[cluster]` on the same simulated pnut.
    let api: url::Url = format!("{}/v1", sim.base_url()).parse().expect("url");
    let stream = serde_json::from_value(json!(sim.stream_url())).expect("stream url");
    let solo = common::app::start(move |c| {
        c.upstream.pnut.url = UpstreamTarget::Url(api);
        c.upstream.pnut.stream_url = Some(stream);
    })
    .await;
    let twice = [("homeTimeline", "h"), ("homeTimeline", "h")];
    let mut sockets = Vec::new();
    for running in [&solo, &owner, &follower] {
        sockets.push(client(running, &twice).await);
    }
    for text in ["one", "two"] {
        control.create_post("bob", text, None).await.expect("post");
    }
    for ws in &mut sockets {
        let mut texts = Vec::new();
        while texts.len() < 4 {
            let (id, kind, body) = next_event(ws).await;
            assert_eq!((id.as_str(), kind.as_str()), ("h", "note"), "{body}");
            texts.push(body["text"].as_str().unwrap_or_default().to_owned());
        }
        assert_eq!(
            texts,
            ["one", "one", "two", "two"],
            "one frame per connection"
        );
    }
    drop(sockets);
    solo.stop(Duration::from_secs(5)).await;
    owner.stop(Duration::from_secs(5)).await;
    follower.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_followers_reads_and_main_events_reach_every_client_of_the_token() {
    let redis = RedisServer::start().await;
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim");
    let control = sim.control();
    let ttl = Duration::from_secs(2);
    let owner = bridge(&redis, &sim, "a", ttl, |_| {}).await;
    let follower = bridge(&redis, &sim, "b", ttl, |_| {}).await;
    let mut on_owner = client(&owner, &[("main", "m")]).await;
    let mut on_follower = client(&follower, &[("main", "m")]).await;
    control
        .create_post("bob", "@alice look", None)
        .await
        .expect("post");
    for ws in [&mut on_owner, &mut on_follower] {
        events_until(ws, "m", "unreadNotification", |_| true).await;
    }
    // The follower's client reads: the owner's pool clears the token's unread state and
    // every `main` of the fleet hears it.
    send(
        &mut on_follower,
        json!({"type": "readNotification", "body": {}}),
    )
    .await;
    for ws in [&mut on_owner, &mut on_follower] {
        events_until(ws, "m", "readAllNotifications", Value::is_null).await;
    }
    // A registry write through the follower's REST front reaches both sockets.
    let url = format!("http://{}", follower.addr);
    let set = json!({"scope": ["client"], "key": "k", "value": 1});
    let (status, _) = common::api::post(&url, "i/registry/set", Some(TOKEN), set).await;
    assert_eq!(status, 204);
    for ws in [&mut on_owner, &mut on_follower] {
        events_until(ws, "m", "registryUpdated", |body| body["key"] == "k").await;
    }
    // `i/notifications` on the follower marks them read for the whole token as well.
    control
        .create_post("carol", "@alice again", None)
        .await
        .expect("post");
    for ws in [&mut on_owner, &mut on_follower] {
        events_until(ws, "m", "unreadNotification", |_| true).await;
    }
    let (status, _) = common::api::post(&url, "i/notifications", Some(TOKEN), json!({})).await;
    assert_eq!(status, 200);
    for ws in [&mut on_owner, &mut on_follower] {
        events_until(ws, "m", "readAllNotifications", Value::is_null).await;
    }
    drop((on_owner, on_follower));
    owner.stop(Duration::from_secs(5)).await;
    follower.stop(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn around_redis_down_and_back_clients_get_every_note_once_when_the_old_owner_wins() {
    around_redis_down_and_back("a").await;
}

#[tokio::test]
async fn around_redis_down_and_back_clients_get_every_note_once_when_the_follower_wins() {
    around_redis_down_and_back("b").await;
}

/// Instance "a" owns the token's session, "b" follows; Redis goes down, each serves its own
/// clients, Redis comes back and `winner` holds the lease first. The instance that ran its
/// own pool and now follows hands its clients over; every client gets every note once.
async fn around_redis_down_and_back(winner: &str) {
    let mut redis = RedisServer::start().await;
    let sim = SimPnut::start(SimPnutOptions::default())
        .await
        .expect("sim");
    let control = sim.control();
    let ttl = Duration::from_secs(1);
    // A short linger lets the owner's pool drop a silent follower's needs quickly; a failed
    // subscribe is retried only after 1.5 s, the window the rejoin test posts in.
    let tweak = |c: &mut Config| {
        c.timeouts.linger = Duration::from_millis(100);
        c.timeouts.reconnect_backoff_min = Duration::from_millis(1500);
        c.timeouts.reconnect_backoff_max = Duration::from_millis(1500);
    };
    let owner = bridge(&redis, &sim, "a", ttl, tweak).await;
    let follower = bridge(&redis, &sim, "b", ttl, tweak).await;
    // The owner's client reads `homeTimeline` (pnut's posts/streams/me); the follower's
    // `hybridTimeline` (posts/streams/unified), which the owner subscribes for it alone.
    let on_owner = client(&owner, &[("homeTimeline", "1")]).await;
    let mut sockets = vec![on_owner];
    for _ in 0..2 {
        sockets.push(client(&follower, &[("hybridTimeline", "1")]).await);
    }
    let counts = control.counts().await;
    assert_eq!((counts.connections, subscriptions(&counts)), (1, 2));
    control.create_post("bob", "up", None).await.expect("post");
    for ws in &mut sockets {
        assert_eq!(notes_until(ws, "up").await, ["up"]);
    }
    let mut connection = redis.connection().await;
    let leases: Vec<String> = redis::cmd("KEYS")
        .arg("test:lease:*")
        .query_async(&mut connection)
        .await
        .expect("KEYS");
    assert_eq!(leases.len(), 1, "{leases:?}");

    // Redis gone: posted at once, before the follower's own pool is up (its first page has
    // it), then once each instance serves alone and the owner let go of the follower's need.
    redis.stop().await;
    control
        .create_post("bob", "down 1", None)
        .await
        .expect("post");
    tokio::time::timeout(
        WAIT,
        control.wait_for_counts(|c| {
            c.connections == 2 && c.subscriptions.values().all(|&subscribed| subscribed == 1)
        }),
    )
    .await
    .expect("each instance subscribed for its own clients only");
    control
        .create_post("bob", "down 2", None)
        .await
        .expect("post");
    for ws in &mut sockets {
        assert_eq!(notes_until(ws, "down 2").await, ["down 1", "down 2"]);
    }

    // Redis back, `winner` first to hold the lease: the other instance's need is subscribed
    // anew by the winner, and that subscribe fails once (retried 1.5 s later); what is posted
    // meanwhile reaches the other instance's clients all the same, once.
    for endpoint in ["GET /v1/posts/streams/me", "GET /v1/posts/streams/unified"] {
        control
            .force_failures(ForcedFailure {
                remaining: 1,
                status: 503,
                token: Some(TOKEN.to_owned()),
                endpoint: Some(endpoint.to_owned()),
            })
            .await;
    }
    let subscribes = |c: &SimCounts| {
        ["GET /v1/posts/streams/me", "GET /v1/posts/streams/unified"]
            .iter()
            .map(|endpoint| c.calls.get(*endpoint).copied().unwrap_or(0))
            .sum::<u64>()
    };
    let before = subscribes(&control.counts().await);
    redis.restart().await;
    let mut connection = redis.connection().await;
    let _: () = redis::cmd("SET")
        .arg(&leases[0])
        .arg(winner)
        .arg("PX")
        .arg(1000)
        .query_async(&mut connection)
        .await
        .expect("SET");
    tokio::time::timeout(WAIT, control.wait_for_counts(|c| subscribes(c) > before))
        .await
        .expect("the new owner subscribes the other instance's need");
    for text in ["back 1", "back 2"] {
        control.create_post("bob", text, None).await.expect("post");
    }
    tokio::time::timeout(WAIT, control.wait_for_counts(|c| c.connections == 1))
        .await
        .expect("one instance runs the session again");
    let holder: String = redis::cmd("GET")
        .arg(&leases[0])
        .query_async(&mut connection)
        .await
        .expect("GET");
    assert_eq!(holder, winner);
    control
        .create_post("bob", "back 3", None)
        .await
        .expect("post");
    for ws in &mut sockets {
        assert_eq!(
            notes_until(ws, "back 3").await,
            ["back 1", "back 2", "back 3"],
            "every note once"
        );
    }
    let counts = control.counts().await;
    assert_eq!((counts.connections, subscriptions(&counts)), (1, 2));
    control
        .create_post("bob", "last", None)
        .await
        .expect("post");
    for ws in &mut sockets {
        assert_eq!(notes_until(ws, "last").await, ["last"], "nothing twice");
    }
    drop(sockets);
    owner.stop(Duration::from_secs(5)).await;
    follower.stop(Duration::from_secs(5)).await;
}
