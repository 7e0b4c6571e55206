//! `notes/renotes`: the reposts of a post found for its reposters, as renote notes whose ids
//! the bridge takes back.

use super::support::{ids, padded, start};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn renotes_are_the_reposts_found_and_their_ids_come_back() {
    let bridge = start().await;
    let control = bridge.control();
    let original = control
        .create_post("alice", "worth sharing", None)
        .await
        .unwrap();
    let other = control
        .create_post("alice", "not this", None)
        .await
        .unwrap();
    let by_bob = control.repost("bob", &original.id).await.unwrap();
    control.repost("bob", &other.id).await.unwrap();
    control
        .create_post("bob", "bob talks after reposting", None)
        .await
        .unwrap();
    let by_carol = control.repost("carol", &original.id).await.unwrap();
    let note_id = padded(&original.id);

    let all = bridge
        .api("demo-alice", "notes/renotes", json!({"noteId": note_id}))
        .await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let (bob_id, carol_id) = (padded(&by_bob.id), padded(&by_carol.id));
    assert_eq!(ids(&all), vec![carol_id.as_str(), bob_id.as_str()]);
    for renote in all.body.as_array().unwrap() {
        assert_eq!(renote["renoteId"], note_id.as_str(), "{renote}");
        assert_eq!(renote["renote"]["text"], "worth sharing");
        assert!(renote["text"].is_null());
    }
    assert_eq!(all.body[0]["user"]["username"], "carol");
    assert_eq!(all.body[1]["user"]["username"], "bob");

    // Every id handed out comes back: as a page bound here, and to `notes/show`.
    let older = bridge
        .api(
            "demo-alice",
            "notes/renotes",
            json!({"noteId": note_id, "untilId": carol_id}),
        )
        .await;
    assert_eq!(ids(&older), vec![bob_id.as_str()]);
    let newer = bridge
        .api(
            "demo-alice",
            "notes/renotes",
            json!({"noteId": note_id, "sinceId": bob_id, "limit": 1}),
        )
        .await;
    assert_eq!(ids(&newer), vec![carol_id.as_str()]);
    let shown = bridge
        .api("demo-alice", "notes/show", json!({"noteId": bob_id}))
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body["renoteId"], note_id.as_str());

    // `userId` keeps one reposter's renote.
    let bob = padded(&control.user_id("bob").await.unwrap());
    let only_bob = bridge
        .api(
            "demo-alice",
            "notes/renotes",
            json!({"noteId": note_id, "userId": bob}),
        )
        .await;
    assert_eq!(ids(&only_bob), vec![bob_id.as_str()]);

    // A post nobody reposted has none; an unknown note is NO_SUCH_NOTE.
    let lonely = control.create_post("carol", "quiet", None).await.unwrap();
    let none = bridge
        .api(
            "demo-alice",
            "notes/renotes",
            json!({"noteId": padded(&lonely.id)}),
        )
        .await;
    assert_eq!(none.body, json!([]));
    let missing = bridge
        .api(
            "demo-alice",
            "notes/renotes",
            json!({"noteId": padded("999999")}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.code(), "NO_SUCH_NOTE");
}
