//! The simulated pnut's polls in pnut's shapes: `POST /polls`, a post announcing it with the
//! `io.pnut.core.poll-notice` raw (the `+io.pnut.core.poll` replacement expanded), reading it
//! with the notice's token, responses, and the refusals.

use super::support::{call, get, start};
use reqwest::Method;
use serde_json::{Value, json};

fn json_body(value: Value) -> Option<(&'static str, String)> {
    Some(("application/json", value.to_string()))
}

#[tokio::test]
async fn a_poll_is_created_announced_read_and_answered() {
    let sim = start().await;
    let created = call(
        &sim,
        Method::POST,
        "/v1/polls",
        Some("demo-alice"),
        json_body(json!({
            "type": "general.poll", "prompt": "Tea or coffee?",
            "options": [{"text": "tea"}, {"text": "coffee"}, {"text": "both"}],
            "duration": 60, "max_options": 2, "is_anonymous": false, "is_public": false,
        })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let poll = &created.body["data"];
    let (id, token) = (
        poll["id"].as_str().unwrap().to_owned(),
        poll["poll_token"].as_str().unwrap().to_owned(),
    );
    assert_eq!(poll["type"], "general.poll");
    assert_eq!(poll["prompt"], "Tea or coffee?");
    assert_eq!(poll["max_options"], 2);
    assert_eq!(poll["options"][1]["position"], 2);
    assert_eq!(poll["options"][1]["text"], "coffee");
    assert_eq!(poll["options"][1]["respondents"], 0);
    assert_eq!(poll["you_responded"], false);
    assert!(poll["closed_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(poll["user"]["username"], "alice");

    // The post announcing it: pnut expands the replacement value into the notice.
    let post = call(
        &sim,
        Method::POST,
        "/v1/posts?include_post_raw=1",
        Some("demo-alice"),
        json_body(
            json!({"text": "Tea or coffee?", "raw": {"io.pnut.core.poll-notice": [
                {"+io.pnut.core.poll": {"poll_id": id, "poll_token": token}}
            ]}}),
        ),
    )
    .await;
    assert_eq!(post.status, 201, "{}", post.body);
    let notice = &post.body["data"]["raw"]["io.pnut.core.poll-notice"][0];
    assert_eq!(notice["poll_id"], id.as_str());
    assert_eq!(notice["poll_token"], token.as_str());
    assert_eq!(notice["prompt"], "Tea or coffee?");
    assert_eq!(notice["closed_at"], poll["closed_at"]);
    // Someone else's poll cannot be announced.
    let stolen = call(
        &sim,
        Method::POST,
        "/v1/posts",
        Some("demo-bob"),
        json_body(
            json!({"text": "mine now", "raw": {"io.pnut.core.poll-notice": [
                {"+io.pnut.core.poll": {"poll_id": id, "poll_token": token}}
            ]}}),
        ),
    )
    .await;
    assert_eq!(stolen.status, 400);

    // Not public: bob reads it with the notice's token only.
    assert_eq!(
        get(&sim, &format!("/v1/polls/{id}"), "demo-bob")
            .await
            .status,
        404
    );
    let path = format!("/v1/polls/{id}?poll_token={token}");
    let seen = get(&sim, &path, "demo-bob").await;
    assert_eq!(seen.status, 200);
    assert!(seen.body["data"].get("poll_token").is_none());

    // Responses: positions (at most max_options), one position by path; a new response
    // replaces the earlier one.
    let respond = |token_user: &'static str, body: Value| {
        let path = format!("/v1/polls/{id}/response?poll_token={token}");
        let sim = &sim;
        async move { call(sim, Method::PUT, &path, Some(token_user), json_body(body)).await }
    };
    let answered = respond("demo-bob", json!({"positions": [1, 3]})).await;
    assert_eq!(answered.status, 200, "{}", answered.body);
    let options = &answered.body["data"]["options"];
    assert_eq!(answered.body["data"]["you_responded"], true);
    assert_eq!(options[0]["respondents"], 1);
    assert_eq!(options[0]["is_your_response"], true);
    assert_eq!(options[1]["is_your_response"], false);
    assert_eq!(options[2]["respondent_ids"], json!([bob_id(&sim).await]));
    assert_eq!(
        respond("demo-bob", json!({"positions": [1, 2, 3]}))
            .await
            .status,
        400
    );
    assert_eq!(
        respond("demo-bob", json!({"positions": [4]})).await.status,
        400
    );
    let by_path = call(
        &sim,
        Method::PUT,
        &format!("/v1/polls/{id}/response/2?poll_token={token}"),
        Some("demo-carol"),
        None,
    )
    .await;
    assert_eq!(by_path.status, 200, "{}", by_path.body);
    let options = &by_path.body["data"]["options"];
    assert_eq!(options[1]["respondents"], 1);
    assert_eq!(options[0]["greatest_vote"], true);
    assert_eq!(options[1]["greatest_vote"], true);
    let alice_view = get(&sim, &format!("/v1/polls/{id}"), "demo-alice").await;
    assert_eq!(alice_view.body["data"]["you_responded"], false);
    assert_eq!(alice_view.body["data"]["options"][0]["respondents"], 1);
    // A closed poll takes no response.
    sim.control().close_poll(&id).await.unwrap();
    assert_eq!(
        respond("demo-bob", json!({"positions": [2]})).await.status,
        400
    );
}

#[tokio::test]
async fn bad_polls_are_refused() {
    let sim = start().await;
    for body in [
        json!({"type": "general.poll", "prompt": "one?", "options": [{"text": "only"}], "duration": 5}),
        json!({"type": "general.poll", "prompt": "", "options": [{"text": "a"}, {"text": "b"}], "duration": 5}),
        json!({"type": "general.poll", "prompt": "long", "options": [{"text": "a"}, {"text": "b"}], "duration": 20161}),
        json!({"type": "general.poll", "prompt": "many", "options": [{"text": "a"}, {"text": "b"}], "duration": 5, "max_options": 3}),
    ] {
        let refused = call(
            &sim,
            Method::POST,
            "/v1/polls",
            Some("demo-alice"),
            json_body(body.clone()),
        )
        .await;
        assert_eq!(refused.status, 400, "{body}");
    }
    assert_eq!(
        get(&sim, "/v1/polls/999999", "demo-alice").await.status,
        404
    );
}

async fn bob_id(sim: &pnutkey::sim::pnut::SimPnut) -> String {
    sim.control().user_id("bob").await.unwrap()
}
