//! Note endpoints: timelines and pagination, show, create/renote/delete, reactions, threads.

use super::support::{ids, padded, start};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn timeline_pages_both_directions_and_checks_limit() {
    let bridge = start().await;
    let control = bridge.control();
    let mut created = Vec::new();
    for n in 0..5 {
        let post = control
            .create_post("alice", &format!("page test {n}"), None)
            .await
            .unwrap();
        created.push(padded(&post.id));
    }
    let newest = bridge
        .api("demo-alice", "notes/timeline", json!({"limit": 3}))
        .await;
    assert_eq!(newest.status, StatusCode::OK);
    assert_eq!(
        ids(&newest),
        vec![
            created[4].as_str(),
            created[3].as_str(),
            created[2].as_str()
        ]
    );
    assert_eq!(newest.body[0]["text"], "page test 4");

    let older = bridge
        .api(
            "demo-alice",
            "notes/timeline",
            json!({"limit": 2, "untilId": created[4]}),
        )
        .await;
    assert_eq!(ids(&older), vec![created[3].as_str(), created[2].as_str()]);

    let since = bridge
        .api(
            "demo-alice",
            "notes/timeline",
            json!({"limit": 2, "sinceId": created[0]}),
        )
        .await;
    assert_eq!(
        ids(&since),
        vec![created[1].as_str(), created[2].as_str()],
        "oldest first"
    );

    let both = bridge
        .api(
            "demo-alice",
            "notes/timeline",
            json!({"sinceId": created[0], "untilId": created[4]}),
        )
        .await;
    assert_eq!(
        ids(&both),
        vec![
            created[3].as_str(),
            created[2].as_str(),
            created[1].as_str()
        ]
    );

    let default = bridge
        .api("demo-alice", "notes/global-timeline", json!({}))
        .await;
    assert_eq!(default.status, StatusCode::OK);
    let count = default.body.as_array().unwrap().len();
    assert!((5..=10).contains(&count), "default limit 10, got {count}");

    for limit in [0, 101] {
        let bad = bridge
            .api("demo-alice", "notes/timeline", json!({"limit": limit}))
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.code(), "INVALID_PARAM");
    }
    let hundred = bridge
        .api("demo-alice", "notes/hybrid-timeline", json!({"limit": 100}))
        .await;
    assert_eq!(hundred.status, StatusCode::OK);
}

#[tokio::test]
async fn timeline_with_renotes_and_with_files() {
    let bridge = start().await;
    let photo = bridge
        .upstream_create(
            "demo-bob",
            json!({"text": "look", "raw": {"io.pnut.core.oembed": [{
                "type": "photo", "version": "1.0", "url": "https://example.test/cat.png",
                "width": 10, "height": 10,
            }]}}),
        )
        .await;
    let original = bridge
        .control()
        .create_post("carol", "repost me", None)
        .await
        .unwrap();
    let repost = bridge.control().repost("bob", &original.id).await.unwrap();

    let all = bridge
        .api("demo-alice", "notes/timeline", json!({"limit": 2}))
        .await;
    assert_eq!(all.body[0]["id"], padded(&repost.id));
    assert_eq!(all.body[0]["renoteId"], padded(&original.id));

    let without = bridge
        .api(
            "demo-alice",
            "notes/timeline",
            json!({"limit": 3, "withRenotes": false}),
        )
        .await;
    let without = ids(&without);
    assert!(!without.contains(&padded(&repost.id).as_str()));
    assert!(without.contains(&padded(&original.id).as_str()));

    let files = bridge
        .api(
            "demo-alice",
            "notes/timeline",
            json!({"limit": 3, "withFiles": true}),
        )
        .await;
    assert_eq!(ids(&files), vec![padded(&photo).as_str()]);
    assert_eq!(
        files.body[0]["files"][0]["url"],
        "https://example.test/cat.png"
    );
}

#[tokio::test]
async fn show_create_reply_renote_delete() {
    let bridge = start().await;
    let original = bridge
        .control()
        .create_post("alice", "original post", None)
        .await
        .unwrap();
    let shown = bridge
        .api(
            "demo-bob",
            "notes/show",
            json!({"noteId": padded(&original.id)}),
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body["text"], "original post");
    assert_eq!(shown.body["user"]["username"], "alice");

    for missing in ["9999999999", "not-an-id"] {
        let answer = bridge
            .api("demo-bob", "notes/show", json!({"noteId": missing}))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.code(), "NO_SUCH_NOTE");
    }

    let writes_before = bridge.upstream_calls("POST /v1/posts").await;
    let created = bridge
        .api(
            "demo-bob",
            "notes/create",
            json!({"text": "a reply", "replyId": padded(&original.id)}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK);
    let note = &created.body["createdNote"];
    assert_eq!(note["text"], "a reply");
    assert_eq!(note["replyId"], padded(&original.id));
    assert_eq!(
        bridge.upstream_calls("POST /v1/posts").await,
        writes_before + 1
    );
    let new_id = note["id"]
        .as_str()
        .unwrap()
        .trim_start_matches('0')
        .to_owned();
    let upstream = bridge.upstream_post("demo-bob", &new_id).await;
    assert_eq!(upstream["data"]["content"]["text"], "a reply");
    assert_eq!(upstream["data"]["reply_to"], original.id.as_str());

    let with_cw = bridge
        .api(
            "demo-bob",
            "notes/create",
            json!({"text": "hidden", "cw": "spoiler"}),
        )
        .await;
    assert_eq!(with_cw.body["createdNote"]["cw"], "spoiler");
    assert_eq!(with_cw.body["createdNote"]["text"], "hidden");

    let renote = bridge
        .api(
            "demo-bob",
            "notes/create",
            json!({"renoteId": padded(&original.id)}),
        )
        .await;
    assert_eq!(renote.status, StatusCode::OK);
    assert_eq!(renote.body["createdNote"]["renoteId"], padded(&original.id));
    assert_eq!(renote.body["createdNote"]["text"], Value::Null);
    assert_ne!(renote.body["createdNote"]["id"], padded(&original.id));
    let after = bridge.upstream_post("demo-bob", &original.id).await;
    assert_eq!(after["data"]["counts"]["reposts"], 1);

    let empty = bridge.api("demo-bob", "notes/create", json!({})).await;
    assert_eq!(empty.code(), "INVALID_PARAM");
    let creates_before = bridge.upstream_calls("POST /v1/posts").await;
    for body in [
        json!({"text": "secret", "visibility": "specified"}),
        json!({"text": "followers", "visibility": "followers"}),
        json!({"text": "in a channel", "channelId": "abc"}),
    ] {
        let refused = bridge.api("demo-bob", "notes/create", body).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert_eq!(refused.code(), "INVALID_PARAM");
    }
    let home = bridge
        .api(
            "demo-bob",
            "notes/create",
            json!({"text": "home note", "visibility": "home"}),
        )
        .await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(
        bridge.upstream_calls("POST /v1/posts").await,
        creates_before + 1,
        "only the home note went upstream"
    );

    let not_mine = bridge
        .api("demo-alice", "notes/delete", json!({"noteId": note["id"]}))
        .await;
    assert_eq!(not_mine.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_mine.code(), "ACCESS_DENIED");

    let deleted = bridge
        .api("demo-bob", "notes/delete", json!({"noteId": note["id"]}))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(deleted.body, Value::Null);
    let gone = bridge
        .api("demo-bob", "notes/show", json!({"noteId": note["id"]}))
        .await;
    assert_eq!(gone.code(), "NO_SUCH_NOTE");
}

#[tokio::test]
async fn reactions_are_bookmarks() {
    let bridge = start().await;
    let post = bridge
        .control()
        .create_post("bob", "bookmark me", None)
        .await
        .unwrap();
    let note_id = padded(&post.id);
    let reacted = bridge
        .api(
            "demo-alice",
            "notes/reactions/create",
            json!({"noteId": note_id, "reaction": "👍"}),
        )
        .await;
    assert_eq!(reacted.status, StatusCode::NO_CONTENT);
    let upstream = bridge.upstream_post("demo-alice", &post.id).await;
    assert_eq!(upstream["data"]["you_bookmarked"], true);
    assert_eq!(upstream["data"]["counts"]["bookmarks"], 1);
    let shown = bridge
        .api("demo-alice", "notes/show", json!({"noteId": note_id}))
        .await;
    assert!(shown.body["myReaction"].is_string());

    let removed = bridge
        .api(
            "demo-alice",
            "notes/reactions/delete",
            json!({"noteId": note_id}),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let upstream = bridge.upstream_post("demo-alice", &post.id).await;
    assert_eq!(upstream["data"]["you_bookmarked"], false);

    let missing = bridge
        .api(
            "demo-alice",
            "notes/reactions/create",
            json!({"noteId": "12345678", "reaction": "👍"}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.code(), "NO_SUCH_NOTE");
}

#[tokio::test]
async fn children_conversation_and_mentions() {
    let bridge = start().await;
    let control = bridge.control();
    let root = control.create_post("alice", "root", None).await.unwrap();
    let reply = control
        .create_post("bob", "reply @alice", Some(&root.id))
        .await
        .unwrap();
    let deeper = control
        .create_post("alice", "deeper", Some(&reply.id))
        .await
        .unwrap();

    let children = bridge
        .api(
            "demo-alice",
            "notes/children",
            json!({"noteId": padded(&root.id)}),
        )
        .await;
    assert_eq!(children.status, StatusCode::OK);
    assert_eq!(ids(&children), vec![padded(&reply.id).as_str()]);

    let conversation = bridge
        .api(
            "demo-alice",
            "notes/conversation",
            json!({"noteId": padded(&deeper.id)}),
        )
        .await;
    assert_eq!(
        ids(&conversation),
        vec![padded(&reply.id).as_str(), padded(&root.id).as_str()],
        "parent first"
    );
    let missing = bridge
        .api(
            "demo-alice",
            "notes/conversation",
            json!({"noteId": "424242"}),
        )
        .await;
    assert_eq!(missing.code(), "NO_SUCH_NOTE");

    let mentions = bridge
        .api("demo-alice", "notes/mentions", json!({"limit": 1}))
        .await;
    assert_eq!(ids(&mentions), vec![padded(&reply.id).as_str()]);
}
