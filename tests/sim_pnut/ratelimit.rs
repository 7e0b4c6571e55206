//! The simulated pnut's rate limits (per bucket, with headers and 429 bodies) and the failures
//! forced through its control handle and control HTTP.

use std::time::Duration;

use pnutkey::sim::pnut::{ForcedFailure, PnutRateLimits, RateLimit, SimPnutOptions};
use reqwest::StatusCode;
use serde_json::json;

use super::support::{Reply, call, get, start, start_with};

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
