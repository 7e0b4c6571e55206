//! Shared harness of `tests/sim_misskey.rs`: starting the simulated Misskey, opening its
//! streaming socket, joining channels, awaiting frames and calling its API.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pnutkey::sim::misskey::{SimMisskey, SimMisskeyOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for a frame that must arrive.
pub const WAIT: Duration = Duration::from_secs(5);

pub async fn start() -> SimMisskey {
    start_with(SimMisskeyOptions {
        rate_limit: None,
        ..Default::default()
    })
    .await
}

pub async fn start_with(options: SimMisskeyOptions) -> SimMisskey {
    SimMisskey::start(options).await.expect("sim starts")
}

pub async fn open(sim: &SimMisskey, token: &str) -> Ws {
    let url = format!("ws://{}/streaming?i={token}", sim.addr());
    tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade")
        .0
}

pub async fn send(ws: &mut Ws, frame: Value) {
    ws.send(Message::Text(frame.to_string().into()))
        .await
        .expect("send");
}

/// The next JSON text frame (pings and pongs skipped).
pub async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time")
            .expect("stream open")
            .expect("frame ok");
        match message {
            Message::Text(text) => return serde_json::from_str(text.as_str()).expect("json frame"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// `connect` with `pong: true`, waiting for `connected` (also a barrier: every earlier
/// frame of this socket has been processed by then).
pub async fn join(ws: &mut Ws, channel: &str, id: &str, params: Option<Value>) {
    let mut body = json!({"channel": channel, "id": id, "pong": true});
    if let Some(params) = params {
        body["params"] = params;
    }
    send(ws, json!({"type": "connect", "body": body})).await;
    assert_eq!(
        next_json(ws).await,
        json!({"type": "connected", "body": {"id": id}})
    );
}

pub struct ApiAnswer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl ApiAnswer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("json body")
    }
}

pub async fn api(sim: &SimMisskey, endpoint: &str, body: Value) -> ApiAnswer {
    let response = reqwest::Client::new()
        .post(format!("{}/api/{endpoint}", sim.base_url()))
        .json(&body)
        .send()
        .await
        .expect("http");
    ApiAnswer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

pub fn assert_error(answer: &ApiAnswer, status: StatusCode, code: &str) {
    assert_eq!(
        answer.status,
        status,
        "body: {}",
        String::from_utf8_lossy(&answer.body)
    );
    let body = answer.json();
    assert_eq!(body["error"]["code"], code);
    assert!(body["error"]["message"].is_string());
    assert!(
        body["error"]["id"]
            .as_str()
            .is_some_and(|id| id.len() == 36)
    );
    assert!(body["error"]["kind"].is_string());
}

pub fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_string())
        .collect()
}
