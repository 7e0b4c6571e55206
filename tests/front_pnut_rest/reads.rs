//! GET endpoints: users, token, post streams with pagination, posts and threads, mentions,
//! user posts, files, sys config, channel messages.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::support::*;

#[tokio::test]
async fn users_me_user_by_id_and_token() {
    let bridge = start().await;
    let (status, me) = bridge.get("/users/me", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["data"]["username"], "alice");
    assert_int_id(&me["data"]["id"]);
    assert_date(&me["data"]["created_at"]);
    assert!(
        me["data"]["counts"]["following"].as_u64() >= Some(2),
        "{me}"
    );

    let bob = Bridge::pnut_id(&bridge.control().user_id("bob").await.expect("bob"));
    let (status, user) = bridge.get(&format!("/users/{bob}"), "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["data"]["username"], "bob");
    assert_eq!(user["data"]["id"], json!(bob));
    let (_, by_name) = bridge.get("/users/@bob", "demo-alice").await;
    assert_eq!(by_name["data"]["id"], json!(bob));

    // The token from `?access_token=`.
    let response = bridge
        .http
        .get(bridge.url("/token?access_token=demo-alice"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let token: Value = response.json().await.expect("json");
    assert_eq!(token["data"]["user"]["username"], "alice");
    assert!(token["data"]["app"]["id"].is_string());
    assert!(
        token["data"]["scopes"]
            .as_array()
            .is_some_and(|s| s.contains(&json!("stream")))
    );
}

#[tokio::test]
async fn streams_me_paginates_with_min_max_more() {
    let bridge = start().await;
    let control = bridge.control();
    for i in 0..4 {
        control
            .post("bob", &format!("page note {i}"))
            .await
            .expect("note");
    }
    let (status, first) = bridge.get("/posts/streams/me?count=2", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    let first_ids = ids(&first);
    assert_eq!(first_ids.len(), 2);
    assert!(first_ids[0] > first_ids[1], "newest first");
    assert_eq!(first["meta"]["more"], true);
    assert_eq!(assert_int_id(&first["meta"]["max_id"]), first_ids[0]);
    assert_eq!(assert_int_id(&first["meta"]["min_id"]), first_ids[1]);
    for post in first["data"].as_array().expect("list") {
        assert_post(post);
        assert_eq!(post["pagination_id"], post["id"]);
    }
    assert_eq!(first["data"][0]["content"]["text"], "page note 3");

    let min = first["meta"]["min_id"].as_str().expect("min").to_owned();
    let (_, older) = bridge
        .get(
            &format!("/posts/streams/me?count=2&before_id={min}"),
            "demo-alice",
        )
        .await;
    let older_ids = ids(&older);
    assert_eq!(older_ids.len(), 2);
    assert!(older_ids.iter().all(|id| *id < first_ids[1]), "older page");
    assert_eq!(older["data"][0]["content"]["text"], "page note 1");

    let max = first["meta"]["max_id"].as_str().expect("max").to_owned();
    let (_, newer) = bridge
        .get(&format!("/posts/streams/me?since_id={max}"), "demo-alice")
        .await;
    assert!(ids(&newer).is_empty(), "nothing newer yet: {newer}");
    assert_eq!(newer["meta"]["more"], false);
    control.post("carol", "newest").await.expect("note");
    let (_, newer) = bridge
        .get(&format!("/posts/streams/me?since_id={max}"), "demo-alice")
        .await;
    assert_eq!(newer["data"][0]["content"]["text"], "newest");
    assert_eq!(ids(&newer).len(), 1);

    let (status, bad) = bridge
        .get("/posts/streams/me?before_id=not-an-id", "demo-alice")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");

    let (status, global) = bridge.get("/posts/streams/global", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!ids(&global).is_empty());
    let (status, unified) = bridge.get("/posts/streams/unified", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    let unified_ids = ids(&unified);
    let mut deduped = unified_ids.clone();
    deduped.dedup();
    assert_eq!(unified_ids, deduped, "no duplicates");
}

#[tokio::test]
async fn post_lookup_thread_and_not_found() {
    let bridge = start().await;
    let control = bridge.control();
    let root = control.post("alice", "thread root").await.expect("root");
    let root_id = root["id"].as_str().expect("id").to_owned();
    let reply = control
        .create_note(
            "bob",
            pnutkey::sim::misskey::NewNote {
                text: Some("@alice a reply".to_owned()),
                reply_id: Some(root_id.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("reply");
    let reply_id = reply["id"].as_str().expect("id").to_owned();
    let (root_pnut, reply_pnut) = (Bridge::pnut_id(&root_id), Bridge::pnut_id(&reply_id));

    let (status, post) = bridge
        .get(&format!("/posts/{reply_pnut}"), "demo-alice")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_post(&post["data"]);
    assert_eq!(post["data"]["reply_to"], json!(root_pnut));
    assert_eq!(post["data"]["thread_id"], json!(root_pnut));
    assert_eq!(post["data"]["content"]["text"], "@alice a reply");

    let nested = control
        .create_note(
            "carol",
            pnutkey::sim::misskey::NewNote {
                text: Some("@bob nested".to_owned()),
                reply_id: Some(reply_id.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("nested");
    let nested_pnut = Bridge::pnut_id(nested["id"].as_str().expect("id"));
    let expected: Vec<u128> = [&nested_pnut, &reply_pnut, &root_pnut]
        .iter()
        .map(|id| assert_int_id(&json!(id)))
        .collect();
    // The whole thread, whichever of its posts is asked for, newest first.
    for asked in [&root_pnut, &reply_pnut, &nested_pnut] {
        let (status, thread) = bridge
            .get(&format!("/posts/{asked}/thread"), "demo-alice")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&thread), expected, "{thread}");
        for post in thread["data"].as_array().expect("list") {
            assert_eq!(post["thread_id"], json!(root_pnut));
        }
    }
    let (_, older) = bridge
        .get(
            &format!("/posts/{root_pnut}/thread?before_id={nested_pnut}&count=1"),
            "demo-alice",
        )
        .await;
    assert_eq!(ids(&older), expected[1..2].to_vec());
    assert_eq!(older["meta"]["more"], true);

    control.delete_note(&reply_id).await.expect("deleted");
    let (status, gone) = bridge
        .get(&format!("/posts/{reply_pnut}"), "demo-alice")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
    let (status, _) = bridge.get("/posts/xyz", "demo-alice").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn mentions_user_posts_files_and_sys_config() {
    let bridge = start().await;
    let control = bridge.control();
    control.post("carol", "@alice ping").await.expect("note");
    let (status, mentions) = bridge.get("/users/me/mentions", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mentions["data"][0]["content"]["text"], "@alice ping");
    assert!(ids(&mentions).len() >= 2, "seeded mention too: {mentions}");

    let (status, posts) = bridge.get("/users/me/posts", "demo-carol").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        posts["data"]
            .as_array()
            .expect("list")
            .iter()
            .all(|p| p["user"]["username"] == "carol")
    );
    assert_eq!(posts["data"][0]["content"]["text"], "@alice ping");

    control
        .upload_file("alice", "peanut.png", "image/png", 1234)
        .await
        .expect("file");
    let (status, files) = bridge.get("/users/me/files", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    let first = &files["data"][0];
    assert_eq!(first["name"], "peanut.png");
    assert_int_id(&first["id"]);
    assert!(files["meta"]["max_id"].is_string());

    let (status, config) = bridge.get("/sys/config", "demo-alice").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        config["data"]["post"]["max_length"].as_u64() > Some(0),
        "{config}"
    );
}

/// `GET /channels/{id}/messages`: the Misskey-channel's notes as pnut chat messages, newest
/// first, with `meta.channel_type` (mapping.md §4.2); with `connection_id` it subscribes.
#[tokio::test]
async fn channel_messages_are_chat_messages() {
    let bridge = start().await;
    let control = bridge.control();
    let channel = control.channel_id("general").await.expect("channel");
    for text in ["first in general", "second in general"] {
        control
            .channel_message("bob", &channel, text)
            .await
            .expect("message");
    }
    let path = format!("/channels/{}/messages?count=1", Bridge::pnut_id(&channel));
    let (status, body) = bridge.get(&path, "demo-alice").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["meta"]["channel_type"], "io.pnut.core.chat", "{body}");
    assert_eq!(body["meta"]["more"], true, "{body}");
    let messages = body["data"].as_array().expect("list");
    assert_eq!(messages.len(), 1, "{body}");
    let message = &messages[0];
    assert_eq!(message["content"]["text"], "second in general", "{body}");
    assert_eq!(message["channel_id"], Bridge::pnut_id(&channel));
    assert_int_id(&message["id"]);
    assert_date(&message["created_at"]);
    assert_eq!(message["pagination_id"], message["id"]);
    let (status, body) = bridge.get("/channels/x/messages", "demo-alice").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

/// A note-list endpoint answers from its `[mapping.pnut_endpoints]` row's `first_page` (the
/// calls a subscribe on it answers with), not from calls of its own.
#[tokio::test]
async fn a_note_list_answers_from_its_configured_first_page() {
    let bridge = start_with(|config| {
        if let Some(row) = config.mapping.pnut_endpoints.get_mut("/posts/streams/me") {
            row.first_page = vec!["notes/global-timeline".to_owned()];
        }
    })
    .await;
    let (status, body) = bridge.get("/posts/streams/me?count=2", "demo-alice").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ids(&body).len(), 2, "{body}");
    let calls = bridge.control().counts().await.calls;
    assert_eq!(calls.get("notes/global-timeline"), Some(&1), "{calls:?}");
    assert_eq!(calls.get("notes/timeline"), None, "{calls:?}");
}
