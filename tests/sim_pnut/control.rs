//! Driving the simulated pnut from outside: the `/_sim` control HTTP routes and the activity
//! generator.

use std::time::Duration;

use futures_util::StreamExt;
use pnutkey::sim::pnut::SimPnutOptions;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::support::{WAIT, get, next_json, open, start, start_with, subscribe};

#[tokio::test]
async fn control_http_drives_the_world() {
    let sim = start().await;
    let (mut ws, cid) = open(&sim, "demo-alice").await;
    let files = subscribe(&sim, "/v1/users/me/files", "demo-alice", &cid).await;
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{}/_sim/posts", sim.base_url()))
        .json(&json!({"user": "carol", "text": "via http"}))
        .send()
        .await
        .expect("control")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("post id");
    let fetched = get(&sim, &format!("/v1/posts/{id}"), "demo-alice").await;
    assert_eq!(fetched.body["data"]["content"]["text"], "via http");
    let unknown = client
        .post(format!("{}/_sim/posts", sim.base_url()))
        .json(&json!({"user": "mallory", "text": "x"}))
        .send()
        .await
        .expect("control");
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);

    let file: Value = client
        .post(format!("{}/_sim/files", sim.base_url()))
        .json(&json!({"user": "alice", "name": "a.png"}))
        .send()
        .await
        .expect("control")
        .json()
        .await
        .expect("json");
    let file_id = file["id"].as_str().expect("file id").to_string();
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["subscription_ids"], json!([files]));
    let deleted = client
        .post(format!("{}/_sim/files/{file_id}/delete", sim.base_url()))
        .json(&json!({"user": "alice"}))
        .send()
        .await
        .expect("control");
    assert_eq!(deleted.status(), StatusCode::OK);
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["id"], file_id.as_str());
    assert_eq!(frame["meta"]["is_deleted"], true);
    let counts: Value = client
        .get(format!("{}/_sim/counts", sim.base_url()))
        .send()
        .await
        .expect("control")
        .json()
        .await
        .expect("json");
    assert_eq!(counts["connections"], 1);
    assert_eq!(counts["subscriptions"][&cid], 1);
}

#[tokio::test]
async fn activity_generator_produces_live_events() {
    let sim = start_with(SimPnutOptions {
        activity_interval: Some(Duration::from_millis(10)),
        seed: 3,
        ..Default::default()
    })
    .await;
    let (mut ws, cid) = open(&sim, "demo-alice").await;
    subscribe(&sim, "/v1/posts/streams/unified", "demo-alice", &cid).await;
    subscribe(&sim, "/v1/users/me/channels/subscribed", "demo-alice", &cid).await;
    subscribe(&sim, "/v1/users/me/followers", "demo-alice", &cid).await;
    let frame = next_json(&mut ws).await;
    assert!(frame["meta"]["subscription_ids"].is_array(), "{frame}");
    assert!(frame.get("data").is_some(), "{frame}");
    sim.shutdown().await;
    // Frames already in flight may precede the end of the stream.
    tokio::time::timeout(WAIT, async {
        while let Some(Ok(message)) = ws.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await
    .expect("the stream ends after shutdown");
}
