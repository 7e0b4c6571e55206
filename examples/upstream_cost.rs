//! Measures what N clients of one token cost upstream, through the bridge on its embedded
//! default (mapping.md §3.2, §4.2):
//! - Misskey direction: N misskey websocket clients each on `homeTimeline` + `main` → pnut
//!   user-stream connections, subscriptions and REST calls on the simulated pnut;
//! - pnut direction: N pnut tool connections each subscribed to `/posts/streams/me` and
//!   `/users/me/mentions` → Misskey streaming connections, channel connections and REST calls
//!   on the simulated Misskey.
//!
//! `cargo run --release --example upstream_cost`

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pnutkey::app::{self, RunPlan, Running};
use pnutkey::config::Config;
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const WAIT: Duration = Duration::from_secs(30);

async fn bridge() -> Result<Running, Box<dyn std::error::Error>> {
    let mut config = Config::default();
    config.listen.addr = "127.0.0.1:0".parse()?;
    config.sim.activity_interval = None;
    Ok(app::start(&RunPlan::from_config(&config)).await?)
}

/// The next JSON text frame.
async fn next_json(ws: &mut Ws) -> Result<Value, Box<dyn std::error::Error>> {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await? {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text)?),
            Some(Ok(_)) => continue,
            other => return Err(format!("stream ended: {other:?}").into()),
        }
    }
}

async fn misskey_clients(n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let running = bridge().await?;
    let mut sockets = Vec::new();
    for _ in 0..n {
        let url = format!("ws://{}/streaming?i=demo-alice", running.addr);
        let (mut ws, _) = connect_async(url).await?;
        for (channel, id) in [("homeTimeline", "h"), ("main", "m")] {
            let connect =
                json!({"type": "connect", "body": {"channel": channel, "id": id, "pong": true}});
            ws.send(Message::Text(connect.to_string().into())).await?;
        }
        let mut connected = 0;
        while connected < 2 {
            if next_json(&mut ws).await?["type"] == "connected" {
                connected += 1;
            }
        }
        sockets.push(ws);
    }
    let sim = running.sim_pnut.as_ref().ok_or("no sim pnut")?;
    let counts = sim.control().counts().await;
    let subscriptions: usize = counts.subscriptions.values().sum();
    let calls: u64 = counts.calls.values().sum();
    println!(
        "misskey clients={n:>3} (homeTimeline+main): pnut connections={} subscriptions={subscriptions} REST calls={calls}",
        counts.connections
    );
    drop(sockets);
    running.stop(Duration::from_secs(5)).await;
    Ok(())
}

async fn pnut_tools(n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let running = bridge().await?;
    let http = reqwest::Client::new();
    let mut sockets = Vec::new();
    let mut waited = 0;
    for _ in 0..n {
        let url = format!("ws://{}/v1/user?access_token=demo-alice", running.addr);
        let (mut ws, _) = connect_async(url).await?;
        let hello = next_json(&mut ws).await?;
        let cid = hello["meta"]["connection_id"]
            .as_str()
            .ok_or("no connection_id")?
            .to_owned();
        for path in ["/v1/posts/streams/me", "/v1/users/me/mentions"] {
            // A 429 (the upstream's per-token limit) is honoured: wait `retry_in`, then retry.
            let mut tries = 0;
            loop {
                let reply: Value = http
                    .get(format!("http://{}{path}?connection_id={cid}", running.addr))
                    .bearer_auth("demo-alice")
                    .send()
                    .await?
                    .json()
                    .await?;
                if reply["meta"]["subscription_id"].as_str().is_some() {
                    break;
                }
                let retry_in = reply["meta"]["retry_in"].as_u64();
                match retry_in {
                    Some(secs) if tries < 3 => {
                        tries += 1;
                        waited += secs;
                        tokio::time::sleep(Duration::from_secs(secs)).await;
                    }
                    _ => return Err(format!("{path}: no subscription_id: {reply}").into()),
                }
            }
        }
        sockets.push(ws);
    }
    let sim = running.sim_misskey.as_ref().ok_or("no sim misskey")?;
    let counts = sim.control().counts().await;
    let channels: usize = counts.sockets.iter().map(|s| s.channel_connections).sum();
    let calls: u64 = counts.calls.values().sum();
    println!(
        "pnut tools={n:>3} (streams/me+mentions): misskey connections={} channel connections={channels} REST calls={calls} (waited {waited} s on upstream 429s)",
        counts.connections
    );
    drop(sockets);
    running.stop(Duration::from_secs(5)).await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    for n in [1, 10, 100] {
        misskey_clients(n).await?;
    }
    for n in [1, 10, 100] {
        pnut_tools(n).await?;
    }
    Ok(())
}
