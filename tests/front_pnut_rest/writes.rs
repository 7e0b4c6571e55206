//! Writes: posts, reposts, bookmarks (or favorites), follows, checked on the simulated server.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::support::*;

#[tokio::test]
async fn create_post_json_and_form_then_delete() {
    let bridge = start().await;
    let body = json!({"text": "hello from pnut"}).to_string();
    let (status, _, created) = bridge
        .call(
            Method::POST,
            "/posts",
            Some("demo-alice"),
            Some(("application/json", body)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_post(&created["data"]);
    assert_eq!(created["data"]["content"]["text"], "hello from pnut");
    let parent = created["data"]["id"].as_str().expect("id").to_owned();
    let (status, upstream) = bridge
        .upstream_note("demo-alice", &Bridge::misskey_id(&parent))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(upstream["text"], "hello from pnut");

    let form = format!("text=a+form+reply&reply_to={parent}");
    let (status, _, reply) = bridge
        .call(
            Method::POST,
            "/posts",
            Some("demo-bob"),
            Some(("application/x-www-form-urlencoded", form)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(reply["data"]["reply_to"], json!(parent));
    let reply_id = reply["data"]["id"].as_str().expect("id").to_owned();
    let (_, upstream) = bridge
        .upstream_note("demo-bob", &Bridge::misskey_id(&reply_id))
        .await;
    assert_eq!(upstream["text"], "a form reply");
    assert_eq!(upstream["replyId"], json!(Bridge::misskey_id(&parent)));

    let (status, _, bad) = bridge
        .call(
            Method::POST,
            "/posts",
            Some("demo-alice"),
            Some(("application/json", "{not json".to_owned())),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    let (status, _, deleted) = bridge
        .call(
            Method::DELETE,
            &format!("/posts/{reply_id}"),
            Some("demo-bob"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["data"]["is_deleted"], true);
    let (status, _) = bridge
        .upstream_note("demo-bob", &Bridge::misskey_id(&reply_id))
        .await;
    assert_ne!(status, StatusCode::OK, "gone upstream");
}

#[tokio::test]
async fn repost_bookmark_and_follow() {
    let bridge = start().await;
    let control = bridge.control();
    let note = control.post("bob", "repost me").await.expect("note");
    let id = Bridge::pnut_id(note["id"].as_str().expect("id"));

    let (status, _, reposted) = bridge
        .call(
            Method::PUT,
            &format!("/posts/{id}/repost"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(reposted["data"]["id"], json!(id));
    assert_eq!(reposted["data"]["counts"]["reposts"], 1);
    let (status, _, unreposted) = bridge
        .call(
            Method::DELETE,
            &format!("/posts/{id}/repost"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unreposted["data"]["counts"]["reposts"], 0);

    let (status, _, bookmarked) = bridge
        .call(
            Method::PUT,
            &format!("/posts/{id}/bookmark"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bookmarked["data"]["you_bookmarked"], true);
    let (_, upstream) = bridge
        .upstream_note("demo-alice", note["id"].as_str().expect("id"))
        .await;
    assert_eq!(upstream["myReaction"], "⭐", "{upstream}");
    let (status, _, unbookmarked) = bridge
        .call(
            Method::DELETE,
            &format!("/posts/{id}/bookmark"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unbookmarked["data"]["you_bookmarked"], false);

    let bob = Bridge::pnut_id(&control.user_id("bob").await.expect("bob"));
    let alice = Bridge::pnut_id(&control.user_id("alice").await.expect("alice"));
    let follower_ids = |list: &Value| -> Vec<String> {
        list["data"]
            .as_array()
            .expect("list")
            .iter()
            .map(|u| u["id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let (_, followers) = bridge
        .get(&format!("/users/{bob}/followers"), "demo-alice")
        .await;
    assert!(follower_ids(&followers).contains(&alice), "{followers}");
    assert!(followers["meta"]["more"].is_boolean());
    let (status, _, unfollowed) = bridge
        .call(
            Method::DELETE,
            &format!("/users/{bob}/follow"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unfollowed["data"]["you_follow"], false);
    let (_, followers) = bridge
        .get(&format!("/users/{bob}/followers"), "demo-alice")
        .await;
    assert!(!follower_ids(&followers).contains(&alice), "{followers}");
    let (status, _, followed) = bridge
        .call(
            Method::PUT,
            &format!("/users/{bob}/follow"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(followed["data"]["you_follow"], true);
    let (_, following) = bridge.get("/users/me/following", "demo-alice").await;
    assert!(follower_ids(&following).contains(&bob), "{following}");
}

#[tokio::test]
async fn bookmark_as_favorite_when_configured() {
    let bridge = start_with(|config| {
        config.translate.bookmark_as = pnutkey::config::BookmarkAs::Favorite;
    })
    .await;
    let control = bridge.control();
    let note = control.post("bob", "favorite me").await.expect("note");
    let id = Bridge::pnut_id(note["id"].as_str().expect("id"));
    for method in [Method::PUT, Method::DELETE] {
        let (status, _, _) = bridge
            .call(
                method,
                &format!("/posts/{id}/bookmark"),
                Some("demo-alice"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let calls = control.counts().await.calls;
    assert_eq!(calls.get("notes/favorites/create"), Some(&1));
    assert_eq!(calls.get("notes/favorites/delete"), Some(&1));
    assert_eq!(calls.get("notes/reactions/create"), None);
}
