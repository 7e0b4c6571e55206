//! The Misskey streaming front over the simulated pnut upstream: real sockets through the bridge.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pnutkey::app::{RunPlan, Running};
use pnutkey::config::Config;
use pnutkey::sim::pnut::SimPnutControl;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, connect_async};

mod common;
#[path = "front_misskey_stream/main_channel.rs"]
mod main_channel;
#[path = "front_misskey_stream/polls.rs"]
mod polls;
#[path = "front_misskey_stream/upload.rs"]
mod upload;

use common::ws::{Ws, next_json};

/// Upper bound on waiting for anything (events are awaited, never slept for).
const WAIT: Duration = Duration::from_secs(10);

async fn start(tweak: impl FnOnce(&mut Config)) -> (Running, SimPnutControl) {
    let mut config = Config::default();
    config.listen.addr = "127.0.0.1:0".parse().unwrap();
    config.sim.activity_interval = None;
    tweak(&mut config);
    let plan = RunPlan::from_config(&config);
    let running = pnutkey::app::start(&plan).await.unwrap();
    let control = running.sim_pnut.as_ref().unwrap().control();
    (running, control)
}

async fn open(running: &Running, token: &str) -> Ws {
    let url = format!("ws://{}/streaming?i={token}&_t=1", running.addr);
    connect_async(url).await.unwrap().0
}

async fn send(ws: &mut Ws, frame: Value) {
    ws.send(Message::text(frame.to_string())).await.unwrap();
}

/// The next `channel` frame of kind `kind` whose body passes `pick`, skipping others.
async fn next_channel_event(ws: &mut Ws, kind: &str, pick: impl Fn(&Value) -> bool) -> Value {
    loop {
        let frame = next_json(ws).await;
        if frame["type"] == "channel" && frame["body"]["type"] == kind && pick(&frame["body"]) {
            return frame["body"].clone();
        }
    }
}

async fn connect(ws: &mut Ws, channel: &str, id: &str, params: Value) {
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
async fn until_counts(
    control: &SimPnutControl,
    done: impl Fn(&pnutkey::sim::pnut::SimCounts) -> bool,
) -> pnutkey::sim::pnut::SimCounts {
    tokio::time::timeout(WAIT, control.wait_for_counts(done))
        .await
        .expect("sim counts never reached the wanted state")
}

/// The sim's counts, asserting `want` subscriptions exist upstream — no waiting: `connected`
/// is answered only after the upstream subscribe returned.
async fn assert_subscriptions(
    control: &SimPnutControl,
    want: usize,
) -> pnutkey::sim::pnut::SimCounts {
    let counts = control.counts().await;
    assert_eq!(total_subscriptions(&counts), want, "{counts:?}");
    counts
}

fn total_subscriptions(counts: &pnutkey::sim::pnut::SimCounts) -> usize {
    counts.subscriptions.values().sum()
}

#[tokio::test]
async fn a_post_created_upstream_arrives_as_note_on_the_channel_id() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home-1", json!({})).await;
    assert_subscriptions(&control, 1).await;
    control
        .create_post("bob", "hello from bob", None)
        .await
        .unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(event["id"], "home-1");
    assert_eq!(event["body"]["text"], "hello from bob");
    assert_eq!(event["body"]["user"]["username"], "bob");
}

#[tokio::test]
async fn with_renotes_false_filters_a_repost() {
    let (running, control) = start(|_| {}).await;
    let original = control
        .create_post("carol", "carol original", None)
        .await
        .unwrap();
    let mut ws = open(&running, "demo-alice").await;
    connect(
        &mut ws,
        "homeTimeline",
        "plain",
        json!({"withRenotes": false}),
    )
    .await;
    connect(&mut ws, "homeTimeline", "all", json!({})).await;
    assert_subscriptions(&control, 1).await;
    control.repost("bob", &original.id).await.unwrap();
    control
        .create_post("bob", "after the repost", None)
        .await
        .unwrap();
    let mut all_saw_renote = false;
    loop {
        let event = next_channel_event(&mut ws, "note", |_| true).await;
        let is_renote = !event["body"]["renoteId"].is_null() && event["body"]["text"].is_null();
        match event["id"].as_str() {
            Some("plain") => {
                assert!(!is_renote, "a renote reached withRenotes:false: {event}");
                if event["body"]["text"] == "after the repost" {
                    break;
                }
            }
            Some("all") => all_saw_renote |= is_renote,
            other => panic!("unknown channel id {other:?}"),
        }
    }
    // The unfiltered channel got the renote (before or right after the plain note).
    while !all_saw_renote {
        let event = next_channel_event(&mut ws, "note", |b| b["id"] == "all").await;
        all_saw_renote = !event["body"]["renoteId"].is_null() && event["body"]["text"].is_null();
    }
}

/// Issue 6: 50 clients of one token on homeTimeline share exactly one pnut subscription.
#[tokio::test]
async fn fifty_clients_of_one_token_share_one_pnut_subscription() {
    const CLIENTS: usize = 50;
    let (running, control) = start(|_| {}).await;
    let mut sockets = Vec::new();
    for n in 0..CLIENTS {
        let mut ws = open(&running, "demo-alice").await;
        connect(&mut ws, "homeTimeline", &format!("h{n}"), json!({})).await;
        sockets.push(ws);
    }
    assert_subscriptions(&control, 1).await;
    control
        .create_post("bob", "to all fifty", None)
        .await
        .unwrap();
    for (n, ws) in sockets.iter_mut().enumerate() {
        let event = next_channel_event(ws, "note", |_| true).await;
        assert_eq!(event["id"], format!("h{n}"));
        assert_eq!(event["body"]["text"], "to all fifty");
    }
    assert_eq!(sockets.len(), CLIENTS);
    let counts = control.counts().await;
    assert_eq!(counts.connections, 1);
    assert_eq!(total_subscriptions(&counts), 1);
}

#[tokio::test]
async fn seventeen_distinct_keys_open_a_second_pnut_connection() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    for n in 0..16 {
        connect(
            &mut ws,
            "channel",
            &format!("c{n}"),
            json!({"channelId": format!("{}", 1000 + n)}),
        )
        .await;
    }
    control.wait_for_connections(1).await;
    connect(&mut ws, "channel", "c16", json!({"channelId": "2000"})).await;
    tokio::time::timeout(WAIT, control.wait_for_connections(2))
        .await
        .expect("no second pnut connection");
}

#[tokio::test]
async fn last_client_leaving_deletes_the_subscription_after_the_linger() {
    let (running, control) = start(|config| {
        config.timeouts.linger = Duration::from_millis(100);
    })
    .await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    assert_subscriptions(&control, 1).await;
    ws.close(None).await.unwrap();
    let counts = until_counts(&control, |c| total_subscriptions(c) == 0).await;
    let deletes: u64 = counts
        .calls
        .iter()
        .filter(|(route, _)| route.starts_with("DELETE") && route.contains("{subscription_id}"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(deletes, 1, "calls: {:?}", counts.calls);
}

#[tokio::test]
async fn bad_frames_are_ignored_and_the_socket_stays_usable() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    ws.send(Message::text("h")).await.unwrap();
    ws.send(Message::text("{not json")).await.unwrap();
    ws.send(Message::text("[1,2]")).await.unwrap();
    send(&mut ws, json!({"type": "connect"})).await;
    send(&mut ws, json!({"type": "connect", "body": {"channel": 5}})).await;
    send(&mut ws, json!({"type": "whatever", "body": {}})).await;
    ws.send(Message::binary(vec![0u8, 159, 146, 150]))
        .await
        .unwrap();
    connect(&mut ws, "homeTimeline", "still-here", json!({})).await;
    assert_subscriptions(&control, 1).await;
    control
        .create_post("bob", "still works", None)
        .await
        .unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(event["id"], "still-here");
}

#[tokio::test]
async fn a_frame_over_max_frame_size_closes_with_1009() {
    let (running, _control) = start(|config| {
        config.limits.max_frame_size = bytesize::ByteSize::b(1024);
    })
    .await;
    let mut ws = open(&running, "demo-alice").await;
    ws.send(Message::text("x".repeat(2000))).await.unwrap();
    let message = tokio::time::timeout(WAIT, ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    match message {
        Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), 1009),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn a_token_the_upstream_refuses_gets_401_at_the_upgrade() {
    let (running, _control) = start(|_| {}).await;
    let url = format!("ws://{}/streaming?i=not-a-token", running.addr);
    match connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401)
        }
        other => panic!("expected 401, got {other:?}"),
    }
    let url = format!("ws://{}/streaming", running.addr);
    match connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401)
        }
        other => panic!("expected 401, got {other:?}"),
    }
}

/// Sends a `connect` with `pong` on a throwaway id and awaits its ack: every frame sent
/// before it has reached the pool by then.
async fn sync(ws: &mut Ws, id: &str) {
    connect(ws, "roleTimeline", id, json!({"roleId": "r1"})).await;
}

#[tokio::test]
async fn sub_note_gets_note_updated_when_the_post_is_deleted() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    assert_subscriptions(&control, 1).await;
    let post = control.create_post("bob", "soon gone", None).await.unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    let note_id = event["body"]["id"].as_str().unwrap().to_owned();
    send(&mut ws, json!({"type": "subNote", "body": {"id": note_id}})).await;
    sync(&mut ws, "sync").await;
    control.delete_post("bob", &post.id).await.unwrap();
    loop {
        let frame = next_json(&mut ws).await;
        if frame["type"] == "noteUpdated" {
            assert_eq!(frame["body"]["id"], note_id.as_str());
            assert_eq!(frame["body"]["type"], "deleted");
            assert!(frame["body"]["body"]["deletedAt"].is_string());
            break;
        }
        assert_ne!(
            frame["body"]["body"]["text"], "soon gone",
            "deleted post re-sent as a note"
        );
    }
}

#[tokio::test]
async fn a_dropped_pnut_connection_is_resubscribed_with_a_deduplicated_backfill() {
    let (running, control) = start(|config| {
        config.timeouts.reconnect_backoff_min = Duration::from_millis(200);
        config.timeouts.reconnect_backoff_max = Duration::from_millis(400);
    })
    .await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    assert_subscriptions(&control, 1).await;
    control
        .create_post("bob", "before the drop", None)
        .await
        .unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(event["body"]["text"], "before the drop");
    assert_eq!(control.drop_streams().await, 1);
    // No subscription exists now: this post can only arrive through the re-subscribe page.
    control
        .create_post("carol", "during the drop", None)
        .await
        .unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(event["body"]["text"], "during the drop");
    until_counts(&control, |c| total_subscriptions(c) == 1).await;
    control
        .create_post("bob", "after the drop", None)
        .await
        .unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(
        event["body"]["text"], "after the drop",
        "backfill re-sent a delivered post"
    );
}

#[tokio::test]
async fn connects_over_max_channels_per_socket_are_ignored() {
    let (running, _control) = start(|config| config.limits.max_channels_per_socket = 2).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "a", json!({})).await;
    connect(&mut ws, "main", "b", json!({})).await;
    send(
        &mut ws,
        json!({"type": "connect", "body": {"channel": "localTimeline", "id": "c", "pong": true}}),
    )
    .await;
    // A reused id is a further connection (real-servers.md §1): over the cap, ignored too.
    send(
        &mut ws,
        json!({"type": "connect", "body": {"channel": "hybridTimeline", "id": "a", "pong": true}}),
    )
    .await;
    // After a disconnect there is room again: the next answer is this connect's (neither
    // `c` nor the second `a` was answered).
    send(&mut ws, json!({"type": "disconnect", "body": {"id": "b"}})).await;
    send(
        &mut ws,
        json!({"type": "connect", "body": {"channel": "main", "id": "d", "pong": true}}),
    )
    .await;
    let frame = next_json(&mut ws).await;
    assert_eq!(frame, json!({"type": "connected", "body": {"id": "d"}}));
}

/// A `connect` reusing a live id adds a second connection under it (Misskey 2025.11.1,
/// real-servers.md §1): both deliver with that id, sharing one upstream subscription.
#[tokio::test]
async fn a_reused_id_adds_a_second_channel_connection() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "x", json!({})).await;
    connect(&mut ws, "homeTimeline", "x", json!({"withRenotes": false})).await;
    assert_subscriptions(&control, 1).await;
    control.create_post("bob", "first", None).await.unwrap();
    control.create_post("bob", "second", None).await.unwrap();
    let mut texts = Vec::new();
    for _ in 0..4 {
        let event = next_channel_event(&mut ws, "note", |_| true).await;
        assert_eq!(event["id"], "x");
        texts.push(event["body"]["text"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        texts,
        ["first", "first", "second", "second"],
        "both connections deliver"
    );
    assert_eq!(total_subscriptions(&control.counts().await), 1);
    // `disconnect` ends both: the next note goes to a new id only.
    send(&mut ws, json!({"type": "disconnect", "body": {"id": "x"}})).await;
    connect(&mut ws, "homeTimeline", "y", json!({})).await;
    control.create_post("bob", "third", None).await.unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(
        (event["id"].as_str(), event["body"]["text"].as_str()),
        (Some("y"), Some("third"))
    );
}

/// megalodon connects `main` and `homeTimeline` under one id: both live.
#[tokio::test]
async fn main_and_home_timeline_under_one_id_both_live() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "main", "1", json!({})).await;
    connect(&mut ws, "homeTimeline", "1", json!({})).await;
    control
        .create_post("bob", "hey @alice", None)
        .await
        .unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    while !(kinds.contains("note") && kinds.contains("mention")) {
        let frame = next_json(&mut ws).await;
        assert_eq!(frame["body"]["id"], "1", "{frame}");
        kinds.insert(frame["body"]["type"].as_str().unwrap().to_owned());
    }
}

#[tokio::test]
async fn an_overflowing_outbound_queue_closes_with_1008() {
    let (running, _control) = start(|config| {
        config.limits.outbound_queue = bytesize::ByteSize::b(16);
    })
    .await;
    let mut ws = open(&running, "demo-alice").await;
    send(
        &mut ws,
        json!({"type": "connect", "body": {"channel": "main", "id": "m", "pong": true}}),
    )
    .await;
    let message = tokio::time::timeout(WAIT, ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    match message {
        Message::Close(Some(frame)) => {
            assert_eq!(u16::from(frame.code), 1008);
            assert_eq!(frame.reason.as_str(), "slow consumer");
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn main_channel_gets_mention_and_followed_events() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "main", "main-1", json!({})).await;
    assert_subscriptions(&control, 5).await;
    control.create_post("bob", "hi @alice", None).await.unwrap();
    let event = next_channel_event(&mut ws, "mention", |_| true).await;
    assert_eq!(event["id"], "main-1");
    assert_eq!(event["body"]["text"], "hi @alice");
    let _ = control.unfollow("carol", "alice").await;
    control.follow("carol", "alice").await.unwrap();
    let event = next_channel_event(&mut ws, "followed", |_| true).await;
    assert_eq!(event["id"], "main-1");
    assert_eq!(event["body"]["username"], "carol");
}

#[tokio::test]
async fn clients_are_pinged_and_answering_pongs_keeps_them_connected() {
    let (running, _control) = start(|config| {
        config.timeouts.misskey_ping = Duration::from_millis(50);
        config.timeouts.misskey_pong_timeout = Duration::from_millis(400);
    })
    .await;
    let mut ws = open(&running, "demo-alice").await;
    let mut pings = 0;
    while pings < 12 {
        // Reading lets tungstenite answer each ping with a pong.
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        {
            Message::Ping(_) => pings += 1,
            other => panic!("unexpected frame {other:?}"),
        }
    }
    connect(&mut ws, "homeTimeline", "alive", json!({})).await;
}

#[tokio::test]
async fn local_timeline_is_polled_and_delivers_new_posts_only() {
    let (running, control) = start(|config| {
        config.timeouts.poll_interval = Duration::from_millis(50);
    })
    .await;
    control
        .create_post("carol", "old news", None)
        .await
        .unwrap();
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "localTimeline", "local", json!({})).await;
    // The first poll (the baseline) has been answered once a second one went out.
    until_counts(&control, |c| {
        c.calls
            .iter()
            .filter(|(route, _)| route.contains("/posts/streams/global"))
            .map(|(_, n)| n)
            .sum::<u64>()
            >= 2
    })
    .await;
    control
        .create_post("bob", "fresh on global", None)
        .await
        .unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(event["id"], "local");
    assert_eq!(event["body"]["text"], "fresh on global");
}

#[tokio::test]
async fn unknown_channels_and_second_shared_channels_are_ignored() {
    let (running, _control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "main", "m1", json!({})).await;
    send(
        &mut ws,
        json!({"type": "connect", "body": {"channel": "main", "id": "m2", "pong": true}}),
    )
    .await;
    send(
        &mut ws,
        json!({"type": "connect", "body": {"channel": "noSuchChannel", "id": "u", "pong": true}}),
    )
    .await;
    send(
        &mut ws,
        json!({"type": "connect", "body": {"channel": "homeTimeline", "id": "h", "pong": true}}),
    )
    .await;
    let frame = next_json(&mut ws).await;
    assert_eq!(frame, json!({"type": "connected", "body": {"id": "h"}}));
}

#[tokio::test]
async fn keys_past_max_connections_per_token_are_refused_and_existing_ones_keep_working() {
    let (running, control) = start(|config| {
        config.limits.max_subscriptions_per_connection = 1;
        config.limits.max_connections_per_token = 1;
    })
    .await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    connect(&mut ws, "main", "main", json!({})).await;
    let counts = assert_subscriptions(&control, 1).await;
    assert_eq!(counts.connections, 1);
    control
        .create_post("bob", "home still works", None)
        .await
        .unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(event["id"], "home");
    let counts = control.counts().await;
    assert_eq!((counts.connections, total_subscriptions(&counts)), (1, 1));
}

#[tokio::test]
async fn a_bearer_token_is_accepted_at_the_upgrade() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let (running, _control) = start(|_| {}).await;
    let mut request = format!("ws://{}/streaming", running.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", "Bearer demo-bob".parse().unwrap());
    let (mut ws, _) = connect_async(request).await.unwrap();
    connect(&mut ws, "homeTimeline", "h", json!({})).await;
}

#[tokio::test]
async fn a_repost_of_my_post_reaches_main_as_renote() {
    let (running, control) = start(|_| {}).await;
    let mine = control
        .create_post("alice", "alice's own", None)
        .await
        .unwrap();
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "main", "main", json!({})).await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    assert_subscriptions(&control, 6).await;
    control.repost("bob", &mine.id).await.unwrap();
    let event = next_channel_event(&mut ws, "renote", |_| true).await;
    assert_eq!(event["id"], "main");
    assert_eq!(event["body"]["renote"]["text"], "alice's own");
}

#[tokio::test]
async fn channel_messages_arrive_as_notes_with_a_padded_channel_id() {
    let (running, control) = start(|_| {}).await;
    let width = Config::default().ids.pnut_id_width;
    let (channel_id, _) = control
        .channels()
        .await
        .into_iter()
        .next()
        .expect("a sim channel");
    let mut ws = open(&running, "demo-alice").await;
    let padded = format!("{channel_id:0>width$}");
    connect(&mut ws, "channel", "chan", json!({"channelId": padded})).await;
    assert_subscriptions(&control, 1).await;
    control
        .send_message("bob", &channel_id, "hi channel")
        .await
        .unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(event["id"], "chan");
    assert_eq!(event["body"]["text"], "hi channel");
    assert_eq!(event["body"]["channelId"], padded.as_str());
}

#[tokio::test]
async fn sub_note_gets_note_updated_when_the_post_is_revised() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    assert_subscriptions(&control, 1).await;
    let post = control
        .create_post("bob", "first draft", None)
        .await
        .unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    let note_id = event["body"]["id"].as_str().unwrap().to_owned();
    send(&mut ws, json!({"type": "s", "body": {"id": note_id}})).await;
    sync(&mut ws, "sync").await;
    control
        .revise_post("bob", &post.id, "second draft")
        .await
        .unwrap();
    loop {
        let frame = next_json(&mut ws).await;
        if frame["type"] == "noteUpdated" {
            assert_eq!(frame["body"]["id"], note_id.as_str());
            assert_eq!(frame["body"]["type"], "updated");
            assert_eq!(frame["body"]["body"]["text"], "second draft");
            break;
        }
        assert_ne!(
            frame["body"]["body"]["text"], "second draft",
            "revision re-sent as a note"
        );
    }
    control.create_post("bob", "next one", None).await.unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(
        event["body"]["text"], "next one",
        "revision re-sent as a note"
    );
}

/// Calls of `method` on a route ending in `suffix`, from the sim's counts.
fn calls_to(counts: &pnutkey::sim::pnut::SimCounts, method: &str, suffix: &str) -> u64 {
    counts
        .calls
        .iter()
        .filter(|(route, _)| route.starts_with(method) && route.ends_with(suffix))
        .map(|(_, n)| n)
        .sum()
}

/// subNote of a post no subscription of the token carries (bob follows only alice; carol posts):
/// the pool subscribes the post's thread once for both clients, the deletion arrives as
/// `noteUpdated`, and the last unsubNote deletes the thread subscription after the linger.
#[tokio::test]
async fn sub_note_of_an_uncovered_post_subscribes_its_thread_until_unsub_note() {
    let (running, control) = start(|config| {
        config.timeouts.linger = Duration::from_millis(100);
    })
    .await;
    let width = Config::default().ids.pnut_id_width;
    let mut first = open(&running, "demo-bob").await;
    let mut second = open(&running, "demo-bob").await;
    connect(&mut first, "homeTimeline", "home", json!({})).await;
    assert_subscriptions(&control, 1).await;
    let post = control
        .create_post("carol", "bob never sees this", None)
        .await
        .unwrap();
    let note_id = pnutkey::ids::pnut_id_to_misskey(&post.id, width).unwrap();
    for ws in [&mut first, &mut second] {
        send(ws, json!({"type": "subNote", "body": {"id": note_id}})).await;
        sync(ws, "sync").await;
    }
    let counts = until_counts(&control, |c| total_subscriptions(c) == 2).await;
    assert_eq!(counts.connections, 1, "{counts:?}");
    assert_eq!(
        calls_to(&counts, "GET", "/posts/{id}/thread"),
        1,
        "one thread subscription for both clients: {:?}",
        counts.calls
    );
    control.delete_post("carol", &post.id).await.unwrap();
    for ws in [&mut first, &mut second] {
        loop {
            let frame = next_json(ws).await;
            if frame["type"] == "noteUpdated" {
                assert_eq!(frame["body"]["id"], note_id.as_str());
                assert_eq!(frame["body"]["type"], "deleted");
                break;
            }
        }
    }
    for ws in [&mut first, &mut second] {
        send(ws, json!({"type": "unsubNote", "body": {"id": note_id}})).await;
    }
    let counts = until_counts(&control, |c| total_subscriptions(c) == 1).await;
    assert_eq!(
        calls_to(&counts, "DELETE", "{subscription_id}"),
        1,
        "calls: {:?}",
        counts.calls
    );
    // The home subscription is untouched and still delivers.
    control
        .create_post("alice", "still home", None)
        .await
        .unwrap();
    let event = next_channel_event(&mut first, "note", |_| true).await;
    assert_eq!(event["body"]["text"], "still home");
}

/// The token check (`GET /users/me` upstream) happens once per token, not once per socket,
/// while the token's pool lives; a refused token is still refused every time.
#[tokio::test]
async fn sockets_of_a_verified_token_share_one_upstream_token_check() {
    let (running, control) = start(|_| {}).await;
    let _sockets = [
        open(&running, "demo-alice").await,
        open(&running, "demo-alice").await,
        open(&running, "demo-alice").await,
    ];
    let _bob = open(&running, "demo-bob").await;
    let calls = control.counts().await.calls;
    assert_eq!(calls.get("GET /v1/users/{user}"), Some(&2), "{calls:?}");
    for _ in 0..2 {
        let refused = connect_async(format!("ws://{}/streaming?i=not-a-token", running.addr)).await;
        match refused {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 401);
            }
            other => panic!("expected HTTP 401, got {other:?}"),
        }
    }
}

/// A client socket with a tiny receive buffer, so that not reading stalls the bridge's writes.
async fn open_stalled(running: &Running, token: &str) -> Ws {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(running.addr).await.unwrap();
    let url = format!("ws://{}/streaming?i={token}", running.addr);
    tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
        .await
        .unwrap()
        .0
}

/// The post number a note's text starts with (`"{n} ..."`).
fn post_number(note: &Value) -> u64 {
    let text = note["body"]["text"].as_str().unwrap_or_default();
    text.split(' ').next().unwrap_or_default().parse().unwrap()
}

/// Most posts the slow-consumer test creates before giving up.
const MAX_POSTS: u64 = 10_000;
/// Posts created at once before the reading client reads them: a batch reaches the stalled
/// client as ~2 × 16 frames of ~1.5 KB, under its 64 KiB queue, so only a stall overflows it.
const POST_BATCH: u64 = 2;
/// Channel connections of the stalled client.
const STALLED_CHANNELS: u64 = 16;

/// bob's client never reads while carol posts (bob and alice both follow her): its queue of
/// 64 KiB overflows, the bridge closes it with 1008 and releases bob's pool subscription, while
/// alice's client gets every post in order and keeps receiving afterwards.
#[tokio::test]
async fn a_client_that_stops_reading_is_closed_1008_and_others_keep_receiving() {
    let (running, control) = start(|config| {
        config.limits.outbound_queue = bytesize::ByteSize::kib(64);
        config.timeouts.linger = Duration::from_millis(10);
    })
    .await;
    control.follow("bob", "carol").await.unwrap();
    let mut reader = open(&running, "demo-alice").await;
    connect(&mut reader, "homeTimeline", "home", json!({})).await;
    let mut stalled = open_stalled(&running, "demo-bob").await;
    // Every post reaches bob's client once per channel connection: its queue fills sooner.
    for id in 0..STALLED_CHANNELS {
        connect(
            &mut stalled,
            "homeTimeline",
            &format!("home-{id}"),
            json!({}),
        )
        .await;
    }
    assert_subscriptions(&control, 2).await;
    let padding = "x".repeat(240);
    let mut posted = 0;
    // Posts until bob's pool deletes its subscription: its only client is gone.
    while posted < MAX_POSTS {
        // A small batch (see POST_BATCH), then alice reads it.
        for n in posted..posted + POST_BATCH {
            control
                .create_post("carol", &format!("{n} {padding}"), None)
                .await
                .unwrap();
        }
        for n in posted..posted + POST_BATCH {
            let note = next_channel_event(&mut reader, "note", |_| true).await;
            assert_eq!(post_number(&note), n, "alice gets every post in order");
        }
        posted += POST_BATCH;
        if calls_to(&control.counts().await, "DELETE", "}") > 0 {
            break;
        }
    }
    assert!(posted < MAX_POSTS, "the stalled client was never dropped");
    eprintln!("posts until bob's client was dropped: {posted} ({STALLED_CHANNELS} frames each)");
    // bob's client now reads: a prefix of the posts in order, then the close.
    let mut received = std::collections::HashMap::<String, u64>::new();
    let mut received_bytes = 0;
    let close = loop {
        let message = tokio::time::timeout(WAIT, stalled.next())
            .await
            .expect("the stalled client's frames in time");
        match message {
            Some(Ok(Message::Text(text))) => {
                received_bytes += text.len();
                let frame: Value = serde_json::from_str(text.as_str()).unwrap();
                let id = frame["body"]["id"].as_str().unwrap().to_owned();
                let next = received.entry(id).or_default();
                assert_eq!(post_number(&frame["body"]), *next, "in order per channel");
                *next += 1;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(Message::Close(frame))) => break frame,
            other => panic!("expected frames then a close, got {other:?}"),
        }
    };
    let close = close.expect("a close frame");
    assert_eq!(u16::from(close.code), 1008);
    assert_eq!(close.reason.as_str(), "slow consumer");
    let received: u64 = received.values().sum();
    eprintln!("bob's client got {received} frames ({received_bytes} bytes) before the close");
    assert!(received > 0, "frames before the close");
    assert!(received < posted * STALLED_CHANNELS, "received {received}");
    control
        .create_post("carol", &format!("{posted} after"), None)
        .await
        .unwrap();
    let note = next_channel_event(&mut reader, "note", |_| true).await;
    assert_eq!(post_number(&note), posted, "alice keeps receiving");
}

/// `connected` is answered only once the upstream subscribe has returned: the subscription
/// exists at the sim the moment the client sees `connected` (no polling).
#[tokio::test]
async fn connected_is_answered_after_the_upstream_subscribe() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    assert_eq!(total_subscriptions(&control.counts().await), 1);
    // A second channel of another key, on the now open pnut connection.
    connect(&mut ws, "main", "main", json!({})).await;
    let counts = control.counts().await;
    assert!(total_subscriptions(&counts) > 1, "{counts:?}");
}

/// A subscribe the upstream refuses still gets its `connected` (Misskey answers every
/// connect): the answer waits for the subscribe to return, not to succeed.
#[tokio::test]
async fn connected_is_answered_when_the_upstream_subscribe_fails() {
    let (running, control) = start(|_| {}).await;
    control
        .force_failures(pnutkey::sim::gate::ForcedFailure {
            remaining: 5,
            status: 403,
            token: None,
            endpoint: Some("GET /v1/posts/streams/me".to_owned()),
        })
        .await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    let counts = control.counts().await;
    assert_eq!(total_subscriptions(&counts), 0, "{counts:?}");
    assert!(
        calls_to(&counts, "GET", "/posts/streams/me") >= 1,
        "the subscribe was tried: {counts:?}"
    );
}

/// The channel table decides how a channel presents an endpoint's items: with
/// `events = { "/posts/streams/me" = "mention" }` homeTimeline gets bob's post as `mention`
/// (then `notification`), not as `note`; and `main` without `renotes_of_mine` gets no
/// `renote` for a repost of alice's post.
#[tokio::test]
async fn the_channel_table_decides_how_an_endpoint_is_presented() {
    let (running, control) = start(|config| {
        let channels = &mut config.mapping.misskey_channels;
        let home = channels.get_mut("homeTimeline").unwrap();
        home.events.insert(
            "/posts/streams/me".to_owned(),
            pnutkey::mapping::EventKind::Mention,
        );
        channels.get_mut("main").unwrap().renotes_of_mine = false;
    })
    .await;
    let mine = control
        .create_post("alice", "alice's own", None)
        .await
        .unwrap();
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "main", "main", json!({})).await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    control.repost("bob", &mine.id).await.unwrap();
    control
        .create_post("bob", "hello alice", None)
        .await
        .unwrap();
    // The repost reaches home as a mention too (it is a post by bob); then bob's post.
    let mut kinds = Vec::new();
    loop {
        let frame = next_json(&mut ws).await;
        assert_eq!(frame["type"], "channel", "{frame}");
        let kind = frame["body"]["type"].as_str().unwrap().to_owned();
        assert_ne!(kind, "renote", "main must not get renotes: {frame}");
        assert_ne!(kind, "note", "home presents posts as mentions: {frame}");
        let done = kind == "mention" && frame["body"]["body"]["text"] == "hello alice";
        kinds.push((frame["body"]["id"].as_str().unwrap().to_owned(), kind));
        if done {
            break;
        }
    }
    assert!(
        kinds.iter().all(|(id, _)| id == "home"),
        "only home got frames: {kinds:?}"
    );
}
