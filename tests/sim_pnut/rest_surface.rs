//! A round trip over the simulated pnut's REST surface: multi-get, tags, threads, bookmarks,
//! reposts, follows, user posts, channels and files.

use reqwest::StatusCode;
use serde_json::json;

use super::support::{call, get, ids, start};

#[tokio::test]
async fn rest_surface_round_trip() {
    let sim = start().await;
    let put = reqwest::Method::PUT;
    let del = reqwest::Method::DELETE;
    // Multi-get: missing ids are skipped.
    let posts = get(&sim, "/v1/posts?ids=8,9,999999", "demo-alice").await;
    assert_eq!(ids(&posts), vec![8, 9]);
    let users = get(&sim, "/v1/users?ids=1,3", "demo-alice").await;
    assert_eq!(users.body["data"][1]["username"], "carol");
    // Tags, both spellings.
    for path in ["/v1/posts/tags/pnutkey", "/v1/posts/tag/PNUTKEY"] {
        let tagged = get(&sim, path, "demo-alice").await;
        assert_eq!(
            tagged.body["data"].as_array().map(Vec::len),
            Some(2),
            "{path}"
        );
    }
    // Thread of a reply holds the whole thread.
    let thread = get(&sim, "/v1/posts/10/thread", "demo-alice").await;
    assert_eq!(ids(&thread), vec![10, 9, 8]);
    // Bookmarks.
    let marked = call(
        &sim,
        put.clone(),
        "/v1/posts/11/bookmark",
        Some("demo-alice"),
        None,
    )
    .await;
    assert_eq!(marked.status, StatusCode::OK);
    assert_eq!(marked.body["data"]["you_bookmarked"], true);
    let list = get(&sim, "/v1/users/me/bookmarks", "demo-alice").await;
    assert_eq!(ids(&list), vec![11]);
    // Reposts: PUT → 201 original; DELETE → 200.
    let reposted = call(
        &sim,
        put.clone(),
        "/v1/posts/11/repost",
        Some("demo-bob"),
        None,
    )
    .await;
    assert_eq!(reposted.status, StatusCode::CREATED);
    assert_eq!(reposted.body["data"]["id"], "11");
    assert_eq!(reposted.body["data"]["you_reposted"], true);
    let bob_posts = get(&sim, "/v1/users/@bob/posts?count=1", "demo-bob").await;
    assert_eq!(bob_posts.body["data"][0]["repost_of"]["id"], "11");
    let unreposted = call(
        &sim,
        del.clone(),
        "/v1/posts/11/repost",
        Some("demo-bob"),
        None,
    )
    .await;
    assert_eq!(unreposted.status, StatusCode::OK);
    assert_eq!(unreposted.body["data"]["you_reposted"], false);
    // Follow through REST, seen in both lists.
    let followed = call(&sim, put, "/v1/users/@bob/follow", Some("demo-carol"), None).await;
    assert_eq!(followed.body["data"]["you_follow"], true);
    let followers = get(&sim, "/v1/users/@bob/followers", "demo-carol").await;
    let names: Vec<&str> = followers.body["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(names, vec!["carol", "alice"], "newest follow first");
    assert!(followers.body["data"][0]["pagination_id"].is_string());
    // Revise own post → 201; someone else's → 403.
    let body = Some(("application/json", json!({"text": "edited"}).to_string()));
    let revised = call(
        &sim,
        reqwest::Method::PUT,
        "/v1/posts/8",
        Some("demo-alice"),
        body.clone(),
    )
    .await;
    assert_eq!(revised.status, StatusCode::CREATED);
    assert_eq!(revised.body["data"]["is_revised"], true);
    let foreign = call(
        &sim,
        reqwest::Method::PUT,
        "/v1/posts/8",
        Some("demo-bob"),
        body,
    )
    .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    // Messages.
    let (pm, _) = sim
        .control()
        .channels()
        .await
        .into_iter()
        .next()
        .expect("pm");
    let body = Some(("application/json", json!({"text": "hi bob"}).to_string()));
    let sent = call(
        &sim,
        reqwest::Method::POST,
        &format!("/v1/channels/{pm}/messages"),
        Some("demo-alice"),
        body.clone(),
    )
    .await;
    assert_eq!(sent.status, StatusCode::CREATED);
    let message_id = sent.body["data"]["id"].as_str().expect("id").to_string();
    let fetched = get(
        &sim,
        &format!("/v1/channels/{pm}/messages/{message_id}"),
        "demo-bob",
    )
    .await;
    assert_eq!(fetched.body["data"]["content"]["text"], "hi bob");
    let outsider = call(
        &sim,
        reqwest::Method::POST,
        &format!("/v1/channels/{pm}/messages"),
        Some("demo-carol"),
        body,
    )
    .await;
    assert_eq!(outsider.status, StatusCode::FORBIDDEN);
    let subscribed = get(&sim, "/v1/users/me/channels/subscribed", "demo-bob").await;
    assert_eq!(subscribed.body["data"].as_array().map(Vec::len), Some(2));
    assert!(subscribed.body["meta"]["unread_counts"].is_object());
    // Files: multipart upload, lookup, deletion.
    let multipart = "--B0UND\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nio.pnut.core.file\r\n\
        --B0UND\r\nContent-Disposition: form-data; name=\"content\"; filename=\"cat.png\"\r\n\
        Content-Type: image/png\r\n\r\n0123456789\r\n--B0UND--\r\n";
    let uploaded = call(
        &sim,
        reqwest::Method::POST,
        "/v1/files",
        Some("demo-alice"),
        Some(("multipart/form-data; boundary=B0UND", multipart.to_string())),
    )
    .await;
    assert_eq!(uploaded.status, StatusCode::CREATED);
    assert_eq!(uploaded.body["data"]["name"], "cat.png");
    assert_eq!(uploaded.body["data"]["mime_type"], "image/png");
    assert_eq!(uploaded.body["data"]["size"], 10);
    let file_id = uploaded.body["data"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mine = get(&sim, "/v1/users/me/files", "demo-alice").await;
    assert_eq!(mine.body["data"][0]["id"], file_id.as_str());
    let hidden = get(&sim, &format!("/v1/files/{file_id}"), "demo-bob").await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let removed = call(
        &sim,
        del,
        &format!("/v1/files/{file_id}"),
        Some("demo-alice"),
        None,
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK);
    assert_eq!(removed.body["data"]["is_deleted"], true);
}
