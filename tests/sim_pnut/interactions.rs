//! The simulated pnut's actions, mutes, blocks, searches, profile edits and private messages
//! in pnut's envelope shapes.

use super::support::{call, get, start};
use reqwest::Method;
use serde_json::json;

fn put(path: &str) -> (Method, String) {
    (Method::PUT, path.to_owned())
}

#[tokio::test]
async fn actions_list_replies_reposts_bookmarks_and_follows_of_me() {
    let sim = start().await;
    let control = sim.control();
    let mine = control.create_post("alice", "mine", None).await.unwrap();
    let reply = control
        .create_post("bob", "a reply", Some(&mine.id))
        .await
        .unwrap();
    control.repost("carol", &mine.id).await.unwrap();
    let (method, path) = put(&format!("/v1/posts/{}/bookmark", mine.id));
    assert_eq!(
        call(&sim, method, &path, Some("demo-bob"), None)
            .await
            .status,
        200
    );
    let actions = get(&sim, "/v1/users/me/actions?count=4", "demo-alice").await;
    assert_eq!(actions.status, 200);
    let data = actions.body["data"].as_array().unwrap();
    let kinds: Vec<&str> = data.iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["bookmark", "repost", "reply", "reply"],
        "{}",
        actions.body
    );
    assert_eq!(data[0]["users"][0]["username"], "bob");
    assert_eq!(data[0]["objects"][0]["id"], mine.id);
    assert_eq!(data[1]["users"][0]["username"], "carol");
    assert_eq!(data[2]["objects"][0]["id"], reply.id);
    assert!(data[0]["event_date"].as_str().unwrap().ends_with('Z'));
    assert_eq!(actions.body["meta"]["more"], true);
    let rest = get(
        &sim,
        &format!(
            "/v1/users/me/actions?before_id={}",
            actions.body["meta"]["min_id"].as_str().unwrap()
        ),
        "demo-alice",
    )
    .await;
    let rest = rest.body["data"].as_array().unwrap().clone();
    assert!(rest.iter().any(|a| a["action"] == "follow"));
    assert_eq!(get(&sim, "/v1/users/me/actions", "").await.status, 401);
}

#[tokio::test]
async fn mutes_blocks_search_profile_and_private_messages() {
    let sim = start().await;
    let control = sim.control();
    let bob = control.user_id("bob").await.unwrap();
    for what in ["mute", "block"] {
        let (method, path) = put(&format!("/v1/users/{bob}/{what}"));
        let reply = call(&sim, method, &path, Some("demo-alice"), None).await;
        assert_eq!(reply.status, 200);
        let flag = if what == "mute" {
            "you_muted"
        } else {
            "you_blocked"
        };
        assert_eq!(reply.body["data"][flag], true);
        let list = if what == "mute" { "muted" } else { "blocked" };
        let listed = get(&sim, &format!("/v1/users/me/{list}"), "demo-alice").await;
        assert_eq!(listed.body["data"][0]["id"], bob);
        assert!(listed.body["data"][0]["pagination_id"].is_string());
        let path = format!("/v1/users/{bob}/{what}");
        call(&sim, Method::DELETE, &path, Some("demo-alice"), None).await;
        let listed = get(&sim, &format!("/v1/users/me/{list}"), "demo-alice").await;
        assert_eq!(listed.body["data"], json!([]));
    }
    let users = get(&sim, "/v1/users/search?q=CAR", "demo-alice").await;
    assert_eq!(users.body["data"][0]["username"], "carol");
    let posts = get(&sim, "/v1/posts/search?q=coffee", "demo-alice").await;
    assert!(!posts.body["data"].as_array().unwrap().is_empty());
    assert_eq!(
        get(&sim, "/v1/posts/search", "demo-alice").await.status,
        400
    );
    let renamed = call(
        &sim,
        Method::PATCH,
        "/v1/users/me",
        Some("demo-alice"),
        Some(("application/json", json!({"name": "Al"}).to_string())),
    )
    .await;
    assert_eq!(renamed.body["data"]["name"], "Al");
    let sent = call(
        &sim,
        Method::POST,
        "/v1/channels/pm/messages",
        Some("demo-alice"),
        Some((
            "application/json",
            json!({"text": "hi", "destinations": [bob]}).to_string(),
        )),
    )
    .await;
    assert_eq!(sent.status, 201);
    let channel = sent.body["data"]["channel_id"].as_str().unwrap().to_owned();
    let read = get(
        &sim,
        &format!("/v1/channels/{channel}/messages"),
        "demo-bob",
    )
    .await;
    assert_eq!(read.body["data"][0]["content"]["text"], "hi");
    let again = call(
        &sim,
        Method::POST,
        "/v1/channels/pm/messages",
        Some("demo-bob"),
        Some((
            "application/json",
            json!({"text": "yo", "destinations": ["@alice"]}).to_string(),
        )),
    )
    .await;
    assert_eq!(
        again.body["data"]["channel_id"], channel,
        "the same PM channel"
    );
}
