//! The simulated Misskey's events: `main` (followed, mention, notification), `noteUpdated` for
//! a captured note, drive and reaction events and their REST side effects.

use reqwest::StatusCode;
use serde_json::json;

use super::support::{api, assert_error, join, next_json, open, send, start};

#[tokio::test]
async fn main_channel_gets_followed_mention_and_notification() {
    let sim = start().await;
    let mut ws = open(&sim, "demo-alice").await;
    join(&mut ws, "main", "m", None).await;
    sim.control().follow("bob", "alice").await.unwrap_err();
    sim.control().unfollow("bob", "alice").await.unwrap();
    sim.control().follow("bob", "alice").await.unwrap();
    let followed = next_json(&mut ws).await;
    assert_eq!(followed["body"]["type"], "followed");
    assert_eq!(followed["body"]["body"]["username"], "bob");
    let notification = next_json(&mut ws).await;
    assert_eq!(notification["body"]["type"], "notification");
    assert_eq!(notification["body"]["body"]["type"], "follow");
    assert_eq!(notification["body"]["body"]["user"]["username"], "bob");
    assert_eq!(
        next_json(&mut ws).await["body"]["type"],
        "unreadNotification"
    );
    let note = sim.control().post("carol", "hi @alice").await.unwrap();
    let mention = next_json(&mut ws).await;
    assert_eq!(mention["body"]["id"], "m");
    assert_eq!(mention["body"]["type"], "mention");
    assert_eq!(mention["body"]["body"]["id"], note["id"]);
    let notification = next_json(&mut ws).await;
    assert_eq!(notification["body"]["body"]["type"], "mention");
    assert_eq!(notification["body"]["body"]["note"]["id"], note["id"]);
    let unread = next_json(&mut ws).await;
    assert_eq!(unread["body"]["type"], "unreadNotification");
    assert_eq!(unread["body"]["body"]["note"]["id"], note["id"]);
    sim.control().follow("alice", "carol").await.unwrap_err();
    sim.control().unfollow("alice", "carol").await.unwrap();
    let unfollow = next_json(&mut ws).await;
    assert_eq!(unfollow["body"]["type"], "unfollow");
    assert_eq!(unfollow["body"]["body"]["username"], "carol");
}

#[tokio::test]
async fn captured_note_gets_note_updated_until_unsubscribed() {
    let sim = start().await;
    let control = sim.control();
    let first = control.post("bob", "first").await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let second = control.post("bob", "second").await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ws = open(&sim, "demo-alice").await;
    send(&mut ws, json!({"type": "subNote", "body": {"id": first}})).await;
    send(&mut ws, json!({"type": "s", "body": {"id": second}})).await;
    join(&mut ws, "main", "barrier", None).await;
    control.react("carol", &first, "👍").await.unwrap();
    let reacted = next_json(&mut ws).await;
    assert_eq!(reacted["type"], "noteUpdated");
    assert_eq!(
        reacted["body"],
        json!({"id": first, "type": "reacted", "body": {"reaction": "👍", "emoji": null, "userId": control.user_id("carol").await.unwrap()}})
    );
    control
        .revise_note(&first, "first, revised", None)
        .await
        .unwrap();
    let updated = next_json(&mut ws).await;
    assert_eq!(updated["body"]["type"], "updated");
    assert_eq!(updated["body"]["body"]["text"], "first, revised");
    send(&mut ws, json!({"type": "unsubNote", "body": {"id": first}})).await;
    join(&mut ws, "homeTimeline", "barrier-2", None).await;
    control.delete_note(&first).await.unwrap();
    control.delete_note(&second).await.unwrap();
    let deleted = next_json(&mut ws).await;
    assert_eq!(deleted["type"], "noteUpdated");
    assert_eq!(deleted["body"]["id"], second.as_str());
    assert_eq!(deleted["body"]["type"], "deleted");
    assert!(
        deleted["body"]["body"]["deletedAt"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
}

#[tokio::test]
async fn drive_and_reaction_events_and_rest_side_effects() {
    let sim = start().await;
    let mut ws = open(&sim, "demo-alice").await;
    join(&mut ws, "drive", "d", None).await;
    join(&mut ws, "main", "m", None).await;
    let file = sim
        .control()
        .upload_file("alice", "cat.png", "image/png", 1234)
        .await
        .unwrap();
    let created = next_json(&mut ws).await;
    assert_eq!(created["body"]["id"], "d");
    assert_eq!(created["body"]["type"], "fileCreated");
    assert_eq!(created["body"]["body"]["id"], file["id"]);
    assert_eq!(created["body"]["body"]["type"], "image/png");
    let main = next_json(&mut ws).await;
    assert_eq!(main["body"]["type"], "driveFileCreated");
    let files = api(
        &sim,
        "drive/files",
        json!({"i": "demo-alice", "type": "image/*"}),
    )
    .await
    .json();
    assert_eq!(files[0]["id"], file["id"]);

    let mine = sim.control().post("alice", "react to me").await.unwrap();
    let note_id = mine["id"].as_str().unwrap();
    send(&mut ws, json!({"type": "sr", "body": {"id": note_id}})).await;
    join(&mut ws, "localTimeline", "barrier", None).await;
    let reacted = api(
        &sim,
        "notes/reactions/create",
        json!({"i": "demo-bob", "noteId": note_id, "reaction": ":blobcat:"}),
    )
    .await;
    assert_eq!(reacted.status, StatusCode::NO_CONTENT);
    let event = next_json(&mut ws).await;
    assert_eq!(event["type"], "noteUpdated");
    assert_eq!(event["body"]["body"]["reaction"], ":blobcat@.:");
    assert_eq!(event["body"]["body"]["emoji"]["name"], "blobcat@.");
    let notification = next_json(&mut ws).await;
    assert_eq!(notification["body"]["body"]["type"], "reaction");
    assert_eq!(
        next_json(&mut ws).await["body"]["type"],
        "unreadNotification"
    );
    let again = api(
        &sim,
        "notes/reactions/create",
        json!({"i": "demo-bob", "noteId": note_id, "reaction": ":blobcat:"}),
    )
    .await;
    assert_error(&again, StatusCode::BAD_REQUEST, "ALREADY_REACTED");
    let removed = api(
        &sim,
        "notes/reactions/delete",
        json!({"i": "demo-bob", "noteId": note_id}),
    )
    .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let event = next_json(&mut ws).await;
    assert_eq!(event["body"]["type"], "unreacted");
    let shown = api(&sim, "notes/show", json!({"noteId": note_id}))
        .await
        .json();
    assert_eq!(shown["reactionCount"], 0);

    let notifications = api(&sim, "i/notifications", json!({"i": "demo-alice"}))
        .await
        .json();
    assert_eq!(notifications[0]["type"], "reaction");
    let read = next_json(&mut ws).await;
    assert_eq!(
        read["body"],
        json!({"id": "m", "type": "readAllNotifications", "body": null})
    );
}
