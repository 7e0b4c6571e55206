//! The client socket: the token at the upgrade, bad and oversized frames, `connect` limits,
//! reused and unknown channel ids, and pings.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

use crate::common::ws::next_json;

use super::support::{
    WAIT, assert_subscriptions, connect, next_channel_event, open, send, start, total_subscriptions,
};

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
