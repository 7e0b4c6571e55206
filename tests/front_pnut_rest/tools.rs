//! The REST a pnut tool calls (issue 15, "Build"): search, tags, lookups by ids, stats,
//! profile, drive files, logout, following an already followed user, and the `notes/create`
//! burst Misskey allows.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::support::*;

fn texts(page: &serde_json::Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["content"]["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn search_tags_and_lookups_by_ids() {
    let bridge = start().await;
    let control = bridge.control();
    let tagged = control
        .post("bob", "peanuts are great #pnutkey")
        .await
        .expect("note");
    control.post("carol", "nothing to see").await.expect("note");

    let (status, users) = bridge.get("/users/search?q=car", "demo-alice").await;
    assert_eq!(status, StatusCode::OK, "{users}");
    assert_eq!(users["data"][0]["username"], "carol", "{users}");
    assert_eq!(users["data"].as_array().map(Vec::len), Some(1));

    let (status, posts) = bridge.get("/posts/search?q=peanuts", "demo-alice").await;
    assert_eq!(status, StatusCode::OK, "{posts}");
    assert_eq!(texts(&posts), ["peanuts are great #pnutkey"]);

    let (status, posts) = bridge.get("/posts/tag/pnutkey", "demo-alice").await;
    assert_eq!(status, StatusCode::OK, "{posts}");
    assert_eq!(texts(&posts), ["peanuts are great #pnutkey"]);

    let post_id = Bridge::pnut_id(tagged["id"].as_str().expect("id"));
    let missing = Bridge::pnut_id(&control.user_id("bob").await.expect("bob"));
    let (status, posts) = bridge
        .get(&format!("/posts?ids={post_id},{missing}"), "demo-alice")
        .await;
    assert_eq!(status, StatusCode::OK, "{posts}");
    assert_eq!(texts(&posts), ["peanuts are great #pnutkey"]);

    let bob = Bridge::pnut_id(&control.user_id("bob").await.expect("bob"));
    let carol = Bridge::pnut_id(&control.user_id("carol").await.expect("carol"));
    let (status, users) = bridge
        .get(&format!("/users?ids={bob},{carol}"), "demo-alice")
        .await;
    assert_eq!(status, StatusCode::OK, "{users}");
    let mut names: Vec<&str> = users["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["bob", "carol"]);

    let (status, stats) = bridge.get("/sys/stats", "demo-alice").await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert!(stats["data"]["users"].as_u64() >= Some(3), "{stats}");
}

#[tokio::test]
async fn profile_files_logout_and_follow_answers() {
    let bridge = start().await;
    let control = bridge.control();
    let (status, _, me) = bridge
        .call(
            Method::PATCH,
            "/users/me",
            Some("demo-alice"),
            Some(("application/json", json!({"name": "Alice P."}).to_string())),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["data"]["name"], "Alice P.");

    let file = control
        .upload_file("alice", "doc.png", "image/png", 5)
        .await
        .expect("upload");
    let file_id = Bridge::pnut_id(file["id"].as_str().expect("id"));
    let (status, got) = bridge.get(&format!("/files/{file_id}"), "demo-alice").await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["data"]["name"], "doc.png");
    let (status, _, deleted) = bridge
        .call(
            Method::DELETE,
            &format!("/files/{file_id}"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["data"]["is_deleted"], true);
    let (status, _) = bridge.get(&format!("/files/{file_id}"), "demo-alice").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // alice already follows bob (seed): pnut answers the user, 200.
    let bob = Bridge::pnut_id(&control.user_id("bob").await.expect("bob"));
    let (status, _, user) = bridge
        .call(
            Method::PUT,
            &format!("/users/{bob}/follow"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["data"]["username"], "bob");
    assert_eq!(user["data"]["you_follow"], true);

    // Logout answers as pnut does and leaves the Misskey token working.
    let (status, _, token) = bridge
        .call(Method::DELETE, "/token", Some("demo-alice"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["data"]["user"]["username"], "alice");
    let (status, _) = bridge.get("/users/me", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_burst_of_posts_is_allowed_as_misskey_allows_it() {
    let bridge = start().await;
    for n in 0..12 {
        let (status, _, body) = bridge
            .call(
                Method::POST,
                "/posts",
                Some("demo-alice"),
                Some((
                    "application/json",
                    json!({"text": format!("burst {n}")}).to_string(),
                )),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "post {n}: {body}");
    }
}
