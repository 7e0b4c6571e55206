//! Integration tests of the simulated pnut server: real sockets on 127.0.0.1, the pnut wire
//! protocol (REST envelope + user streams), assertions on what arrives. No sleeps: frames are
//! awaited with generous outer timeouts, and state is read through the control handle.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pnutkey::sim::pnut::{
    ForcedFailure, PnutRateLimits, RateLimit, SimPnut, SimPnutControl, SimPnutOptions,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

#[path = "sim_pnut/interactions.rs"]
mod interactions;
#[path = "sim_pnut/polls.rs"]
mod polls;
#[path = "sim_pnut/upload.rs"]
mod upload;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for something that must happen.
const WAIT: Duration = Duration::from_secs(10);

async fn start() -> SimPnut {
    start_with(SimPnutOptions::default()).await
}

async fn start_with(options: SimPnutOptions) -> SimPnut {
    SimPnut::start(options).await.expect("sim starts")
}

/// Opens a user stream with `?access_token=` and returns it with its connection id.
async fn open(sim: &SimPnut, token: &str) -> (Ws, String) {
    let url = format!("ws://{}/v1/user?access_token={token}", sim.stream_addr());
    let mut ws = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade")
        .0;
    let hello = next_json(&mut ws).await;
    let id = hello["meta"]["connection_id"]
        .as_str()
        .expect("hello has connection_id")
        .to_string();
    (ws, id)
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

/// Awaits the end of the stream; returns the close frame's code, if one was sent.
async fn await_close(ws: &mut Ws) -> Option<u16> {
    loop {
        let next = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("the stream ends in time");
        match next {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(Message::Text(text))) => panic!("unexpected text frame {text}"),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn call(
    sim: &SimPnut,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, String)>,
) -> Reply {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", sim.base_url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some((content_type, body)) = body {
        request = request.header("content-type", content_type).body(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("json body")
    };
    Reply {
        status,
        headers,
        body,
    }
}

async fn get(sim: &SimPnut, path: &str, token: &str) -> Reply {
    call(sim, reqwest::Method::GET, path, Some(token), None).await
}

async fn subscribe(sim: &SimPnut, path: &str, token: &str, connection_id: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    let reply = get(
        sim,
        &format!("{path}{sep}connection_id={connection_id}"),
        token,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    reply.body["meta"]["subscription_id"]
        .as_str()
        .expect("subscription_id")
        .to_string()
}

/// Awaits, through the control handle, until `wanted` connections are open.
async fn connections_become(control: &SimPnutControl, wanted: usize) {
    tokio::time::timeout(WAIT, control.wait_for_connections(wanted))
        .await
        .expect("connection count reached in time");
}

fn assert_url_safe_32(id: &str) {
    assert_eq!(id.len(), 32, "{id}");
    assert!(
        id.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{id}"
    );
}

#[tokio::test]
async fn hello_and_subscribe_flow() {
    let sim = start().await;
    let url = format!("ws://{}/v1/user?access_token=demo-bob", sim.stream_addr());
    let mut ws = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade")
        .0;
    let hello = next_json(&mut ws).await;
    assert!(hello.get("data").is_none(), "{hello}");
    assert!(hello["meta"].get("code").is_none(), "{hello}");
    let endpoint = hello["meta"]["stream"]["endpoint"]
        .as_str()
        .expect("endpoint");
    assert_eq!(endpoint, format!("ws://{}/v1/user", sim.stream_addr()));
    let connection_id = hello["meta"]["connection_id"]
        .as_str()
        .expect("cid")
        .to_string();
    assert_url_safe_32(&connection_id);

    let reply = get(
        &sim,
        &format!("/v1/posts/streams/me?count=2&connection_id={connection_id}"),
        "demo-bob",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["meta"]["code"], 200);
    assert_eq!(reply.body["meta"]["more"], true);
    assert_eq!(reply.body["data"].as_array().map(Vec::len), Some(2));
    assert_url_safe_32(reply.body["meta"]["subscription_id"].as_str().expect("sid"));

    // The Authorization header works for the upgrade too.
    let mut request = format!("ws://{}/v1/user", sim.stream_addr())
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "Authorization",
        "Bearer demo-alice".parse().expect("header"),
    );
    let mut by_header = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrade")
        .0;
    let hello = next_json(&mut by_header).await;
    assert_ne!(
        hello["meta"]["connection_id"].as_str(),
        Some(connection_id.as_str())
    );

    // A bad token is refused at the upgrade with a 401 envelope.
    let refused = tokio_tungstenite::connect_async(format!(
        "ws://{}/v1/user?access_token=nope",
        sim.stream_addr()
    ))
    .await;
    match refused {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("expected an HTTP 401, got {other:?}"),
    }
    let plain = reqwest::get(format!(
        "http://{}/v1/user?access_token=nope",
        sim.stream_addr()
    ))
    .await
    .expect("plain get");
    assert_eq!(plain.status(), StatusCode::UNAUTHORIZED);
    let plain: Value = plain.json().await.expect("envelope");
    assert_eq!(plain["meta"]["code"], 401);
    assert!(plain.get("data").is_none());
    let counts = sim.control().counts().await;
    assert_eq!(counts.connections, 2);
    assert_eq!(counts.subscriptions.get(&connection_id), Some(&1));
}

#[tokio::test]
async fn one_frame_names_every_matching_subscription() {
    let sim = start().await;
    let control = sim.control();
    let (mut ws, cid) = open(&sim, "demo-bob").await;
    let me = subscribe(&sim, "/v1/posts/streams/me", "demo-bob", &cid).await;
    let unified = subscribe(&sim, "/v1/posts/streams/unified", "demo-bob", &cid).await;
    let global_files = subscribe(&sim, "/v1/users/me/files", "demo-bob", &cid).await;
    let first = control
        .create_post("alice", "first", None)
        .await
        .expect("post");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["id"], first.id.as_str());
    let mut ids: Vec<&str> = frame["meta"]["subscription_ids"]
        .as_array()
        .expect("subscription_ids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    ids.sort_unstable();
    let mut expected = vec![me.as_str(), unified.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    assert!(!ids.contains(&global_files.as_str()));
    // The next frame is the next event: the first one was sent once, not once per subscription.
    let second = control
        .create_post("alice", "second", None)
        .await
        .expect("post");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["id"], second.id.as_str());
}

#[tokio::test]
async fn seventeenth_subscription_is_refused_and_changes_nothing() {
    let sim = start().await;
    let control = sim.control();
    let (mut ws, cid) = open(&sim, "demo-alice").await;
    let mut sids = Vec::new();
    for _ in 0..16 {
        sids.push(subscribe(&sim, "/v1/users/me/posts", "demo-alice", &cid).await);
    }
    sids.sort();
    sids.dedup();
    assert_eq!(sids.len(), 16, "duplicates get distinct ids");
    let refused = get(
        &sim,
        &format!("/v1/users/me/posts?connection_id={cid}"),
        "demo-alice",
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body,
        json!({"meta": {"code": 400, "error_message":
            format!("connection {cid} already has the maximum of 16 subscriptions")}})
    );
    assert_eq!(control.counts().await.subscriptions.get(&cid), Some(&16));
    control
        .create_post("alice", "still flowing", None)
        .await
        .expect("post");
    let frame = next_json(&mut ws).await;
    assert_eq!(
        frame["meta"]["subscription_ids"].as_array().map(Vec::len),
        Some(16)
    );
}

#[tokio::test]
async fn max_subscriptions_is_configurable() {
    let sim = start_with(SimPnutOptions {
        max_subscriptions: 1,
        ..Default::default()
    })
    .await;
    let (_ws, cid) = open(&sim, "demo-alice").await;
    subscribe(&sim, "/v1/token", "demo-alice", &cid).await;
    let refused = get(
        &sim,
        &format!("/v1/token?connection_id={cid}"),
        "demo-alice",
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.body["meta"]["error_message"],
        format!("connection {cid} already has the maximum of 1 subscriptions")
    );
}

#[tokio::test]
async fn wrong_owner_is_403_and_unknown_connection_is_400() {
    let sim = start().await;
    let (_ws, cid) = open(&sim, "demo-alice").await;
    let foreign = get(
        &sim,
        &format!("/v1/posts/streams/me?connection_id={cid}"),
        "demo-bob",
    )
    .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert_eq!(foreign.body["meta"]["code"], 403);
    assert!(foreign.body.get("data").is_none());
    let unknown = get(
        &sim,
        "/v1/posts/streams/me?connection_id=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "demo-bob",
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.body["meta"]["code"], 400);
    let counts = sim.control().counts().await;
    assert_eq!(counts.subscriptions.get(&cid), Some(&0));
}

#[tokio::test]
async fn subscriptions_die_with_their_connection() {
    let sim = start().await;
    let control = sim.control();
    let (mut ws, cid) = open(&sim, "demo-carol").await;
    subscribe(&sim, "/v1/posts/streams/unified", "demo-carol", &cid).await;
    subscribe(&sim, "/v1/users/me/followers", "demo-carol", &cid).await;
    assert_eq!(control.counts().await.subscriptions.get(&cid), Some(&2));
    ws.close(None).await.expect("close");
    connections_become(&control, 0).await;
    let dead = get(
        &sim,
        &format!("/v1/posts/streams/unified?connection_id={cid}"),
        "demo-carol",
    )
    .await;
    assert_eq!(dead.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn delete_endpoints() {
    let sim = start().await;
    let control = sim.control();
    let (mut ws, cid) = open(&sim, "demo-alice").await;
    let sid = subscribe(&sim, "/v1/token", "demo-alice", &cid).await;
    let path = format!("/v1/users/me/streams/{cid}/{sid}");
    let gone = call(
        &sim,
        reqwest::Method::DELETE,
        &path,
        Some("demo-alice"),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(control.counts().await.subscriptions.get(&cid), Some(&0));
    let again = call(
        &sim,
        reqwest::Method::DELETE,
        &path,
        Some("demo-alice"),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.body["meta"]["code"], 404);

    let stream_path = format!("/v1/users/me/streams/{cid}");
    let foreign = call(
        &sim,
        reqwest::Method::DELETE,
        &stream_path,
        Some("demo-bob"),
        None,
    )
    .await;
    assert_eq!(
        foreign.status,
        StatusCode::NOT_FOUND,
        "another user's stream is not found"
    );
    let deleted = call(
        &sim,
        reqwest::Method::DELETE,
        &stream_path,
        Some("demo-alice"),
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(await_close(&mut ws).await, Some(1001));
    let again = call(
        &sim,
        reqwest::Method::DELETE,
        &stream_path,
        Some("demo-alice"),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn silent_client_is_closed_and_text_is_keep_alive() {
    let sim = start_with(SimPnutOptions {
        stream_silence_timeout: Duration::from_millis(200),
        ..Default::default()
    })
    .await;
    let (mut ws, _cid) = open(&sim, "demo-alice").await;
    ws.send(Message::Text(".".into())).await.expect("send");
    let pong = next_json(&mut ws).await;
    assert!(pong.get("data").is_none(), "{pong}");
    assert!(pong["meta"].get("subscription_ids").is_none(), "{pong}");
    assert!(pong["meta"].get("connection_id").is_none(), "{pong}");
    ws.send(Message::Ping(vec![1, 2].into()))
        .await
        .expect("ping");
    // The ping is answered with a pong; then silence closes the stream.
    let mut saw_pong = false;
    let code = loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("in time")
        {
            Some(Ok(Message::Pong(payload))) => {
                assert_eq!(payload.as_ref(), &[1, 2]);
                saw_pong = true;
            }
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(other)) => panic!("unexpected {other:?}"),
            Some(Err(_)) | None => break None,
        }
    };
    assert!(saw_pong, "websocket ping answered");
    assert_eq!(code, Some(1000));
    connections_become(&sim.control(), 0).await;
}

fn header(reply: &Reply, name: &str) -> Option<u64> {
    reply.headers.get(name)?.to_str().ok()?.parse().ok()
}

#[tokio::test]
async fn rate_limits_per_bucket_with_headers_and_429_bodies() {
    let sim = start_with(SimPnutOptions {
        rate_limits: PnutRateLimits {
            authenticated_get: RateLimit {
                max: 3,
                window: Duration::from_secs(3600),
            },
            write: RateLimit {
                max: 1,
                window: Duration::from_secs(60),
            },
            unauthenticated: RateLimit {
                max: 2,
                window: Duration::from_secs(60),
            },
        },
        ..Default::default()
    })
    .await;
    for remaining in [2, 1, 0] {
        let reply = get(&sim, "/v1/token", "demo-alice").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(header(&reply, "x-ratelimit-limit"), Some(3));
        assert_eq!(header(&reply, "x-ratelimit-remaining"), Some(remaining));
        let reset = header(&reply, "x-ratelimit-reset").expect("reset");
        assert!((3599..=3600).contains(&reset), "{reset}");
    }
    let limited = get(&sim, "/v1/token", "demo-alice").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.body["meta"]["code"], 429);
    assert!(limited.body.get("data").is_none());
    let retry_in = limited.body["meta"]["retry_in"].as_u64().expect("retry_in");
    assert!((3599..=3600).contains(&retry_in), "{retry_in}");
    assert_eq!(header(&limited, "retry-after"), Some(retry_in));
    assert_eq!(header(&limited, "x-ratelimit-remaining"), Some(0));
    // Buckets are per token and per kind.
    assert_eq!(
        get(&sim, "/v1/token", "demo-bob").await.status,
        StatusCode::OK
    );
    let body = Some(("application/json", json!({"text": "one"}).to_string()));
    let write = call(
        &sim,
        reqwest::Method::POST,
        "/v1/posts",
        Some("demo-alice"),
        body.clone(),
    )
    .await;
    assert_eq!(write.status, StatusCode::CREATED);
    assert_eq!(header(&write, "x-ratelimit-limit"), Some(1));
    let write = call(
        &sim,
        reqwest::Method::POST,
        "/v1/posts",
        Some("demo-alice"),
        body,
    )
    .await;
    assert_eq!(write.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        write.body["meta"]["retry_in"]
            .as_u64()
            .is_some_and(|s| (59..=60).contains(&s))
    );
    // Unauthenticated GETs have their own bucket.
    for _ in 0..2 {
        let anon = call(&sim, reqwest::Method::GET, "/v1/sys/config", None, None).await;
        assert_eq!(anon.status, StatusCode::OK);
    }
    let anon = call(&sim, reqwest::Method::GET, "/v1/posts/8", None, None).await;
    assert_eq!(anon.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn forced_failures_via_control() {
    let sim = start().await;
    let control = sim.control();
    control
        .force_failures(ForcedFailure {
            remaining: 1,
            status: 500,
            token: Some("demo-bob".into()),
            endpoint: Some("/v1/posts/{id}".into()),
        })
        .await;
    assert_eq!(
        get(&sim, "/v1/posts/8", "demo-alice").await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&sim, "/v1/token", "demo-bob").await.status,
        StatusCode::OK
    );
    let failed = get(&sim, "/v1/posts/8", "demo-bob").await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(failed.body["meta"]["code"], 500);
    assert!(failed.body.get("data").is_none());
    assert_eq!(
        get(&sim, "/v1/posts/8", "demo-bob").await.status,
        StatusCode::OK
    );

    // Over HTTP: two 429s for anyone, anywhere.
    let reply = reqwest::Client::new()
        .post(format!("{}/_sim/fail", sim.base_url()))
        .json(&json!({"status": 429, "count": 2}))
        .send()
        .await
        .expect("control");
    assert_eq!(reply.status(), StatusCode::OK);
    for _ in 0..2 {
        let limited = get(&sim, "/v1/users/me", "demo-carol").await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.body["meta"]["code"], 429);
        assert!(limited.body["meta"]["retry_in"].as_u64().is_some());
        assert!(header(&limited, "retry-after").is_some());
    }
    assert_eq!(
        get(&sim, "/v1/users/me", "demo-carol").await.status,
        StatusCode::OK
    );
    let counts = control.counts().await;
    assert_eq!(counts.calls.get("GET /v1/posts/{id}"), Some(&3));
    assert_eq!(counts.calls.get("GET /v1/users/{user}"), Some(&3));
}

fn ids(reply: &Reply) -> Vec<u64> {
    reply.body["data"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["id"].as_str().and_then(|s| s.parse().ok()).expect("id"))
        .collect()
}

#[tokio::test]
async fn pagination_since_before_count_more() {
    let sim = start().await;
    let control = sim.control();
    for n in 0..5 {
        control
            .create_post("carol", &format!("post {n}"), None)
            .await
            .expect("post");
    }
    let all = get(&sim, "/v1/posts/streams/global?count=200", "demo-alice").await;
    let all_ids = ids(&all);
    assert_eq!(all_ids.len(), 10);
    assert!(all_ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert_eq!(all.body["meta"]["more"], false);

    let first = get(&sim, "/v1/posts/streams/global?count=3", "demo-alice").await;
    assert_eq!(ids(&first), all_ids[..3]);
    assert_eq!(first.body["meta"]["more"], true);
    assert_eq!(first.body["meta"]["max_id"], all_ids[0].to_string());
    assert_eq!(first.body["meta"]["min_id"], all_ids[2].to_string());
    assert_eq!(
        first.body["data"][0]["pagination_id"],
        all_ids[0].to_string()
    );

    let older = get(
        &sim,
        &format!("/v1/posts/streams/global?count=3&before_id={}", all_ids[2]),
        "demo-alice",
    )
    .await;
    assert_eq!(ids(&older), all_ids[3..6]);

    let newer = get(
        &sim,
        &format!("/v1/posts/streams/global?since_id={}", all_ids[3]),
        "demo-alice",
    )
    .await;
    assert_eq!(ids(&newer), all_ids[..3]);
    assert_eq!(newer.body["meta"]["more"], false);

    let gap = get(
        &sim,
        &format!("/v1/posts/streams/global?since_id={}&count=2", all_ids[5]),
        "demo-alice",
    )
    .await;
    assert_eq!(ids(&gap), all_ids[..2], "newest of the range first");
    assert_eq!(gap.body["meta"]["more"], true);

    let oldest = get(&sim, "/v1/posts/streams/global?count=-2", "demo-alice").await;
    assert_eq!(ids(&oldest), all_ids[8..]);
    let invalid = get(&sim, "/v1/posts/streams/global?count=0", "demo-alice").await;
    assert_eq!(
        ids(&invalid),
        all_ids,
        "invalid count is ignored (default 20)"
    );

    // The subscribe call honours the same parameters for its page.
    let (_ws, cid) = open(&sim, "demo-carol").await;
    let page = get(
        &sim,
        &format!("/v1/users/me/posts?count=2&connection_id={cid}"),
        "demo-carol",
    )
    .await;
    assert_eq!(ids(&page), all_ids[..2]);
    assert_eq!(page.body["meta"]["more"], true);
    assert!(page.body["meta"]["subscription_id"].is_string());
}

#[tokio::test]
async fn create_posts_with_json_and_form_bodies() {
    let sim = start().await;
    let json_body = json!({"text": "hello from json @bob #tests", "is_nsfw": true,
        "raw": {"io.pnut.core.language": [{"language": "en"}]}});
    let created = call(
        &sim,
        reqwest::Method::POST,
        "/v1/posts?include_post_raw=1",
        Some("demo-alice"),
        Some(("application/json", json_body.to_string())),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["meta"]["code"], 201);
    let post = &created.body["data"];
    assert_eq!(post["content"]["text"], "hello from json @bob #tests");
    assert_eq!(post["is_nsfw"], true);
    assert_eq!(post["user"]["username"], "alice");
    assert_eq!(post["content"]["entities"]["mentions"][0]["text"], "bob");
    assert_eq!(post["content"]["entities"]["tags"][0]["text"], "tests");
    assert_eq!(post["raw"]["io.pnut.core.language"][0]["language"], "en");
    let parent = post["id"].as_str().expect("id").to_string();

    let form = format!("text=a+form+reply&reply_to={parent}&is_nsfw=0");
    let reply = call(
        &sim,
        reqwest::Method::POST,
        "/v1/posts",
        Some("demo-bob"),
        Some(("application/x-www-form-urlencoded", form)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body["data"]["content"]["text"], "a form reply");
    assert_eq!(reply.body["data"]["reply_to"], parent.as_str());
    assert_eq!(reply.body["data"]["thread_id"], parent.as_str());
    assert!(reply.body["data"].get("is_nsfw").is_none());

    let fetched = get(&sim, &format!("/v1/posts/{parent}"), "demo-carol").await;
    assert_eq!(fetched.body["data"]["counts"]["replies"], 1);
    assert!(
        fetched.body["data"].get("raw").is_none(),
        "raw only with raw flags"
    );
    let with_raw = get(
        &sim,
        &format!("/v1/posts/{parent}?include_raw=1"),
        "demo-carol",
    )
    .await;
    assert_eq!(
        with_raw.body["data"]["raw"]["io.pnut.core.language"][0]["language"],
        "en"
    );

    let empty = call(
        &sim,
        reqwest::Method::POST,
        "/v1/posts",
        Some("demo-bob"),
        Some(("application/json", json!({"text": ""}).to_string())),
    )
    .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.body["meta"]["code"], 400);
    let anonymous = call(&sim, reqwest::Method::POST, "/v1/posts", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

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
async fn stalled_streams_send_nothing_and_drop_closes_them() {
    let sim = start().await;
    let control = sim.control();
    let (mut ws, cid) = open(&sim, "demo-bob").await;
    subscribe(&sim, "/v1/posts/streams/me", "demo-bob", &cid).await;
    control.stall_streams(true);
    control
        .create_post("alice", "held back", None)
        .await
        .expect("post");
    assert_eq!(
        control.counts().await.connections,
        1,
        "a stalled socket stays open"
    );
    let reply = reqwest::Client::new()
        .post(format!("{}/_sim/streams/drop", sim.base_url()))
        .send()
        .await
        .expect("control");
    let body: Value = reply.json().await.expect("json");
    assert_eq!(body["dropped"], 1);
    // await_close panics on any text frame: the stalled post frame was never sent.
    assert_eq!(await_close(&mut ws).await, Some(1001));
    assert_eq!(control.counts().await.connections, 0);
}

#[tokio::test]
async fn a_full_queue_closes_the_slow_connection() {
    let sim = start_with(SimPnutOptions {
        stream_queue_capacity: 1,
        ..Default::default()
    })
    .await;
    let control = sim.control();
    let (mut slow, slow_id) = open(&sim, "demo-bob").await;
    subscribe(&sim, "/v1/posts/streams/me", "demo-bob", &slow_id).await;
    control.stall_streams(true);
    for n in 0..3 {
        control
            .create_post("alice", &format!("burst {n}"), None)
            .await
            .expect("post");
    }
    assert_eq!(
        control.counts().await.connections,
        0,
        "closed when its queue filled"
    );
    assert_eq!(await_close(&mut slow).await, Some(1008), "slow consumer");
}

#[tokio::test]
async fn control_http_drives_the_world() {
    let sim = start().await;
    let (mut ws, cid) = open(&sim, "demo-alice").await;
    let files = subscribe(&sim, "/v1/users/me/files", "demo-alice", &cid).await;
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{}/_sim/posts", sim.base_url()))
        .json(&json!({"user": "carol", "text": "via http"}))
        .send()
        .await
        .expect("control")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("post id");
    let fetched = get(&sim, &format!("/v1/posts/{id}"), "demo-alice").await;
    assert_eq!(fetched.body["data"]["content"]["text"], "via http");
    let unknown = client
        .post(format!("{}/_sim/posts", sim.base_url()))
        .json(&json!({"user": "mallory", "text": "x"}))
        .send()
        .await
        .expect("control");
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);

    let file: Value = client
        .post(format!("{}/_sim/files", sim.base_url()))
        .json(&json!({"user": "alice", "name": "a.png"}))
        .send()
        .await
        .expect("control")
        .json()
        .await
        .expect("json");
    let file_id = file["id"].as_str().expect("file id").to_string();
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["subscription_ids"], json!([files]));
    let deleted = client
        .post(format!("{}/_sim/files/{file_id}/delete", sim.base_url()))
        .json(&json!({"user": "alice"}))
        .send()
        .await
        .expect("control");
    assert_eq!(deleted.status(), StatusCode::OK);
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["id"], file_id.as_str());
    assert_eq!(frame["meta"]["is_deleted"], true);
    let counts: Value = client
        .get(format!("{}/_sim/counts", sim.base_url()))
        .send()
        .await
        .expect("control")
        .json()
        .await
        .expect("json");
    assert_eq!(counts["connections"], 1);
    assert_eq!(counts["subscriptions"][&cid], 1);
}

#[tokio::test]
async fn activity_generator_produces_live_events() {
    let sim = start_with(SimPnutOptions {
        activity_interval: Some(Duration::from_millis(10)),
        seed: 3,
        ..Default::default()
    })
    .await;
    let (mut ws, cid) = open(&sim, "demo-alice").await;
    subscribe(&sim, "/v1/posts/streams/unified", "demo-alice", &cid).await;
    subscribe(&sim, "/v1/users/me/channels/subscribed", "demo-alice", &cid).await;
    subscribe(&sim, "/v1/users/me/followers", "demo-alice", &cid).await;
    let frame = next_json(&mut ws).await;
    assert!(frame["meta"]["subscription_ids"].is_array(), "{frame}");
    assert!(frame.get("data").is_some(), "{frame}");
    sim.shutdown().await;
    // Frames already in flight may precede the end of the stream.
    tokio::time::timeout(WAIT, async {
        while let Some(Ok(message)) = ws.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await
    .expect("the stream ends after shutdown");
}

#[tokio::test]
async fn errors_use_the_pnut_envelope() {
    let sim = start().await;
    let missing = get(&sim, "/v1/posts/999999", "demo-alice").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["meta"]["code"], 404);
    assert!(missing.body.get("data").is_none());
    let unknown_route = get(&sim, "/v1/nothing/here", "demo-alice").await;
    assert_eq!(unknown_route.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown_route.body["meta"]["code"], 404);
    let bad_token = get(&sim, "/v1/users/me", "forged").await;
    assert_eq!(bad_token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_token.body["meta"]["code"], 401);
    let by_query = call(
        &sim,
        reqwest::Method::GET,
        "/v1/users/me?access_token=demo-carol",
        None,
        None,
    )
    .await;
    assert_eq!(by_query.body["data"]["username"], "carol");
    let by_name = get(&sim, "/v1/users/@bob", "demo-alice").await;
    assert_eq!(by_name.body["data"]["you_follow"], true);
    let foreign_delete = call(
        &sim,
        reqwest::Method::DELETE,
        "/v1/posts/8",
        Some("demo-bob"),
        None,
    )
    .await;
    assert_eq!(foreign_delete.status, StatusCode::FORBIDDEN);
    let avatar_url = by_name.body["data"]["content"]["avatar_image"]["url"]
        .as_str()
        .expect("avatar url")
        .to_string();
    let avatar = reqwest::get(avatar_url).await.expect("avatar");
    assert_eq!(avatar.status(), StatusCode::OK);
    assert_eq!(avatar.headers()["content-type"], "image/png");
    let config = get(&sim, "/v1/sys/config", "demo-alice").await;
    assert_eq!(config.body["data"]["post"]["max_length"], 256);
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

#[tokio::test]
async fn rest_surface_round_trip() {
    let sim = start().await;
    let put = reqwest::Method::PUT;
    let del = reqwest::Method::DELETE;
    // Multi-get: missing ids are skipped.
    let posts = get(&sim, "/v1/posts?ids=8,9,999999", "demo-alice").await;
    assert_eq!(ids(&posts), vec![8, 9]);
    let users = get(&sim, "/v1/users?ids=1,3", "demo-alice").await;
    assert_eq!(users.body["data"][1]["username"], "carol");
    // Tags, both spellings.
    for path in ["/v1/posts/tags/pnutkey", "/v1/posts/tag/PNUTKEY"] {
        let tagged = get(&sim, path, "demo-alice").await;
        assert_eq!(
            tagged.body["data"].as_array().map(Vec::len),
            Some(2),
            "{path}"
        );
    }
    // Thread of a reply holds the whole thread.
    let thread = get(&sim, "/v1/posts/10/thread", "demo-alice").await;
    assert_eq!(ids(&thread), vec![10, 9, 8]);
    // Bookmarks.
    let marked = call(
        &sim,
        put.clone(),
        "/v1/posts/11/bookmark",
        Some("demo-alice"),
        None,
    )
    .await;
    assert_eq!(marked.status, StatusCode::OK);
    assert_eq!(marked.body["data"]["you_bookmarked"], true);
    let list = get(&sim, "/v1/users/me/bookmarks", "demo-alice").await;
    assert_eq!(ids(&list), vec![11]);
    // Reposts: PUT → 201 original; DELETE → 200.
    let reposted = call(
        &sim,
        put.clone(),
        "/v1/posts/11/repost",
        Some("demo-bob"),
        None,
    )
    .await;
    assert_eq!(reposted.status, StatusCode::CREATED);
    assert_eq!(reposted.body["data"]["id"], "11");
    assert_eq!(reposted.body["data"]["you_reposted"], true);
    let bob_posts = get(&sim, "/v1/users/@bob/posts?count=1", "demo-bob").await;
    assert_eq!(bob_posts.body["data"][0]["repost_of"]["id"], "11");
    let unreposted = call(
        &sim,
        del.clone(),
        "/v1/posts/11/repost",
        Some("demo-bob"),
        None,
    )
    .await;
    assert_eq!(unreposted.status, StatusCode::OK);
    assert_eq!(unreposted.body["data"]["you_reposted"], false);
    // Follow through REST, seen in both lists.
    let followed = call(&sim, put, "/v1/users/@bob/follow", Some("demo-carol"), None).await;
    assert_eq!(followed.body["data"]["you_follow"], true);
    let followers = get(&sim, "/v1/users/@bob/followers", "demo-carol").await;
    let names: Vec<&str> = followers.body["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(names, vec!["carol", "alice"], "newest follow first");
    assert!(followers.body["data"][0]["pagination_id"].is_string());
    // Revise own post → 201; someone else's → 403.
    let body = Some(("application/json", json!({"text": "edited"}).to_string()));
    let revised = call(
        &sim,
        reqwest::Method::PUT,
        "/v1/posts/8",
        Some("demo-alice"),
        body.clone(),
    )
    .await;
    assert_eq!(revised.status, StatusCode::CREATED);
    assert_eq!(revised.body["data"]["is_revised"], true);
    let foreign = call(
        &sim,
        reqwest::Method::PUT,
        "/v1/posts/8",
        Some("demo-bob"),
        body,
    )
    .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    // Messages.
    let (pm, _) = sim
        .control()
        .channels()
        .await
        .into_iter()
        .next()
        .expect("pm");
    let body = Some(("application/json", json!({"text": "hi bob"}).to_string()));
    let sent = call(
        &sim,
        reqwest::Method::POST,
        &format!("/v1/channels/{pm}/messages"),
        Some("demo-alice"),
        body.clone(),
    )
    .await;
    assert_eq!(sent.status, StatusCode::CREATED);
    let message_id = sent.body["data"]["id"].as_str().expect("id").to_string();
    let fetched = get(
        &sim,
        &format!("/v1/channels/{pm}/messages/{message_id}"),
        "demo-bob",
    )
    .await;
    assert_eq!(fetched.body["data"]["content"]["text"], "hi bob");
    let outsider = call(
        &sim,
        reqwest::Method::POST,
        &format!("/v1/channels/{pm}/messages"),
        Some("demo-carol"),
        body,
    )
    .await;
    assert_eq!(outsider.status, StatusCode::FORBIDDEN);
    let subscribed = get(&sim, "/v1/users/me/channels/subscribed", "demo-bob").await;
    assert_eq!(subscribed.body["data"].as_array().map(Vec::len), Some(2));
    assert!(subscribed.body["meta"]["unread_counts"].is_object());
    // Files: multipart upload, lookup, deletion.
    let multipart = "--B0UND\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\nio.pnut.core.file\r\n\
        --B0UND\r\nContent-Disposition: form-data; name=\"content\"; filename=\"cat.png\"\r\n\
        Content-Type: image/png\r\n\r\n0123456789\r\n--B0UND--\r\n";
    let uploaded = call(
        &sim,
        reqwest::Method::POST,
        "/v1/files",
        Some("demo-alice"),
        Some(("multipart/form-data; boundary=B0UND", multipart.to_string())),
    )
    .await;
    assert_eq!(uploaded.status, StatusCode::CREATED);
    assert_eq!(uploaded.body["data"]["name"], "cat.png");
    assert_eq!(uploaded.body["data"]["mime_type"], "image/png");
    assert_eq!(uploaded.body["data"]["size"], 10);
    let file_id = uploaded.body["data"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mine = get(&sim, "/v1/users/me/files", "demo-alice").await;
    assert_eq!(mine.body["data"][0]["id"], file_id.as_str());
    let hidden = get(&sim, &format!("/v1/files/{file_id}"), "demo-bob").await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let removed = call(
        &sim,
        del,
        &format!("/v1/files/{file_id}"),
        Some("demo-alice"),
        None,
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK);
    assert_eq!(removed.body["data"]["is_deleted"], true);
}

/// Every error answer is a pnut envelope, also axum's own rejections (pnut-api.md §2.1).
#[tokio::test]
async fn method_not_allowed_and_rejections_are_pnut_envelopes() {
    let sim = start().await;
    let wrong_method = call(
        &sim,
        reqwest::Method::GET,
        "/v1/users/me/streams/abc/def",
        Some("demo-alice"),
        None,
    )
    .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.body["meta"]["code"], 405);
    assert!(wrong_method.body["meta"]["error_message"].is_string());
    assert!(wrong_method.body.get("data").is_none());
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
