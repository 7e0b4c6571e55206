//! `i/notifications` from pnut's actions and mentions: Misskey types, paging both ways,
//! type filters filled from further pages, grouping.

use std::time::Duration;

use super::support::{padded, start};
use serde_json::{Value, json};

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn actions_and_mentions_become_misskey_notifications() {
    let bridge = start().await;
    let control = bridge.control();
    let mine = control
        .create_post("alice", "alice's thought", None)
        .await
        .unwrap();
    let reply = control
        .create_post("bob", "@alice a reply", Some(&mine.id))
        .await
        .unwrap();
    control.repost("carol", &mine.id).await.unwrap();
    control.repost("bob", &mine.id).await.unwrap();
    let reacted = bridge
        .api(
            "demo-bob",
            "notes/reactions/create",
            json!({"noteId": padded(&mine.id), "reaction": "👍"}),
        )
        .await;
    assert_eq!(reacted.status, 204);
    let mention = control
        .create_post("carol", "hey @alice", None)
        .await
        .unwrap();

    let all = bridge
        .ok("demo-alice", "i/notifications", json!({"limit": 30}))
        .await;
    let kinds: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        &kinds[..5],
        ["mention", "reaction", "renote", "renote", "reply"],
        "{all}"
    );
    // Then the seeded world's: replies, mentions, follows.
    assert!(
        kinds[5..]
            .iter()
            .all(|k| ["follow", "mention", "reply"].contains(k)),
        "{kinds:?}"
    );
    let items = all.as_array().unwrap();
    assert_eq!(items[0]["note"]["id"], padded(&mention.id));
    assert_eq!(items[1]["reaction"], "⭐");
    assert_eq!(items[1]["user"]["username"], "bob");
    assert_eq!(items[1]["note"]["id"], padded(&mine.id));
    assert_eq!(items[2]["note"]["renoteId"], padded(&mine.id));
    assert_eq!(items[2]["user"]["username"], "bob");
    assert_eq!(items[4]["note"]["id"], padded(&reply.id));
    assert_eq!(items[4]["note"]["text"], "@alice a reply");
    // The reply mentions alice too, but is one notification.
    assert_eq!(
        items
            .iter()
            .filter(|n| n["note"]["id"] == padded(&reply.id))
            .count(),
        1
    );
    assert!(
        items
            .iter()
            .any(|n| n["type"] == "follow" && n["user"]["username"] == "carol")
    );
    // Newest first: ids descend (Misskey compares them as strings).
    let listed = ids(&all);
    let mut sorted = listed.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(listed, sorted);

    // Paging by the ids handed out: limit 2 pages put together are the full list.
    let mut paged = Vec::new();
    let mut until: Option<String> = None;
    loop {
        let mut body = json!({"limit": 2});
        if let Some(until) = &until {
            body["untilId"] = json!(until);
        }
        let page = bridge.ok("demo-alice", "i/notifications", body).await;
        let page_ids = ids(&page);
        if page_ids.is_empty() {
            break;
        }
        until = page_ids.last().cloned();
        paged.extend(page_ids);
    }
    assert_eq!(paged, listed);
    // sinceId alone: the oldest after it, oldest first.
    let since = bridge
        .ok(
            "demo-alice",
            "i/notifications",
            json!({"sinceId": listed[3], "limit": 2}),
        )
        .await;
    assert_eq!(ids(&since), [listed[2].clone(), listed[1].clone()]);

    // A type filter reads on until `limit` pass.
    let replies = bridge
        .ok(
            "demo-alice",
            "i/notifications",
            json!({"includeTypes": ["reply"], "limit": 1}),
        )
        .await;
    assert_eq!(ids(&replies), [listed[4].clone()]);

    // Grouped: the two renotes of one note are one `renote:grouped`.
    let grouped = bridge
        .ok(
            "demo-alice",
            "i/notifications-grouped",
            json!({"limit": 30}),
        )
        .await;
    let renotes: Vec<&Value> = grouped
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"].as_str().unwrap().starts_with("renote"))
        .collect();
    assert_eq!(renotes.len(), 1, "{grouped}");
    assert_eq!(renotes[0]["type"], "renote:grouped");
    let users: Vec<&str> = renotes[0]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["bob", "carol"]);
    bridge.running.stop(Duration::from_secs(2)).await;
}
