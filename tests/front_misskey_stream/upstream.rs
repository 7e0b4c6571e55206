//! The pnut side of the streaming front: clients of one token share one pnut subscription and
//! token check, keys spread over pnut connections up to the limits, the linger, resubscribing
//! after a dropped connection, and `connected` answered after the upstream subscribe.

use std::time::Duration;

use serde_json::json;
use tokio_tungstenite::connect_async;

use super::support::{
    WAIT, assert_subscriptions, calls_to, connect, next_channel_event, open, start,
    total_subscriptions, until_counts,
};

/// Issue 6: 50 clients of one token on homeTimeline share exactly one pnut subscription.
#[tokio::test]
async fn fifty_clients_of_one_token_share_one_pnut_subscription() {
    const CLIENTS: usize = 50;
    let (running, control) = start(|_| {}).await;
    let mut sockets = Vec::new();
    for n in 0..CLIENTS {
        let mut ws = open(&running, "demo-alice").await;
        connect(&mut ws, "homeTimeline", &format!("h{n}"), json!({})).await;
        sockets.push(ws);
    }
    assert_subscriptions(&control, 1).await;
    control
        .create_post("bob", "to all fifty", None)
        .await
        .unwrap();
    for (n, ws) in sockets.iter_mut().enumerate() {
        let event = next_channel_event(ws, "note", |_| true).await;
        assert_eq!(event["id"], format!("h{n}"));
        assert_eq!(event["body"]["text"], "to all fifty");
    }
    assert_eq!(sockets.len(), CLIENTS);
    let counts = control.counts().await;
    assert_eq!(counts.connections, 1);
    assert_eq!(total_subscriptions(&counts), 1);
}

#[tokio::test]
async fn seventeen_distinct_keys_open_a_second_pnut_connection() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    for n in 0..16 {
        connect(
            &mut ws,
            "channel",
            &format!("c{n}"),
            json!({"channelId": format!("{}", 1000 + n)}),
        )
        .await;
    }
    control.wait_for_connections(1).await;
    connect(&mut ws, "channel", "c16", json!({"channelId": "2000"})).await;
    tokio::time::timeout(WAIT, control.wait_for_connections(2))
        .await
        .expect("no second pnut connection");
}

#[tokio::test]
async fn last_client_leaving_deletes_the_subscription_after_the_linger() {
    let (running, control) = start(|config| {
        config.timeouts.linger = Duration::from_millis(100);
    })
    .await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    assert_subscriptions(&control, 1).await;
    ws.close(None).await.unwrap();
    let counts = until_counts(&control, |c| total_subscriptions(c) == 0).await;
    let deletes: u64 = counts
        .calls
        .iter()
        .filter(|(route, _)| route.starts_with("DELETE") && route.contains("{subscription_id}"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(deletes, 1, "calls: {:?}", counts.calls);
}

#[tokio::test]
async fn a_dropped_pnut_connection_is_resubscribed_with_a_deduplicated_backfill() {
    let (running, control) = start(|config| {
        config.timeouts.reconnect_backoff_min = Duration::from_millis(200);
        config.timeouts.reconnect_backoff_max = Duration::from_millis(400);
    })
    .await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    assert_subscriptions(&control, 1).await;
    control
        .create_post("bob", "before the drop", None)
        .await
        .unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(event["body"]["text"], "before the drop");
    assert_eq!(control.drop_streams().await, 1);
    // No subscription exists now: this post can only arrive through the re-subscribe page.
    control
        .create_post("carol", "during the drop", None)
        .await
        .unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(event["body"]["text"], "during the drop");
    until_counts(&control, |c| total_subscriptions(c) == 1).await;
    control
        .create_post("bob", "after the drop", None)
        .await
        .unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(
        event["body"]["text"], "after the drop",
        "backfill re-sent a delivered post"
    );
}

#[tokio::test]
async fn keys_past_max_connections_per_token_are_refused_and_existing_ones_keep_working() {
    let (running, control) = start(|config| {
        config.limits.max_subscriptions_per_connection = 1;
        config.limits.max_connections_per_token = 1;
    })
    .await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    connect(&mut ws, "main", "main", json!({})).await;
    let counts = assert_subscriptions(&control, 1).await;
    assert_eq!(counts.connections, 1);
    control
        .create_post("bob", "home still works", None)
        .await
        .unwrap();
    let event = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(event["id"], "home");
    let counts = control.counts().await;
    assert_eq!((counts.connections, total_subscriptions(&counts)), (1, 1));
}

/// The token check (`GET /users/me` upstream) happens once per token, not once per socket,
/// while the token's pool lives; a refused token is still refused every time.
#[tokio::test]
async fn sockets_of_a_verified_token_share_one_upstream_token_check() {
    let (running, control) = start(|_| {}).await;
    let _sockets = [
        open(&running, "demo-alice").await,
        open(&running, "demo-alice").await,
        open(&running, "demo-alice").await,
    ];
    let _bob = open(&running, "demo-bob").await;
    let calls = control.counts().await.calls;
    assert_eq!(calls.get("GET /v1/users/{user}"), Some(&2), "{calls:?}");
    for _ in 0..2 {
        let refused = connect_async(format!("ws://{}/streaming?i=not-a-token", running.addr)).await;
        match refused {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 401);
            }
            other => panic!("expected HTTP 401, got {other:?}"),
        }
    }
}

/// `connected` is answered only once the upstream subscribe has returned: the subscription
/// exists at the sim the moment the client sees `connected` (no polling).
#[tokio::test]
async fn connected_is_answered_after_the_upstream_subscribe() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    assert_eq!(total_subscriptions(&control.counts().await), 1);
    // A second channel of another key, on the now open pnut connection.
    connect(&mut ws, "main", "main", json!({})).await;
    let counts = control.counts().await;
    assert!(total_subscriptions(&counts) > 1, "{counts:?}");
}

/// A subscribe the upstream refuses still gets its `connected` (Misskey answers every
/// connect): the answer waits for the subscribe to return, not to succeed.
#[tokio::test]
async fn connected_is_answered_when_the_upstream_subscribe_fails() {
    let (running, control) = start(|_| {}).await;
    control
        .force_failures(pnutkey::sim::gate::ForcedFailure {
            remaining: 5,
            status: 403,
            token: None,
            endpoint: Some("GET /v1/posts/streams/me".to_owned()),
        })
        .await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    let counts = control.counts().await;
    assert_eq!(total_subscriptions(&counts), 0, "{counts:?}");
    assert!(
        calls_to(&counts, "GET", "/posts/streams/me") >= 1,
        "the subscribe was tried: {counts:?}"
    );
}
