//! `subNote`/`unsubNote`: `noteUpdated` when a post is deleted or revised, and the thread
//! subscription for a post no subscription of the token carries.

use std::time::Duration;

use pnutkey::config::Config;
use serde_json::json;

use crate::common::ws::{Ws, next_json};

use super::support::{
    assert_subscriptions, calls_to, connect, next_channel_event, open, send, start,
    total_subscriptions, until_counts,
};

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
