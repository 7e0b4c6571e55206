//! Shared harness of `tests/sim_pnut.rs`: starting the simulated pnut, opening user streams,
//! awaiting frames and calling the REST surface.

use std::time::Duration;

use futures_util::StreamExt;
use pnutkey::sim::pnut::{SimPnut, SimPnutControl, SimPnutOptions};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for something that must happen.
pub const WAIT: Duration = Duration::from_secs(10);

pub async fn start() -> SimPnut {
    start_with(SimPnutOptions::default()).await
}

pub async fn start_with(options: SimPnutOptions) -> SimPnut {
    SimPnut::start(options).await.expect("sim starts")
}

/// Opens a user stream with `?access_token=` and returns it with its connection id.
pub async fn open(sim: &SimPnut, token: &str) -> (Ws, String) {
    let url = format!("ws://{}/v1/user?access_token={token}", sim.stream_addr());
    let mut ws = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade")
        .0;
    let hello = next_json(&mut ws).await;
    let id = hello["meta"]["connection_id"]
        .as_str()
        .expect("hello has connection_id")
        .to_string();
    (ws, id)
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

/// Awaits the end of the stream; returns the close frame's code, if one was sent.
pub async fn await_close(ws: &mut Ws) -> Option<u16> {
    loop {
        let next = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("the stream ends in time");
        match next {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(Message::Text(text))) => panic!("unexpected text frame {text}"),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

pub async fn call(
    sim: &SimPnut,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, String)>,
) -> Reply {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", sim.base_url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some((content_type, body)) = body {
        request = request.header("content-type", content_type).body(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("json body")
    };
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn get(sim: &SimPnut, path: &str, token: &str) -> Reply {
    call(sim, reqwest::Method::GET, path, Some(token), None).await
}

pub async fn subscribe(sim: &SimPnut, path: &str, token: &str, connection_id: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    let reply = get(
        sim,
        &format!("{path}{sep}connection_id={connection_id}"),
        token,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    reply.body["meta"]["subscription_id"]
        .as_str()
        .expect("subscription_id")
        .to_string()
}

/// Awaits, through the control handle, until `wanted` connections are open.
pub async fn connections_become(control: &SimPnutControl, wanted: usize) {
    tokio::time::timeout(WAIT, control.wait_for_connections(wanted))
        .await
        .expect("connection count reached in time");
}

pub fn assert_url_safe_32(id: &str) {
    assert_eq!(id.len(), 32, "{id}");
    assert!(
        id.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{id}"
    );
}

pub fn ids(reply: &Reply) -> Vec<u64> {
    reply.body["data"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["id"].as_str().and_then(|s| s.parse().ok()).expect("id"))
        .collect()
}
