//! Errors, token refusal, subscribe refusals and routing precedence: every answer a pnut
//! envelope.

use pnutkey::config::Config;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn errors_are_envelopes() {
    let bridge = start().await;
    let (status, unknown) = bridge.get("/no/such/endpoint", "demo-alice").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(unknown["meta"]["error_message"].is_string());
    let (status, _, _) = bridge.call(Method::GET, "/nothing", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = bridge.get("/users/me", "not-a-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = bridge.call(Method::GET, "/users/me", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let control = bridge.control();
    control
        .force_failures(1, 500, Some("demo-bob"), Some("i"))
        .await;
    let (status, failed) = bridge.get("/users/me", "demo-bob").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{failed}");
    let (status, _) = bridge.get("/users/me", "demo-bob").await;
    assert_eq!(status, StatusCode::OK, "only one failure was forced");

    control
        .force_failures(1, 429, Some("demo-carol"), Some("i"))
        .await;
    let (status, headers, limited) = bridge
        .call(Method::GET, "/users/me", Some("demo-carol"), None)
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry_in = limited["meta"]["retry_in"].as_u64().expect("retry_in");
    assert!(retry_in >= 1, "{limited}");
    let retry_after: u64 = headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert_eq!(retry_after, retry_in);
}

#[tokio::test]
async fn first_page_is_reusable_and_connection_id_subscribes() {
    use axum::response::IntoResponse;
    let bridge = start().await;
    let sim_url = bridge.running.sim_misskey.as_ref().expect("sim").base_url();
    let ctx = pnutkey::front::BridgeContext::new(
        Config::default(),
        bridge
            .running
            .sim_pnut
            .as_ref()
            .expect("sim pnut")
            .endpoints(),
        sim_url,
        format!("http://{}", bridge.running.addr),
    )
    .expect("context");
    let query = pnutkey::front::pnut::rest::parse_query(Some("count=3"));
    let reply =
        pnutkey::front::pnut::rest::first_page(&ctx, "demo-alice", "/v1/posts/streams/me", &query)
            .await
            .expect("first page");
    let (status, page) = (
        reply.status,
        serde_json::to_value(&reply.envelope).expect("JSON"),
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&page).len(), 3, "{page}");
    let (over_http, _) = bridge.get("/posts/streams/me?count=3", "demo-alice").await;
    assert_eq!(over_http, StatusCode::OK);
    // With `connection_id` the call is a subscription (mapping.md §4.1): an unknown
    // connection is refused with a 400 envelope naming it, and nothing is subscribed.
    let (refused, body) = bridge
        .get("/posts/streams/me?count=3&connection_id=abc", "demo-alice")
        .await;
    assert_eq!(refused, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["meta"]["code"], 400);
    assert!(
        body["meta"]["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("abc")),
        "{body}"
    );
    // On an endpoint with no subscription mapping, pnut ignores `connection_id`.
    let (global, listed) = bridge
        .get(
            "/posts/streams/global?count=3&connection_id=abc",
            "demo-alice",
        )
        .await;
    assert_eq!(global, StatusCode::OK, "{listed}");
    assert!(listed["meta"].get("subscription_id").is_none(), "{listed}");
    let status = match pnutkey::front::pnut::rest::first_page(
        &ctx,
        "demo-alice",
        "/posts/streams/nope",
        &query,
    )
    .await
    {
        Ok(reply) => reply.status,
        Err(error) => error.into_response().status(),
    };
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn refused_tokens_never_reach_the_upstream() {
    let bridge = start_with(|config| {
        config.tokens.passthrough = false;
    })
    .await;
    let (status, refused) = bridge.get("/users/me", "demo-alice").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    let (status, _, _) = bridge
        .call(
            Method::POST,
            "/posts",
            Some("demo-alice"),
            Some(("application/json", json!({"text": "no"}).to_string())),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let calls = bridge.control().counts().await.calls;
    assert_eq!(calls.get("i"), None, "{calls:?}");
    assert_eq!(calls.get("notes/create"), None, "{calls:?}");
}

#[tokio::test]
async fn specific_v1_routes_of_other_fronts_take_precedence() {
    use axum::routing::{delete, get};
    let bridge = start().await;
    let sim_url = bridge.running.sim_misskey.as_ref().expect("sim").base_url();
    let ctx = pnutkey::front::BridgeContext::new(
        Config::default(),
        bridge
            .running
            .sim_pnut
            .as_ref()
            .expect("sim pnut")
            .endpoints(),
        sim_url,
        "http://127.0.0.1".to_owned(),
    )
    .expect("context");
    // What the pnut stream front registers next to this front (merging must not panic).
    let router = pnutkey::front::pnut::rest::routes(ctx)
        .route("/v1/user", get(|| async { "stream" }))
        .route("/v1/users/me/streams/{id}", delete(|| async { "deleted" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let http = reqwest::Client::new();
    let text = |path: &'static str, method: Method| {
        let http = http.clone();
        async move {
            let response = http
                .request(method, format!("http://{addr}{path}"))
                .bearer_auth("demo-alice")
                .send()
                .await
                .expect("answers");
            (response.status(), response.text().await.unwrap_or_default())
        }
    };
    assert_eq!(text("/v1/user", Method::GET).await.1, "stream");
    assert_eq!(
        text("/v1/users/me/streams/abc", Method::DELETE).await.1,
        "deleted"
    );
    let (status, body) = text("/v1/users/me", Method::GET).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"username\":\"alice\""), "{body}");
    server.abort();
}

/// Bad input never leaves the pnut envelope (mapping.md §4.3, §7): an oversized body, a
/// method a route does not allow.
#[tokio::test]
async fn oversized_bodies_and_wrong_methods_get_pnut_envelopes() {
    let bridge = start().await;
    let huge = format!("{{\"text\": \"{}\"}}", "a".repeat(3 * 1024 * 1024));
    let (status, _, body) = bridge
        .call(
            Method::POST,
            "/posts",
            Some("demo-alice"),
            Some(("application/json", huge)),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["meta"]["error_message"].is_string(), "{body}");
    let (status, _, body) = bridge
        .call(
            Method::PUT,
            "/users/me/streams/abc",
            Some("demo-alice"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
}
