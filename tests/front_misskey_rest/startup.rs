//! What apps call at start-up and in use (real-servers.md §2), through the bridge on the
//! simulated pnut: each endpoint's mapping, or its correct empty answer.

use std::time::Duration;

use super::support::{padded, start, start_with};
use pnutkey::config::BookmarkAs;
use pnutkey::front::misskey::rest::ENDPOINTS;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The web client's / Miria's / Aria's start-up sequence, call by call: every answer 200
/// with the shape Misskey gives.
#[tokio::test]
async fn the_app_start_up_sequence_answers() {
    let bridge = start().await;
    let token = "demo-alice";
    let meta = bridge.ok(token, "meta", json!({"detail": true})).await;
    assert!(meta["version"].is_string());
    let me = bridge.ok(token, "i", json!({})).await;
    assert_eq!(me["username"], "alice");
    assert_eq!(
        bridge.ok(token, "emojis", json!({})).await,
        json!({"emojis": []})
    );
    let endpoints = bridge.ok(token, "endpoints", json!({})).await;
    let mut names: Vec<&str> = ENDPOINTS.iter().map(|e| e.name).collect();
    names.sort_unstable();
    assert_eq!(endpoints, json!(names), "exactly the dispatch table");
    assert!(names.contains(&"emojis"), "Miria checks for emojis");
    for endpoint in [
        "announcements",
        "get-avatar-decorations",
        "pinned-users",
        "antennas/list",
        "users/lists/list",
        "clips/list",
        "channels/my-favorites",
        "renote-mute/list",
        "following/requests/list",
        "drive/folders",
        "hashtags/trend",
        "notes/featured",
        "users/featured-notes",
    ] {
        assert_eq!(
            bridge.ok(token, endpoint, json!({})).await,
            json!([]),
            "{endpoint}"
        );
    }
    let followed = bridge.ok(token, "channels/followed", json!({})).await;
    assert_eq!(followed[0]["name"], "pnutkey lounge", "{followed}");
    let grouped = bridge
        .ok(token, "i/notifications-grouped", json!({"limit": 5}))
        .await;
    assert!(grouped.is_array());
    let timeline = bridge
        .ok(token, "notes/timeline", json!({"limit": 10}))
        .await;
    let notes = timeline.as_array().unwrap();
    assert!(!notes.is_empty() && notes.len() <= 10, "{timeline}");
    let pong = bridge.ok(token, "ping", json!({})).await;
    assert!(pong["pong"].as_i64().unwrap() > 1_700_000_000_000);
    let info = bridge.ok(token, "server-info", json!({})).await;
    assert_eq!(info["cpu"]["cores"], 0);
    let stats = bridge.ok(token, "stats", json!({})).await;
    assert_eq!(stats["notesCount"], 0);
    let online = bridge.ok(token, "get-online-users-count", json!({})).await;
    assert_eq!(online, json!({"count": 0}));
    // The caller's own lists need a token, as on Misskey.
    for endpoint in [
        "antennas/list",
        "clips/list",
        "drive/folders",
        "channels/followed",
    ] {
        let anonymous = bridge.raw(endpoint, b"{}".to_vec(), None).await;
        assert_eq!(anonymous.code(), "CREDENTIAL_REQUIRED", "{endpoint}");
    }
    bridge.running.stop(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn channels_are_pnut_chat_channels() {
    let bridge = start().await;
    let control = bridge.control();
    let channels = control.channels().await;
    let (chat, _) = channels
        .iter()
        .find(|(_, kind)| kind == "io.pnut.core.chat")
        .unwrap();
    let (pm, _) = channels
        .iter()
        .find(|(_, kind)| kind == "io.pnut.core.pm")
        .unwrap();
    let followed = bridge.ok("demo-bob", "channels/followed", json!({})).await;
    let followed = followed.as_array().unwrap();
    assert_eq!(
        followed.len(),
        1,
        "the PM is no Misskey-channel: {followed:?}"
    );
    assert_eq!(followed[0]["id"], padded(chat));
    assert_eq!(followed[0]["isFollowing"], true);
    let shown = bridge
        .ok(
            "demo-bob",
            "channels/show",
            json!({"channelId": padded(chat)}),
        )
        .await;
    assert_eq!(shown["name"], "pnutkey lounge");
    let message = control
        .send_message("bob", chat, "hi lounge")
        .await
        .unwrap();
    let notes = bridge
        .ok(
            "demo-bob",
            "channels/timeline",
            json!({"channelId": padded(chat)}),
        )
        .await;
    assert_eq!(notes[0]["id"], padded(&message.id));
    assert_eq!(notes[0]["text"], "hi lounge");
    assert_eq!(notes[0]["channelId"], padded(chat));
    for id in [padded(pm), "0000000099999999".to_owned()] {
        let missing = bridge
            .api("demo-bob", "channels/show", json!({"channelId": id}))
            .await;
        assert_eq!(missing.status, StatusCode::BAD_REQUEST);
        assert_eq!(missing.code(), "NO_SUCH_CHANNEL", "{}", missing.body);
    }
    bridge.running.stop(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn drive_files_show_delete_and_usage() {
    let bridge = start().await;
    let file = bridge
        .control()
        .upload_file("alice", "pic.png")
        .await
        .unwrap();
    let shown = bridge
        .ok(
            "demo-alice",
            "drive/files/show",
            json!({"fileId": padded(&file.id)}),
        )
        .await;
    assert_eq!(shown["name"], "pic.png");
    let renamed = bridge
        .ok(
            "demo-alice",
            "drive/files/update",
            json!({"fileId": padded(&file.id), "name": "cat.png"}),
        )
        .await;
    assert_eq!(renamed["name"], "cat.png");
    let shown = bridge
        .ok(
            "demo-alice",
            "drive/files/show",
            json!({"fileId": padded(&file.id)}),
        )
        .await;
    assert_eq!(shown["name"], "cat.png");
    let refused = bridge
        .api(
            "demo-alice",
            "drive/files/update",
            json!({"fileId": padded(&file.id), "isSensitive": true}),
        )
        .await;
    assert_eq!(refused.body["error"]["info"]["param"], "isSensitive");
    let usage = bridge.ok("demo-alice", "drive", json!({})).await;
    assert!(
        usage["capacity"].is_u64() && usage["usage"].is_u64(),
        "{usage}"
    );
    let deleted = bridge
        .api(
            "demo-alice",
            "drive/files/delete",
            json!({"fileId": padded(&file.id)}),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let files = bridge.ok("demo-alice", "drive/files", json!({})).await;
    assert!(
        files
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["id"] != padded(&file.id))
    );
    let gone = bridge
        .api(
            "demo-alice",
            "drive/files/show",
            json!({"fileId": padded(&file.id)}),
        )
        .await;
    assert_eq!(gone.code(), "NO_SUCH_FILE", "{}", gone.body);
    bridge.running.stop(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn followers_following_and_relations() {
    let bridge = start().await;
    let control = bridge.control();
    let alice = padded(&control.user_id("alice").await.unwrap());
    let bob = padded(&control.user_id("bob").await.unwrap());
    let followers = bridge
        .ok("demo-bob", "users/followers", json!({"userId": alice}))
        .await;
    let names: Vec<&str> = followers
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["follower"]["username"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"bob") && names.contains(&"carol"),
        "{names:?}"
    );
    assert!(
        followers
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["followeeId"] == alice)
    );
    let following = bridge
        .ok("demo-bob", "users/following", json!({"username": "alice"}))
        .await;
    assert!(
        following
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["followerId"] == alice && f["followee"]["username"].is_string())
    );
    let relation = bridge
        .ok("demo-alice", "users/relation", json!({"userId": bob}))
        .await;
    assert_eq!(relation[0]["id"], bob);
    assert_eq!(relation[0]["isFollowing"], true);
    assert_eq!(relation[0]["isFollowed"], true);
    control.unfollow("alice", "bob").await.unwrap();
    let relation = bridge
        .ok(
            "demo-alice",
            "users/relation",
            json!({"userId": [bob.clone()]}),
        )
        .await;
    assert_eq!(relation[0]["isFollowing"], false);
    bridge.running.stop(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn note_state_partial_bulk_tags_replies_and_unrenote() {
    let bridge = start().await;
    let control = bridge.control();
    let post = control
        .create_post("bob", "tagged #bridgetest", None)
        .await
        .unwrap();
    let reply = control
        .create_post("carol", "a reply", Some(&post.id))
        .await
        .unwrap();
    let note_id = padded(&post.id);
    let state = bridge
        .ok("demo-alice", "notes/state", json!({"noteId": note_id}))
        .await;
    assert_eq!(state, json!({"isFavorited": false, "isMutedThread": false}));
    let reacted = bridge
        .api(
            "demo-alice",
            "notes/reactions/create",
            json!({"noteId": note_id, "reaction": "👍"}),
        )
        .await;
    assert_eq!(reacted.status, StatusCode::NO_CONTENT);
    let bulk = bridge
        .ok(
            "demo-alice",
            "notes/show-partial-bulk",
            json!({"noteIds": [note_id, "0000000099999999"]}),
        )
        .await;
    assert_eq!(
        bulk,
        json!([{"id": note_id, "reactions": {"⭐": 1}, "reactionEmojis": {}}])
    );
    let tagged = bridge
        .ok(
            "demo-alice",
            "notes/search-by-tag",
            json!({"tag": "bridgetest"}),
        )
        .await;
    assert_eq!(tagged[0]["id"], note_id);
    let by_query = bridge
        .ok(
            "demo-alice",
            "notes/search-by-tag",
            json!({"query": [["bridgetest"]]}),
        )
        .await;
    assert_eq!(by_query[0]["id"], note_id);
    let replies = bridge
        .ok("demo-alice", "notes/replies", json!({"noteId": note_id}))
        .await;
    assert_eq!(replies[0]["id"], padded(&reply.id));
    let renote = bridge
        .ok("demo-alice", "notes/create", json!({"renoteId": note_id}))
        .await;
    assert_eq!(renote["createdNote"]["renoteId"], note_id);
    let unrenoted = bridge
        .api("demo-alice", "notes/unrenote", json!({"noteId": note_id}))
        .await;
    assert_eq!(unrenoted.status, StatusCode::NO_CONTENT);
    let after = bridge.upstream_post("demo-alice", &post.id).await;
    assert_eq!(after["data"]["counts"]["reposts"], 0);
    bridge.running.stop(Duration::from_secs(2)).await;
}

/// `[translate] bookmark_as = "favorite"`: favorites are the bookmark, reactions may not
/// touch it; with the default, the other way round.
#[tokio::test]
async fn favorites_and_reactions_never_share_a_bookmark() {
    let bridge = start_with(|config| config.translate.bookmark_as = BookmarkAs::Favorite).await;
    let post = bridge
        .control()
        .create_post("bob", "keep me", None)
        .await
        .unwrap();
    let note_id = padded(&post.id);
    let refused = bridge
        .api(
            "demo-alice",
            "notes/reactions/create",
            json!({"noteId": note_id, "reaction": "⭐"}),
        )
        .await;
    assert_eq!(refused.code(), "INVALID_PARAM");
    let favorited = bridge
        .api(
            "demo-alice",
            "notes/favorites/create",
            json!({"noteId": note_id}),
        )
        .await;
    assert_eq!(favorited.status, StatusCode::NO_CONTENT);
    let state = bridge
        .ok("demo-alice", "notes/state", json!({"noteId": note_id}))
        .await;
    assert_eq!(state["isFavorited"], true);
    let favorites = bridge.ok("demo-alice", "i/favorites", json!({})).await;
    assert_eq!(favorites[0]["noteId"], note_id);
    assert_eq!(favorites[0]["note"]["text"], "keep me");
    let reactions = bridge
        .get("notes/reactions", &format!("noteId={note_id}"))
        .await;
    assert_eq!(reactions.body, json!([]), "bookmarks are no reactions here");
    let removed = bridge
        .api(
            "demo-alice",
            "notes/favorites/delete",
            json!({"noteId": note_id}),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        bridge.ok("demo-alice", "i/favorites", json!({})).await,
        json!([])
    );
    bridge.running.stop(Duration::from_secs(2)).await;

    let default = start().await;
    let refused = default
        .api(
            "demo-alice",
            "notes/favorites/create",
            json!({"noteId": note_id}),
        )
        .await;
    assert_eq!(refused.code(), "INVALID_PARAM");
    assert_eq!(
        default.ok("demo-alice", "i/favorites", json!({})).await,
        Value::Array(vec![])
    );
    default.running.stop(Duration::from_secs(2)).await;
}
