//! The test environment: a bridge (production routes) on 127.0.0.1 over the embedded simulated
//! Misskey, and helpers to open tool connections, subscribe and await upstream counts.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use pnutkey::config::Config;
use pnutkey::front::BridgeContext;
use pnutkey::sim::misskey::{SimMisskey, SimMisskeyControl, SimMisskeyOptions};
use pnutkey::upstream::pnut::PnutEndpoints;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, connect_async};

pub use crate::common::ws::{Ws, next_json};

/// Upper bound for anything a test awaits.
pub const LIMIT: Duration = Duration::from_secs(10);

/// A bridge serving the production routes, and its simulated Misskey.
pub struct Env {
    /// The bridge's address.
    pub addr: std::net::SocketAddr,
    sim: SimMisskey,
    /// An HTTP client for REST calls.
    pub http: reqwest::Client,
    /// The bridge's context (sessions, metrics).
    pub ctx: Arc<BridgeContext>,
}

impl Env {
    pub fn control(&self) -> SimMisskeyControl {
        self.sim.control()
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.addr, path_and_query)
    }

    pub async fn open(&self, token: &str) -> (Ws, String) {
        let url = format!("ws://{}/v1/user?access_token={token}", self.addr);
        let (mut ws, _) = connect_async(url).await.expect("upgrade");
        let id = connection_id_of_hello(&mut ws).await;
        (ws, id)
    }

    /// A connection of `token` subscribed to `path` (the answer must be 200): the socket, its
    /// connection id and the subscribe call's body.
    pub async fn open_subscribed(&self, token: &str, path: &str) -> (Ws, String, Value) {
        let (ws, connection_id) = self.open(token).await;
        let (status, body) = self.subscribe(token, path, &connection_id).await;
        assert_eq!(status, 200, "{body}");
        (ws, connection_id, body)
    }

    pub async fn subscribe(&self, token: &str, path: &str, connection_id: &str) -> (u16, Value) {
        let response = self
            .http
            .get(self.url(&format!("{path}?connection_id={connection_id}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json body"))
    }

    pub async fn delete(&self, token: &str, path: &str) -> u16 {
        self.http
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
            .status()
            .as_u16()
    }
}

pub async fn start_with(config: Config) -> Env {
    start_with_sim(config, SimMisskeyOptions::default()).await
}

/// A bridge with `config` over a simulated Misskey started with `options`.
pub async fn start_with_sim(config: Config, options: SimMisskeyOptions) -> Env {
    let sim = SimMisskey::start(options).await.expect("sim");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let ctx = BridgeContext::new(
        config,
        PnutEndpoints {
            api_url: "http://127.0.0.1:9/v1".to_owned(),
            stream_url: "ws://127.0.0.1:9/v1/user".to_owned(),
        },
        sim.base_url(),
        format!("http://{addr}"),
    )
    .expect("context");
    let router = pnutkey::front::routes(Arc::clone(&ctx));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Env {
        addr,
        sim,
        http: reqwest::Client::new(),
        ctx,
    }
}

pub async fn start() -> Env {
    start_with(Config::default()).await
}

/// Awaits the close of `ws` (a close frame or the end of the stream), skipping nothing else.
pub async fn expect_closed(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("closed in time")
        {
            None | Some(Err(_)) => return None,
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(other)) => panic!("unexpected frame before close: {other:?}"),
        }
    }
}

/// Channel connections of `username`'s upstream sockets, awaited until `want` holds.
pub async fn wait_channels(
    control: &SimMisskeyControl,
    username: &str,
    want: impl Fn(usize, usize) -> bool,
) -> (usize, usize) {
    let mine = |counts: &pnutkey::sim::misskey::SimCounts| {
        let sockets: Vec<_> = counts
            .sockets
            .iter()
            .filter(|s| s.username.as_deref() == Some(username))
            .collect();
        let channels = sockets.iter().map(|s| s.channel_connections).sum();
        (sockets.len(), channels)
    };
    let counts = tokio::time::timeout(
        LIMIT,
        control.wait_for_counts(|counts| {
            let (sockets, channels) = mine(counts);
            want(sockets, channels)
        }),
    )
    .await
    .expect("upstream counts reached in time");
    mine(&counts)
}

pub fn text_of(frame: &Value) -> &str {
    frame["data"][0]["content"]["text"]
        .as_str()
        .unwrap_or_default()
}

/// A tool socket with a tiny receive buffer (so not reading stalls the bridge's writes), after
/// its hello; returns the socket and its connection id.
pub async fn open_stalled(env: &Env, token: &str) -> (Ws, String) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = socket.connect(env.addr).await.expect("connect");
    let url = format!("ws://{}/v1/user?access_token={token}", env.addr);
    let (mut ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
        .await
        .expect("upgrade");
    let id = connection_id_of_hello(&mut ws).await;
    (ws, id)
}

/// Reads the hello frame and returns its `meta.connection_id`.
async fn connection_id_of_hello(ws: &mut Ws) -> String {
    let hello = next_json(ws).await;
    hello["meta"]["connection_id"]
        .as_str()
        .expect("connection_id")
        .to_owned()
}

/// The post number a frame's text starts with (`"{n} ..."`).
pub fn post_number(frame: &Value) -> u64 {
    let text = text_of(frame);
    text.split(' ')
        .next()
        .unwrap_or_default()
        .parse()
        .expect("numbered post")
}
