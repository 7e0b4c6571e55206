//! Re-measures issue 14's fault scenarios against the bridge on its simulated upstreams
//! (the production entry point, `pnutkey::app::start`, and real sockets):
//! 1. Misskey front: 617 posts while the pnut stream is stalled, then the stream drops —
//!    how many reach the client (backfill pages back, `limits.backfill_max`).
//! 2. pnut front: 110 notes while the Misskey stream is stalled (one page is 100), then it
//!    drops — how many reach the pnut tool.
//! 3. A hung Misskey stream (open, silent, no pong) for 10 s while 100 notes are posted, with
//!    `timeouts.upstream_pong_timeout = 5s`: how many arrive, and their latency.
//! 4. One Misskey socket connecting 32 `hashtag` channels beside `homeTimeline`: upstream
//!    GETs per second over 60 s, and whether `homeTimeline` still receives.
//!
//! `cargo run --release --example faults`

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pnutkey::app::{self, RunPlan, Running};
use pnutkey::config::Config;
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;
type Error = Box<dyn std::error::Error>;

async fn start(tweak: impl FnOnce(&mut Config)) -> Result<Running, Error> {
    let mut config = Config::default();
    config.listen.addr = "127.0.0.1:0".parse()?;
    config.sim.activity_interval = None;
    config.timeouts.reconnect_backoff_min = Duration::from_millis(10);
    config.timeouts.reconnect_backoff_max = Duration::from_millis(50);
    tweak(&mut config);
    Ok(app::start(&RunPlan::from_config(&config)).await?)
}

/// Text frames until `wait` passes with none.
async fn drain_texts(ws: &mut Ws, wait: Duration) -> Vec<(Instant, Value)> {
    let mut frames = Vec::new();
    while let Ok(Some(Ok(message))) = tokio::time::timeout(wait, ws.next()).await {
        if let Message::Text(text) = message
            && let Ok(value) = serde_json::from_str::<Value>(text.as_str())
        {
            frames.push((Instant::now(), value));
        }
    }
    frames
}

async fn misskey_socket(running: &Running, channels: &[(&str, Value)]) -> Result<Ws, Error> {
    let url = format!("ws://{}/streaming?i=demo-alice", running.addr);
    let (mut ws, _) = connect_async(url).await?;
    for (n, (channel, params)) in channels.iter().enumerate() {
        let connect = json!({"type": "connect", "body": {"channel": channel, "id": format!("c{n}"), "params": params}});
        ws.send(Message::text(connect.to_string())).await?;
    }
    Ok(ws)
}

async fn pnut_tool(running: &Running) -> Result<Ws, Error> {
    let url = format!("ws://{}/v1/user?access_token=demo-alice", running.addr);
    let (mut ws, _) = connect_async(url).await?;
    let hello = drain_texts(&mut ws, Duration::from_millis(500)).await;
    let id = hello
        .first()
        .and_then(|(_, frame)| frame["meta"]["connection_id"].as_str().map(str::to_owned))
        .ok_or("no hello")?;
    let reply = reqwest::Client::new()
        .get(format!(
            "http://{}/v1/posts/streams/me?connection_id={id}",
            running.addr
        ))
        .bearer_auth("demo-alice")
        .send()
        .await?;
    if reply.status() != 200 {
        return Err(format!("subscribe answered {}", reply.status()).into());
    }
    Ok(ws)
}

fn notes_in(frames: &[(Instant, Value)]) -> usize {
    frames
        .iter()
        .filter(|(_, f)| f["body"]["type"] == "note")
        .count()
}

fn posts_in(frames: &[(Instant, Value)]) -> usize {
    frames
        .iter()
        .map(|(_, f)| f["data"].as_array().map_or(0, Vec::len))
        .sum()
}

async fn misskey_front_gap() -> Result<(), Error> {
    let running = start(|_| {}).await?;
    let control = running.sim_pnut.as_ref().ok_or("sim")?.control();
    let mut ws = misskey_socket(&running, &[("homeTimeline", json!({}))]).await?;
    drain_texts(&mut ws, Duration::from_millis(500)).await;
    // A post delivered live: the backfill starts from the newest delivered one.
    control.create_post("bob", "live", None).await?;
    drain_texts(&mut ws, Duration::from_millis(500)).await;
    control.stall_streams(true);
    for n in 0..617 {
        control
            .create_post("bob", &format!("gap {n}"), None)
            .await?;
    }
    control.drop_streams().await;
    control.stall_streams(false);
    let got = notes_in(&drain_texts(&mut ws, Duration::from_secs(3)).await);
    println!(
        "1. Misskey front, 617 posts in a pnut stall: {got} delivered, {} lost",
        617usize.saturating_sub(got)
    );
    Ok(())
}

async fn pnut_front_gap() -> Result<(), Error> {
    let running = start(|_| {}).await?;
    let control = running.sim_misskey.as_ref().ok_or("sim")?.control();
    let mut ws = pnut_tool(&running).await?;
    control.post("bob", "live").await?;
    drain_texts(&mut ws, Duration::from_millis(500)).await;
    control.stall_streams(true).await;
    for n in 0..110 {
        control.post("bob", &format!("gap {n}")).await?;
    }
    control.drop_streams().await;
    control.stall_streams(false).await;
    let got = posts_in(&drain_texts(&mut ws, Duration::from_secs(3)).await);
    println!(
        "2. pnut front, 110 notes in a Misskey stall: {got} delivered, {} lost",
        110usize.saturating_sub(got)
    );
    Ok(())
}

async fn hung_misskey() -> Result<(), Error> {
    let running = start(|config| {
        config.timeouts.upstream_pong_timeout = Duration::from_secs(5);
    })
    .await?;
    let control = running.sim_misskey.as_ref().ok_or("sim")?.control();
    let mut ws = pnut_tool(&running).await?;
    control.post("bob", "live").await?;
    drain_texts(&mut ws, Duration::from_millis(500)).await;
    control.stall_streams(true).await;
    let mut posted = Vec::new();
    let hang = Instant::now();
    for n in 0..100 {
        control.post("bob", &format!("hang {n}")).await?;
        posted.push(Instant::now());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    while hang.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    control.stall_streams(false).await;
    let frames = drain_texts(&mut ws, Duration::from_secs(3)).await;
    let mut arrivals = Vec::new();
    for (at, frame) in &frames {
        for post in frame["data"].as_array().into_iter().flatten() {
            let text = post["content"]["text"].as_str().unwrap_or_default();
            if let Some(n) = text
                .strip_prefix("hang ")
                .and_then(|n| n.parse::<usize>().ok())
                && let Some(sent) = posted.get(n)
            {
                arrivals.push(at.duration_since(*sent));
            }
        }
    }
    arrivals.sort();
    let p = |q: f64| {
        arrivals
            .get(((arrivals.len() as f64 - 1.0) * q).round() as usize)
            .map_or(0.0, Duration::as_secs_f64)
    };
    println!(
        "3. hung Misskey stream 10 s, 100 notes, pong timeout 5 s: {} delivered, p50 {:.1} s, p99 {:.1} s",
        arrivals.len(),
        p(0.5),
        p(0.99)
    );
    Ok(())
}

async fn hashtag_flood() -> Result<(), Error> {
    let running = start(|_| {}).await?;
    let control = running.sim_pnut.as_ref().ok_or("sim")?.control();
    let mut channels = vec![("homeTimeline", json!({}))];
    for n in 0..32 {
        channels.push(("hashtag", json!({"q": format!("tag{n}")})));
    }
    let mut ws = misskey_socket(&running, &channels).await?;
    drain_texts(&mut ws, Duration::from_millis(500)).await;
    let gets = |counts: &pnutkey::sim::pnut::SimCounts| -> u64 {
        counts
            .calls
            .iter()
            .filter(|(route, _)| route.starts_with("GET "))
            .map(|(_, n)| *n)
            .sum()
    };
    let before = gets(&control.counts().await);
    let started = Instant::now();
    for n in 0..20 {
        control
            .create_post("bob", &format!("home {n}"), None)
            .await?;
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let frames = drain_texts(&mut ws, Duration::from_secs(1)).await;
    let secs = started.elapsed().as_secs_f64();
    let after = gets(&control.counts().await);
    println!(
        "4. 32 hashtag connects + homeTimeline: {:.1} upstream GET/s over {secs:.0} s; homeTimeline got {} of 20 posts",
        (after - before) as f64 / secs,
        notes_in(&frames)
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    misskey_front_gap().await?;
    pnut_front_gap().await?;
    hung_misskey().await?;
    hashtag_flood().await?;
    Ok(())
}
