//! Slow consumers and the shared upstream token check.

use futures_util::StreamExt;
use pnutkey::config::Config;
use serde_json::Value;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

use super::support::*;

/// Most posts the slow-consumer test creates before giving up.
const MAX_POSTS: u64 = 10_000;
/// Posts created at once before the reading tool reads them: ~20 × 3 KB, under the stalled
/// tool's queue (256 KiB, 64 frames), so only a stall overflows it.
const POST_BATCH: u64 = 20;

/// bob's tool never reads while carol posts (bob and alice both follow her): its outbound
/// queue overflows, the bridge closes it with 1008 "slow consumer" and bob's hub lets go of
/// its upstream socket, while alice's tool gets every post in order and keeps receiving.
#[tokio::test]
async fn a_tool_that_stops_reading_is_closed_1008_and_others_keep_receiving() {
    let mut config = Config::default();
    config.limits.outbound_queue = bytesize::ByteSize::kib(256);
    let env = start_with(config).await;
    let control = env.control();
    let _ = control.follow("bob", "carol").await;
    let (mut reader, reader_id) = env.open("demo-alice").await;
    let (mut stalled, stalled_id) = open_stalled(&env, "demo-bob").await;
    for (token, id) in [("demo-alice", &reader_id), ("demo-bob", &stalled_id)] {
        let (status, _) = env.subscribe(token, "/v1/posts/streams/me", id).await;
        assert_eq!(status, 200);
    }
    for user in ["alice", "bob"] {
        wait_channels(&control, user, |s, c| s == 1 && c == 1).await;
    }
    let padding = "x".repeat(2900);
    let mut posted = 0;
    // Posts until bob's hub closes its upstream socket: bob's only tool connection is gone.
    while posted < MAX_POSTS {
        for n in posted..posted + POST_BATCH {
            control
                .post("carol", &format!("{n} {padding}"))
                .await
                .expect("post");
        }
        for n in posted..posted + POST_BATCH {
            let frame = next_json(&mut reader).await;
            assert_eq!(post_number(&frame), n, "alice gets every post in order");
        }
        posted += POST_BATCH;
        let counts = control.counts().await;
        if !counts
            .sockets
            .iter()
            .any(|s| s.username.as_deref() == Some("bob"))
        {
            break;
        }
    }
    assert!(posted < MAX_POSTS, "the stalled tool was never dropped");
    // bob's tool now reads: a prefix of the posts in order, then the close.
    let mut received = 0;
    let close = loop {
        let message = tokio::time::timeout(LIMIT, stalled.next())
            .await
            .expect("the stalled tool's frames in time");
        match message {
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(&text).expect("JSON");
                assert_eq!(post_number(&frame), received, "in order");
                received += 1;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(Message::Close(frame))) => break frame,
            other => panic!("expected frames then a close, got {other:?}"),
        }
    };
    eprintln!("posts until bob's tool was dropped: {posted}; it got {received} before the close");
    let close = close.expect("a close frame");
    assert_eq!(u16::from(close.code), 1008);
    assert_eq!(close.reason.as_str(), "slow consumer");
    assert!(
        received > 0 && received < posted,
        "received {received} of {posted}"
    );
    control
        .post("carol", &format!("{posted} after"))
        .await
        .expect("post");
    assert_eq!(
        post_number(&next_json(&mut reader).await),
        posted,
        "alice keeps receiving"
    );
}

/// A burst of tool connections of one token costs one upstream token check (`i`), not one per
/// connection; a refused token is checked (and refused) every time.
#[tokio::test]
async fn connections_of_an_accepted_token_share_one_upstream_token_check() {
    let env = start().await;
    let _connections = [
        env.open("demo-alice").await,
        env.open("demo-alice").await,
        env.open("demo-alice").await,
    ];
    let calls = env.control().counts().await.calls;
    assert_eq!(calls.get("i"), Some(&1), "{calls:?}");
    for _ in 0..2 {
        let url = format!("ws://{}/v1/user?access_token=not-a-token", env.addr);
        match connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 401);
            }
            other => panic!("expected HTTP 401, got {other:?}"),
        }
    }
    let calls = env.control().counts().await.calls;
    assert_eq!(calls.get("i"), Some(&3), "{calls:?}");
}
