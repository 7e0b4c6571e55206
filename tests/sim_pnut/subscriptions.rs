//! The simulated pnut's user streams: the hello frame, subscribing endpoints to a connection,
//! the per-connection cap, ownership checks and the delete endpoints.

use pnutkey::sim::pnut::SimPnutOptions;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::support::{
    assert_url_safe_32, await_close, call, connections_become, get, next_json, open, start,
    start_with, subscribe,
};

#[tokio::test]
async fn hello_and_subscribe_flow() {
    let sim = start().await;
    let url = format!("ws://{}/v1/user?access_token=demo-bob", sim.stream_addr());
    let mut ws = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade")
        .0;
    let hello = next_json(&mut ws).await;
    assert!(hello.get("data").is_none(), "{hello}");
    assert!(hello["meta"].get("code").is_none(), "{hello}");
    let endpoint = hello["meta"]["stream"]["endpoint"]
        .as_str()
        .expect("endpoint");
    assert_eq!(endpoint, format!("ws://{}/v1/user", sim.stream_addr()));
    let connection_id = hello["meta"]["connection_id"]
        .as_str()
        .expect("cid")
        .to_string();
    assert_url_safe_32(&connection_id);

    let reply = get(
        &sim,
        &format!("/v1/posts/streams/me?count=2&connection_id={connection_id}"),
        "demo-bob",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["meta"]["code"], 200);
    assert_eq!(reply.body["meta"]["more"], true);
    assert_eq!(reply.body["data"].as_array().map(Vec::len), Some(2));
    assert_url_safe_32(reply.body["meta"]["subscription_id"].as_str().expect("sid"));

    // The Authorization header works for the upgrade too.
    let mut request = format!("ws://{}/v1/user", sim.stream_addr())
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "Authorization",
        "Bearer demo-alice".parse().expect("header"),
    );
    let mut by_header = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrade")
        .0;
    let hello = next_json(&mut by_header).await;
    assert_ne!(
        hello["meta"]["connection_id"].as_str(),
        Some(connection_id.as_str())
    );

    // A bad token is refused at the upgrade with a 401 envelope.
    let refused = tokio_tungstenite::connect_async(format!(
        "ws://{}/v1/user?access_token=nope",
        sim.stream_addr()
    ))
    .await;
    match refused {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("expected an HTTP 401, got {other:?}"),
    }
    let plain = reqwest::get(format!(
        "http://{}/v1/user?access_token=nope",
        sim.stream_addr()
    ))
    .await
    .expect("plain get");
    assert_eq!(plain.status(), StatusCode::UNAUTHORIZED);
    let plain: Value = plain.json().await.expect("envelope");
    assert_eq!(plain["meta"]["code"], 401);
    assert!(plain.get("data").is_none());
    let counts = sim.control().counts().await;
    assert_eq!(counts.connections, 2);
    assert_eq!(counts.subscriptions.get(&connection_id), Some(&1));
}

#[tokio::test]
async fn one_frame_names_every_matching_subscription() {
    let sim = start().await;
    let control = sim.control();
    let (mut ws, cid) = open(&sim, "demo-bob").await;
    let me = subscribe(&sim, "/v1/posts/streams/me", "demo-bob", &cid).await;
    let unified = subscribe(&sim, "/v1/posts/streams/unified", "demo-bob", &cid).await;
    let global_files = subscribe(&sim, "/v1/users/me/files", "demo-bob", &cid).await;
    let first = control
        .create_post("alice", "first", None)
        .await
        .expect("post");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["id"], first.id.as_str());
    let mut ids: Vec<&str> = frame["meta"]["subscription_ids"]
        .as_array()
        .expect("subscription_ids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    ids.sort_unstable();
    let mut expected = vec![me.as_str(), unified.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    assert!(!ids.contains(&global_files.as_str()));
    // The next frame is the next event: the first one was sent once, not once per subscription.
    let second = control
        .create_post("alice", "second", None)
        .await
        .expect("post");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["id"], second.id.as_str());
}

#[tokio::test]
async fn seventeenth_subscription_is_refused_and_changes_nothing() {
    let sim = start().await;
    let control = sim.control();
    let (mut ws, cid) = open(&sim, "demo-alice").await;
    let mut sids = Vec::new();
    for _ in 0..16 {
        sids.push(subscribe(&sim, "/v1/users/me/posts", "demo-alice", &cid).await);
    }
    sids.sort();
    sids.dedup();
    assert_eq!(sids.len(), 16, "duplicates get distinct ids");
    let refused = get(
        &sim,
        &format!("/v1/users/me/posts?connection_id={cid}"),
        "demo-alice",
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body,
        json!({"meta": {"code": 400, "error_message":
            format!("connection {cid} already has the maximum of 16 subscriptions")}})
    );
    assert_eq!(control.counts().await.subscriptions.get(&cid), Some(&16));
    control
        .create_post("alice", "still flowing", None)
        .await
        .expect("post");
    let frame = next_json(&mut ws).await;
    assert_eq!(
        frame["meta"]["subscription_ids"].as_array().map(Vec::len),
        Some(16)
    );
}

#[tokio::test]
async fn max_subscriptions_is_configurable() {
    let sim = start_with(SimPnutOptions {
        max_subscriptions: 1,
        ..Default::default()
    })
    .await;
    let (_ws, cid) = open(&sim, "demo-alice").await;
    subscribe(&sim, "/v1/token", "demo-alice", &cid).await;
    let refused = get(
        &sim,
        &format!("/v1/token?connection_id={cid}"),
        "demo-alice",
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body["meta"]["error_message"],
        format!("connection {cid} already has the maximum of 1 subscriptions")
    );
}

#[tokio::test]
async fn wrong_owner_is_403_and_unknown_connection_is_400() {
    let sim = start().await;
    let (_ws, cid) = open(&sim, "demo-alice").await;
    let foreign = get(
        &sim,
        &format!("/v1/posts/streams/me?connection_id={cid}"),
        "demo-bob",
    )
    .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert_eq!(foreign.body["meta"]["code"], 403);
    assert!(foreign.body.get("data").is_none());
    let unknown = get(
        &sim,
        "/v1/posts/streams/me?connection_id=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "demo-bob",
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.body["meta"]["code"], 400);
    let counts = sim.control().counts().await;
    assert_eq!(counts.subscriptions.get(&cid), Some(&0));
}

#[tokio::test]
async fn subscriptions_die_with_their_connection() {
    let sim = start().await;
    let control = sim.control();
    let (mut ws, cid) = open(&sim, "demo-carol").await;
    subscribe(&sim, "/v1/posts/streams/unified", "demo-carol", &cid).await;
    subscribe(&sim, "/v1/users/me/followers", "demo-carol", &cid).await;
    assert_eq!(control.counts().await.subscriptions.get(&cid), Some(&2));
    ws.close(None).await.expect("close");
    connections_become(&control, 0).await;
    let dead = get(
        &sim,
        &format!("/v1/posts/streams/unified?connection_id={cid}"),
        "demo-carol",
    )
    .await;
    assert_eq!(dead.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn delete_endpoints() {
    let sim = start().await;
    let control = sim.control();
    let (mut ws, cid) = open(&sim, "demo-alice").await;
    let sid = subscribe(&sim, "/v1/token", "demo-alice", &cid).await;
    let path = format!("/v1/users/me/streams/{cid}/{sid}");
    let gone = call(
        &sim,
        reqwest::Method::DELETE,
        &path,
        Some("demo-alice"),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(control.counts().await.subscriptions.get(&cid), Some(&0));
    let again = call(
        &sim,
        reqwest::Method::DELETE,
        &path,
        Some("demo-alice"),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.body["meta"]["code"], 404);

    let stream_path = format!("/v1/users/me/streams/{cid}");
    let foreign = call(
        &sim,
        reqwest::Method::DELETE,
        &stream_path,
        Some("demo-bob"),
        None,
    )
    .await;
    assert_eq!(
        foreign.status,
        StatusCode::NOT_FOUND,
        "another user's stream is not found"
    );
    let deleted = call(
        &sim,
        reqwest::Method::DELETE,
        &stream_path,
        Some("demo-alice"),
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(await_close(&mut ws).await, Some(1001));
    let again = call(
        &sim,
        reqwest::Method::DELETE,
        &stream_path,
        Some("demo-alice"),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}
