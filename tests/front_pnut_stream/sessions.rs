//! The hub as a per-token session: one token whose upstream REST calls stall delays no other
//! token and none of its own live connections; sessions end `timeouts.session_idle` after
//! their last tool connection, releasing their upstream stream.

use std::time::Duration;

use futures_util::StreamExt;
use pnutkey::config::Config;
use pnutkey::sim::misskey::SimMisskeyOptions;

use super::support::*;

/// More tool connections than a hub's command queue holds.
const MANY_CONNECTIONS: usize = 80;

/// alice's and carol's REST calls stall upstream; carol's hub is waiting for her user (`i`):
/// carol's hub still takes every command (more tool connections than its queue holds), bob
/// connects and subscribes, alice's live connection gets events, and the stalled subscribes
/// complete once the upstream answers again.
#[tokio::test]
async fn a_token_whose_upstream_calls_stall_delays_no_other_token() {
    let mut config = Config::default();
    // Longer than the test: the stalled calls must wait, not time out.
    config.upstream.misskey.request_timeout = Duration::from_secs(60);
    let env = start_with(config).await;
    let control = env.control();
    let (mut alice_live, _, _) = env
        .open_subscribed("demo-alice", "/v1/posts/streams/me")
        .await;
    wait_channels(&control, "alice", |s, c| s == 1 && c == 1).await;
    let (_alice_other, alice_other_id) = env.open("demo-alice").await;
    let (_carol_ws, carol_id) = env.open("demo-carol").await;
    control.stall_calls("demo-alice", true);
    control.stall_calls("demo-carol", true);

    let subscribe = |token: &'static str, path: &'static str, id: String| {
        let url = env.url(&format!("{path}?connection_id={id}"));
        tokio::spawn(async move {
            let response = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("request");
            response.status().as_u16()
        })
    };
    let alice_stalled = subscribe("demo-alice", "/v1/users/me/mentions", alice_other_id);
    let carol_stalled = subscribe("demo-carol", "/v1/posts/streams/me", carol_id);
    // carol's hub asked for her user and alice's first page was asked: both hang upstream.
    let held = |c: &pnutkey::sim::misskey::SimCounts| {
        c.held_calls.get("i") == Some(&1) && c.held_calls.get("notes/mentions") == Some(&1)
    };
    tokio::time::timeout(LIMIT, control.wait_for_counts(held))
        .await
        .expect("carol's i and alice's first page held upstream");
    // Each tool connection is a command to carol's hub, which keeps taking them.
    let mut carol_connections = Vec::new();
    for _ in 0..MANY_CONNECTIONS {
        carol_connections.push(env.open("demo-carol").await);
    }

    // bob connects (his token check is an upstream call) and subscribes meanwhile.
    let (mut bob_ws, _, _) = env
        .open_subscribed("demo-bob", "/v1/posts/streams/me")
        .await;
    assert!(!alice_stalled.is_finished() && !carol_stalled.is_finished());

    // Events reach alice's live connection and bob while alice's calls stall.
    control.post("carol", "while stalled").await.expect("post");
    assert_eq!(text_of(&next_json(&mut alice_live).await), "while stalled");
    control.post("alice", "bob sees this").await.expect("post");
    assert_eq!(text_of(&next_json(&mut bob_ws).await), "bob sees this");
    assert!(!alice_stalled.is_finished() && !carol_stalled.is_finished());

    control.stall_calls("demo-alice", false);
    control.stall_calls("demo-carol", false);
    for stalled in [alice_stalled, carol_stalled] {
        let status = tokio::time::timeout(LIMIT, stalled)
            .await
            .expect("answered once the upstream answers")
            .expect("task");
        assert_eq!(status, 200);
    }
}

/// How many distinct tokens open and close a session.
const SESSIONS: usize = 2000;
/// Sessions opened at once.
const CONCURRENCY: usize = 32;

/// 2,000 tokens each open a tool connection, subscribe and close: afterwards no hub session
/// and no upstream Misskey stream is left once `timeouts.session_idle` has passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_sessions_end_after_their_idle_time() {
    let mut config = Config::default();
    config.timeouts.session_idle = Duration::from_millis(200);
    config.ratelimit.misskey.upstream_per_second = 1_000_000;
    let env = start_with_sim(
        config,
        SimMisskeyOptions {
            extra_users: SESSIONS,
            rate_limit: None,
            ..SimMisskeyOptions::default()
        },
    )
    .await;
    let env = &env;
    futures_util::stream::iter(1..=SESSIONS)
        .for_each_concurrent(CONCURRENCY, |n| async move {
            let token = format!("demo-user{n}");
            let (mut ws, id) = env.open(&token).await;
            let (status, body) = env.subscribe(&token, "/v1/users/me/files", &id).await;
            assert_eq!(status, 200, "{token}: {body}");
            assert!(!env.ctx.hubs.is_empty(), "a live session");
            ws.close(None).await.expect("close");
            // The bridge answers the close: the socket has ended on its side.
            while let Some(Ok(_)) = ws.next().await {}
        })
        .await;
    let ended = env.ctx.hubs.wait_for_len(|n| n == 0);
    tokio::time::timeout(LIMIT, ended)
        .await
        .expect("every session ended after its idle time");
    let counts = tokio::time::timeout(LIMIT, env.control().wait_for_counts(|c| c.connections == 0))
        .await
        .expect("every upstream stream closed");
    assert_eq!(counts.connections, 0);
    assert_eq!(
        counts.calls.get("drive/files").copied(),
        Some(SESSIONS as u64),
        "every session subscribed"
    );
    let gauge = |name: &str| {
        let metrics = env.ctx.metrics.encode();
        metrics
            .lines()
            .find(|line| line.starts_with(&format!("{name}{{upstream=\"misskey\"}}")))
            .and_then(|line| line.rsplit(' ').next())
            .map(str::to_owned)
    };
    // The bridge side of each closed stream ends right after the upstream saw it close.
    let mut steps = 0;
    while gauge("pnutkey_upstream_connections").as_deref() != Some("0") && steps < 10_000 {
        tokio::task::yield_now().await;
        steps += 1;
    }
    assert_eq!(gauge("pnutkey_upstream_connections").as_deref(), Some("0"));
    assert_eq!(gauge("pnutkey_sessions").as_deref(), Some("0"));
    assert_eq!(env.ctx.hubs.len(), 0);
}

/// A session that ended after its idle time is gone for good: the token's next tool
/// connection starts a fresh hub, which reads the token's user again and delivers events.
#[tokio::test]
async fn a_client_after_the_idle_end_gets_a_fresh_hub() {
    let mut config = Config::default();
    config.timeouts.session_idle = Duration::from_millis(50);
    let env = start_with(config).await;
    let control = env.control();
    let (mut ws, _, _) = env
        .open_subscribed("demo-alice", "/v1/posts/streams/me")
        .await;
    assert_eq!(env.ctx.hubs.len(), 1);
    ws.close(None).await.expect("close");
    while let Some(Ok(_)) = ws.next().await {}
    tokio::time::timeout(LIMIT, env.ctx.hubs.wait_for_len(|n| n == 0))
        .await
        .expect("the session ended");
    let (mut ws, _, _) = env
        .open_subscribed("demo-alice", "/v1/posts/streams/me")
        .await;
    assert_eq!(env.ctx.hubs.len(), 1);
    // Each hub read the token's user once (the connections' token checks are cached).
    let calls = control.counts().await.calls;
    assert_eq!(calls.get("i"), Some(&3), "{calls:?}");
    control.post("bob", "to the fresh hub").await.expect("post");
    assert_eq!(text_of(&next_json(&mut ws).await), "to the fresh hub");
}
