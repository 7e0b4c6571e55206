//! The running bridge on its embedded simulated upstreams (the production entry point,
//! `pnutkey::app::start`), and a subscribed pnut tool connection to it.

use std::time::Duration;

use pnutkey::app::{self, Running};
use pnutkey::config::Config;
use serde_json::Value;
use tokio_tungstenite::connect_async;

use super::ws::{Ws, next_json};

/// Starts the bridge on 127.0.0.1:0 with both simulated upstreams (no activity generator,
/// short reconnect backoff), after `tweak` adjusted the config.
pub async fn start(tweak: impl FnOnce(&mut Config)) -> Running {
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

/// A pnut tool connection of `token` (`/v1/user`) subscribed to `path` (e.g.
/// `/v1/posts/streams/me`) through the REST front.
pub async fn pnut_tool(running: &Running, token: &str, path: &str) -> Ws {
    let url = format!("ws://{}/v1/user?access_token={token}", running.addr);
    let (mut ws, _) = connect_async(url).await.expect("upgrade");
    let hello = next_json(&mut ws).await;
    let connection_id = hello["meta"]["connection_id"].as_str().expect("id");
    let reply = reqwest::Client::new()
        .get(format!(
            "http://{}{path}?connection_id={connection_id}",
            running.addr
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("subscribe");
    assert_eq!(reply.status(), 200);
    ws
}

/// The text of the first post of a pnut event frame (`""` when there is none).
pub fn post_text(frame: &Value) -> String {
    frame["data"][0]["content"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A Misskey client socket of `token` (`/streaming?i=`) with channel `channel` connected as
/// id `"c"` (its `connected` answer awaited).
pub async fn misskey_client(running: &Running, token: &str, channel: &str) -> Ws {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;

    let url = format!("ws://{}/streaming?i={token}", running.addr);
    let (mut ws, _) = connect_async(url).await.expect("upgrade");
    let connect = serde_json::json!({
        "type": "connect",
        "body": {"channel": channel, "id": "c", "params": {}, "pong": true},
    });
    ws.send(Message::text(connect.to_string()))
        .await
        .expect("send connect");
    let connected = next_json(&mut ws).await;
    assert_eq!(connected["type"], "connected", "{connected}");
    ws
}

/// The text of the note of a Misskey `channel` `note` frame (`""` when there is none).
pub fn note_text(frame: &Value) -> String {
    assert_eq!(frame["body"]["type"], "note", "{frame}");
    frame["body"]["body"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
