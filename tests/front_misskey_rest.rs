//! The Misskey REST front end to end: Misskey calls to the bridge (`POST /api/*`) against the
//! embedded simulated pnut, observed through the bridge's answers and the sim's control handle.

mod misskey_rest_support;

use std::time::Duration;

use misskey_rest_support::{ids, padded, start};
use pnutkey::sim::pnut::ForcedFailure;
use reqwest::StatusCode;
use serde_json::{Value, json};

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
    assert_eq!(meta.body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(meta.body["name"], "pnutkey");
    assert!(meta.body["uri"].as_str().unwrap().starts_with("http://"));
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

#[tokio::test]
async fn errors_unknown_endpoint_tokens_and_bodies() {
    let bridge = start().await;
    let unknown = bridge
        .api("demo-alice", "notes/frobnicate", json!({}))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("notes/frobnicate")
    );

    let bad = bridge.api("not-a-token", "i", json!({})).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad.code(), "AUTHENTICATION_FAILED");
    assert!(bad.headers.contains_key("www-authenticate"));

    let anonymous = bridge.raw("i", b"{}".to_vec(), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.code(), "CREDENTIAL_REQUIRED");

    let public = bridge
        .raw("notes/global-timeline", b"{}".to_vec(), None)
        .await;
    assert_eq!(public.status, StatusCode::OK, "{:?}", public.body);
    assert!(public.body.is_array());
    let needs_token = bridge.raw("notes/timeline", Vec::new(), None).await;
    assert_eq!(needs_token.code(), "CREDENTIAL_REQUIRED");

    let no_user = bridge
        .api("demo-alice", "users/notes", json!({"userId": "987654321"}))
        .await;
    assert_eq!(no_user.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_user.code(), "NO_SUCH_USER");

    let malformed = bridge.raw("i", b"{\"i\": ".to_vec(), None).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.code(), "INVALID_PARAM");
}

#[tokio::test]
async fn upstream_429_and_500_are_mapped() {
    let bridge = start().await;
    let control = bridge.control();
    control
        .force_failures(ForcedFailure {
            remaining: 1,
            status: 429,
            token: Some("demo-alice".into()),
            endpoint: Some("GET /v1/users/{user}".into()),
        })
        .await;
    let limited = bridge.api("demo-alice", "i", json!({})).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "RATE_LIMIT_EXCEEDED");
    let retry_after: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);

    control
        .force_failures(ForcedFailure {
            remaining: 5,
            status: 500,
            token: Some("demo-bob".into()),
            endpoint: Some("GET /v1/users/{user}".into()),
        })
        .await;
    let failed = bridge.api("demo-bob", "i", json!({})).await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(failed.code(), "INTERNAL_ERROR");
    assert_eq!(failed.body["error"]["kind"], "server");
    bridge.running.stop(Duration::from_secs(2)).await;
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

#[tokio::test]
async fn get_only_for_emojis_and_non_string_i() {
    let bridge = start().await;
    let url = |endpoint: &str| format!("http://{}/api/{endpoint}", bridge.running.addr);
    let emojis = bridge.http.get(url("emojis")).send().await.unwrap();
    assert_eq!(emojis.status(), StatusCode::OK);
    assert_eq!(emojis.json::<Value>().await.unwrap(), json!({"emojis": []}));
    let meta = bridge.http.get(url("notes/timeline")).send().await.unwrap();
    assert_eq!(meta.status(), StatusCode::METHOD_NOT_ALLOWED);

    let numeric_i = bridge.raw("i", br#"{"i": 5}"#.to_vec(), None).await;
    assert_eq!(numeric_i.status, StatusCode::BAD_REQUEST);
    assert_eq!(numeric_i.code(), "INVALID_PARAM");

    let huge = vec![b' '; 1024 * 1024 + 16];
    let too_big = bridge.raw("i", huge, None).await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
}
