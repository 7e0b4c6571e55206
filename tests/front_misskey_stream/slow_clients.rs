//! Clients that do not keep up: an overflowing outbound queue closes the socket with 1008,
//! and the other clients keep receiving.

use std::time::Duration;

use futures_util::StreamExt;
use pnutkey::app::Running;
use serde_json::{Value, json};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::Message;

use crate::common::ws::Ws;

use super::support::{
    WAIT, assert_subscriptions, calls_to, connect, next_channel_event, open, send, start,
};

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
