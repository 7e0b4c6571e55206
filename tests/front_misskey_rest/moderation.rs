//! Muting, blocking, searching and profile edits through the bridge on the simulated pnut.

use std::time::Duration;

use super::support::{padded, start};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn mute_and_block_create_list_delete() {
    let bridge = start().await;
    let control = bridge.control();
    let bob = padded(&control.user_id("bob").await.unwrap());
    let carol = padded(&control.user_id("carol").await.unwrap());
    let muted = bridge
        .api("demo-alice", "mute/create", json!({"userId": bob}))
        .await;
    assert_eq!(muted.status, StatusCode::NO_CONTENT);
    let list = bridge.ok("demo-alice", "mute/list", json!({})).await;
    assert_eq!(list[0]["muteeId"], bob);
    assert_eq!(list[0]["mutee"]["username"], "bob");
    assert!(list[0]["expiresAt"].is_null());
    let relation = bridge
        .ok("demo-alice", "users/relation", json!({"userId": bob}))
        .await;
    assert_eq!(relation[0]["isMuted"], true);
    let unmuted = bridge
        .api("demo-alice", "mute/delete", json!({"userId": bob}))
        .await;
    assert_eq!(unmuted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        bridge.ok("demo-alice", "mute/list", json!({})).await,
        json!([])
    );

    let blocked = bridge
        .ok("demo-alice", "blocking/create", json!({"userId": carol}))
        .await;
    assert_eq!(blocked["username"], "carol");
    let list = bridge.ok("demo-alice", "blocking/list", json!({})).await;
    assert_eq!(list[0]["blockeeId"], carol);
    assert_eq!(list[0]["blockee"]["username"], "carol");
    let relation = bridge
        .ok(
            "demo-alice",
            "users/relation",
            json!({"userId": [carol.clone()]}),
        )
        .await;
    assert_eq!(relation[0]["isBlocking"], true);
    bridge
        .ok("demo-alice", "blocking/delete", json!({"userId": carol}))
        .await;
    assert_eq!(
        bridge.ok("demo-alice", "blocking/list", json!({})).await,
        json!([])
    );

    let nobody = bridge
        .api(
            "demo-alice",
            "mute/create",
            json!({"userId": "0000000099999999"}),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::BAD_REQUEST);
    assert_eq!(nobody.code(), "NO_SUCH_USER");
    bridge.running.stop(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn users_and_notes_search() {
    let bridge = start().await;
    let found = bridge
        .ok("demo-alice", "users/search", json!({"query": "car"}))
        .await;
    assert_eq!(found[0]["username"], "carol");
    assert!(found[0]["followersCount"].is_u64(), "detail by default");
    let lite = bridge
        .ok(
            "demo-alice",
            "users/search",
            json!({"query": "o", "detail": false, "limit": 1, "offset": 1}),
        )
        .await;
    assert_eq!(lite.as_array().unwrap().len(), 1);
    let notes = bridge
        .ok("demo-alice", "notes/search", json!({"query": "coffee"}))
        .await;
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["text"].as_str().unwrap().contains("Coffee"))
    );
    let meta = bridge.ok("demo-alice", "meta", json!({})).await;
    assert_eq!(meta["policies"]["canSearchNotes"], true);
    assert_eq!(meta["policies"]["canSearchUsers"], true);
    bridge.running.stop(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn i_update_renames_and_refuses_what_pnut_cannot_keep() {
    let bridge = start().await;
    let updated = bridge
        .ok("demo-alice", "i/update", json!({"name": "Alice Renamed"}))
        .await;
    assert_eq!(updated["name"], "Alice Renamed");
    let me = bridge.ok("demo-alice", "i", json!({})).await;
    assert_eq!(me["name"], "Alice Renamed");
    let calls = bridge.total_upstream_calls().await;
    let refused = bridge
        .api("demo-alice", "i/update", json!({"isLocked": true}))
        .await;
    assert_eq!(refused.code(), "INVALID_PARAM");
    assert_eq!(refused.body["error"]["info"]["param"], "isLocked");
    assert_eq!(
        bridge.total_upstream_calls().await,
        calls,
        "nothing went upstream"
    );
    bridge.running.stop(Duration::from_secs(2)).await;
}
