//! Gap backfill after an upstream stream drop, through the production routes of a running
//! bridge on its simulated upstreams: a gap larger than one page is fetched page after page
//! (up to `limits.backfill_max`), a 429 on the way waits for its pause and retries, and every
//! missed item arrives once, oldest first.

mod common;

use std::time::Duration;

use common::ws::{Ws, next_json};
use pnutkey::app::{self, Running};
use pnutkey::config::Config;
use serde_json::Value;
use tokio_tungstenite::connect_async;

async fn start(tweak: impl FnOnce(&mut Config)) -> Running {
    let mut config = Config::default();
    config.listen.addr = "127.0.0.1:0".parse().expect("addr");
    config.sim.activity_interval = None;
    config.timeouts.reconnect_backoff_min = Duration::from_millis(10);
    config.timeouts.reconnect_backoff_max = Duration::from_millis(50);
    tweak(&mut config);
    app::start(&app::RunPlan::from_config(&config))
        .await
        .expect("app starts")
}

fn text_of(frame: &Value) -> String {
    frame["data"][0]["content"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A pnut tool connection of demo-alice subscribed to `/posts/streams/me`.
async fn pnut_tool(running: &Running) -> Ws {
    let url = format!("ws://{}/v1/user?access_token=demo-alice", running.addr);
    let (mut ws, _) = connect_async(url).await.expect("upgrade");
    let hello = next_json(&mut ws).await;
    let connection_id = hello["meta"]["connection_id"].as_str().expect("id");
    let reply = reqwest::Client::new()
        .get(format!(
            "http://{}/v1/posts/streams/me?connection_id={connection_id}",
            running.addr
        ))
        .bearer_auth("demo-alice")
        .send()
        .await
        .expect("subscribe");
    assert_eq!(reply.status(), 200);
    ws
}

#[tokio::test]
async fn pnut_front_backfills_a_gap_of_several_pages_through_a_429() {
    let running = start(|config| {
        config.limits.backfill_count = 5;
        config.limits.backfill_max = 1000;
    })
    .await;
    let control = running.sim_misskey.as_ref().expect("sim misskey").control();
    let mut ws = pnut_tool(&running).await;
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
