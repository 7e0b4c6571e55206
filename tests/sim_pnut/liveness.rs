//! How the simulated pnut ends user streams: keep-alive and silence, stalled streams, and a
//! slow consumer whose queue fills.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pnutkey::sim::pnut::SimPnutOptions;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::support::{
    WAIT, await_close, connections_become, next_json, open, start, start_with, subscribe,
};

#[tokio::test]
async fn silent_client_is_closed_and_text_is_keep_alive() {
    let sim = start_with(SimPnutOptions {
        stream_silence_timeout: Duration::from_millis(200),
        ..Default::default()
    })
    .await;
    let (mut ws, _cid) = open(&sim, "demo-alice").await;
    ws.send(Message::Text(".".into())).await.expect("send");
    let pong = next_json(&mut ws).await;
    assert!(pong.get("data").is_none(), "{pong}");
    assert!(pong["meta"].get("subscription_ids").is_none(), "{pong}");
    assert!(pong["meta"].get("connection_id").is_none(), "{pong}");
    ws.send(Message::Ping(vec![1, 2].into()))
        .await
        .expect("ping");
    // The ping is answered with a pong; then silence closes the stream.
    let mut saw_pong = false;
    let code = loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("in time")
        {
            Some(Ok(Message::Pong(payload))) => {
                assert_eq!(payload.as_ref(), &[1, 2]);
                saw_pong = true;
            }
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(other)) => panic!("unexpected {other:?}"),
            Some(Err(_)) | None => break None,
        }
    };
    assert!(saw_pong, "websocket ping answered");
    assert_eq!(code, Some(1000));
    connections_become(&sim.control(), 0).await;
}

#[tokio::test]
async fn stalled_streams_send_nothing_and_drop_closes_them() {
    let sim = start().await;
    let control = sim.control();
    let (mut ws, cid) = open(&sim, "demo-bob").await;
    subscribe(&sim, "/v1/posts/streams/me", "demo-bob", &cid).await;
    control.stall_streams(true);
    control
        .create_post("alice", "held back", None)
        .await
        .expect("post");
    assert_eq!(
        control.counts().await.connections,
        1,
        "a stalled socket stays open"
    );
    let reply = reqwest::Client::new()
        .post(format!("{}/_sim/streams/drop", sim.base_url()))
        .send()
        .await
        .expect("control");
    let body: Value = reply.json().await.expect("json");
    assert_eq!(body["dropped"], 1);
    // await_close panics on any text frame: the stalled post frame was never sent.
    assert_eq!(await_close(&mut ws).await, Some(1001));
    assert_eq!(control.counts().await.connections, 0);
}

#[tokio::test]
async fn a_full_queue_closes_the_slow_connection() {
    let sim = start_with(SimPnutOptions {
        stream_queue_capacity: 1,
        ..Default::default()
    })
    .await;
    let control = sim.control();
    let (mut slow, slow_id) = open(&sim, "demo-bob").await;
    subscribe(&sim, "/v1/posts/streams/me", "demo-bob", &slow_id).await;
    control.stall_streams(true);
    for n in 0..3 {
        control
            .create_post("alice", &format!("burst {n}"), None)
            .await
            .expect("post");
    }
    assert_eq!(
        control.counts().await.connections,
        0,
        "closed when its queue filled"
    );
    assert_eq!(await_close(&mut slow).await, Some(1008), "slow consumer");
}
