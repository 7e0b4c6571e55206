//! `notes/create` with `visibility: "specified"`: a pnut private message to `visibleUserIds`.

use std::time::Duration;

use super::support::{padded, start};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn specified_notes_are_pnut_private_messages() {
    let bridge = start().await;
    let control = bridge.control();
    let bob = padded(&control.user_id("bob").await.unwrap());
    let before = control.channels().await.len();
    let created = bridge
        .ok(
            "demo-carol",
            "notes/create",
            json!({"text": "psst", "visibility": "specified", "visibleUserIds": [bob]}),
        )
        .await;
    let note = &created["createdNote"];
    assert_eq!(note["visibility"], "specified");
    assert_eq!(note["visibleUserIds"], json!([bob]));
    assert_eq!(note["text"], "psst");
    assert!(note["channelId"].is_null());
    // A new PM channel of carol and bob holds it, readable by bob upstream.
    let channels = control.channels().await;
    assert_eq!(channels.len(), before + 1);
    let (pm, kind) = channels.last().unwrap();
    assert_eq!(kind, "io.pnut.core.pm");
    let base = bridge.running.sim_pnut.as_ref().unwrap().base_url();
    let messages: Value = bridge
        .http
        .get(format!("{base}/v1/channels/{pm}/messages"))
        .bearer_auth("demo-bob")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(messages["data"][0]["content"]["text"], "psst");
    assert_eq!(
        note["id"],
        padded(messages["data"][0]["id"].as_str().unwrap())
    );
    // A second one to bob goes to the same channel; a post went nowhere public.
    let posts = bridge.upstream_calls("POST /v1/posts").await;
    bridge
        .ok(
            "demo-carol",
            "notes/create",
            json!({"text": "again", "visibility": "specified", "visibleUserIds": [bob]}),
        )
        .await;
    assert_eq!(control.channels().await.len(), before + 1);
    assert_eq!(bridge.upstream_calls("POST /v1/posts").await, posts);
    // Without recipients, and followers-only: refused with a Misskey error.
    for body in [
        json!({"text": "to nobody", "visibility": "specified"}),
        json!({"text": "followers", "visibility": "followers"}),
    ] {
        let refused = bridge.api("demo-carol", "notes/create", body).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert_eq!(refused.body["error"]["info"]["param"], "visibility");
    }
    let unknown = bridge
        .api(
            "demo-carol",
            "notes/create",
            json!({"text": "hm", "visibility": "specified", "visibleUserIds": ["0000000099999999"]}),
        )
        .await;
    assert_eq!(unknown.code(), "NO_SUCH_USER", "{}", unknown.body);
    bridge.running.stop(Duration::from_secs(2)).await;
}
