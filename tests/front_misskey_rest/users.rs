//! Account, user, following, notification, drive and server endpoints.

use super::support::{padded, start};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn i_by_body_and_bearer_meta_and_emojis() {
    let bridge = start().await;
    let me = bridge.api("demo-alice", "i", json!({})).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["username"], "alice");
    let alice_id = bridge.control().user_id("alice").await.unwrap();
    assert_eq!(me.body["id"], padded(&alice_id));

    let bearer = bridge.raw("i", b"{}".to_vec(), Some("demo-bob")).await;
    assert_eq!(bearer.status, StatusCode::OK);
    assert_eq!(bearer.body["username"], "bob");
    assert_eq!(
        bearer.headers["cache-control"],
        "private, max-age=0, must-revalidate"
    );

    let before = bridge.total_upstream_calls().await;
    let meta = bridge.raw("meta", Vec::new(), None).await;
    assert_eq!(meta.status, StatusCode::OK);
    // A Misskey release (apps detect features by it), not pnutkey's own version.
    assert_eq!(meta.body["version"], "2025.11.1");
    assert_eq!(meta.body["name"], "pnutkey");
    assert_eq!(
        meta.body["uri"],
        format!("http://{}", bridge.running.addr),
        "the bound address, not port 0"
    );
    let emojis = bridge.api("demo-alice", "emojis", json!({})).await;
    assert_eq!(emojis.status, StatusCode::OK);
    assert_eq!(emojis.body, json!({"emojis": []}));
    assert_eq!(
        bridge.total_upstream_calls().await,
        before,
        "no upstream call"
    );
}

#[tokio::test]
async fn following_and_users_show() {
    let bridge = start().await;
    let bob_id = padded(&bridge.control().user_id("bob").await.unwrap());
    let by_id = bridge
        .api("demo-alice", "users/show", json!({"userId": bob_id}))
        .await;
    assert_eq!(by_id.status, StatusCode::OK);
    assert_eq!(by_id.body["username"], "bob");
    let by_name = bridge
        .api("demo-alice", "users/show", json!({"username": "bob"}))
        .await;
    assert_eq!(by_name.body["id"], bob_id);

    for body in [
        json!({"username": "nobody_here"}),
        json!({"userId": "987654321"}),
    ] {
        let missing = bridge.api("demo-alice", "users/show", body).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.code(), "NO_SUCH_USER");
    }

    let alice_id = padded(&bridge.control().user_id("alice").await.unwrap());
    let many = bridge
        .api(
            "demo-alice",
            "users/show",
            json!({"userIds": [alice_id, bob_id, "987654321"]}),
        )
        .await;
    let names: Vec<&str> = many
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["username"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "unknown ids are left out: {names:?}");
    assert!(names.contains(&"alice") && names.contains(&"bob"));

    let unfollowed = bridge
        .api("demo-alice", "following/delete", json!({"userId": bob_id}))
        .await;
    assert_eq!(unfollowed.status, StatusCode::OK);
    assert_eq!(unfollowed.body["username"], "bob");
    let shown = bridge
        .api("demo-alice", "users/show", json!({"userId": bob_id}))
        .await;
    assert_eq!(shown.body["isFollowing"], false);

    let followed = bridge
        .api("demo-alice", "following/create", json!({"userId": bob_id}))
        .await;
    assert_eq!(followed.status, StatusCode::OK);
    let shown = bridge
        .api("demo-alice", "users/show", json!({"userId": bob_id}))
        .await;
    assert_eq!(shown.body["isFollowing"], true);

    let nobody = bridge
        .api(
            "demo-alice",
            "following/create",
            json!({"userId": "987654321"}),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::BAD_REQUEST);
    assert_eq!(nobody.code(), "NO_SUCH_USER");

    bridge
        .control()
        .create_post("bob", "bob's own words", None)
        .await
        .unwrap();
    let notes = bridge
        .api(
            "demo-alice",
            "users/notes",
            json!({"userId": bob_id, "limit": 1}),
        )
        .await;
    assert_eq!(notes.body[0]["text"], "bob's own words");
}

#[tokio::test]
async fn notifications_and_drive_files() {
    let bridge = start().await;
    let control = bridge.control();
    let mention = control
        .create_post("bob", "hello @alice", None)
        .await
        .unwrap();
    let notifications = bridge.api("demo-alice", "i/notifications", json!({})).await;
    assert_eq!(notifications.status, StatusCode::OK);
    let items = notifications.body.as_array().unwrap();
    let found = items
        .iter()
        .find(|n| n["type"] == "mention")
        .expect("a mention notification");
    assert_eq!(found["note"]["id"], padded(&mention.id));
    assert_eq!(found["note"]["text"], "hello @alice");

    let _already_following = control.follow("carol", "alice").await;
    let only_follows = bridge
        .api(
            "demo-alice",
            "i/notifications",
            json!({"includeTypes": ["follow"]}),
        )
        .await;
    let follows = only_follows.body.as_array().unwrap();
    assert!(follows.iter().all(|n| n["type"] == "follow"));
    assert!(
        follows.iter().any(|n| n["user"]["username"] == "carol"),
        "{follows:?}"
    );
    let without_mentions = bridge
        .api(
            "demo-alice",
            "i/notifications",
            json!({"excludeTypes": ["mention"]}),
        )
        .await;
    let rest = without_mentions.body.as_array().unwrap();
    assert!(!rest.is_empty() && rest.iter().all(|n| n["type"] != "mention"));

    let file = control.upload_file("alice", "pic.png").await.unwrap();
    let files = bridge.api("demo-alice", "drive/files", json!({})).await;
    assert_eq!(files.status, StatusCode::OK);
    let first = &files.body[0];
    assert_eq!(first["id"], padded(&file.id));
    assert_eq!(first["name"], "pic.png");
}
