//! Error answers: unknown endpoints, tokens, bodies, upstream 429/500, GET.

use std::time::Duration;

use super::support::start;
use pnutkey::sim::pnut::ForcedFailure;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn errors_unknown_endpoint_tokens_and_bodies() {
    let bridge = start().await;
    let unknown = bridge
        .api("demo-alice", "notes/frobnicate", json!({}))
        .await;
    // Misskey answers 404 (real-servers.md §1), naming the route.
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown.body["message"]
            .as_str()
            .unwrap()
            .contains("notes/frobnicate")
    );

    let bad = bridge.api("not-a-token", "i", json!({})).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad.code(), "AUTHENTICATION_FAILED");
    assert!(bad.headers.contains_key("www-authenticate"));

    let anonymous = bridge.raw("i", b"{}".to_vec(), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.code(), "CREDENTIAL_REQUIRED");

    let public = bridge
        .raw("notes/global-timeline", b"{}".to_vec(), None)
        .await;
    assert_eq!(public.status, StatusCode::OK, "{:?}", public.body);
    assert!(public.body.is_array());
    let needs_token = bridge.raw("notes/timeline", Vec::new(), None).await;
    assert_eq!(needs_token.code(), "CREDENTIAL_REQUIRED");

    let no_user = bridge
        .api("demo-alice", "users/notes", json!({"userId": "987654321"}))
        .await;
    assert_eq!(no_user.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_user.code(), "NO_SUCH_USER");

    let malformed = bridge.raw("i", b"{\"i\": ".to_vec(), None).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.code(), "INVALID_PARAM");
}

#[tokio::test]
async fn upstream_429_and_500_are_mapped() {
    let bridge = start().await;
    let control = bridge.control();
    control
        .force_failures(ForcedFailure {
            remaining: 1,
            status: 429,
            token: Some("demo-alice".into()),
            endpoint: Some("GET /v1/users/{user}".into()),
        })
        .await;
    let limited = bridge.api("demo-alice", "i", json!({})).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "RATE_LIMIT_EXCEEDED");
    let retry_after: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);

    control
        .force_failures(ForcedFailure {
            remaining: 5,
            status: 500,
            token: Some("demo-bob".into()),
            endpoint: Some("GET /v1/users/{user}".into()),
        })
        .await;
    let failed = bridge.api("demo-bob", "i", json!({})).await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(failed.code(), "INTERNAL_ERROR");
    assert_eq!(failed.body["error"]["kind"], "server");
    bridge.running.stop(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn get_only_for_emojis_and_non_string_i() {
    let bridge = start().await;
    let url = |endpoint: &str| format!("http://{}/api/{endpoint}", bridge.running.addr);
    let emojis = bridge.http.get(url("emojis")).send().await.unwrap();
    assert_eq!(emojis.status(), StatusCode::OK);
    assert_eq!(emojis.json::<Value>().await.unwrap(), json!({"emojis": []}));
    let meta = bridge.http.get(url("notes/timeline")).send().await.unwrap();
    assert_eq!(meta.status(), StatusCode::METHOD_NOT_ALLOWED);

    let numeric_i = bridge.raw("i", br#"{"i": 5}"#.to_vec(), None).await;
    assert_eq!(numeric_i.status, StatusCode::BAD_REQUEST);
    assert_eq!(numeric_i.code(), "INVALID_PARAM");

    let huge = vec![b' '; 1024 * 1024 + 16];
    let too_big = bridge.raw("i", huge, None).await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// A body over the limit gets a Misskey error body with 413, not plain text.
#[tokio::test]
async fn oversized_body_gets_a_misskey_error_body() {
    let bridge = start().await;
    let huge = format!(
        "{{\"i\": \"demo-alice\", \"text\": \"{}\"}}",
        "a".repeat(3 * 1024 * 1024)
    );
    let answer = bridge.raw("notes/create", huge.into_bytes(), None).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.body
    );
    assert_eq!(answer.code(), "INVALID_PARAM", "{}", answer.body);
}

/// Endpoints the bridge does not serve answer as Misskey does: 404, `GET` with Misskey's
/// `UNKNOWN_API_ENDPOINT` body, `POST` with the web framework's route-not-found body; a served
/// endpoint without `allowGet` still answers `GET` with 405.
#[tokio::test]
async fn unknown_endpoints_are_404_as_on_misskey() {
    let bridge = start().await;
    let url = |endpoint: &str| format!("http://{}/api/{endpoint}", bridge.running.addr);
    let posted = bridge.api("demo-alice", "notes/nope", json!({})).await;
    assert_eq!(posted.status, StatusCode::NOT_FOUND);
    assert_eq!(posted.body["statusCode"], 404, "{}", posted.body);
    assert_eq!(
        posted.body["message"],
        "Route POST:/api/notes/nope not found"
    );
    let got = bridge.http.get(url("notes/nope")).send().await.unwrap();
    assert_eq!(got.status(), StatusCode::NOT_FOUND);
    let body: Value = got.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UNKNOWN_API_ENDPOINT", "{body}");
    let served = bridge.http.get(url("notes/show")).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::METHOD_NOT_ALLOWED);
    bridge.running.stop(Duration::from_secs(2)).await;
}
