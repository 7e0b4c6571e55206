//! The simulated Misskey's streaming protocol: the token check at the upgrade, `connect` and
//! `connected`, bad frames, delivery on a channel connection and its end, the channel cap.

use futures_util::SinkExt;
use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

use super::support::{join, next_json, open, send, start};

#[tokio::test]
async fn streaming_rejects_unknown_token_with_401() {
    let sim = start().await;
    let url = format!("ws://{}/streaming?i=not-a-token", sim.addr());
    match tokio_tungstenite::connect_async(url).await {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401);
            let challenge = response.headers()["www-authenticate"].to_str().unwrap();
            assert!(challenge.contains("invalid_token"), "{challenge}");
        }
        other => panic!("expected HTTP 401, got {:?}", other.map(|_| ())),
    }
    let mut request = format!("ws://{}/streaming", sim.addr())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", "Bearer nope".parse().unwrap());
    assert!(matches!(
        tokio_tungstenite::connect_async(request).await,
        Err(tungstenite::Error::Http(response)) if response.status() == 401
    ));
    let mut request = format!("ws://{}/streaming", sim.addr())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", "Bearer demo-bob".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("bearer works");
    join(&mut ws, "main", "m", None).await;
    let plain = reqwest::get(format!("{}/streaming", sim.base_url()))
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn connected_only_with_pong_and_bad_frames_are_ignored() {
    let sim = start().await;
    let mut ws = open(&sim, "demo-alice").await;
    send(
        &mut ws,
        json!({"type": "connect", "body": {"channel": "homeTimeline", "id": "quiet"}}),
    )
    .await;
    for junk in [
        "h",
        "ping",
        "{not json",
        r#"{"type":"nope","body":{}}"#,
        r#"{"type":"connect","body":{"channel":"main","id":"x","params":null,"pong":true}}"#,
    ] {
        ws.send(Message::Text(junk.into())).await.unwrap();
    }
    send(
        &mut ws,
        json!({"type": "connect", "body": {"channel": "noSuchChannel", "id": "u", "pong": true}}),
    )
    .await;
    join(&mut ws, "globalTimeline", "loud", None).await;
    let counts = sim.control().counts().await;
    assert_eq!(
        counts.sockets[0].channels,
        vec!["homeTimeline", "globalTimeline"]
    );
}

#[tokio::test]
async fn control_note_arrives_on_home_timeline_with_connection_id() {
    let sim = start().await;
    let mut ws = open(&sim, "demo-alice").await;
    join(&mut ws, "homeTimeline", "tl-1", None).await;
    let created = sim.control().post("bob", "hello home").await.unwrap();
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["type"], "channel");
    assert_eq!(frame["body"]["id"], "tl-1");
    assert_eq!(frame["body"]["type"], "note");
    let note = &frame["body"]["body"];
    assert_eq!(note["id"], created["id"]);
    assert_eq!(note["text"], "hello home");
    assert_eq!(note["user"]["username"], "bob");
    assert_eq!(note["id"].as_str().unwrap().len(), 16);
    let created_at = note["createdAt"].as_str().unwrap();
    assert!(
        created_at.ends_with('Z') && created_at.len() == 24,
        "{created_at}"
    );
    for key in [
        "cw",
        "fileIds",
        "files",
        "replyId",
        "renoteId",
        "localOnly",
        "reactions",
        "reactionEmojis",
    ] {
        assert!(note.get(key).is_some(), "missing {key}");
    }
}

#[tokio::test]
async fn disconnect_stops_delivery() {
    let sim = start().await;
    let mut ws = open(&sim, "demo-alice").await;
    join(&mut ws, "homeTimeline", "a", None).await;
    send(&mut ws, json!({"type": "disconnect", "body": {"id": "a"}})).await;
    join(&mut ws, "globalTimeline", "b", None).await;
    for text in ["one", "two"] {
        sim.control().post("bob", text).await.unwrap();
        let frame = next_json(&mut ws).await;
        assert_eq!(frame["body"]["id"], "b");
        assert_eq!(frame["body"]["body"]["text"], text);
    }
}

#[tokio::test]
async fn channel_connection_gets_only_its_channel_notes() {
    let sim = start().await;
    let general = sim.control().channel_id("general").await.unwrap();
    let mut ws = open(&sim, "demo-alice").await;
    join(&mut ws, "channel", "c", Some(json!({"channelId": general}))).await;
    sim.control().post("bob", "outside").await.unwrap();
    sim.control()
        .channel_message("bob", "pnutkey-dev", "other room")
        .await
        .unwrap();
    let inside = sim
        .control()
        .channel_message("carol", "general", "inside")
        .await
        .unwrap();
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["body"]["id"], "c");
    assert_eq!(frame["body"]["body"]["id"], inside["id"]);
    assert_eq!(frame["body"]["body"]["channelId"], general.as_str());
    assert_eq!(frame["body"]["body"]["channel"]["name"], "general");
}

#[tokio::test]
async fn thirty_two_channel_cap_and_duplicate_id_replacement() {
    let sim = start().await;
    let mut ws = open(&sim, "demo-bob").await;
    for n in 0..32 {
        join(&mut ws, "globalTimeline", &format!("g{n}"), None).await;
    }
    send(&mut ws, json!({"type": "connect", "body": {"channel": "localTimeline", "id": "over", "pong": true}})).await;
    send(&mut ws, json!({"type": "disconnect", "body": {"id": "g0"}})).await;
    join(&mut ws, "homeTimeline", "last", None).await;
    let counts = sim.control().counts().await;
    assert_eq!(counts.sockets[0].channel_connections, 32);
    assert!(
        !counts.sockets[0]
            .channels
            .contains(&"localTimeline".to_string())
    );
    join(&mut ws, "main", "g5", None).await;
    let counts = sim.control().counts().await;
    assert_eq!(
        counts.sockets[0].channel_connections, 32,
        "same id replaces"
    );
    assert_eq!(
        counts.sockets[0]
            .channels
            .iter()
            .filter(|c| *c == "main")
            .count(),
        1
    );
}
