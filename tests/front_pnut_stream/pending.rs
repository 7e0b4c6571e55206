//! A subscribe whose first page fails upstream is never silent (issue 14, pnut front): the
//! subscription stays, the page is retried with backoff and arrives as a frame, and
//! `pnutkey_subscriptions_pending{front="pnut"}` shows it while it waits.

use std::time::Duration;

use pnutkey::config::Config;

use super::support::*;

fn pending_gauge(env: &Env) -> Option<f64> {
    env.ctx
        .metrics
        .encode()
        .lines()
        .find(|line| line.starts_with("pnutkey_subscriptions_pending{front=\"pnut\"}"))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn a_failed_first_page_is_retried_and_arrives_as_a_frame() {
    let mut config = Config::default();
    config.timeouts.reconnect_backoff_min = Duration::from_millis(20);
    config.ratelimit.get_retries = 0;
    let env = start_with(config).await;
    let control = env.control();
    control.post("bob", "already there").await.expect("post");
    let (mut ws, cid) = env.open("demo-alice").await;
    control
        .force_failures(1, 500, Some("demo-alice"), Some("notes/timeline"))
        .await;
    let (status, body) = env
        .subscribe("demo-alice", "/v1/posts/streams/me", &cid)
        .await;
    assert_eq!(
        status, 200,
        "never an error the tool cannot recover from: {body}"
    );
    let sid = body["meta"]["subscription_id"]
        .as_str()
        .expect("sid")
        .to_owned();
    assert_eq!(body["data"], serde_json::json!([]), "{body}");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["subscription_ids"], serde_json::json!([sid]));
    let texts: Vec<&str> = frame["data"]
        .as_array()
        .expect("the first page as a list")
        .iter()
        .filter_map(|p| p["content"]["text"].as_str())
        .collect();
    assert!(texts.contains(&"already there"), "{frame}");
    assert_eq!(pending_gauge(&env), Some(0.0));
    // The subscription is live.
    control.post("bob", "live").await.expect("post");
    assert_eq!(text_of(&next_json(&mut ws).await), "live");
}

#[tokio::test]
async fn the_pending_gauge_counts_a_subscription_waiting_for_its_page() {
    let mut config = Config::default();
    // Long enough that the calls are held (next statement after the answer) before the retry.
    config.timeouts.reconnect_backoff_min = Duration::from_secs(1);
    config.ratelimit.get_retries = 0;
    let env = start_with(config).await;
    let control = env.control();
    let (mut ws, cid) = env.open("demo-alice").await;
    control
        .force_failures(1, 500, Some("demo-alice"), Some("notes/mentions"))
        .await;
    let (status, _) = env
        .subscribe("demo-alice", "/v1/users/me/mentions", &cid)
        .await;
    assert_eq!(status, 200);
    // Hold the token's calls: the retry waits upstream, the subscription stays pending.
    control.stall_calls("demo-alice", true);
    tokio::time::timeout(
        LIMIT,
        control.wait_for_counts(|c| c.held_calls.get("notes/mentions") == Some(&1)),
    )
    .await
    .expect("the retry reached the upstream");
    assert_eq!(pending_gauge(&env), Some(1.0));
    control.stall_calls("demo-alice", false);
    let frame = next_json(&mut ws).await;
    assert!(frame["data"].is_array(), "{frame}");
    assert_eq!(pending_gauge(&env), Some(0.0));
}

#[tokio::test]
async fn an_ignored_channel_join_is_retried_and_counted_pending() {
    let mut config = Config::default();
    // The first retry 1 s after the ignored connect, the next 2 s later: the test reads the
    // gauge in between.
    config.timeouts.reconnect_backoff_min = Duration::from_secs(1);
    let env = start_with(config).await;
    let control = env.control();
    let (mut ws, cid) = env.open("demo-alice").await;
    control.ignore_connects(2).await;
    let subscribe = {
        let url = env.url(&format!("/v1/posts/streams/me?connection_id={cid}"));
        let http = env.http.clone();
        tokio::spawn(async move {
            http.get(url)
                .bearer_auth("demo-alice")
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    // Both the connect and its first retry were ignored upstream.
    tokio::time::timeout(
        LIMIT,
        control.wait_for_counts(|c| c.connects_to_ignore == 0),
    )
    .await
    .expect("two connects reached the upstream");
    assert_eq!(pending_gauge(&env), Some(1.0));
    let status = tokio::time::timeout(LIMIT, subscribe)
        .await
        .expect("subscribe answers")
        .expect("task")
        .expect("request");
    assert_eq!(status, 200);
    wait_channels(&control, "alice", |s, c| s == 1 && c == 1).await;
    assert_eq!(pending_gauge(&env), Some(0.0));
    control.post("bob", "joined at last").await.expect("post");
    assert_eq!(text_of(&next_json(&mut ws).await), "joined at last");
}
