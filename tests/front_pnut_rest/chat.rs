//! The chat REST of issue 15 over Misskey channels: `GET /channels/{id}`,
//! `GET`/`POST /channels/{id}/messages`, `DELETE /channels/{id}/messages/{message_id}`,
//! `GET /users/me/channels/subscribed`.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn a_misskey_channel_is_a_chat_channel_with_messages() {
    let bridge = start().await;
    let control = bridge.control();
    let general = Bridge::pnut_id(&control.channel_id("general").await.expect("channel"));
    let other = Bridge::pnut_id(&control.channel_id("pnutkey-dev").await.expect("channel"));

    let (status, channel) = bridge
        .get(&format!("/channels/{general}"), "demo-alice")
        .await;
    assert_eq!(status, StatusCode::OK, "{channel}");
    assert_eq!(channel["data"]["id"], general.as_str());
    assert_eq!(channel["data"]["type"], "io.pnut.core.chat");
    assert_eq!(channel["data"]["you_subscribed"], true);
    assert_eq!(channel["data"]["acl"]["read"]["public"], true);
    assert_eq!(
        channel["data"]["raw"]["io.pnut.core.chat-settings"][0]["name"],
        "general"
    );

    let (status, subscribed) = bridge
        .get("/users/me/channels/subscribed", "demo-alice")
        .await;
    assert_eq!(status, StatusCode::OK, "{subscribed}");
    let ids: Vec<&str> = subscribed["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, [general.as_str()], "alice follows only general");

    let (status, _, created) = bridge
        .call(
            Method::POST,
            &format!("/channels/{general}/messages"),
            Some("demo-alice"),
            Some(("application/json", json!({"text": "hi room"}).to_string())),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["data"]["channel_id"], general.as_str());
    assert_eq!(created["data"]["content"]["text"], "hi room");
    let message_id = created["data"]["id"].as_str().expect("id").to_owned();
    let (_, messages) = bridge
        .get(&format!("/channels/{general}/messages"), "demo-alice")
        .await;
    assert_eq!(messages["meta"]["channel_type"], "io.pnut.core.chat");
    assert_eq!(messages["data"][0]["id"], message_id.as_str());

    // A message is deleted only through its own channel.
    let (status, _, _) = bridge
        .call(
            Method::DELETE,
            &format!("/channels/{other}/messages/{message_id}"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, deleted) = bridge
        .call(
            Method::DELETE,
            &format!("/channels/{general}/messages/{message_id}"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["data"]["is_deleted"], true);
    assert!(deleted["data"].get("content").is_none());
    let (_, messages) = bridge
        .get(&format!("/channels/{general}/messages"), "demo-alice")
        .await;
    assert_ne!(messages["data"][0]["id"], message_id.as_str());

    let unknown = Bridge::pnut_id(&control.user_id("bob").await.expect("bob"));
    let (status, body) = bridge
        .get(&format!("/channels/{unknown}"), "demo-alice")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}
