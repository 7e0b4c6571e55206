//! The simulated pnut's post lists and post creation: pagination and JSON or form bodies.

use reqwest::StatusCode;
use serde_json::json;

use super::support::{call, get, ids, open, start};

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
