//! The raw baseline: a tokio-tungstenite server that sends the same pre-built frame (one
//! serialisation per event) to every connected client, with no translation.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::stats::MARK;

/// Frames queued per client before the baseline drops frames for it.
const QUEUE: usize = 4096;

/// A running baseline broadcaster.
pub struct Baseline {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    clients: Arc<Mutex<Vec<mpsc::Sender<Utf8Bytes>>>>,
    /// Frames dropped because a client's queue was full.
    pub dropped: Arc<AtomicU64>,
    accept: JoinHandle<()>,
    /// Bridge frame split around its timestamp: (before, after).
    template: (String, String),
}

impl Baseline {
    /// Starts the server; `sample` is a bridge frame whose timestamp is replaced per event.
    pub async fn start(sample: &str) -> Result<Self, String> {
        let start = sample.find(MARK).ok_or("sample without stamp")? + MARK.len();
        let end = start
            + sample
                .get(start..)
                .and_then(|rest| rest.find(MARK))
                .ok_or("sample without stamp end")?;
        let template = (
            sample.get(..start).unwrap_or_default().to_owned(),
            sample.get(end..).unwrap_or_default().to_owned(),
        );
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener
            .local_addr()
            .map_err(|e| e.to_string())?
            .to_string();
        let clients: Arc<Mutex<Vec<mpsc::Sender<Utf8Bytes>>>> = Arc::default();
        let registry = Arc::clone(&clients);
        let accept = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let registry = Arc::clone(&registry);
                tokio::spawn(async move {
                    let config =
                        tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
                            .read_buffer_size(crate::clients::READ_BUFFER);
                    let Ok(ws) =
                        tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await
                    else {
                        return;
                    };
                    let (tx, rx) = mpsc::channel(QUEUE);
                    if let Ok(mut list) = registry.lock() {
                        list.push(tx);
                    }
                    serve(ws, rx).await;
                });
            }
        });
        Ok(Self {
            addr,
            clients,
            dropped: Arc::default(),
            accept,
            template,
        })
    }

    /// Builds one frame stamped `nanos` and queues it to every client.
    pub fn publish(&self, nanos: u64) {
        let frame = Utf8Bytes::from(format!("{}{nanos}{}", self.template.0, self.template.1));
        let Ok(list) = self.clients.lock() else {
            return;
        };
        for client in list.iter() {
            if client.try_send(frame.clone()).is_err() {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Stops accepting and closes every client.
    pub fn stop(self) {
        self.accept.abort();
        if let Ok(mut list) = self.clients.lock() {
            list.clear();
        }
    }
}

async fn serve(
    ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    mut rx: mpsc::Receiver<Utf8Bytes>,
) {
    let (mut writer, mut reader) = ws.split();
    loop {
        tokio::select! {
            frame = rx.recv() => {
                let Some(frame) = frame else { break };
                if writer.send(Message::Text(frame)).await.is_err() {
                    break;
                }
            }
            message = reader.next() => match message {
                Some(Ok(_)) => {}
                _ => break,
            },
        }
    }
}
