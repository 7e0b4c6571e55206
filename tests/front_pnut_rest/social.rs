//! Mutes, blocks, bookmarks and actions through the pnut REST front (issue 15).

use pnutkey::sim::misskey::NewNote;
use reqwest::{Method, StatusCode};

use super::support::*;

fn usernames(page: &serde_json::Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|u| u["username"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn mutes_and_blocks_with_their_lists() {
    let bridge = start().await;
    let control = bridge.control();
    let bob = Bridge::pnut_id(&control.user_id("bob").await.expect("bob"));
    let carol = Bridge::pnut_id(&control.user_id("carol").await.expect("carol"));
    for (kind, target, flag, list) in [
        ("mute", &bob, "you_muted", "/users/me/muted"),
        ("block", &carol, "you_blocked", "/users/me/blocked"),
    ] {
        for _ in 0..2 {
            let (status, _, user) = bridge
                .call(
                    Method::PUT,
                    &format!("/users/{target}/{kind}"),
                    Some("demo-alice"),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{kind}: {user}");
            assert_eq!(user["data"][flag], true, "{user}");
        }
        let (status, listed) = bridge.get(list, "demo-alice").await;
        assert_eq!(status, StatusCode::OK, "{listed}");
        assert_eq!(listed["data"].as_array().map(Vec::len), Some(1), "{listed}");
        assert_eq!(listed["data"][0]["id"], target.as_str());
        let (status, _, user) = bridge
            .call(
                Method::DELETE,
                &format!("/users/{target}/{kind}"),
                Some("demo-alice"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert_eq!(user["data"][flag], false);
        let (_, listed) = bridge.get(list, "demo-alice").await;
        assert!(usernames(&listed).is_empty(), "{listed}");
    }
}

#[tokio::test]
async fn bookmarks_and_actions() {
    let bridge = start().await;
    let control = bridge.control();
    let note = control.post("bob", "bookmark me").await.expect("note");
    let post_id = Bridge::pnut_id(note["id"].as_str().expect("id"));
    let (status, _, _) = bridge
        .call(
            Method::PUT,
            &format!("/posts/{post_id}/bookmark"),
            Some("demo-alice"),
            None,
        )
        .await;
    assert!(status.is_success(), "{status}");
    let (status, bookmarks) = bridge.get("/users/me/bookmarks", "demo-alice").await;
    assert_eq!(status, StatusCode::OK, "{bookmarks}");
    assert_eq!(bookmarks["data"][0]["id"], post_id.as_str(), "{bookmarks}");
    assert_eq!(bookmarks["data"][0]["you_bookmarked"], true);

    let mine = control.post("alice", "reply to me").await.expect("note");
    let reply = NewNote {
        text: Some("a reply".into()),
        reply_id: mine["id"].as_str().map(str::to_owned),
        ..NewNote::default()
    };
    control.create_note("bob", reply).await.expect("reply");
    let (status, actions) = bridge.get("/users/me/actions", "demo-alice").await;
    assert_eq!(status, StatusCode::OK, "{actions}");
    let first = &actions["data"][0];
    assert_eq!(first["action"], "reply", "{actions}");
    assert_eq!(first["objects"][0]["content"]["text"], "a reply");
    assert_eq!(first["users"][0]["username"], "bob");
    assert!(
        first["event_date"]
            .as_str()
            .is_some_and(|d| d.ends_with('Z'))
    );
}
