//! Subscriptions through the REST front: pages with `subscription_id`, fan-out naming every
//! matching subscription, limits and refusals, deletes, refcounted upstream channels.

use std::time::Duration;

use futures_util::SinkExt;
use pnutkey::config::Config;
use serde_json::Value;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

use super::support::*;

#[tokio::test]
async fn hello_names_endpoint_and_connection_id() {
    let env = start().await;
    let url = format!("ws://{}/v1/user?access_token=demo-alice", env.addr);
    let (mut ws, _) = connect_async(url).await.expect("upgrade");
    let hello = next_json(&mut ws).await;
    assert_eq!(
        hello["meta"]["stream"]["endpoint"],
        format!("ws://{}/v1/user", env.addr)
    );
    let id = hello["meta"]["connection_id"].as_str().expect("id");
    assert_eq!(id.len(), 32);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert!(hello.get("data").is_none());
}

#[tokio::test]
async fn refused_tokens_get_401_envelope_at_upgrade() {
    let env = start().await;
    for query in ["?access_token=not-a-token", ""] {
        let response = env
            .http
            .get(env.url(&format!("/v1/user{query}")))
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), 401);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["meta"]["code"], 401);
        assert!(body["meta"]["error_message"].is_string());
    }
    let refused = connect_async(format!("ws://{}/v1/user?access_token=nope", env.addr)).await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn subscribe_answers_page_and_events_name_every_matching_subscription() {
    let env = start().await;
    let control = env.control();
    control
        .post("bob", "before subscribing")
        .await
        .expect("post");
    let (mut ws, cid, first) = env
        .open_subscribed("demo-alice", "/v1/posts/streams/me")
        .await;
    let sid_a = first["meta"]["subscription_id"]
        .as_str()
        .expect("sid")
        .to_owned();
    assert_eq!(sid_a.len(), 32);
    let page = first["data"].as_array().expect("page");
    assert!(
        page.iter()
            .any(|p| p["content"]["text"] == "before subscribing"),
        "{first}"
    );
    let (status, second) = env
        .subscribe("demo-alice", "/v1/posts/streams/me", &cid)
        .await;
    assert_eq!(status, 200);
    let sid_b = second["meta"]["subscription_id"]
        .as_str()
        .expect("sid")
        .to_owned();
    assert_ne!(sid_a, sid_b);
    // Both subscriptions share one upstream channel connection.
    assert_eq!(
        wait_channels(&control, "alice", |s, c| s == 1 && c == 1).await,
        (1, 1)
    );

    control.post("bob", "hello from bob").await.expect("post");
    let frame = next_json(&mut ws).await;
    let mut ids: Vec<String> = frame["meta"]["subscription_ids"]
        .as_array()
        .expect("subscription_ids")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    ids.sort();
    let mut want = vec![sid_a.clone(), sid_b];
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(frame["data"][0]["content"]["text"], "hello from bob");
    assert_eq!(frame["meta"]["id"], frame["data"][0]["id"]);
    assert!(frame["meta"]["timestamp"].is_i64());

    // The tool's keep-alive is accepted and nothing else is sent.
    ws.send(Message::Text(".".into()))
        .await
        .expect("keep-alive");
    control.post("bob", "second").await.expect("post");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["data"][0]["content"]["text"], "second");
}

#[tokio::test]
async fn at_most_16_subscriptions_and_refusals() {
    let env = start().await;
    let (_ws, cid) = env.open("demo-alice").await;
    let mut sids = Vec::new();
    for _ in 0..16 {
        let (status, body) = env
            .subscribe("demo-alice", "/v1/users/me/mentions", &cid)
            .await;
        assert_eq!(status, 200, "{body}");
        sids.push(
            body["meta"]["subscription_id"]
                .as_str()
                .expect("sid")
                .to_owned(),
        );
    }
    let (status, body) = env
        .subscribe("demo-alice", "/v1/users/me/mentions", &cid)
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        serde_json::json!({"meta":{"code":400,"error_message":format!("connection {cid} already has the maximum of 16 subscriptions")}})
    );
    let first = sids.first().expect("one");
    assert_eq!(
        env.delete("demo-alice", &format!("/v1/users/me/streams/{cid}/{first}"))
            .await,
        204
    );
    assert_eq!(
        env.delete("demo-alice", &format!("/v1/users/me/streams/{cid}/{first}"))
            .await,
        404
    );
    let (status, _) = env
        .subscribe("demo-alice", "/v1/users/me/mentions", &cid)
        .await;
    assert_eq!(status, 200);

    let (status, body) = env
        .subscribe("demo-bob", "/v1/users/me/mentions", &cid)
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = env
        .subscribe("demo-alice", "/v1/users/me/mentions", "nosuchconnection")
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["meta"]["code"], 400);
    let (status, body) = env
        .subscribe("demo-alice", "/v1/users/me/channels/subscribed", &cid)
        .await;
    assert_eq!(status, 400);
    assert!(
        body["meta"]["error_message"].as_str().is_some_and(|m| m
            .contains("/users/me/channels/subscribed")
            && m.contains("not bridged")),
        "{body}"
    );
    assert_eq!(
        env.delete("demo-alice", "/v1/users/me/streams/nosuchconnection")
            .await,
        404
    );
}

#[tokio::test]
async fn closing_the_socket_releases_upstream_channels() {
    let env = start().await;
    let control = env.control();
    let (mut ws, cid) = env.open("demo-alice").await;
    for path in ["/v1/posts/streams/unified", "/v1/users/me/mentions"] {
        let (status, _) = env.subscribe("demo-alice", path, &cid).await;
        assert_eq!(status, 200);
    }
    // unified joins homeTimeline + main; mentions shares main.
    assert_eq!(
        wait_channels(&control, "alice", |s, c| s == 1 && c == 2).await,
        (1, 2)
    );
    ws.close(None).await.expect("close");
    assert_eq!(wait_channels(&control, "alice", |s, _| s == 0).await.0, 0);
}

#[tokio::test]
async fn two_tool_connections_share_one_upstream_channel() {
    let env = start().await;
    let control = env.control();
    let (mut ws1, cid1) = env.open("demo-alice").await;
    let (mut ws2, cid2) = env.open("demo-alice").await;
    let (_, b1) = env
        .subscribe("demo-alice", "/v1/posts/streams/me", &cid1)
        .await;
    let (_, b2) = env
        .subscribe("demo-alice", "/v1/posts/streams/me", &cid2)
        .await;
    assert_eq!(
        wait_channels(&control, "alice", |s, c| s == 1 && c == 1).await,
        (1, 1)
    );
    control.post("carol", "to both").await.expect("post");
    for (ws, body) in [(&mut ws1, &b1), (&mut ws2, &b2)] {
        let frame = next_json(ws).await;
        assert_eq!(
            frame["meta"]["subscription_ids"],
            serde_json::json!([body["meta"]["subscription_id"]])
        );
        assert_eq!(frame["data"][0]["content"]["text"], "to both");
    }
    // Deleting one connection closes its socket; the channel stays for the other.
    assert_eq!(
        env.delete("demo-alice", &format!("/v1/users/me/streams/{cid1}"))
            .await,
        204
    );
    expect_closed(&mut ws1).await;
    control.post("carol", "still here").await.expect("post");
    assert_eq!(
        next_json(&mut ws2).await["data"][0]["content"]["text"],
        "still here"
    );
    assert_eq!(
        wait_channels(&control, "alice", |s, c| s == 1 && c == 1).await,
        (1, 1)
    );
}

#[tokio::test]
async fn silent_tool_is_closed() {
    let mut config = Config::default();
    config.timeouts.pnut_front_client_silence = Duration::from_millis(300);
    let env = start_with(config).await;
    let (mut ws, _) = env.open("demo-alice").await;
    assert_eq!(expect_closed(&mut ws).await, Some(1000));
}

#[tokio::test]
async fn unified_sends_a_mentioning_note_once() {
    let env = start().await;
    let control = env.control();
    let (mut ws, _, _) = env
        .open_subscribed("demo-alice", "/v1/posts/streams/unified")
        .await;
    control.post("bob", "@alice look").await.expect("post");
    control.post("bob", "plain").await.expect("post");
    let first = next_json(&mut ws).await;
    assert_eq!(text_of(&first), "@alice look");
    let second = next_json(&mut ws).await;
    assert_eq!(
        text_of(&second),
        "plain",
        "the mention arrived twice: {second}"
    );
}

#[tokio::test]
async fn thread_subscription_reports_deletion_of_the_captured_post() {
    let config = Config::default();
    let format = config.ids.misskey_format;
    let env = start_with(config).await;
    let control = env.control();
    let note = control.post("bob", "thread root").await.expect("post");
    let note_id = note["id"].as_str().expect("note id").to_owned();
    let post_id = pnutkey::ids::misskey_to_pnut(&note_id, format).expect("pnut id");
    let (mut ws, _, body) = env
        .open_subscribed("demo-alice", &format!("/v1/posts/{post_id}/thread"))
        .await;
    let sid = body["meta"]["subscription_id"].clone();
    let captured = tokio::time::timeout(
        LIMIT,
        control.wait_for_counts(|counts| counts.sockets.iter().any(|s| s.captured_notes == 1)),
    );
    captured.await.expect("subNote reached the upstream");
    control.delete_note(&note_id).await.expect("delete");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["is_deleted"], true, "{frame}");
    assert_eq!(frame["meta"]["id"], post_id.as_str());
    assert_eq!(frame["meta"]["subscription_ids"], serde_json::json!([sid]));
}

#[tokio::test]
async fn following_subscription_gets_follow_events() {
    let env = start().await;
    let control = env.control();
    let (mut ws, _, _) = env
        .open_subscribed("demo-bob", "/v1/users/me/following")
        .await;
    control.follow("bob", "carol").await.expect("follow");
    let frame = next_json(&mut ws).await;
    assert_eq!(
        frame["data"]["followed_user"]["username"], "carol",
        "{frame}"
    );
    assert_eq!(frame["data"]["user"]["username"], "bob");
    assert!(frame["meta"].get("is_deleted").is_none());
}

#[tokio::test]
async fn upstream_drop_rejoins_channels() {
    let env = start().await;
    let control = env.control();
    let (mut ws, _, _) = env
        .open_subscribed("demo-alice", "/v1/posts/streams/me")
        .await;
    wait_channels(&control, "alice", |s, c| s == 1 && c == 1).await;
    control.drop_streams().await;
    wait_channels(&control, "alice", |s, c| s == 1 && c == 1).await;
    control.post("bob", "after reconnect").await.expect("post");
    assert_eq!(text_of(&next_json(&mut ws).await), "after reconnect");
}

#[tokio::test]
async fn channel_messages_subscription_gets_chat_messages() {
    let config = Config::default();
    let format = config.ids.misskey_format;
    let env = start_with(config).await;
    let control = env.control();
    let channel_id = control.channel_id("general").await.expect("channel");
    let pnut_channel = pnutkey::ids::misskey_to_pnut(&channel_id, format).expect("pnut id");
    let (mut ws, cid) = env.open("demo-alice").await;
    let (status, body) = env
        .subscribe(
            "demo-alice",
            &format!("/v1/channels/{pnut_channel}/messages"),
            &cid,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    control
        .channel_message("bob", &channel_id, "in general")
        .await
        .expect("message");
    let frame = next_json(&mut ws).await;
    assert_eq!(
        frame["meta"]["channel_type"], "io.pnut.core.chat",
        "{frame}"
    );
    assert_eq!(text_of(&frame), "in general");
}

#[tokio::test]
async fn overflowing_the_outbound_byte_bound_closes_as_slow_consumer() {
    let mut config = Config::default();
    config.limits.outbound_queue = bytesize::ByteSize(64);
    let env = start_with(config).await;
    let (mut ws, _, _) = env
        .open_subscribed("demo-alice", "/v1/posts/streams/me")
        .await;
    env.control()
        .post("bob", "too big for 64 bytes of queue")
        .await
        .expect("post");
    assert_eq!(expect_closed(&mut ws).await, Some(1008));
}

#[tokio::test]
async fn notes_missed_while_upstream_was_down_are_backfilled() {
    let env = start().await;
    let control = env.control();
    let (mut ws, _, _) = env
        .open_subscribed("demo-alice", "/v1/posts/streams/me")
        .await;
    control.post("bob", "seen live").await.expect("post");
    assert_eq!(text_of(&next_json(&mut ws).await), "seen live");
    // While stalled the upstream discards events: only the backfill can deliver this note.
    control.stall_streams(true).await;
    control.post("bob", "missed live").await.expect("post");
    control.drop_streams().await;
    control.stall_streams(false).await;
    let frame = next_json(&mut ws).await;
    assert_eq!(text_of(&frame), "missed live", "{frame}");
    // The rejoin has reached the upstream before the next live note.
    wait_channels(&control, "alice", |s, c| s == 1 && c == 1).await;
    control.post("bob", "live again").await.expect("post");
    assert_eq!(text_of(&next_json(&mut ws).await), "live again");
}

#[tokio::test]
async fn files_subscription_gets_file_events() {
    let env = start().await;
    let (mut ws, _, body) = env
        .open_subscribed("demo-alice", "/v1/users/me/files")
        .await;
    env.control()
        .upload_file("alice", "cat.png", "image/png", 1234)
        .await
        .expect("upload");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["data"]["name"], "cat.png", "{frame}");
    assert_eq!(
        frame["meta"]["subscription_ids"],
        serde_json::json!([body["meta"]["subscription_id"]])
    );
}
