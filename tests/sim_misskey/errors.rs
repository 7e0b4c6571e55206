//! The simulated Misskey's error answers: bodies and statuses, failures forced through the
//! control handle, and the per-token rate limit.

use std::time::Duration;

use pnutkey::sim::misskey::{RateLimit, SimMisskeyOptions};
use reqwest::StatusCode;
use serde_json::json;

use super::support::{api, assert_error, start, start_with};

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
