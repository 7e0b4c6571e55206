//! The pnut upstream client against the simulated pnut server: real sockets on 127.0.0.1,
//! assertions on what the simulated server saw. Nothing waits on wall-clock speed: events
//! are awaited (with a generous outer timeout) and timings are short configured values.

use std::sync::Arc;
use std::time::Duration;

use pnutkey::pnut::{Post, User};
use pnutkey::ratelimit::{PnutQuotas, pnut_limiter};
use pnutkey::sim::pnut::{ForcedFailure, SimPnut, SimPnutOptions};
use pnutkey::upstream::pnut::{PnutClient, PnutClientSettings, PnutStream, PnutStreamEvent};
use pnutkey::upstream::{Side, UpstreamError};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::time::{Instant, timeout};

mod common;

/// How long a test waits for something that must happen.
const WAIT: Duration = Duration::from_secs(10);

fn quotas(max_wait: Duration) -> PnutQuotas {
    PnutQuotas {
        get_per_hour: 1000,
        writes_per_minute: 3,
        upstream_per_second: 1000,
        poll_per_hour: 1000,
        max_wait,
        default_pause: Duration::from_secs(600),
        jitter: Duration::ZERO,
    }
}

fn settings(sim: &SimPnut) -> PnutClientSettings {
    PnutClientSettings {
        base_url: sim.base_url(),
        stream_url: sim.stream_url(),
        request_timeout: Duration::from_secs(5),
        keepalive: Duration::from_millis(50),
        idle_timeout: Duration::from_secs(5),
        backoff_min: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        retry_delay: Duration::from_millis(1),
        ..PnutClientSettings::default()
    }
}

async fn start(options: SimPnutOptions) -> SimPnut {
    SimPnut::start(options).await.expect("sim starts")
}

fn client(sim: &SimPnut, max_wait: Duration) -> PnutClient {
    client_with(settings(sim), max_wait)
}

fn client_with(settings: PnutClientSettings, max_wait: Duration) -> PnutClient {
    PnutClient::new(settings, Arc::new(pnut_limiter(&quotas(max_wait)))).expect("client")
}

async fn calls(sim: &SimPnut, endpoint: &str) -> u64 {
    sim.control()
        .counts()
        .await
        .calls
        .get(endpoint)
        .copied()
        .unwrap_or(0)
}

async fn next(stream: &mut PnutStream) -> PnutStreamEvent {
    timeout(WAIT, stream.next_event())
        .await
        .expect("an event in time")
        .expect("stream task alive")
}

async fn next_connected(stream: &mut PnutStream) -> String {
    loop {
        if let PnutStreamEvent::Connected { connection_id } = next(stream).await {
            return connection_id;
        }
    }
}

#[tokio::test]
async fn get_decodes_the_envelope_and_errors_keep_the_status() {
    let sim = start(SimPnutOptions::default()).await;
    let client = client(&sim, Duration::ZERO);
    let me = client
        .get::<User>("demo-alice", "/users/me", &[])
        .await
        .expect("users/me");
    assert_eq!(me.meta.code, Some(200));
    assert_eq!(me.data.expect("data").username, "alice");

    let missing = client
        .get::<Post>("demo-alice", "/posts/999999999", &[])
        .await
        .expect_err("no such post");
    assert_eq!(missing.status(), Some(404));
    assert_eq!(missing.side(), Side::Upstream);
    assert!(!missing.is_retryable());

    let refused = client
        .get::<User>("not-a-token", "/users/me", &[])
        .await
        .expect_err("bad token");
    assert_eq!(refused.status(), Some(401));
    assert!(!refused.to_string().contains("not-a-token"));
}

#[tokio::test]
async fn a_write_burst_never_exceeds_the_quota_upstream() {
    let sim = start(SimPnutOptions::default()).await;
    let client = client(&sim, Duration::ZERO);
    let mut created = 0;
    let mut limited = 0;
    for n in 0..6 {
        let body = json!({ "text": format!("burst {n}") });
        match client
            .write::<Post>("demo-alice", Method::POST, "/posts", &[], Some(&body))
            .await
        {
            Ok(reply) => {
                assert_eq!(reply.meta.code, Some(201));
                created += 1;
            }
            Err(UpstreamError::RateLimited { side, retry_in, .. }) => {
                assert_eq!(side, Side::Bridge);
                assert!(retry_in > Duration::ZERO);
                limited += 1;
            }
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!((created, limited), (3, 3));
    assert_eq!(calls(&sim, "POST /v1/posts").await, 3);

    // Concurrent callers of one token share its quota too.
    let body = json!({ "text": "concurrent" });
    let results = futures_util::future::join_all(
        (0..8).map(|_| client.write::<Post>("demo-bob", Method::POST, "/posts", &[], Some(&body))),
    )
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3);
    assert_eq!(calls(&sim, "POST /v1/posts").await, 6);
}

#[tokio::test]
async fn an_upstream_429_pauses_the_token_for_every_caller() {
    let sim = start(SimPnutOptions::default()).await;
    let control = sim.control();
    control
        .force_failures(ForcedFailure {
            remaining: 1,
            status: 429,
            token: Some("demo-alice".into()),
            endpoint: Some("GET /v1/users/{user}".into()),
        })
        .await;
    let client = client(&sim, Duration::ZERO);
    let first = client
        .get::<User>("demo-alice", "/users/me", &[])
        .await
        .expect_err("forced 429");
    assert_eq!(first.status(), Some(429));
    assert_eq!(first.side(), Side::Upstream);
    // The simulated server answers Retry-After: 1 and meta.retry_in: 1.
    assert_eq!(first.retry_in(), Some(Duration::from_secs(1)));
    // Another caller of the same token (a clone shares the limiter) is refused locally.
    let second = client
        .clone()
        .get::<User>("demo-alice", "/posts/streams/me", &[])
        .await
        .expect_err("paused");
    assert!(matches!(
        second,
        UpstreamError::RateLimited {
            side: Side::Upstream,
            ..
        }
    ));
    assert_eq!(calls(&sim, "GET /v1/users/{user}").await, 1);
    assert_eq!(calls(&sim, "GET /v1/posts/streams/me").await, 0);
    // Other tokens are unaffected.
    client
        .get::<User>("demo-bob", "/users/me", &[])
        .await
        .expect("bob not paused");
}

#[tokio::test]
async fn a_patient_caller_sends_only_after_the_pause() {
    let sim = start(SimPnutOptions::default()).await;
    sim.control()
        .force_failures(ForcedFailure {
            remaining: 1,
            status: 429,
            token: Some("demo-alice".into()),
            endpoint: Some("GET /v1/users/{user}".into()),
        })
        .await;
    let client = client(&sim, Duration::from_secs(5));
    let hit = Instant::now();
    let first = client
        .get::<User>("demo-alice", "/users/me", &[])
        .await
        .expect_err("forced 429");
    let pause = first.retry_in().expect("pause");
    let me = client
        .get::<User>("demo-alice", "/users/me", &[])
        .await
        .expect("after the pause");
    assert!(hit.elapsed() >= pause, "sent before the pause ended");
    assert_eq!(me.data.expect("data").username, "alice");
    assert_eq!(calls(&sim, "GET /v1/users/{user}").await, 2);
}

#[tokio::test]
async fn gets_retry_5xx_a_bounded_number_of_times_and_writes_never() {
    let sim = start(SimPnutOptions::default()).await;
    let control = sim.control();
    control
        .force_failures(ForcedFailure {
            remaining: 10,
            status: 500,
            token: Some("demo-alice".into()),
            endpoint: None,
        })
        .await;
    let client = client(&sim, Duration::ZERO);
    let error = client
        .get::<User>("demo-alice", "/users/me", &[])
        .await
        .expect_err("500");
    assert_eq!(error.status(), Some(500));
    assert!(error.is_retryable());
    // One call plus `get_retries` (2) retries.
    assert_eq!(calls(&sim, "GET /v1/users/{user}").await, 3);

    let body = json!({ "text": "not retried" });
    let error = client
        .write::<Post>("demo-alice", Method::POST, "/posts", &[], Some(&body))
        .await
        .expect_err("500");
    assert_eq!(error.status(), Some(500));
    assert_eq!(calls(&sim, "POST /v1/posts").await, 1);
}

#[tokio::test]
async fn stream_yields_events_and_reconnects_with_a_new_connection_id() {
    let sim = start(SimPnutOptions::default()).await;
    let control = sim.control();
    let client = client(&sim, Duration::ZERO);
    let mut stream = client.open_stream("demo-alice");
    let first_id = next_connected(&mut stream).await;
    let page = client
        .subscribe::<Vec<Post>>("demo-alice", "/posts/streams/me", &first_id, &[])
        .await
        .expect("subscribe");
    let subscription_id = page.meta.subscription_id.expect("subscription id");
    control
        .create_post("alice", "hello stream", None)
        .await
        .expect("post");
    let event = loop {
        if let PnutStreamEvent::Event(event) = next(&mut stream).await {
            break event;
        }
    };
    let ids = event.meta.subscription_ids.clone().unwrap_or_default();
    assert!(ids.contains(&subscription_id));
    let posts = event.data.as_ref().expect("data").posts().expect("posts");
    assert_eq!(
        posts
            .first()
            .and_then(|p| p.content.as_ref())
            .map(|c| c.text.as_str()),
        Some("hello stream")
    );

    assert_eq!(control.drop_streams().await, 1);
    match next(&mut stream).await {
        // A close frame or a reset: either way the drop is seen.
        PnutStreamEvent::Disconnected { .. } => {}
        other => panic!("expected a disconnect, got {other:?}"),
    }
    let second_id = next_connected(&mut stream).await;
    assert_ne!(first_id, second_id);
    assert_eq!(stream.stats().borrow().connects, 2);
    stream.close().await;
}

#[tokio::test]
async fn keepalives_reach_the_server_and_keep_the_stream_open() {
    let sim = start(SimPnutOptions {
        stream_silence_timeout: Duration::from_millis(400),
        ..SimPnutOptions::default()
    })
    .await;
    let client = client(&sim, Duration::ZERO);
    let mut stream = client.open_stream("demo-alice");
    let connection_id = next_connected(&mut stream).await;
    let mut stats = stream.stats();
    // Each pong is the simulated server's answer to one keep-alive it received.
    timeout(WAIT, stats.wait_for(|s| s.pongs_received >= 12))
        .await
        .expect("pongs in time")
        .expect("task alive");
    let now = *stats.borrow();
    assert!(now.keepalives_sent >= 12);
    assert_eq!(
        now.connects, 1,
        "the server never closed the stream for silence"
    );
    assert_eq!(sim.control().counts().await.subscriptions.len(), 1);
    assert!(
        sim.control()
            .counts()
            .await
            .subscriptions
            .contains_key(&connection_id)
    );
    stream.close().await;
}

#[tokio::test]
async fn a_stalled_stream_is_detected_by_the_idle_watchdog() {
    let sim = start(SimPnutOptions::default()).await;
    let control = sim.control();
    let mut settings = settings(&sim);
    settings.idle_timeout = Duration::from_millis(800);
    let client = client_with(settings, Duration::ZERO);
    let mut stream = client.open_stream("demo-alice");
    let first_id = next_connected(&mut stream).await;
    control.stall_streams(true);
    match next(&mut stream).await {
        PnutStreamEvent::Disconnected { reason, .. } => {
            assert!(reason.contains("presumed dead"), "{reason}");
        }
        other => panic!("expected a disconnect, got {other:?}"),
    }
    assert_eq!(stream.stats().borrow().idle_timeouts, 1);
    control.stall_streams(false);
    let second_id = next_connected(&mut stream).await;
    assert_ne!(first_id, second_id);
    stream.close().await;
}

#[tokio::test]
async fn a_refused_token_ends_the_stream_with_its_status() {
    let sim = start(SimPnutOptions::default()).await;
    let client = client(&sim, Duration::ZERO);
    let mut stream = client.open_stream("not-a-token");
    assert_eq!(
        next(&mut stream).await,
        PnutStreamEvent::Rejected { status: 401 }
    );
    assert!(
        timeout(WAIT, stream.next_event())
            .await
            .expect("ends")
            .is_none()
    );
}

#[tokio::test]
async fn a_slow_consumer_gets_backpressure_not_loss() {
    let sim = start(SimPnutOptions::default()).await;
    let control = sim.control();
    let mut settings = settings(&sim);
    settings.event_queue = 1;
    settings.idle_timeout = Duration::from_millis(300);
    let client = client_with(settings, Duration::ZERO);
    let mut stream = client.open_stream("demo-alice");
    let connection_id = next_connected(&mut stream).await;
    client
        .subscribe::<Vec<Post>>("demo-alice", "/posts/streams/me", &connection_id, &[])
        .await
        .expect("subscribe");
    for n in 0..4 {
        control
            .create_post("alice", &format!("queued {n}"), None)
            .await
            .expect("post");
    }
    // Nobody reads: the task holds frames back but keeps the upstream alive, and time spent
    // blocked (here > 2 idle timeouts) is not mistaken for upstream silence.
    let mut stats = stream.stats();
    let before = stats.borrow().keepalives_sent;
    timeout(WAIT, stats.wait_for(|s| s.keepalives_sent >= before + 14))
        .await
        .expect("keep-alives while blocked")
        .expect("task alive");
    let mut texts = Vec::new();
    while texts.len() < 4 {
        if let PnutStreamEvent::Event(event) = next(&mut stream).await {
            for post in event.data.as_ref().expect("data").posts().expect("posts") {
                texts.extend(post.content.map(|c| c.text));
            }
        }
    }
    assert_eq!(texts, ["queued 0", "queued 1", "queued 2", "queued 3"]);
    assert_eq!(stream.stats().borrow().connects, 1);
    assert_eq!(stream.stats().borrow().idle_timeouts, 0);
    stream.close().await;
}

/// A GET against an upstream that accepts TCP and never answers costs one `request_timeout`,
/// not one per retry: the attempts share one deadline.
#[tokio::test(start_paused = true)]
async fn retries_of_a_silent_upstream_share_one_deadline() {
    let (base_url, mut held) = common::silent::silent_upstream().await;
    let settings = PnutClientSettings {
        base_url,
        request_timeout: Duration::from_secs(10),
        get_retries: 2,
        retry_delay: Duration::from_millis(1),
        ..PnutClientSettings::default()
    };
    let client = client_with(settings, Duration::ZERO);
    let started = tokio::time::Instant::now();
    let error = client
        .get::<Value>("demo-alice", "/users/me", &[])
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

#[path = "upstream_pnut/upload.rs"]
mod upload;
