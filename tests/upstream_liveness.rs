//! A Misskey upstream that hangs (its stream stays open but answers nothing, not even a ping)
//! is noticed within `timeouts.upstream_pong_timeout`, reconnected and backfilled: the notes
//! posted during the hang reach the pnut tool, once each. Through the production routes of
//! the running bridge, against the simulated Misskey's hang (`stall_streams`).

mod common;

use std::time::Duration;

use common::app::{misskey_client, note_text, pnut_tool, post_text as text_of, start};
use common::ws::next_json;

/// Upper bound on awaiting the simulated server's state.
const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_hung_misskey_stream_is_reconnected_and_the_gap_backfilled() {
    let running = start(|config| {
        config.timeouts.upstream_pong_timeout = Duration::from_millis(300);
    })
    .await;
    let control = running.sim_misskey.as_ref().expect("sim misskey").control();
    let mut ws = pnut_tool(&running, "demo-alice", "/v1/posts/streams/me").await;
    control.post("bob", "seen live").await.expect("post");
    assert_eq!(text_of(&next_json(&mut ws).await), "seen live");

    // The server hangs: events are lost on the stream and pings go unanswered. Nothing but
    // the missing pong tells the bridge (the old 90 s silence limit is far beyond this test).
    control.stall_streams(true).await;
    for n in 1..=3 {
        control
            .post("bob", &format!("during the hang {n}"))
            .await
            .expect("post");
    }
    // The bridge gives the hung stream up and opens another, which the hung server accepts
    // and does not answer either: that one counts as open only from its first pong.
    tokio::time::timeout(
        WAIT,
        control.wait_for_counts(|counts| counts.connections >= 2),
    )
    .await
    .expect("a second connection while hung");
    control.stall_streams(false).await;
    for n in 1..=3 {
        let frame = next_json(&mut ws).await;
        assert_eq!(text_of(&frame), format!("during the hang {n}"), "{frame}");
    }
    // The resumed server reads what the bridge sent meanwhile: one socket, channel joined.
    control
        .wait_for_counts(|counts| {
            counts.connections == 1 && counts.sockets.iter().all(|s| s.channel_connections > 0)
        })
        .await;
    control.post("bob", "after the hang").await.expect("post");
    let frame = next_json(&mut ws).await;
    assert_eq!(
        text_of(&frame),
        "after the hang",
        "each note once, in order: {frame}"
    );
    running.stop(Duration::from_secs(5)).await;
}

/// The same for a pnut upstream under the Misskey front: a hung pnut stream (open, silent,
/// no pong) is noticed by its unanswered ping within `timeouts.upstream_pong_timeout` (the
/// 90 s idle limit is far beyond the test), reconnected, and the posts of the hang are
/// backfilled, once each, in order.
#[tokio::test]
async fn a_hung_pnut_stream_is_reconnected_and_the_gap_backfilled() {
    let running = start(|config| {
        config.timeouts.upstream_pong_timeout = Duration::from_millis(300);
    })
    .await;
    let control = running.sim_pnut.as_ref().expect("sim pnut").control();
    let mut ws = misskey_client(&running, "demo-alice", "homeTimeline").await;
    control
        .create_post("bob", "seen live", None)
        .await
        .expect("post");
    assert_eq!(note_text(&next_json(&mut ws).await), "seen live");

    control.stall_streams(true);
    for n in 1..=3 {
        control
            .create_post("bob", &format!("during the hang {n}"), None)
            .await
            .expect("post");
    }
    // A second connection, accepted (hello and all) by the hung server, not yet answered.
    tokio::time::timeout(
        WAIT,
        control.wait_for_counts(|counts| counts.connections >= 2),
    )
    .await
    .expect("a second connection while hung");
    control.stall_streams(false);
    for n in 1..=3 {
        let frame = next_json(&mut ws).await;
        assert_eq!(note_text(&frame), format!("during the hang {n}"), "{frame}");
    }
    control
        .create_post("bob", "after the hang", None)
        .await
        .expect("post");
    let frame = next_json(&mut ws).await;
    assert_eq!(
        note_text(&frame),
        "after the hang",
        "each post once, in order: {frame}"
    );
    drop(ws);
    running.stop(Duration::from_secs(5)).await;
}
