//! Gap backfill after an upstream stream drop, through the production routes of a running
//! bridge on its simulated upstreams: a gap larger than one page is fetched page after page
//! (up to `limits.backfill_max`), a 429 on the way waits for its pause and retries, and every
//! missed item arrives once, oldest first.

mod common;

use std::time::Duration;

use common::app::{misskey_client, note_text, pnut_tool, post_text as text_of, start};
use common::ws::next_json;

#[tokio::test]
async fn pnut_front_backfills_a_gap_of_several_pages_through_a_429() {
    let running = start(|config| {
        config.limits.backfill_count = 5;
        config.limits.backfill_max = 1000;
    })
    .await;
    let control = running.sim_misskey.as_ref().expect("sim misskey").control();
    let mut ws = pnut_tool(&running, "demo-alice", "/v1/posts/streams/me").await;
    control.post("bob", "live").await.expect("post");
    assert_eq!(text_of(&next_json(&mut ws).await), "live");

    // 12 notes the stream loses (a hung server), then the stream drops: 3 pages of 5.
    control.stall_streams(true).await;
    for n in 1..=12 {
        control
            .post("bob", &format!("gap {n:02}"))
            .await
            .expect("post");
    }
    control
        .force_failures(1, 429, Some("demo-alice"), Some("notes/timeline"))
        .await;
    control.drop_streams().await;
    control.stall_streams(false).await;
    for n in 1..=12 {
        let frame = next_json(&mut ws).await;
        assert_eq!(text_of(&frame), format!("gap {n:02}"), "{frame}");
    }
    control.post("bob", "after").await.expect("post");
    assert_eq!(text_of(&next_json(&mut ws).await), "after");
    running.stop(Duration::from_secs(5)).await;
}

/// The Misskey front's re-subscribe after a pnut stream drop: 12 posts the stalled stream
/// lost come back over three pages of 5 (before: one page, 7 lost), once each, oldest first.
#[tokio::test]
async fn misskey_front_backfills_a_gap_of_several_pages() {
    let running = start(|config| {
        config.limits.backfill_count = 5;
        config.limits.backfill_max = 1000;
    })
    .await;
    let control = running.sim_pnut.as_ref().expect("sim pnut").control();
    let mut ws = misskey_client(&running, "demo-alice", "homeTimeline").await;
    control
        .create_post("bob", "live", None)
        .await
        .expect("post");
    assert_eq!(note_text(&next_json(&mut ws).await), "live");
    control.stall_streams(true);
    for n in 1..=12 {
        control
            .create_post("bob", &format!("gap {n:02}"), None)
            .await
            .expect("post");
    }
    control.drop_streams().await;
    control.stall_streams(false);
    for n in 1..=12 {
        let frame = next_json(&mut ws).await;
        assert_eq!(note_text(&frame), format!("gap {n:02}"), "{frame}");
    }
    control
        .create_post("bob", "after", None)
        .await
        .expect("post");
    assert_eq!(note_text(&next_json(&mut ws).await), "after");
    drop(ws);
    running.stop(Duration::from_secs(5)).await;
}
