//! What each channel delivers and how: timelines as notes on the channel id, `withRenotes`,
//! the polled local timeline, channel messages, and the channel table's presentation.

use std::time::Duration;

use pnutkey::config::Config;
use serde_json::json;

use crate::common::ws::next_json;

use super::support::{
    assert_subscriptions, connect, next_channel_event, open, start, until_counts,
};

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
