//! Polls: `notes/create` with `poll` → a pnut poll announced by the post's poll notice; notes
//! of such posts carry `poll` (votes, `isVoted` for the caller, `multiple`, `expiresAt`);
//! `notes/polls/vote` → a pnut poll response, refused as Misskey refuses.

use super::support::{Bridge, padded, start};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The pnut poll id announced by the note `note_id`'s post (read from the sim).
async fn poll_id(bridge: &Bridge, note_id: &str) -> String {
    let id = note_id.trim_start_matches('0');
    let post = bridge
        .upstream_post("demo-alice", &format!("{id}?include_post_raw=1"))
        .await;
    post["data"]["raw"]["io.pnut.core.poll-notice"][0]["poll_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no poll notice: {post}"))
        .to_owned()
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

fn c(text: &str, votes: u64, voted: bool) -> (String, u64, bool) {
    (text.to_owned(), votes, voted)
}

#[tokio::test]
async fn a_poll_is_created_shown_and_voted() {
    let bridge = start().await;
    let polls_before = bridge.upstream_calls("POST /v1/polls").await;
    let created = bridge
        .ok(
            "demo-alice",
            "notes/create",
            json!({"text": "Tea or coffee?", "poll": {"choices": ["tea", "coffee", "both"], "expiredAfter": 3_600_000}}),
        )
        .await;
    let note = &created["createdNote"];
    assert_eq!(note["text"], "Tea or coffee?");
    assert_eq!(note["poll"]["multiple"], false);
    assert!(note["poll"]["expiresAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        choices(note),
        [
            c("tea", 0, false),
            c("coffee", 0, false),
            c("both", 0, false)
        ]
    );
    assert_eq!(
        bridge.upstream_calls("POST /v1/polls").await,
        polls_before + 1
    );
    let note_id = note["id"].as_str().unwrap().to_owned();

    // bob votes "coffee": 204; he sees his vote, alice sees the count.
    let vote = |token: &'static str, choice: u64| {
        let body = json!({"noteId": note_id, "choice": choice});
        let bridge = &bridge;
        async move { bridge.api(token, "notes/polls/vote", body).await }
    };
    let voted = vote("demo-bob", 1).await;
    assert_eq!(voted.status, StatusCode::NO_CONTENT, "{}", voted.body);
    let as_bob = bridge
        .ok("demo-bob", "notes/show", json!({"noteId": note_id}))
        .await;
    assert_eq!(
        choices(&as_bob),
        [
            c("tea", 0, false),
            c("coffee", 1, true),
            c("both", 0, false)
        ]
    );
    let timeline = bridge
        .ok("demo-alice", "notes/timeline", json!({"limit": 5}))
        .await;
    let in_timeline = timeline
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == note_id.as_str())
        .expect("the poll note is on alice's timeline");
    assert_eq!(
        choices(in_timeline),
        [
            c("tea", 0, false),
            c("coffee", 1, false),
            c("both", 0, false)
        ]
    );

    // Misskey's refusals: a second vote on a single-choice poll, a choice it does not have.
    let again = vote("demo-bob", 0).await;
    assert_eq!(again.code(), "ALREADY_VOTED", "{}", again.body);
    let bad = vote("demo-carol", 3).await;
    assert_eq!(bad.code(), "INVALID_CHOICE", "{}", bad.body);
    // A closed poll.
    let poll = poll_id(&bridge, &note_id).await;
    bridge.control().close_poll(&poll).await.unwrap();
    let late = vote("demo-carol", 0).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert_eq!(late.code(), "ALREADY_EXPIRED", "{}", late.body);

    // A note without a poll, and no note at all.
    let plain = bridge
        .ok(
            "demo-alice",
            "notes/create",
            json!({"text": "no poll here"}),
        )
        .await;
    let no_poll = bridge
        .api(
            "demo-bob",
            "notes/polls/vote",
            json!({"noteId": plain["createdNote"]["id"], "choice": 0}),
        )
        .await;
    assert_eq!(no_poll.code(), "NO_POLL", "{}", no_poll.body);
    let missing = bridge
        .api(
            "demo-bob",
            "notes/polls/vote",
            json!({"noteId": padded("999999"), "choice": 0}),
        )
        .await;
    assert_eq!(missing.code(), "NO_SUCH_NOTE");
}

#[tokio::test]
async fn a_multiple_poll_takes_one_vote_per_choice() {
    let bridge = start().await;
    let created = bridge
        .ok(
            "demo-alice",
            "notes/create",
            json!({"text": "Which days?", "poll": {"choices": ["mon", "tue", "wed"], "multiple": true}}),
        )
        .await;
    let note = &created["createdNote"];
    assert_eq!(note["poll"]["multiple"], true);
    // No expiry: pnut polls always close, so it gets pnut's longest, 14 days.
    let expires = note["poll"]["expiresAt"].as_str().unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(expires).unwrap();
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((335..=336).contains(&days), "{days} hours");
    let note_id = note["id"].as_str().unwrap();
    for choice in [0, 2] {
        let voted = bridge
            .api(
                "demo-carol",
                "notes/polls/vote",
                json!({"noteId": note_id, "choice": choice}),
            )
            .await;
        assert_eq!(voted.status, StatusCode::NO_CONTENT, "{}", voted.body);
    }
    let again = bridge
        .api(
            "demo-carol",
            "notes/polls/vote",
            json!({"noteId": note_id, "choice": 2}),
        )
        .await;
    assert_eq!(again.code(), "ALREADY_VOTED");
    let shown = bridge
        .ok("demo-carol", "notes/show", json!({"noteId": note_id}))
        .await;
    assert_eq!(
        choices(&shown),
        [c("mon", 1, true), c("tue", 0, false), c("wed", 1, true)]
    );
}

#[tokio::test]
async fn polls_pnut_cannot_take_are_refused_before_anything_is_posted() {
    let bridge = start().await;
    let posts = bridge.upstream_calls("POST /v1/posts").await;
    let polls = bridge.upstream_calls("POST /v1/polls").await;
    let cases = [
        (json!({"poll": {"choices": ["a", "b"]}}), "INVALID_PARAM"),
        (
            json!({"text": "x", "poll": {"choices": ["a"]}}),
            "INVALID_PARAM",
        ),
        (
            json!({"text": "x", "poll": {"choices": ["a", "a"]}}),
            "INVALID_PARAM",
        ),
        (
            json!({"text": "x", "poll": {"choices": ["a", "b"], "expiresAt": 1_000}}),
            "CANNOT_CREATE_ALREADY_EXPIRED_POLL",
        ),
        (
            json!({"text": "x", "visibility": "specified", "visibleUserIds": [padded("2")], "poll": {"choices": ["a", "b"]}}),
            "INVALID_PARAM",
        ),
    ];
    for (body, code) in cases {
        let refused = bridge.api("demo-alice", "notes/create", body.clone()).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(refused.code(), code, "{body}: {}", refused.body);
    }
    assert_eq!(bridge.upstream_calls("POST /v1/posts").await, posts);
    assert_eq!(bridge.upstream_calls("POST /v1/polls").await, polls);
}
