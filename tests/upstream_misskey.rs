//! The Misskey upstream client against the simulated Misskey server: real sockets on
//! 127.0.0.1, assertions on what the simulated server saw. Events are awaited (generous
//! outer timeout); timings are short configured values; no wall-clock dependence.

use std::sync::Arc;
use std::time::Duration;

use pnutkey::misskey::ServerMessage;
use pnutkey::ratelimit::{MisskeyQuotas, misskey_limiter};
use pnutkey::sim::misskey::{SimMisskey, SimMisskeyOptions};
use pnutkey::upstream::misskey::{
    MisskeyClient, MisskeyClientSettings, MisskeyStream, MisskeyStreamEvent,
};
use pnutkey::upstream::{Side, UpstreamError};
use serde_json::{Map, Value, json};
use tokio::time::timeout;

mod common;

/// How long a test waits for something that must happen.
const WAIT: Duration = Duration::from_secs(10);

async fn start() -> SimMisskey {
    SimMisskey::start(SimMisskeyOptions {
        ping_interval: Duration::from_millis(50),
        ..SimMisskeyOptions::default()
    })
    .await
    .expect("sim starts")
}

fn settings(sim: &SimMisskey) -> MisskeyClientSettings {
    MisskeyClientSettings {
        base_url: sim.base_url(),
        request_timeout: Duration::from_secs(5),
        heartbeat: Duration::from_millis(50),
        idle_timeout: Duration::from_secs(5),
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        retry_delay: Duration::from_millis(1),
        ..MisskeyClientSettings::default()
    }
}

fn client_with(settings: MisskeyClientSettings, quotas: &MisskeyQuotas) -> MisskeyClient {
    MisskeyClient::new(settings, Arc::new(misskey_limiter(quotas))).expect("client")
}

fn quotas() -> MisskeyQuotas {
    MisskeyQuotas {
        per_token_per_second: 100,
        max_wait: Duration::ZERO,
        jitter: Duration::ZERO,
        ..MisskeyQuotas::default()
    }
}

fn body(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

async fn calls(sim: &SimMisskey, endpoint: &str) -> u64 {
    sim.control()
        .counts()
        .await
        .calls
        .get(endpoint)
        .copied()
        .unwrap_or(0)
}

async fn next(stream: &mut MisskeyStream) -> MisskeyStreamEvent {
    timeout(WAIT, stream.next_event())
        .await
        .expect("an event in time")
        .expect("stream task alive")
}

/// Waits for `connected` acknowledgements of every id in `ids` (in any order).
async fn await_acks(stream: &mut MisskeyStream, ids: &[&str]) {
    let mut missing: Vec<&str> = ids.to_vec();
    while !missing.is_empty() {
        if let MisskeyStreamEvent::Message(ServerMessage::Connected { id }) = next(stream).await {
            missing.retain(|m| *m != id);
        }
    }
}

#[tokio::test]
async fn rest_results_and_errors_are_typed() {
    let sim = start().await;
    let client = client_with(settings(&sim), &quotas());
    let me: Value = client.read("demo-alice", "i", Map::new()).await.expect("i");
    assert_eq!(me["username"], "alice");

    let missing = client
        .read::<Value>(
            "demo-alice",
            "notes/show",
            body(json!({"noteId": "0000000000000000"})),
        )
        .await
        .expect_err("no such note");
    match &missing {
        UpstreamError::Status { status, code, .. } => {
            assert_eq!(*status, 400);
            assert_eq!(code.as_deref(), Some("NO_SUCH_NOTE"));
        }
        other => panic!("unexpected {other}"),
    }
    let refused = client
        .read::<Value>("not-a-token", "i", Map::new())
        .await
        .expect_err("bad token");
    assert_eq!(refused.status(), Some(401));
    assert!(!refused.to_string().contains("not-a-token"));
}

#[tokio::test]
async fn quotas_and_429_pauses_are_respected_upstream() {
    let sim = start().await;
    let mut limits = quotas();
    limits.endpoint_per_minute.insert("notes/create".into(), 2);
    let client = client_with(settings(&sim), &limits);
    let mut created = 0;
    for n in 0..5 {
        let note = body(json!({"text": format!("burst {n}")}));
        match client
            .write::<Value>("demo-alice", "notes/create", note)
            .await
        {
            Ok(reply) => {
                assert!(reply["createdNote"]["id"].is_string());
                created += 1;
            }
            Err(error) => assert_eq!(error.side(), Side::Bridge, "{error}"),
        }
    }
    assert_eq!(created, 2);
    assert_eq!(calls(&sim, "notes/create").await, 2);

    sim.control()
        .force_failures(1, 429, Some("demo-bob"), Some("i"))
        .await;
    let limited = client
        .read::<Value>("demo-bob", "i", Map::new())
        .await
        .expect_err("forced 429");
    assert_eq!(limited.side(), Side::Upstream);
    assert!(
        limited
            .retry_in()
            .is_some_and(|d| d >= Duration::from_secs(1))
    );
    let paused = client
        .read::<Value>("demo-bob", "notes/timeline", Map::new())
        .await
        .expect_err("paused");
    assert_eq!(paused.status(), Some(429));
    assert_eq!(calls(&sim, "i").await, 1);
    assert_eq!(calls(&sim, "notes/timeline").await, 0);
}

#[tokio::test]
async fn reads_retry_5xx_boundedly_and_writes_never() {
    let sim = start().await;
    sim.control()
        .force_failures(10, 500, Some("demo-alice"), None)
        .await;
    let client = client_with(settings(&sim), &quotas());
    let error = client
        .read::<Value>("demo-alice", "i", Map::new())
        .await
        .expect_err("500");
    assert_eq!(error.status(), Some(500));
    assert_eq!(calls(&sim, "i").await, 3);
    let error = client
        .write::<Value>("demo-alice", "notes/create", body(json!({"text": "x"})))
        .await
        .expect_err("500");
    assert_eq!(error.status(), Some(500));
    assert_eq!(calls(&sim, "notes/create").await, 1);
}

#[tokio::test]
async fn stream_reestablishes_every_channel_and_capture_after_a_drop() {
    let sim = start().await;
    let control = sim.control();
    let client = client_with(settings(&sim), &quotas());
    let note = control.post("alice", "capture me").await.expect("note");
    let note_id = note["id"].as_str().expect("note id").to_string();

    let mut stream = client.open_stream("demo-alice");
    assert_eq!(
        next(&mut stream).await,
        MisskeyStreamEvent::Connected { reconnect: false }
    );
    stream.sub_note(&note_id).await.expect("subNote");
    stream
        .connect_channel("home", "homeTimeline", None)
        .await
        .expect("connect");
    stream
        .connect_channel("m", "main", None)
        .await
        .expect("connect");
    await_acks(&mut stream, &["home", "m"]).await;
    let counts = control.counts().await;
    assert_eq!(counts.sockets.len(), 1);
    assert_eq!(counts.sockets[0].channel_connections, 2);
    assert_eq!(counts.sockets[0].captured_notes, 1);

    control.drop_streams().await;
    match next(&mut stream).await {
        // A close frame or a reset: either way the drop is seen.
        MisskeyStreamEvent::Disconnected { .. } => {}
        other => panic!("expected a disconnect, got {other:?}"),
    }
    assert_eq!(
        next(&mut stream).await,
        MisskeyStreamEvent::Connected { reconnect: true }
    );
    await_acks(&mut stream, &["home", "m"]).await;
    let counts = control.counts().await;
    assert_eq!(counts.sockets.len(), 1);
    let mut channels = counts.sockets[0].channels.clone();
    channels.sort();
    assert_eq!(
        channels,
        vec!["homeTimeline".to_string(), "main".to_string()]
    );
    assert_eq!(counts.sockets[0].captured_notes, 1);

    // Events flow on the re-established channel connection, by channel id.
    control
        .post("alice", "after reconnect")
        .await
        .expect("post");
    loop {
        if let MisskeyStreamEvent::Message(ServerMessage::Channel { id, kind, body }) =
            next(&mut stream).await
            && id == "home"
            && kind == "note"
        {
            assert_eq!(body["text"], "after reconnect");
            break;
        }
    }
    // The capture survived too: deleting the note reaches us as noteUpdated.
    control.delete_note(&note_id).await.expect("delete");
    loop {
        if let MisskeyStreamEvent::Message(ServerMessage::NoteUpdated { id, kind, .. }) =
            next(&mut stream).await
        {
            assert_eq!((id.as_str(), kind.as_str()), (note_id.as_str(), "deleted"));
            break;
        }
    }
    stream.close().await;
}

#[tokio::test]
async fn a_stalled_stream_is_detected_and_disconnects_are_not_resent() {
    let sim = start().await;
    let control = sim.control();
    let mut settings = settings(&sim);
    settings.idle_timeout = Duration::from_millis(800);
    let client = client_with(settings, &quotas());
    let mut stream = client.open_stream("demo-alice");
    assert_eq!(
        next(&mut stream).await,
        MisskeyStreamEvent::Connected { reconnect: false }
    );
    stream
        .connect_channel("a", "main", None)
        .await
        .expect("connect");
    stream
        .connect_channel("b", "homeTimeline", None)
        .await
        .expect("connect");
    await_acks(&mut stream, &["a", "b"]).await;
    stream.disconnect_channel("a").await.expect("disconnect");
    control.stall_streams(true).await;
    match next(&mut stream).await {
        MisskeyStreamEvent::Disconnected { reason, .. } => {
            assert!(reason.contains("presumed dead"), "{reason}");
        }
        other => panic!("expected a disconnect, got {other:?}"),
    }
    assert_eq!(stream.stats().borrow().idle_timeouts, 1);
    control.stall_streams(false).await;
    loop {
        if next(&mut stream).await == (MisskeyStreamEvent::Connected { reconnect: true }) {
            break;
        }
    }
    await_acks(&mut stream, &["b"]).await;
    let counts = control.counts().await;
    let socket = counts.sockets.last().expect("a socket");
    assert_eq!(socket.channels, vec!["homeTimeline".to_string()]);
    assert!(stream.stats().borrow().heartbeats_sent >= 1);
    stream.close().await;
}

#[tokio::test]
async fn a_refused_token_ends_the_stream() {
    let sim = start().await;
    let client = client_with(settings(&sim), &quotas());
    let mut stream = client.open_stream("not-a-token");
    assert_eq!(
        next(&mut stream).await,
        MisskeyStreamEvent::Rejected { status: 401 }
    );
    assert!(
        timeout(WAIT, stream.next_event())
            .await
            .expect("ends")
            .is_none()
    );
}

/// A consumer that queues commands while the stream's event queue is full must not deadlock:
/// the stream task keeps forwarding commands while it waits to hand over an event.
#[tokio::test]
async fn commands_flow_while_the_event_queue_is_full() {
    let sim = start().await;
    let control = sim.control();
    let client = client_with(
        MisskeyClientSettings {
            queue: 1,
            ..settings(&sim)
        },
        &quotas(),
    );
    let mut stream = client.open_stream("demo-alice");
    assert_eq!(
        next(&mut stream).await,
        MisskeyStreamEvent::Connected { reconnect: false }
    );
    stream
        .connect_channel("home", "homeTimeline", None)
        .await
        .expect("connect");
    await_acks(&mut stream, &["home"]).await;
    // Nobody reads events now: the queue of one fills and the stream task waits to deliver.
    for n in 0..4 {
        control
            .post("alice", &format!("unread {n}"))
            .await
            .expect("post");
    }
    let ids = ["a", "b", "c", "d", "e"];
    for id in ids {
        timeout(WAIT, stream.connect_channel(id, "globalTimeline", None))
            .await
            .expect("a command is accepted while events wait")
            .expect("connect");
    }
    await_acks(&mut stream, &ids).await;
    stream.close().await;
}

/// A read against an upstream that accepts TCP and never answers costs one
/// `request_timeout`, not one per retry: the attempts share one deadline.
#[tokio::test(start_paused = true)]
async fn retries_of_a_silent_upstream_share_one_deadline() {
    let (base_url, mut held) = common::silent::silent_upstream().await;
    let settings = MisskeyClientSettings {
        base_url,
        request_timeout: Duration::from_secs(10),
        read_retries: 2,
        retry_delay: Duration::from_millis(1),
        ..MisskeyClientSettings::default()
    };
    let client = client_with(settings, &quotas());
    let started = tokio::time::Instant::now();
    let error = client
        .read::<Value>("demo-alice", "i", Map::new())
        .await
        .expect_err("nothing answers");
    let took = started.elapsed();
    assert!(
        matches!(error, UpstreamError::Transport { .. }),
        "{error:?}"
    );
    assert!(held.recv().await.is_some(), "the call reached the upstream");
    assert!(
        took < Duration::from_secs(11),
        "one shared deadline of 10 s, not three: took {took:?}"
    );
}

#[path = "upstream_misskey/upload.rs"]
mod upload;
