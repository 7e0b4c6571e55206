//! Polls on streamed notes: a post carrying an `io.pnut.core.poll-notice` raw reaches
//! `homeTimeline` (and `main`) as a note with `poll` (choices by position, `votes`, the
//! viewer's `isVoted`), looked up by the pool; in order with the token's other notes; without
//! `poll` when the lookup fails (never dropped).

use super::support::{WAIT, connect, next_channel_event, open, start, until_counts};
use pnutkey::app::Running;
use pnutkey::sim::pnut::ForcedFailure;
use serde_json::{Value, json};

/// `method path` straight on the sim pnut as `token`, JSON `body`: the answer's `data`.
async fn upstream(
    running: &Running,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Value {
    let base = running.sim_pnut.as_ref().unwrap().base_url();
    let response = reqwest::Client::new()
        .request(method, format!("{base}/v1{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json::<Value>().await.unwrap()["data"].clone()
}

/// Bob's poll (tea, coffee), which alice answers "coffee": `(poll_id, poll_token)`.
async fn poll_alice_answered(running: &Running) -> (String, String) {
    let poll = upstream(
        running,
        "demo-bob",
        reqwest::Method::POST,
        "/polls",
        json!({"type": "general.poll", "prompt": "Tea or coffee?",
               "options": [{"text": "tea"}, {"text": "coffee"}], "duration": 60}),
    )
    .await;
    let id = poll["id"].as_str().unwrap().to_owned();
    let token = poll["poll_token"].as_str().unwrap().to_owned();
    upstream(
        running,
        "demo-alice",
        reqwest::Method::PUT,
        &format!("/polls/{id}/response?poll_token={token}"),
        json!({"positions": [2]}),
    )
    .await;
    (id, token)
}

/// Bob posts `text` announcing the poll (pnut's `+io.pnut.core.poll` replacement value).
async fn post_poll(running: &Running, text: &str, poll: &(String, String)) {
    let raw = json!({"io.pnut.core.poll-notice": [
        {"+io.pnut.core.poll": {"poll_id": poll.0, "poll_token": poll.1}}]});
    upstream(
        running,
        "demo-bob",
        reqwest::Method::POST,
        "/posts",
        json!({"text": text, "raw": raw}),
    )
    .await;
}

fn choices(note: &Value) -> Vec<(String, u64, bool)> {
    note["poll"]["choices"]
        .as_array()
        .unwrap_or_else(|| panic!("no poll: {note}"))
        .iter()
        .map(|c| {
            (
                c["text"].as_str().unwrap().to_owned(),
                c["votes"].as_u64().unwrap(),
                c["isVoted"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn expected() -> Vec<(String, u64, bool)> {
    vec![("tea".into(), 0, false), ("coffee".into(), 1, true)]
}

#[tokio::test]
async fn a_poll_note_arrives_on_home_timeline_with_its_poll() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    let poll = poll_alice_answered(&running).await;
    post_poll(&running, "Tea or coffee?", &poll).await;
    // A plain note posted right after comes after the poll note, as pnut sent them.
    control
        .create_post("bob", "no poll here", None)
        .await
        .unwrap();
    let first = tokio::time::timeout(WAIT, next_channel_event(&mut ws, "note", |_| true))
        .await
        .expect("no note");
    assert_eq!(first["id"], "home");
    let note = &first["body"];
    assert_eq!(note["text"], "Tea or coffee?", "{note}");
    assert_eq!(choices(note), expected(), "{note}");
    assert_eq!(note["poll"]["multiple"], false);
    assert!(note["poll"]["expiresAt"].as_str().unwrap().ends_with('Z'));
    let second = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(second["body"]["text"], "no poll here");
    assert!(second["body"].get("poll").is_none(), "{second}");
    let counts = until_counts(&control, |c| c.calls.contains_key("GET /v1/polls/{id}")).await;
    assert_eq!(counts.calls["GET /v1/polls/{id}"], 1, "one lookup per poll");
}

#[tokio::test]
async fn a_mention_with_a_poll_reaches_main_with_its_poll() {
    let (running, _control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "main", "m", json!({})).await;
    let poll = poll_alice_answered(&running).await;
    post_poll(&running, "@alice tea or coffee?", &poll).await;
    let mention = next_channel_event(&mut ws, "mention", |_| true).await;
    assert_eq!(choices(&mention["body"]), expected(), "{mention}");
    let notification = next_channel_event(&mut ws, "notification", |_| true).await;
    assert_eq!(
        choices(&notification["body"]["note"]),
        expected(),
        "{notification}"
    );
}

#[tokio::test]
async fn a_poll_that_cannot_be_read_leaves_the_note_without_poll() {
    let (running, control) = start(|_| {}).await;
    let mut ws = open(&running, "demo-alice").await;
    connect(&mut ws, "homeTimeline", "home", json!({})).await;
    let poll = poll_alice_answered(&running).await;
    control
        .force_failures(ForcedFailure {
            remaining: 1,
            status: 404,
            token: Some("demo-alice".into()),
            endpoint: Some("GET /v1/polls/{id}".into()),
        })
        .await;
    post_poll(&running, "Tea or coffee?", &poll).await;
    let note = next_channel_event(&mut ws, "note", |_| true).await;
    assert_eq!(note["body"]["text"], "Tea or coffee?");
    assert!(note["body"].get("poll").is_none(), "{note}");
    let counts = control.counts().await;
    assert_eq!(counts.calls["GET /v1/polls/{id}"], 1, "the lookup was made");
}
