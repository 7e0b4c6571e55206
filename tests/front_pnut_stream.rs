//! The pnut user-stream front against the embedded simulated Misskey, through the production
//! routes (`pnutkey::front::routes`): hello, subscriptions through the REST front, event fan-out with `subscription_ids`, the 16-subscription
//! limit, deletes, refcounted upstream channel connections, and token refusal.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pnutkey::config::Config;
use pnutkey::front::BridgeContext;
use pnutkey::sim::misskey::{SimMisskey, SimMisskeyControl, SimMisskeyOptions};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, connect_async};

mod common;

use common::ws::{Ws, next_json};

/// Upper bound for anything a test awaits.
const LIMIT: Duration = Duration::from_secs(10);

struct Env {
    addr: std::net::SocketAddr,
    sim: SimMisskey,
    http: reqwest::Client,
    _ctx: Arc<BridgeContext>,
}

impl Env {
    fn control(&self) -> SimMisskeyControl {
        self.sim.control()
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.addr, path_and_query)
    }

    async fn open(&self, token: &str) -> (Ws, String) {
        let url = format!("ws://{}/v1/user?access_token={token}", self.addr);
        let (mut ws, _) = connect_async(url).await.expect("upgrade");
        let hello = next_json(&mut ws).await;
        let id = hello["meta"]["connection_id"]
            .as_str()
            .expect("connection_id")
            .to_owned();
        (ws, id)
    }

    async fn subscribe(&self, token: &str, path: &str, connection_id: &str) -> (u16, Value) {
        let response = self
            .http
            .get(self.url(&format!("{path}?connection_id={connection_id}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json body"))
    }

    async fn delete(&self, token: &str, path: &str) -> u16 {
        self.http
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
            .status()
            .as_u16()
    }
}

async fn start_with(config: Config) -> Env {
    let sim = SimMisskey::start(SimMisskeyOptions::default())
        .await
        .expect("sim");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let ctx = BridgeContext::new(
        config,
        "http://127.0.0.1:9/v1".to_owned(),
        sim.base_url(),
        format!("http://{addr}"),
    )
    .expect("context");
    let router = pnutkey::front::routes(Arc::clone(&ctx));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Env {
        addr,
        sim,
        http: reqwest::Client::new(),
        _ctx: ctx,
    }
}

async fn start() -> Env {
    start_with(Config::default()).await
}

/// Awaits the close of `ws` (a close frame or the end of the stream), skipping nothing else.
async fn expect_closed(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("closed in time")
        {
            None | Some(Err(_)) => return None,
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(other)) => panic!("unexpected frame before close: {other:?}"),
        }
    }
}

/// Channel connections of `username`'s upstream sockets, awaited until `want` holds.
async fn wait_channels(
    control: &SimMisskeyControl,
    username: &str,
    want: impl Fn(usize, usize) -> bool,
) -> (usize, usize) {
    let mine = |counts: &pnutkey::sim::misskey::SimCounts| {
        let sockets: Vec<_> = counts
            .sockets
            .iter()
            .filter(|s| s.username.as_deref() == Some(username))
            .collect();
        let channels = sockets.iter().map(|s| s.channel_connections).sum();
        (sockets.len(), channels)
    };
    let counts = tokio::time::timeout(
        LIMIT,
        control.wait_for_counts(|counts| {
            let (sockets, channels) = mine(counts);
            want(sockets, channels)
        }),
    )
    .await
    .expect("upstream counts reached in time");
    mine(&counts)
}

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
    let (mut ws, cid) = env.open("demo-alice").await;
    let (status, first) = env
        .subscribe("demo-alice", "/v1/posts/streams/me", &cid)
        .await;
    assert_eq!(status, 200, "{first}");
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

fn text_of(frame: &Value) -> &str {
    frame["data"][0]["content"]["text"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn unified_sends_a_mentioning_note_once() {
    let env = start().await;
    let control = env.control();
    let (mut ws, cid) = env.open("demo-alice").await;
    let (status, body) = env
        .subscribe("demo-alice", "/v1/posts/streams/unified", &cid)
        .await;
    assert_eq!(status, 200, "{body}");
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
    let (mut ws, cid) = env.open("demo-alice").await;
    let (status, body) = env
        .subscribe("demo-alice", &format!("/v1/posts/{post_id}/thread"), &cid)
        .await;
    assert_eq!(status, 200, "{body}");
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
    let (mut ws, cid) = env.open("demo-bob").await;
    let (status, body) = env
        .subscribe("demo-bob", "/v1/users/me/following", &cid)
        .await;
    assert_eq!(status, 200, "{body}");
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
    let (mut ws, cid) = env.open("demo-alice").await;
    let (status, _) = env
        .subscribe("demo-alice", "/v1/posts/streams/me", &cid)
        .await;
    assert_eq!(status, 200);
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
    let (mut ws, cid) = env.open("demo-alice").await;
    let (status, _) = env
        .subscribe("demo-alice", "/v1/posts/streams/me", &cid)
        .await;
    assert_eq!(status, 200);
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
    let (mut ws, cid) = env.open("demo-alice").await;
    let (status, _) = env
        .subscribe("demo-alice", "/v1/posts/streams/me", &cid)
        .await;
    assert_eq!(status, 200);
    control.post("bob", "seen live").await.expect("post");
    assert_eq!(text_of(&next_json(&mut ws).await), "seen live");
    // While stalled the upstream discards events: only the backfill can deliver this note.
    control.stall_streams(true).await;
    control.post("bob", "missed live").await.expect("post");
    control.drop_streams().await;
    control.stall_streams(false).await;
    let frame = next_json(&mut ws).await;
    assert_eq!(text_of(&frame), "missed live", "{frame}");
    control.post("bob", "live again").await.expect("post");
    assert_eq!(text_of(&next_json(&mut ws).await), "live again");
}

#[tokio::test]
async fn files_subscription_gets_file_events() {
    let env = start().await;
    let (mut ws, cid) = env.open("demo-alice").await;
    let (status, body) = env
        .subscribe("demo-alice", "/v1/users/me/files", &cid)
        .await;
    assert_eq!(status, 200, "{body}");
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

/// A tool socket with a tiny receive buffer (so not reading stalls the bridge's writes), after
/// its hello; returns the socket and its connection id.
async fn open_stalled(env: &Env, token: &str) -> (Ws, String) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = socket.connect(env.addr).await.expect("connect");
    let url = format!("ws://{}/v1/user?access_token={token}", env.addr);
    let (mut ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
        .await
        .expect("upgrade");
    let hello = next_json(&mut ws).await;
    let id = hello["meta"]["connection_id"]
        .as_str()
        .expect("connection_id")
        .to_owned();
    (ws, id)
}

/// The post number a frame's text starts with (`"{n} ..."`).
fn post_number(frame: &Value) -> u64 {
    let text = text_of(frame);
    text.split(' ')
        .next()
        .unwrap_or_default()
        .parse()
        .expect("numbered post")
}

/// Most posts the slow-consumer test creates before giving up.
const MAX_POSTS: u64 = 10_000;
/// Posts created at once before the reading tool reads them: ~20 × 3 KB, under the stalled
/// tool's queue (256 KiB, 64 frames), so only a stall overflows it.
const POST_BATCH: u64 = 20;

/// bob's tool never reads while carol posts (bob and alice both follow her): its outbound
/// queue overflows, the bridge closes it with 1008 "slow consumer" and bob's hub lets go of
/// its upstream socket, while alice's tool gets every post in order and keeps receiving.
#[tokio::test]
async fn a_tool_that_stops_reading_is_closed_1008_and_others_keep_receiving() {
    let mut config = Config::default();
    config.limits.outbound_queue = bytesize::ByteSize::kib(256);
    let env = start_with(config).await;
    let control = env.control();
    let _ = control.follow("bob", "carol").await;
    let (mut reader, reader_id) = env.open("demo-alice").await;
    let (mut stalled, stalled_id) = open_stalled(&env, "demo-bob").await;
    for (token, id) in [("demo-alice", &reader_id), ("demo-bob", &stalled_id)] {
        let (status, _) = env.subscribe(token, "/v1/posts/streams/me", id).await;
        assert_eq!(status, 200);
    }
    for user in ["alice", "bob"] {
        wait_channels(&control, user, |s, c| s == 1 && c == 1).await;
    }
    let padding = "x".repeat(2900);
    let mut posted = 0;
    // Posts until bob's hub closes its upstream socket: bob's only tool connection is gone.
    while posted < MAX_POSTS {
        for n in posted..posted + POST_BATCH {
            control
                .post("carol", &format!("{n} {padding}"))
                .await
                .expect("post");
        }
        for n in posted..posted + POST_BATCH {
            let frame = next_json(&mut reader).await;
            assert_eq!(post_number(&frame), n, "alice gets every post in order");
        }
        posted += POST_BATCH;
        let counts = control.counts().await;
        if !counts
            .sockets
            .iter()
            .any(|s| s.username.as_deref() == Some("bob"))
        {
            break;
        }
    }
    assert!(posted < MAX_POSTS, "the stalled tool was never dropped");
    // bob's tool now reads: a prefix of the posts in order, then the close.
    let mut received = 0;
    let close = loop {
        let message = tokio::time::timeout(LIMIT, stalled.next())
            .await
            .expect("the stalled tool's frames in time");
        match message {
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(&text).expect("JSON");
                assert_eq!(post_number(&frame), received, "in order");
                received += 1;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(Message::Close(frame))) => break frame,
            other => panic!("expected frames then a close, got {other:?}"),
        }
    };
    eprintln!("posts until bob's tool was dropped: {posted}; it got {received} before the close");
    let close = close.expect("a close frame");
    assert_eq!(u16::from(close.code), 1008);
    assert_eq!(close.reason.as_str(), "slow consumer");
    assert!(
        received > 0 && received < posted,
        "received {received} of {posted}"
    );
    control
        .post("carol", &format!("{posted} after"))
        .await
        .expect("post");
    assert_eq!(
        post_number(&next_json(&mut reader).await),
        posted,
        "alice keeps receiving"
    );
}

/// A burst of tool connections of one token costs one upstream token check (`i`), not one per
/// connection; a refused token is checked (and refused) every time.
#[tokio::test]
async fn connections_of_an_accepted_token_share_one_upstream_token_check() {
    let env = start().await;
    let _connections = [
        env.open("demo-alice").await,
        env.open("demo-alice").await,
        env.open("demo-alice").await,
    ];
    let calls = env.control().counts().await.calls;
    assert_eq!(calls.get("i"), Some(&1), "{calls:?}");
    for _ in 0..2 {
        let url = format!("ws://{}/v1/user?access_token=not-a-token", env.addr);
        match connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 401);
            }
            other => panic!("expected HTTP 401, got {other:?}"),
        }
    }
    let calls = env.control().counts().await.calls;
    assert_eq!(calls.get("i"), Some(&3), "{calls:?}");
}
