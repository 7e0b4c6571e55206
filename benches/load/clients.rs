//! The load clients: N websocket connections on loopback that record, for every frame carrying
//! a send timestamp, the end-to-end latency into the shared [`Stats`].

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use futures_util::{SinkExt, StreamExt, stream};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::stats::{Stats, now_nanos, parse_stamp};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connections opened at once.
const CONNECT_CONCURRENCY: usize = 64;

/// Read buffer of a client socket (tungstenite's 128 KiB default zero-fills on every read).
pub const READ_BUFFER: usize = 4096;

/// Opens a client websocket with the small read buffer.
pub async fn connect_async(
    url: String,
) -> Result<
    (
        Ws,
        tokio_tungstenite::tungstenite::handshake::client::Response,
    ),
    tokio_tungstenite::tungstenite::Error,
> {
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    tokio_tungstenite::connect_async_with_config(url, Some(config), false).await
}

/// How a client opens its stream.
#[derive(Debug, Clone)]
pub enum Protocol {
    /// Misskey `/streaming?i=TOKEN` + one `connect` frame per channel.
    Misskey {
        /// Channels to connect (`homeTimeline`, `main`).
        channels: Vec<&'static str>,
    },
    /// A plain websocket (the baseline), nothing sent.
    Raw,
    /// pnut `/v1/user?access_token=TOKEN`, then `GET {path}?connection_id=` over REST.
    Pnut {
        /// The subscribed path, e.g. `/v1/posts/streams/me`.
        path: &'static str,
    },
}

/// The running clients.
pub struct Clients {
    tasks: Vec<JoinHandle<()>>,
    /// The first timestamped frame any client got (a template for the baseline).
    pub sample: Arc<OnceLock<String>>,
}

impl Clients {
    /// Number of clients.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Stops every client.
    pub fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

/// Opens one client per token in `tokens` on `base` (`127.0.0.1:PORT`).
pub async fn connect(
    base: &str,
    tokens: &[String],
    protocol: &Protocol,
    stats: &Arc<Stats>,
) -> Result<Clients, String> {
    let http = reqwest::Client::new();
    let sample = Arc::new(OnceLock::new());
    let opened: Vec<Result<Ws, String>> = stream::iter(tokens.iter().cloned())
        .map(|token| open(base, token, protocol, &http))
        .buffer_unordered(CONNECT_CONCURRENCY)
        .collect()
        .await;
    let mut tasks = Vec::with_capacity(opened.len());
    for ws in opened {
        let ws = ws?;
        tasks.push(tokio::spawn(read_loop(
            ws,
            Arc::clone(stats),
            Arc::clone(&sample),
        )));
    }
    Ok(Clients { tasks, sample })
}

async fn open(
    base: &str,
    token: String,
    protocol: &Protocol,
    http: &reqwest::Client,
) -> Result<Ws, String> {
    match protocol {
        Protocol::Misskey { channels } => {
            let url = format!("ws://{base}/streaming?i={token}");
            let (mut ws, _) = connect_async(url).await.map_err(|e| e.to_string())?;
            for (index, channel) in channels.iter().enumerate() {
                let connect = serde_json::json!({
                    "type": "connect",
                    "body": { "channel": channel, "id": (index + 1).to_string(), "params": {} }
                });
                ws.send(Message::Text(connect.to_string().into()))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(ws)
        }
        Protocol::Raw => {
            let (ws, _) = connect_async(format!("ws://{base}/"))
                .await
                .map_err(|e| e.to_string())?;
            Ok(ws)
        }
        Protocol::Pnut { path } => {
            let url = format!("ws://{base}/v1/user?access_token={token}");
            let (mut ws, _) = connect_async(url).await.map_err(|e| e.to_string())?;
            let hello = loop {
                match ws.next().await {
                    Some(Ok(Message::Text(text))) => break text,
                    Some(Ok(_)) => continue,
                    other => return Err(format!("no hello: {other:?}")),
                }
            };
            let hello: serde_json::Value =
                serde_json::from_str(hello.as_str()).map_err(|e| e.to_string())?;
            let id = hello["meta"]["connection_id"]
                .as_str()
                .ok_or("hello without connection_id")?;
            let reply = http
                .get(format!("http://{base}{path}?connection_id={id}"))
                .bearer_auth(&token)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !reply.status().is_success() {
                return Err(format!("subscribe: {}", reply.status()));
            }
            Ok(ws)
        }
    }
}

async fn read_loop(mut ws: Ws, stats: Arc<Stats>, sample: Arc<OnceLock<String>>) {
    let mut ready = false;
    while let Some(Ok(message)) = ws.next().await {
        if let Message::Text(text) = message
            && let Some(sent) = parse_stamp(text.as_str())
        {
            stats.record(sent, now_nanos());
            if !ready {
                ready = true;
                stats.ready.fetch_add(1, Ordering::Relaxed);
            }
            if sample.get().is_none() {
                let _ = sample.set(text.as_str().to_owned());
            }
        }
    }
    stats.closed.fetch_add(1, Ordering::Relaxed);
}
