//! What reaches the simulated pnut's user streams: posts, revisions and deletions, follows,
//! messages, files, tokens, raws, and the seeded load accounts.

use pnutkey::sim::pnut::SimPnutOptions;
use reqwest::StatusCode;
use serde_json::json;

use super::support::{call, get, next_json, open, start, start_with, subscribe};

#[tokio::test]
async fn control_post_reaches_streams_me_and_deletion_is_flagged() {
    let sim = start().await;
    let control = sim.control();
    let (mut ws, cid) = open(&sim, "demo-bob").await;
    let sid = subscribe(&sim, "/v1/posts/streams/me", "demo-bob", &cid).await;
    let post = control
        .create_post("alice", "live from control", None)
        .await
        .expect("post");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["id"], post.id.as_str());
    assert_eq!(frame["meta"]["subscription_ids"], json!([sid]));
    assert!(frame["meta"]["timestamp"].as_i64().is_some_and(|t| t > 0));
    assert!(frame["meta"].get("is_deleted").is_none());
    assert!(
        frame["meta"].get("type").is_none(),
        "user streams carry no meta.type"
    );
    let data = frame["data"].as_array().expect("post data is a list");
    assert_eq!(data[0]["content"]["text"], "live from control");

    control
        .revise_post("alice", &post.id, "revised text")
        .await
        .expect("revise");
    let revised = next_json(&mut ws).await;
    assert_eq!(revised["meta"]["revision"], 1);
    assert_eq!(revised["data"][0]["is_revised"], true);

    control
        .delete_post("alice", &post.id)
        .await
        .expect("delete");
    let deleted = next_json(&mut ws).await;
    assert_eq!(deleted["meta"]["id"], post.id.as_str());
    assert_eq!(deleted["meta"]["is_deleted"], true);
    assert_eq!(deleted["data"][0]["is_deleted"], true);
    assert!(deleted["data"][0].get("content").is_none());
}

#[tokio::test]
async fn follow_message_file_and_token_events() {
    let sim = start().await;
    let control = sim.control();
    let (mut ws, cid) = open(&sim, "demo-bob").await;
    let followers = subscribe(&sim, "/v1/users/me/followers", "demo-bob", &cid).await;
    let channels = subscribe(&sim, "/v1/users/me/channels/subscribed", "demo-bob", &cid).await;
    let files = subscribe(&sim, "/v1/users/me/files", "demo-bob", &cid).await;
    let token = subscribe(&sim, "/v1/token", "demo-bob", &cid).await;

    control.follow("carol", "bob").await.expect("follow");
    let follow = next_json(&mut ws).await;
    assert_eq!(follow["meta"]["subscription_ids"], json!([followers]));
    assert_eq!(follow["data"]["user"]["username"], "carol");
    assert_eq!(follow["data"]["followed_user"]["username"], "bob");
    control.unfollow("carol", "bob").await.expect("unfollow");
    let unfollow = next_json(&mut ws).await;
    assert_eq!(unfollow["meta"]["is_deleted"], true);

    let (pm, kind) = control
        .channels()
        .await
        .into_iter()
        .next()
        .expect("a channel");
    assert_eq!(kind, "io.pnut.core.pm");
    let message = control
        .send_message("alice", &pm, "psst")
        .await
        .expect("message");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["subscription_ids"], json!([channels]));
    assert_eq!(frame["meta"]["id"], message.id.as_str());
    assert_eq!(frame["meta"]["channel_type"], "io.pnut.core.pm");
    assert_eq!(frame["data"][0]["content"]["text"], "psst");

    let file = control.upload_file("bob", "cat.png").await.expect("file");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["subscription_ids"], json!([files]));
    assert_eq!(
        frame["data"]["id"],
        file.id.as_str(),
        "file data is an object"
    );

    control
        .update_profile("bob", "Robert")
        .await
        .expect("profile");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["subscription_ids"], json!([token]));
    assert_eq!(frame["data"]["user"]["name"], "Robert");
}

#[tokio::test]
async fn raw_reaches_streams_only_when_asked() {
    let sim = start().await;
    let raw_body = json!({"text": "with raw",
        "raw": {"io.pnut.core.oembed": [{"type": "photo", "url": "https://example.invalid/a.png"}]}})
    .to_string();
    let (mut plain, plain_id) = open(&sim, "demo-bob").await;
    subscribe(&sim, "/v1/posts/streams/me", "demo-bob", &plain_id).await;
    let (mut by_sub, by_sub_id) = open(&sim, "demo-bob").await;
    subscribe(
        &sim,
        "/v1/posts/streams/me?include_post_raw=1",
        "demo-bob",
        &by_sub_id,
    )
    .await;
    let url = format!(
        "ws://{}/v1/user?access_token=demo-bob&include_raw=1",
        sim.stream_addr()
    );
    let mut by_url = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade")
        .0;
    let by_url_id = next_json(&mut by_url).await["meta"]["connection_id"]
        .as_str()
        .expect("cid")
        .to_string();
    subscribe(&sim, "/v1/posts/streams/me", "demo-bob", &by_url_id).await;
    let created = call(
        &sim,
        reqwest::Method::POST,
        "/v1/posts",
        Some("demo-alice"),
        Some(("application/json", raw_body)),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let frame = next_json(&mut plain).await;
    assert!(frame["data"][0].get("raw").is_none(), "{frame}");
    for ws in [&mut by_sub, &mut by_url] {
        let frame = next_json(ws).await;
        assert_eq!(
            frame["data"][0]["raw"]["io.pnut.core.oembed"][0]["type"],
            "photo"
        );
    }
}

/// `extra_users` seeds `load-<i>` accounts (token = username) that follow `load-0`: a post by
/// `load-0` reaches another load account's home stream.
#[tokio::test]
async fn extra_load_users_follow_load_zero() {
    let sim = start_with(SimPnutOptions {
        extra_users: 3,
        ..Default::default()
    })
    .await;
    let me = get(&sim, "/v1/users/me", "load-2").await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["data"]["username"], "load-2");
    let (mut ws, cid) = open(&sim, "load-2").await;
    subscribe(&sim, "/v1/posts/streams/me", "load-2", &cid).await;
    sim.control()
        .create_post("load-0", "load ping", None)
        .await
        .expect("post");
    let event = next_json(&mut ws).await;
    assert_eq!(event["data"][0]["content"]["text"], "load ping", "{event}");
}
