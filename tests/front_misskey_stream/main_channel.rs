//! The `main` channel as a real Misskey 2025.11.1 sends it (real-servers.md §1): uploads as
//! `driveFileCreated`, notifications followed by `unreadNotification`, `readNotification`
//! (and `i/notifications`) clearing the token's unread state with `readAllNotifications`,
//! `ch` messages accepted; mentions, follows and renotes of the token's posts.

use super::support::{assert_subscriptions, connect, next_channel_event, open, send, start};
use crate::common::ws::next_json;
use serde_json::{Value, json};

/// The next `channel` frame on connection `id`.
async fn next_on(ws: &mut crate::common::ws::Ws, id: &str) -> Value {
    loop {
        let frame = next_json(ws).await;
        if frame["type"] == "channel" && frame["body"]["id"] == id {
            return frame["body"].clone();
        }
    }
}

#[tokio::test]
async fn an_upload_is_drive_file_created_on_main_and_file_created_on_drive() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "main", "m", json!({})).await;
    connect(&mut ws, "drive", "d", json!({})).await;
    let file = control.upload_file("alice", "cat.png").await.unwrap();
    // One frame per connection, in either order.
    let (first, second) = (next_json(&mut ws).await, next_json(&mut ws).await);
    let mut frames = [first["body"].clone(), second["body"].clone()];
    frames.sort_by_key(|frame| frame["id"].as_str().map(str::to_owned));
    let [on_drive, on_main] = frames;
    assert_eq!(on_main["id"], "m");
    assert_eq!(on_main["type"], "driveFileCreated", "{on_main}");
    assert_eq!(on_main["body"]["name"], "cat.png");
    assert_eq!(on_drive["id"], "d");
    assert_eq!(on_drive["type"], "fileCreated", "{on_drive}");
    assert_eq!(on_drive["body"]["name"], "cat.png");
    // A deletion is a `drive` event only: the next frames are the deletion on `drive`, then
    // the next upload on both.
    control.delete_file("alice", &file.id).await.unwrap();
    let deleted = next_json(&mut ws).await;
    assert_eq!(deleted["body"]["id"], "d", "{deleted}");
    assert_eq!(deleted["body"]["type"], "fileDeleted");
    control.upload_file("alice", "dog.png").await.unwrap();
    let on_main = next_on(&mut ws, "m").await;
    assert_eq!(on_main["type"], "driveFileCreated", "{on_main}");
    assert_eq!(on_main["body"]["name"], "dog.png");
}

/// mention → `mention`, `notification`, `unreadNotification`; `readNotification` →
/// `readAllNotifications` once (nothing when nothing is unread); `i/notifications` marks
/// read as well.
#[tokio::test]
async fn read_notification_clears_the_unread_state() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "main", "m", json!({})).await;
    // Nothing unread yet: no answer to this one.
    send(&mut ws, json!({"type": "readNotification", "body": {}})).await;
    control
        .create_post("bob", "@alice look", None)
        .await
        .unwrap();
    let mut kinds = Vec::new();
    while kinds.last().map(String::as_str) != Some("unreadNotification") {
        let event = next_on(&mut ws, "m").await;
        kinds.push(event["type"].as_str().unwrap().to_owned());
        if event["type"] == "unreadNotification" {
            assert_eq!(event["body"]["type"], "mention");
        }
    }
    assert_eq!(kinds, ["mention", "notification", "unreadNotification"]);
    send(&mut ws, json!({"type": "readNotification", "body": {}})).await;
    send(&mut ws, json!({"type": "readNotification", "body": {}})).await;
    let read = next_on(&mut ws, "m").await;
    assert_eq!(
        read,
        json!({"id": "m", "type": "readAllNotifications", "body": null})
    );
    // The second readNotification sent nothing: the next frame is the next mention's.
    control
        .create_post("carol", "@alice again", None)
        .await
        .unwrap();
    let next = next_on(&mut ws, "m").await;
    assert_eq!(next["type"], "mention", "{next}");
    next_channel_event(&mut ws, "unreadNotification", |_| true).await;
    // `i/notifications` (markAsRead defaults to true) reads them too.
    let response = reqwest::Client::new()
        .post(format!("http://{}/api/i/notifications", running.addr))
        .json(&json!({"i": "demo-alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let read = next_on(&mut ws, "m").await;
    assert_eq!(read["type"], "readAllNotifications");
}

/// `ch` / `channel` messages are Misskey input (passed to a connection's `onMessage`; none of
/// the bridged channels has one): accepted and dropped, not counted as bad input.
#[tokio::test]
async fn channel_messages_are_accepted() {
    let (running, _control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "main", "m", json!({})).await;
    for kind in ["ch", "channel"] {
        send(
            &mut ws,
            json!({"type": kind, "body": {"id": "m", "type": "read", "body": {"id": "1"}}}),
        )
        .await;
    }
    send(
        &mut ws,
        json!({"type": "ch", "body": {"id": "nobody", "type": "x", "body": null}}),
    )
    .await;
    // Frames are handled in order: once this connect is answered, the `ch`s were handled.
    connect(&mut ws, "homeTimeline", "h", json!({})).await;
    let metrics = reqwest::get(format!("http://{}/metrics", running.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !metrics.lines().any(
            |line| line.starts_with("pnutkey_bad_input_total{front=\"misskey\"}")
                && !line.ends_with(" 0")
        ),
        "{metrics}"
    );
}

/// A reply to my note is `reply` on `main` (with `notification {reply}`), the parent's author
/// looked up when the pool has not seen it; a reply to someone else's note that mentions me
/// is a mention only.
#[tokio::test]
async fn a_reply_to_my_note_is_reply_on_main() {
    let (running, control) = start(|_| {}).await;
    let mine = control
        .create_post("alice", "alice asks", None)
        .await
        .unwrap();
    let carols = control
        .create_post("carol", "carol asks", None)
        .await
        .unwrap();
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "main", "m", json!({})).await;
    control
        .create_post("bob", "@alice answer to you", Some(&mine.id))
        .await
        .unwrap();
    let mut kinds = Vec::new();
    let mut notification = Value::Null;
    while kinds.last().map(String::as_str) != Some("unreadNotification") {
        let event = next_on(&mut ws, "m").await;
        if event["type"] == "notification" {
            notification = event["body"].clone();
        }
        kinds.push(event["type"].as_str().unwrap().to_owned());
    }
    kinds.sort();
    assert_eq!(
        kinds,
        ["mention", "notification", "reply", "unreadNotification"]
    );
    assert_eq!(notification["type"], "reply");
    assert_eq!(notification["note"]["text"], "@alice answer to you");
    control
        .create_post("bob", "@alice see carol", Some(&carols.id))
        .await
        .unwrap();
    let mut kinds = Vec::new();
    while kinds.last().map(String::as_str) != Some("unreadNotification") {
        let event = next_on(&mut ws, "m").await;
        if event["type"] == "notification" {
            assert_eq!(event["body"]["type"], "mention");
        }
        kinds.push(event["type"].as_str().unwrap().to_owned());
    }
    assert_eq!(kinds, ["mention", "notification", "unreadNotification"]);
}

/// A self-reply is `reply` on the author's `main` too (real-servers.md §1: Misskey sends it
/// even when the parent is the replier's own note), with no notification: seen on the
/// home timeline's subscription, both with a parent the pool saw and one it looks up.
#[tokio::test]
async fn a_self_reply_is_reply_on_main() {
    let (running, control) = start(|_| {}).await;
    let old = control
        .create_post("alice", "alice before the socket", None)
        .await
        .unwrap();
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "main", "m", json!({})).await;
    connect(&mut ws, "homeTimeline", "h", json!({})).await;
    let mine = control
        .create_post("alice", "alice thinks", None)
        .await
        .unwrap();
    let note = next_channel_event(&mut ws, "note", |body| {
        body["body"]["text"] == "alice thinks"
    })
    .await;
    control
        .create_post("alice", "and more", Some(&mine.id))
        .await
        .unwrap();
    let on_main = next_on(&mut ws, "m").await;
    assert_eq!(on_main["type"], "reply", "{on_main}");
    assert_eq!(on_main["body"]["text"], "and more");
    assert_eq!(on_main["body"]["replyId"], note["body"]["id"]);
    // A parent the pool never saw is looked up.
    control
        .create_post("alice", "late addendum", Some(&old.id))
        .await
        .unwrap();
    let on_main = next_on(&mut ws, "m").await;
    assert_eq!(on_main["type"], "reply", "{on_main}");
    assert_eq!(on_main["body"]["text"], "late addendum");
    // No notification came with them: the next `main` event is bob's mention.
    control
        .create_post("bob", "@alice hello", None)
        .await
        .unwrap();
    let on_main = next_on(&mut ws, "m").await;
    assert_eq!(on_main["type"], "mention", "{on_main}");
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
