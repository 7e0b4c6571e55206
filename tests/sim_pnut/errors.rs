//! Every error answer of the simulated pnut is a pnut envelope, axum's own rejections included.

use reqwest::StatusCode;

use super::support::{call, get, start};

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
