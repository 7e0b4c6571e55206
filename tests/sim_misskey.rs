//! Integration tests of the simulated Misskey server: real sockets on 127.0.0.1, the
//! Misskey wire protocol, assertions on what arrives (no sleeps: barriers and timeouts).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pnutkey::sim::misskey::{NewNote, RateLimit, SimMisskey, SimMisskeyOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for a frame that must arrive.
const WAIT: Duration = Duration::from_secs(5);

async fn start() -> SimMisskey {
    start_with(SimMisskeyOptions {
        rate_limit: None,
        ..Default::default()
    })
    .await
}

async fn start_with(options: SimMisskeyOptions) -> SimMisskey {
    SimMisskey::start(options).await.expect("sim starts")
}

async fn open(sim: &SimMisskey, token: &str) -> Ws {
    let url = format!("ws://{}/streaming?i={token}", sim.addr());
    tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade")
        .0
}

async fn send(ws: &mut Ws, frame: Value) {
    ws.send(Message::Text(frame.to_string().into()))
        .await
        .expect("send");
}

/// The next JSON text frame (pings and pongs skipped).
async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time")
            .expect("stream open")
            .expect("frame ok");
        match message {
            Message::Text(text) => return serde_json::from_str(text.as_str()).expect("json frame"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// `connect` with `pong: true`, waiting for `connected` (also a barrier: every earlier
/// frame of this socket has been processed by then).
async fn join(ws: &mut Ws, channel: &str, id: &str, params: Option<Value>) {
    let mut body = json!({"channel": channel, "id": id, "pong": true});
    if let Some(params) = params {
        body["params"] = params;
    }
    send(ws, json!({"type": "connect", "body": body})).await;
    assert_eq!(
        next_json(ws).await,
        json!({"type": "connected", "body": {"id": id}})
    );
}

struct ApiAnswer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl ApiAnswer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("json body")
    }
}

async fn api(sim: &SimMisskey, endpoint: &str, body: Value) -> ApiAnswer {
    let response = reqwest::Client::new()
        .post(format!("{}/api/{endpoint}", sim.base_url()))
        .json(&body)
        .send()
        .await
        .expect("http");
    ApiAnswer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

fn assert_error(answer: &ApiAnswer, status: StatusCode, code: &str) {
    assert_eq!(
        answer.status,
        status,
        "body: {}",
        String::from_utf8_lossy(&answer.body)
    );
    let body = answer.json();
    assert_eq!(body["error"]["code"], code);
    assert!(body["error"]["message"].is_string());
    assert!(
        body["error"]["id"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );
    assert!(body["error"]["kind"].is_string());
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_string())
        .collect()
}

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
async fn main_channel_gets_followed_mention_and_notification() {
    let sim = start().await;
    let mut ws = open(&sim, "demo-alice").await;
    join(&mut ws, "main", "m", None).await;
    sim.control().follow("bob", "alice").await.unwrap_err();
    sim.control().unfollow("bob", "alice").await.unwrap();
    sim.control().follow("bob", "alice").await.unwrap();
    let followed = next_json(&mut ws).await;
    assert_eq!(followed["body"]["type"], "followed");
    assert_eq!(followed["body"]["body"]["username"], "bob");
    let notification = next_json(&mut ws).await;
    assert_eq!(notification["body"]["type"], "notification");
    assert_eq!(notification["body"]["body"]["type"], "follow");
    assert_eq!(notification["body"]["body"]["user"]["username"], "bob");
    assert_eq!(
        next_json(&mut ws).await["body"]["type"],
        "unreadNotification"
    );
    let note = sim.control().post("carol", "hi @alice").await.unwrap();
    let mention = next_json(&mut ws).await;
    assert_eq!(mention["body"]["id"], "m");
    assert_eq!(mention["body"]["type"], "mention");
    assert_eq!(mention["body"]["body"]["id"], note["id"]);
    let notification = next_json(&mut ws).await;
    assert_eq!(notification["body"]["body"]["type"], "mention");
    assert_eq!(notification["body"]["body"]["note"]["id"], note["id"]);
    let unread = next_json(&mut ws).await;
    assert_eq!(unread["body"]["type"], "unreadNotification");
    assert_eq!(unread["body"]["body"]["note"]["id"], note["id"]);
    sim.control().follow("alice", "carol").await.unwrap_err();
    sim.control().unfollow("alice", "carol").await.unwrap();
    let unfollow = next_json(&mut ws).await;
    assert_eq!(unfollow["body"]["type"], "unfollow");
    assert_eq!(unfollow["body"]["body"]["username"], "carol");
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
async fn captured_note_gets_note_updated_until_unsubscribed() {
    let sim = start().await;
    let control = sim.control();
    let first = control.post("bob", "first").await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let second = control.post("bob", "second").await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ws = open(&sim, "demo-alice").await;
    send(&mut ws, json!({"type": "subNote", "body": {"id": first}})).await;
    send(&mut ws, json!({"type": "s", "body": {"id": second}})).await;
    join(&mut ws, "main", "barrier", None).await;
    control.react("carol", &first, "👍").await.unwrap();
    let reacted = next_json(&mut ws).await;
    assert_eq!(reacted["type"], "noteUpdated");
    assert_eq!(
        reacted["body"],
        json!({"id": first, "type": "reacted", "body": {"reaction": "👍", "emoji": null, "userId": control.user_id("carol").await.unwrap()}})
    );
    control
        .revise_note(&first, "first, revised", None)
        .await
        .unwrap();
    let updated = next_json(&mut ws).await;
    assert_eq!(updated["body"]["type"], "updated");
    assert_eq!(updated["body"]["body"]["text"], "first, revised");
    send(&mut ws, json!({"type": "unsubNote", "body": {"id": first}})).await;
    join(&mut ws, "homeTimeline", "barrier-2", None).await;
    control.delete_note(&first).await.unwrap();
    control.delete_note(&second).await.unwrap();
    let deleted = next_json(&mut ws).await;
    assert_eq!(deleted["type"], "noteUpdated");
    assert_eq!(deleted["body"]["id"], second.as_str());
    assert_eq!(deleted["body"]["type"], "deleted");
    assert!(
        deleted["body"]["body"]["deletedAt"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
}

#[tokio::test]
async fn rest_i_meta_and_timeline_pagination() {
    let sim = start().await;
    let me = api(&sim, "i", json!({"i": "demo-alice"})).await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(
        me.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let me = me.json();
    assert_eq!(me["username"], "alice");
    for key in [
        "avatarUrl",
        "onlineStatus",
        "followersCount",
        "policies",
        "unreadNotificationsCount",
        "createdAt",
    ] {
        assert!(me.get(key).is_some(), "i lacks {key}");
    }
    let meta = api(&sim, "meta", json!({})).await.json();
    assert_eq!(meta["version"], "2026.5.1");
    assert_eq!(meta["policies"]["ltlAvailable"], true);

    let all = api(&sim, "notes/global-timeline", json!({"limit": 100}))
        .await
        .json();
    let all = ids(&all);
    assert!(all.len() >= 5);
    assert!(all.windows(2).all(|w| w[0] > w[1]), "newest first");
    let page = ids(&api(&sim, "notes/global-timeline", json!({"limit": 2}))
        .await
        .json());
    assert_eq!(page, all[..2].to_vec());
    let older = ids(&api(
        &sim,
        "notes/global-timeline",
        json!({"limit": 2, "untilId": page[1]}),
    )
    .await
    .json());
    assert_eq!(older, all[2..4].to_vec());
    let oldest = all.last().unwrap();
    let newer = ids(&api(
        &sim,
        "notes/global-timeline",
        json!({"limit": 2, "sinceId": oldest}),
    )
    .await
    .json());
    let n = all.len();
    assert_eq!(
        newer,
        vec![all[n - 2].clone(), all[n - 3].clone()],
        "sinceId alone: oldest first"
    );
    let home = api(&sim, "notes/timeline", json!({"i": "demo-alice"})).await;
    assert_eq!(home.status, StatusCode::OK);
    for limit in [0, 101] {
        let answer = api(
            &sim,
            "notes/timeline",
            json!({"i": "demo-alice", "limit": limit}),
        )
        .await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "INVALID_PARAM");
        assert!(
            answer.json()["error"]["info"]["param"]
                .as_str()
                .unwrap()
                .contains("limit")
        );
    }
}

#[tokio::test]
async fn notes_create_and_delete() {
    let sim = start().await;
    let created = api(
        &sim,
        "notes/create",
        json!({"i": "demo-bob", "text": "via rest", "cw": "spoiler"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK);
    let note = created.json()["createdNote"].clone();
    assert_eq!(note["text"], "via rest");
    assert_eq!(note["cw"], "spoiler");
    assert_eq!(note["user"]["username"], "bob");
    let id = note["id"].as_str().unwrap();
    let reply = api(
        &sim,
        "notes/create",
        json!({"i": "demo-alice", "text": "re", "replyId": id}),
    )
    .await
    .json();
    assert_eq!(reply["createdNote"]["replyId"], id);
    let children = api(&sim, "notes/children", json!({"noteId": id}))
        .await
        .json();
    assert_eq!(
        ids(&children),
        vec![reply["createdNote"]["id"].as_str().unwrap().to_string()]
    );
    let foreign = api(
        &sim,
        "notes/delete",
        json!({"i": "demo-alice", "noteId": id}),
    )
    .await;
    assert_error(&foreign, StatusCode::BAD_REQUEST, "ACCESS_DENIED");
    let deleted = api(&sim, "notes/delete", json!({"i": "demo-bob", "noteId": id})).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.body.is_empty());
    assert!(deleted.headers.get("content-type").is_none());
    let gone = api(&sim, "notes/show", json!({"noteId": id})).await;
    assert_error(&gone, StatusCode::BAD_REQUEST, "NO_SUCH_NOTE");
    let empty = api(&sim, "notes/create", json!({"i": "demo-bob"})).await;
    assert_error(&empty, StatusCode::BAD_REQUEST, "INVALID_PARAM");
}

#[tokio::test]
async fn error_bodies_and_statuses() {
    let sim = start().await;
    let anonymous = api(&sim, "i", json!({})).await;
    assert_error(&anonymous, StatusCode::UNAUTHORIZED, "CREDENTIAL_REQUIRED");
    let bad = api(&sim, "meta", json!({"i": "wrong"})).await;
    assert_error(&bad, StatusCode::UNAUTHORIZED, "AUTHENTICATION_FAILED");
    assert!(
        bad.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let missing = api(&sim, "users/show", json!({"username": "nobody"})).await;
    assert_error(&missing, StatusCode::NOT_FOUND, "NO_SUCH_USER");
    let found = api(&sim, "users/show", json!({"username": "carol"}))
        .await
        .json();
    assert_eq!(found["username"], "carol");
    let by_id = api(&sim, "users/show", json!({"userId": found["id"]}))
        .await
        .json();
    assert_eq!(by_id["id"], found["id"]);
    let unknown = api(&sim, "no/such/endpoint", json!({})).await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "UNKNOWN_API_ENDPOINT");
    let no_note = api(&sim, "notes/show", json!({})).await;
    assert_error(&no_note, StatusCode::BAD_REQUEST, "INVALID_PARAM");
}

#[tokio::test]
async fn forced_failures_via_control() {
    let sim = start().await;
    let control = sim.control();
    control
        .force_failures(1, 429, Some("demo-alice"), Some("i"))
        .await;
    let limited = api(&sim, "i", json!({"i": "demo-alice"})).await;
    assert_error(
        &limited,
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMIT_EXCEEDED",
    );
    assert!(limited.headers.get("retry-after").is_some());
    assert_eq!(
        api(&sim, "i", json!({"i": "demo-bob"})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api(&sim, "i", json!({"i": "demo-alice"})).await.status,
        StatusCode::OK
    );
    let http = reqwest::Client::new();
    let forced = http
        .post(format!("{}/_sim/failures", sim.base_url()))
        .json(&json!({"count": 2, "status": 500}))
        .send()
        .await
        .unwrap();
    assert_eq!(forced.status(), StatusCode::NO_CONTENT);
    for _ in 0..2 {
        let failed = api(&sim, "meta", json!({})).await;
        assert_error(&failed, StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR");
        assert_eq!(failed.json()["error"]["kind"], "server");
    }
    assert_eq!(api(&sim, "meta", json!({})).await.status, StatusCode::OK);
    assert_eq!(control.counts().await.calls["i"], 3);
}

#[tokio::test]
async fn per_token_rate_limit_answers_429() {
    let sim = start_with(SimMisskeyOptions {
        rate_limit: Some(RateLimit {
            max: 3,
            window: Duration::from_secs(3600),
        }),
        ..Default::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            api(&sim, "i", json!({"i": "demo-carol"})).await.status,
            StatusCode::OK
        );
    }
    let limited = api(&sim, "notes/timeline", json!({"i": "demo-carol"})).await;
    assert_error(
        &limited,
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMIT_EXCEEDED",
    );
    let info = &limited.json()["error"]["info"];
    assert_eq!(info["total"], 3);
    assert_eq!(info["remaining"], 0);
    assert!(info["resetMs"].as_i64().unwrap() > info["reset"].as_i64().unwrap());
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3500..=3600).contains(&retry), "{retry}");
    assert_eq!(
        api(&sim, "i", json!({"i": "demo-bob"})).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn control_counts_channel_connections_and_captures() {
    let sim = start().await;
    let mut alice = open(&sim, "demo-alice").await;
    let mut anonymous = tokio_tungstenite::connect_async(format!("ws://{}/streaming", sim.addr()))
        .await
        .unwrap()
        .0;
    join(&mut alice, "main", "1", None).await;
    join(&mut alice, "homeTimeline", "2", None).await;
    join(
        &mut alice,
        "localTimeline",
        "3",
        Some(json!({"withReplies": true})),
    )
    .await;
    send(
        &mut alice,
        json!({"type": "connect", "body": {"channel": "main", "id": "4", "pong": true}}),
    )
    .await;
    send(
        &mut alice,
        json!({"type": "sr", "body": {"id": "aaaaaaaaaaaaaaaa"}}),
    )
    .await;
    join(&mut alice, "drive", "5", None).await;
    send(
        &mut anonymous,
        json!({"type": "connect", "body": {"channel": "main", "id": "m", "pong": true}}),
    )
    .await;
    join(&mut anonymous, "globalTimeline", "g", None).await;
    let counts = sim.control().counts().await;
    assert_eq!(counts.connections, 2);
    let alice_counts = counts
        .sockets
        .iter()
        .find(|s| s.username.as_deref() == Some("alice"))
        .unwrap();
    assert_eq!(alice_counts.channel_connections, 4);
    assert_eq!(alice_counts.captured_notes, 1);
    let anonymous_counts = counts
        .sockets
        .iter()
        .find(|s| s.username.is_none())
        .unwrap();
    assert_eq!(anonymous_counts.channels, vec!["globalTimeline"]);
    let http_counts: Value = reqwest::get(format!("{}/_sim/counts", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(http_counts["connections"], 2);
    drop(alice);
    drop(anonymous);
}

#[tokio::test]
async fn stall_drop_and_protocol_pings() {
    let sim = start_with(SimMisskeyOptions {
        rate_limit: None,
        ping_interval: Duration::from_millis(20),
        ..Default::default()
    })
    .await;
    let control = sim.control();
    let mut ws = open(&sim, "demo-alice").await;
    // A protocol ping arrives (next_json would skip it, so read raw frames).
    loop {
        let frame = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a ping in time");
        if let Some(Ok(Message::Ping(_))) = frame {
            break;
        }
    }
    join(&mut ws, "globalTimeline", "g", None).await;
    control.stall_streams(true).await;
    control.post("bob", "lost while stalled").await.unwrap();
    control.stall_streams(false).await;
    let after = control
        .create_note(
            "carol",
            NewNote {
                text: Some("after stall".into()),
                ..NewNote::default()
            },
        )
        .await
        .unwrap();
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["body"]["body"]["id"], after["id"]);
    control.drop_streams().await;
    let closed = loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("close in time")
        {
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break true,
            Some(Ok(_)) => continue,
        }
    };
    assert!(closed);
    assert_eq!(control.counts().await.connections, 0);
    let http = reqwest::Client::new();
    let note: Value = http
        .post(format!("{}/_sim/notes", sim.base_url()))
        .json(&json!({"user": "alice", "text": "over http"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(note["text"], "over http");
    sim.shutdown().await;
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

#[tokio::test]
async fn drive_and_reaction_events_and_rest_side_effects() {
    let sim = start().await;
    let mut ws = open(&sim, "demo-alice").await;
    join(&mut ws, "drive", "d", None).await;
    join(&mut ws, "main", "m", None).await;
    let file = sim
        .control()
        .upload_file("alice", "cat.png", "image/png", 1234)
        .await
        .unwrap();
    let created = next_json(&mut ws).await;
    assert_eq!(created["body"]["id"], "d");
    assert_eq!(created["body"]["type"], "fileCreated");
    assert_eq!(created["body"]["body"]["id"], file["id"]);
    assert_eq!(created["body"]["body"]["type"], "image/png");
    let main = next_json(&mut ws).await;
    assert_eq!(main["body"]["type"], "driveFileCreated");
    let files = api(
        &sim,
        "drive/files",
        json!({"i": "demo-alice", "type": "image/*"}),
    )
    .await
    .json();
    assert_eq!(files[0]["id"], file["id"]);

    let mine = sim.control().post("alice", "react to me").await.unwrap();
    let note_id = mine["id"].as_str().unwrap();
    send(&mut ws, json!({"type": "sr", "body": {"id": note_id}})).await;
    join(&mut ws, "localTimeline", "barrier", None).await;
    let reacted = api(
        &sim,
        "notes/reactions/create",
        json!({"i": "demo-bob", "noteId": note_id, "reaction": ":blobcat:"}),
    )
    .await;
    assert_eq!(reacted.status, StatusCode::NO_CONTENT);
    let event = next_json(&mut ws).await;
    assert_eq!(event["type"], "noteUpdated");
    assert_eq!(event["body"]["body"]["reaction"], ":blobcat@.:");
    assert_eq!(event["body"]["body"]["emoji"]["name"], "blobcat@.");
    let notification = next_json(&mut ws).await;
    assert_eq!(notification["body"]["body"]["type"], "reaction");
    assert_eq!(
        next_json(&mut ws).await["body"]["type"],
        "unreadNotification"
    );
    let again = api(
        &sim,
        "notes/reactions/create",
        json!({"i": "demo-bob", "noteId": note_id, "reaction": ":blobcat:"}),
    )
    .await;
    assert_error(&again, StatusCode::BAD_REQUEST, "ALREADY_REACTED");
    let removed = api(
        &sim,
        "notes/reactions/delete",
        json!({"i": "demo-bob", "noteId": note_id}),
    )
    .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let event = next_json(&mut ws).await;
    assert_eq!(event["body"]["type"], "unreacted");
    let shown = api(&sim, "notes/show", json!({"noteId": note_id}))
        .await
        .json();
    assert_eq!(shown["reactionCount"], 0);

    let notifications = api(&sim, "i/notifications", json!({"i": "demo-alice"}))
        .await
        .json();
    assert_eq!(notifications[0]["type"], "reaction");
    let read = next_json(&mut ws).await;
    assert_eq!(
        read["body"],
        json!({"id": "m", "type": "readAllNotifications", "body": null})
    );
}

#[tokio::test]
async fn rest_users_follows_channels_and_emojis() {
    let sim = start().await;
    let control = sim.control();
    let carol = control.user_id("carol").await.unwrap();
    let followers = api(&sim, "users/followers", json!({"userId": carol}))
        .await
        .json();
    assert_eq!(followers[0]["follower"]["username"], "alice");
    let followed = api(
        &sim,
        "following/create",
        json!({"i": "demo-bob", "userId": carol}),
    )
    .await;
    assert_eq!(followed.status, StatusCode::OK);
    assert_eq!(followed.json()["username"], "carol");
    let twice = api(
        &sim,
        "following/create",
        json!({"i": "demo-bob", "userId": carol}),
    )
    .await;
    assert_error(&twice, StatusCode::BAD_REQUEST, "ALREADY_FOLLOWING");
    let following = api(
        &sim,
        "users/following",
        json!({"userId": control.user_id("bob").await.unwrap()}),
    )
    .await
    .json();
    assert_eq!(
        following[0]["followee"]["username"], "carol",
        "newest follow first"
    );
    let shown = api(
        &sim,
        "users/show",
        json!({"i": "demo-bob", "userId": carol}),
    )
    .await
    .json();
    assert_eq!(shown["isFollowing"], true);
    let general = control.channel_id("general").await.unwrap();
    let channel = api(&sim, "channels/show", json!({"channelId": general}))
        .await
        .json();
    assert_eq!(channel["name"], "general");
    let timeline = api(&sim, "channels/timeline", json!({"channelId": general}))
        .await
        .json();
    assert_eq!(timeline[0]["channelId"], general.as_str());
    let missing = api(&sim, "channels/show", json!({"channelId": "zzzz"})).await;
    assert_error(&missing, StatusCode::BAD_REQUEST, "NO_SUCH_CHANNEL");
    let emojis: Value = reqwest::get(format!("{}/api/emojis", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(emojis["emojis"][0]["name"], "blobcat");
    let wrong_method = reqwest::get(format!("{}/api/meta", sim.base_url()))
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn activity_generator_produces_live_notes() {
    let sim = start_with(SimMisskeyOptions {
        rate_limit: None,
        activity_interval: Some(Duration::from_millis(10)),
        ..Default::default()
    })
    .await;
    let mut ws = tokio_tungstenite::connect_async(format!("ws://{}/streaming", sim.addr()))
        .await
        .unwrap()
        .0;
    join(&mut ws, "globalTimeline", "g", None).await;
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["body"]["type"], "note");
    assert!(frame["body"]["body"]["id"].as_str().unwrap().len() == 16);
}

#[tokio::test]
async fn socket_that_never_answers_pings_is_terminated() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sim = start_with(SimMisskeyOptions {
        rate_limit: None,
        ping_interval: Duration::from_millis(20),
        stream_silence_timeout: Duration::from_millis(100),
        ..Default::default()
    })
    .await;
    let mut tcp = TcpStream::connect(sim.addr()).await.unwrap();
    let handshake = format!(
        "GET /streaming?i=demo-alice HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        sim.addr()
    );
    tcp.write_all(handshake.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout(WAIT, tcp.read(&mut buffer))
            .await
            .expect("server ends the socket")
        {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 101"), "{text}");
    assert!(
        received.contains(&0x89),
        "at least one ping frame (opcode 0x9) was sent"
    );
}

#[tokio::test]
async fn timelines_apply_the_reply_and_renote_rules() {
    let sim = start().await;
    let control = sim.control();
    let root = control.post("bob", "root by bob").await.unwrap();
    let reply = control
        .create_note(
            "carol",
            NewNote {
                text: Some("carol answers bob".into()),
                reply_id: root["id"].as_str().map(str::to_string),
                ..NewNote::default()
            },
        )
        .await
        .unwrap();
    let renote = control
        .create_note(
            "carol",
            NewNote {
                renote_id: root["id"].as_str().map(str::to_string),
                ..NewNote::default()
            },
        )
        .await
        .unwrap();
    let reply_id = reply["id"].as_str().unwrap().to_string();
    let renote_id = renote["id"].as_str().unwrap().to_string();
    let home = ids(&api(
        &sim,
        "notes/timeline",
        json!({"i": "demo-alice", "limit": 100}),
    )
    .await
    .json());
    assert!(
        !home.contains(&reply_id),
        "reply to a third party is not on alice's home"
    );
    assert!(home.contains(&renote_id));
    let local = ids(&api(
        &sim,
        "notes/local-timeline",
        json!({"withReplies": true, "limit": 100}),
    )
    .await
    .json());
    assert!(local.contains(&reply_id));
    let no_renotes = ids(&api(
        &sim,
        "notes/global-timeline",
        json!({"withRenotes": false, "limit": 100}),
    )
    .await
    .json());
    assert!(!no_renotes.contains(&renote_id));
    let renotes = api(&sim, "notes/renotes", json!({"noteId": root["id"]}))
        .await
        .json();
    assert_eq!(ids(&renotes), vec![renote_id.clone()]);
    let conversation = api(&sim, "notes/conversation", json!({"noteId": reply_id}))
        .await
        .json();
    assert_eq!(conversation[0]["id"], root["id"]);
    let unrenoted = api(
        &sim,
        "notes/unrenote",
        json!({"i": "demo-carol", "noteId": root["id"]}),
    )
    .await;
    assert_eq!(unrenoted.status, StatusCode::NO_CONTENT);
    assert_error(
        &api(&sim, "notes/show", json!({"noteId": renote_id})).await,
        StatusCode::BAD_REQUEST,
        "NO_SUCH_NOTE",
    );
}

#[path = "sim_misskey/observed.rs"]
mod observed;
#[path = "sim_misskey/upload.rs"]
mod upload;
