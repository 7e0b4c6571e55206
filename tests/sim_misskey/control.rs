//! Observing and driving the simulated Misskey from outside: the control handle's counts and
//! captures, and the activity generator.

use std::time::Duration;

use pnutkey::sim::misskey::SimMisskeyOptions;
use serde_json::{Value, json};

use super::support::{join, next_json, open, send, start, start_with};

#[tokio::test]
async fn control_counts_channel_connections_and_captures() {
    let sim = start().await;
    let mut alice = open(&sim, "demo-alice").await;
    let mut anonymous = tokio_tungstenite::connect_async(format!("ws://{}/streaming", sim.addr()))
        .await
        .unwrap()
        .0;
    join(&mut alice, "main", "1", None).await;
    join(&mut alice, "homeTimeline", "2", None).await;
    join(
        &mut alice,
        "localTimeline",
        "3",
        Some(json!({"withReplies": true})),
    )
    .await;
    send(
        &mut alice,
        json!({"type": "connect", "body": {"channel": "main", "id": "4", "pong": true}}),
    )
    .await;
    send(
        &mut alice,
        json!({"type": "sr", "body": {"id": "aaaaaaaaaaaaaaaa"}}),
    )
    .await;
    join(&mut alice, "drive", "5", None).await;
    send(
        &mut anonymous,
        json!({"type": "connect", "body": {"channel": "main", "id": "m", "pong": true}}),
    )
    .await;
    join(&mut anonymous, "globalTimeline", "g", None).await;
    let counts = sim.control().counts().await;
    assert_eq!(counts.connections, 2);
    let alice_counts = counts
        .sockets
        .iter()
        .find(|s| s.username.as_deref() == Some("alice"))
        .unwrap();
    assert_eq!(alice_counts.channel_connections, 4);
    assert_eq!(alice_counts.captured_notes, 1);
    let anonymous_counts = counts
        .sockets
        .iter()
        .find(|s| s.username.is_none())
        .unwrap();
    assert_eq!(anonymous_counts.channels, vec!["globalTimeline"]);
    let http_counts: Value = reqwest::get(format!("{}/_sim/counts", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(http_counts["connections"], 2);
    drop(alice);
    drop(anonymous);
}

#[tokio::test]
async fn activity_generator_produces_live_notes() {
    let sim = start_with(SimMisskeyOptions {
        rate_limit: None,
        activity_interval: Some(Duration::from_millis(10)),
        ..Default::default()
    })
    .await;
    let mut ws = tokio_tungstenite::connect_async(format!("ws://{}/streaming", sim.addr()))
        .await
        .unwrap()
        .0;
    join(&mut ws, "globalTimeline", "g", None).await;
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["body"]["type"], "note");
    assert!(frame["body"]["body"]["id"].as_str().unwrap().len() == 16);
}
