//! Deletions of pushed posts (issue 15): Misskey sends deletions only for captured notes, so
//! the hub captures the last `limits.captured_posts` posts it pushed per token; deleting one
//! reaches the subscriptions that had it as a frame with `meta.is_deleted`.

use pnutkey::config::Config;
use pnutkey::ids::misskey_to_pnut;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn deleting_a_pushed_post_reaches_its_subscriptions() {
    let config = Config::default();
    let format = config.ids.misskey_format;
    let env = start_with(config).await;
    let control = env.control();
    let (mut ws, _, body) = env
        .open_subscribed("demo-alice", "/v1/posts/streams/me")
        .await;
    let note = control.post("bob", "soon deleted").await.expect("post");
    let note_id = note["id"].as_str().expect("id").to_owned();
    assert_eq!(text_of(&next_json(&mut ws).await), "soon deleted");
    tokio::time::timeout(
        LIMIT,
        control.wait_for_counts(|c| c.sockets.iter().any(|s| s.captured_notes == 1)),
    )
    .await
    .expect("the pushed note is captured upstream");
    control.delete_note(&note_id).await.expect("delete");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["is_deleted"], true, "{frame}");
    let post_id = misskey_to_pnut(&note_id, format).expect("pnut id");
    assert_eq!(frame["meta"]["id"], post_id.as_str());
    assert_eq!(frame["data"][0]["is_deleted"], true);
    assert_eq!(
        frame["meta"]["subscription_ids"],
        json!([body["meta"]["subscription_id"]])
    );
}

#[tokio::test]
async fn only_the_last_captured_posts_stay_captured() {
    let mut config = Config::default();
    config.limits.captured_posts = 2;
    let env = start_with(config).await;
    let control = env.control();
    let (mut ws, _, _) = env
        .open_subscribed("demo-alice", "/v1/posts/streams/me")
        .await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let note = control
            .post("bob", &format!("{n} post"))
            .await
            .expect("post");
        ids.push(note["id"].as_str().expect("id").to_owned());
        assert_eq!(post_number(&next_json(&mut ws).await), n);
    }
    // Barrier: the hub sent its capture changes upstream before it handles this subscribe,
    // so once the drive channel is joined upstream they have been applied.
    let (_files_ws, files_cid) = env.open("demo-alice").await;
    let (status, _) = env
        .subscribe("demo-alice", "/v1/users/me/files", &files_cid)
        .await;
    assert_eq!(status, 200);
    wait_channels(&control, "alice", |s, c| s == 1 && c == 2).await;
    let counts = control.counts().await;
    assert!(
        counts.sockets.iter().all(|s| s.captured_notes == 2),
        "{counts:?}"
    );
    // The oldest was released: its deletion sends nothing; the newest's is the next frame.
    control.delete_note(&ids[0]).await.expect("delete");
    control.delete_note(&ids[2]).await.expect("delete");
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["meta"]["is_deleted"], true, "{frame}");
    assert_eq!(
        frame["data"][0]["id"],
        misskey_to_pnut(&ids[2], pnutkey::ids::IdFormat::Aidx)
            .expect("pnut id")
            .as_str()
    );
}
