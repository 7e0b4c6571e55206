//! What a real Misskey 2025.11.1 sends (real-servers.md §1) and the simulated one now does too:
//! `main:reply` for a self-reply, a `mention` for a reply to your note, nothing on `main` for a
//! reply to somebody else's reply, `unreadNotification`, `meUpdated` and `fileUpdated` every
//! time, renotes of deleted notes kept with `renoteId` and no `renote`.

use pnutkey::sim::misskey::NewNote;
use reqwest::StatusCode;
use serde_json::json;

use super::support::{Ws, api, join, next_json, open, start};

/// The next frame's (channel connection id, event type).
async fn next_event(ws: &mut Ws) -> (String, String) {
    let frame = next_json(ws).await;
    (
        frame["body"]["id"].as_str().unwrap_or_default().to_owned(),
        frame["body"]["type"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn pair(id: &str, kind: &str) -> (String, String) {
    (id.to_owned(), kind.to_owned())
}

#[tokio::test]
async fn replies_send_the_main_events_real_misskey_sends() {
    let sim = start().await;
    let control = sim.control();
    let mut ws = open(&sim, "demo-alice").await;
    join(&mut ws, "homeTimeline", "h", None).await;
    join(&mut ws, "main", "m", None).await;
    let root = control.post("alice", "root").await.unwrap();
    let root_id = root["id"].as_str().unwrap().to_owned();
    assert_eq!(next_event(&mut ws).await, pair("h", "note"));

    // alice replies to herself: homeTimeline:note and main:reply (no notification).
    let own = NewNote {
        text: Some("self reply".into()),
        reply_id: Some(root_id.clone()),
        ..NewNote::default()
    };
    control.create_note("alice", own).await.unwrap();
    assert_eq!(next_event(&mut ws).await, pair("h", "note"));
    assert_eq!(next_event(&mut ws).await, pair("m", "reply"));

    // bob replies to alice's note without an @: reply, mention, notification, unread.
    let bob_reply = NewNote {
        text: Some("no at sign".into()),
        reply_id: Some(root_id.clone()),
        ..NewNote::default()
    };
    let bob_reply = control.create_note("bob", bob_reply).await.unwrap();
    assert_eq!(next_event(&mut ws).await, pair("h", "note"));
    for want in ["reply", "mention", "notification", "unreadNotification"] {
        assert_eq!(next_event(&mut ws).await, pair("m", want));
    }

    // bob replies to his own reply inside alice's thread: only homeTimeline:note.
    let deeper = NewNote {
        text: Some("deeper".into()),
        reply_id: bob_reply["id"].as_str().map(str::to_owned),
        ..NewNote::default()
    };
    let deeper = control.create_note("bob", deeper).await.unwrap();
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["body"]["id"], "h");
    assert_eq!(frame["body"]["body"]["id"], deeper["id"]);
    // Barrier: the next event is the rename, nothing else came on main.
    control.update_name("alice", "Alice Again").await.unwrap();
    assert_eq!(next_event(&mut ws).await, pair("m", "meUpdated"));
    control.update_name("alice", "Alice Again").await.unwrap();
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["body"]["type"], "meUpdated", "every time");
    assert_eq!(frame["body"]["body"]["name"], "Alice Again");
}

#[tokio::test]
async fn follows_renames_and_file_updates_repeat_their_events() {
    let sim = start().await;
    let control = sim.control();
    let mut ws = open(&sim, "demo-alice").await;
    join(&mut ws, "main", "m", None).await;
    join(&mut ws, "drive", "d", None).await;
    for _ in 0..2 {
        control.unfollow("alice", "bob").await.unwrap();
        assert_eq!(next_event(&mut ws).await, pair("m", "unfollow"));
        control.follow("alice", "bob").await.unwrap();
        assert_eq!(next_event(&mut ws).await, pair("m", "follow"));
        control.unfollow("bob", "alice").await.unwrap();
        control.follow("bob", "alice").await.unwrap();
        for want in ["followed", "notification", "unreadNotification"] {
            assert_eq!(next_event(&mut ws).await, pair("m", want));
        }
    }
    let file = control
        .upload_file("alice", "a.png", "image/png", 10)
        .await
        .unwrap();
    let file_id = file["id"].as_str().unwrap();
    assert_eq!(next_event(&mut ws).await, pair("d", "fileCreated"));
    assert_eq!(next_event(&mut ws).await, pair("m", "driveFileCreated"));
    for name in ["b.png", "c.png"] {
        control.rename_file("alice", file_id, name).await.unwrap();
        let frame = next_json(&mut ws).await;
        assert_eq!(frame["body"]["type"], "fileUpdated");
        assert_eq!(frame["body"]["body"]["name"], name);
    }
    let renamed = api(
        &sim,
        "drive/files/update",
        json!({"i": "demo-alice", "fileId": file_id, "name": "d.png"}),
    )
    .await;
    assert_eq!(renamed.json()["name"], "d.png");
    assert_eq!(next_event(&mut ws).await, pair("d", "fileUpdated"));
    let deleted = api(
        &sim,
        "drive/files/delete",
        json!({"i": "demo-alice", "fileId": file_id}),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["body"]["type"], "fileDeleted");
    assert_eq!(frame["body"]["body"], file["id"]);
    let updated = api(&sim, "i/update", json!({"i": "demo-alice", "name": "Al"})).await;
    assert_eq!(updated.json()["name"], "Al");
    assert_eq!(next_event(&mut ws).await, pair("m", "meUpdated"));
}

#[tokio::test]
async fn renotes_of_deleted_notes_stay_with_renote_id_and_short_users() {
    let sim = start().await;
    let control = sim.control();
    let original = control.post("bob", "soon gone").await.unwrap();
    let original_id = original["id"].as_str().unwrap().to_owned();
    let renote = NewNote {
        renote_id: Some(original_id.clone()),
        ..NewNote::default()
    };
    let renote = control.create_note("carol", renote).await.unwrap();
    control.delete_note(&original_id).await.unwrap();
    let shown = api(&sim, "notes/show", json!({"noteId": renote["id"]})).await;
    let shown = shown.json();
    assert_eq!(shown["renoteId"], original_id.as_str());
    assert!(shown.get("renote").is_none_or(|r| r.is_null()), "{shown}");
    for key in ["followersCount", "followingCount", "notesCount"] {
        assert!(shown["user"].get(key).is_none(), "UserLite has no {key}");
    }
}
