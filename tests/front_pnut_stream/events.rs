//! Every upstream event reaches each subscribed connection once (issue 15): repeated follows,
//! renames and file updates are new frames; a note arriving on several Misskey channels is one
//! frame naming every matching subscription; threads at any depth.

use pnutkey::ids::misskey_to_pnut;
use pnutkey::sim::misskey::NewNote;
use serde_json::Value;

use super::support::*;

fn sid(body: &Value) -> String {
    body["meta"]["subscription_id"]
        .as_str()
        .expect("subscription_id")
        .to_owned()
}

fn sorted_sids(frame: &Value) -> Vec<String> {
    let mut ids: Vec<String> = frame["meta"]["subscription_ids"]
        .as_array()
        .expect("subscription_ids")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn repeated_follows_renames_and_file_updates_are_each_a_frame() {
    let env = start().await;
    let control = env.control();
    let (mut ws, cid, following) = env
        .open_subscribed("demo-alice", "/v1/users/me/following")
        .await;
    let (status, token) = env.subscribe("demo-alice", "/v1/token", &cid).await;
    assert_eq!(status, 200, "{token}");
    let (status, files) = env
        .subscribe("demo-alice", "/v1/users/me/files", &cid)
        .await;
    assert_eq!(status, 200, "{files}");
    for round in 0..2 {
        control.unfollow("alice", "bob").await.expect("unfollow");
        let frame = next_json(&mut ws).await;
        assert_eq!(frame["meta"]["is_deleted"], true, "round {round}: {frame}");
        assert_eq!(
            frame["meta"]["subscription_ids"],
            serde_json::json!([sid(&following)])
        );
        control.follow("alice", "bob").await.expect("follow");
        let frame = next_json(&mut ws).await;
        assert!(
            frame["meta"].get("is_deleted").is_none(),
            "round {round}: {frame}"
        );
        assert_eq!(frame["data"]["followed_user"]["username"], "bob");
    }
    for name in ["Alice One", "Alice Two", "Alice Two"] {
        control.update_name("alice", name).await.expect("rename");
        let frame = next_json(&mut ws).await;
        assert_eq!(
            frame["meta"]["subscription_ids"],
            serde_json::json!([sid(&token)])
        );
        assert_eq!(frame["data"]["user"]["name"], name, "{frame}");
    }
    let file = control
        .upload_file("alice", "a.png", "image/png", 10)
        .await
        .expect("upload");
    let file_id = file["id"].as_str().expect("file id");
    assert_eq!(next_json(&mut ws).await["data"]["name"], "a.png");
    for name in ["b.png", "c.png"] {
        control
            .rename_file("alice", file_id, name)
            .await
            .expect("rename");
        let frame = next_json(&mut ws).await;
        assert_eq!(
            frame["meta"]["subscription_ids"],
            serde_json::json!([sid(&files)])
        );
        assert_eq!(frame["data"]["name"], name, "{frame}");
    }
}

#[tokio::test]
async fn a_mention_is_one_frame_naming_every_matching_subscription() {
    let env = start().await;
    let control = env.control();
    let (mut ws, cid, me) = env
        .open_subscribed("demo-alice", "/v1/posts/streams/me")
        .await;
    let (_, unified) = env
        .subscribe("demo-alice", "/v1/posts/streams/unified", &cid)
        .await;
    let (_, mentions) = env
        .subscribe("demo-alice", "/v1/users/me/mentions", &cid)
        .await;
    wait_channels(&control, "alice", |s, c| s == 1 && c == 2).await;
    control.post("bob", "@alice one frame").await.expect("post");
    let frame = next_json(&mut ws).await;
    assert_eq!(text_of(&frame), "@alice one frame");
    assert_eq!(
        sorted_sids(&frame),
        sorted(vec![sid(&me), sid(&unified), sid(&mentions)])
    );
    // The main:mention arrival of the same note is no second frame: the next one is this.
    control.post("bob", "plain").await.expect("post");
    let frame = next_json(&mut ws).await;
    assert_eq!(text_of(&frame), "plain", "{frame}");
    assert_eq!(sorted_sids(&frame), sorted(vec![sid(&me), sid(&unified)]));

    // A reply to alice's note without an @ is a mention too (Misskey sends main:mention).
    let root = control.post("alice", "my note").await.expect("post");
    assert_eq!(text_of(&next_json(&mut ws).await), "my note");
    let reply = NewNote {
        text: Some("answering".into()),
        reply_id: root["id"].as_str().map(str::to_owned),
        ..NewNote::default()
    };
    control.create_note("bob", reply).await.expect("reply");
    let frame = next_json(&mut ws).await;
    assert_eq!(text_of(&frame), "answering");
    assert_eq!(
        sorted_sids(&frame),
        sorted(vec![sid(&me), sid(&unified), sid(&mentions)])
    );
    control.post("bob", "after").await.expect("post");
    assert_eq!(text_of(&next_json(&mut ws).await), "after");
}

#[tokio::test]
async fn a_thread_subscription_gets_replies_at_any_depth_once() {
    let config = pnutkey::config::Config::default();
    let format = config.ids.misskey_format;
    let env = start_with(config).await;
    let control = env.control();
    let root = control.post("alice", "thread root").await.expect("post");
    let root_id = root["id"].as_str().expect("id").to_owned();
    let post_id = misskey_to_pnut(&root_id, format).expect("pnut id");
    let (mut ws, cid, thread) = env
        .open_subscribed("demo-alice", &format!("/v1/posts/{post_id}/thread"))
        .await;
    let (_, me) = env
        .subscribe("demo-alice", "/v1/posts/streams/me", &cid)
        .await;
    tokio::time::timeout(
        LIMIT,
        control.wait_for_counts(|counts| counts.sockets.iter().any(|s| s.captured_notes == 1)),
    )
    .await
    .expect("captured");
    let mut parent = root_id.clone();
    for depth in 1..=3 {
        let reply = NewNote {
            text: Some(format!("depth {depth}")),
            reply_id: Some(parent.clone()),
            ..NewNote::default()
        };
        let note = control.create_note("bob", reply).await.expect("reply");
        let frame = next_json(&mut ws).await;
        assert_eq!(text_of(&frame), format!("depth {depth}"), "{frame}");
        assert_eq!(
            sorted_sids(&frame),
            sorted(vec![sid(&thread), sid(&me)]),
            "depth {depth}: {frame}"
        );
        parent = note["id"].as_str().expect("id").to_owned();
    }
    // A post outside the thread reaches only the timeline subscription.
    control.post("bob", "elsewhere").await.expect("post");
    let frame = next_json(&mut ws).await;
    assert_eq!(text_of(&frame), "elsewhere");
    assert_eq!(sorted_sids(&frame), vec![sid(&me)]);
}
