//! Reading a websocket client's frames in tests.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A test's websocket client.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Upper bound on awaiting one frame.
const FRAME_WAIT: Duration = Duration::from_secs(10);

/// The next JSON text frame, skipping pings and pongs; panics on anything else.
pub async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(FRAME_WAIT, ws.next())
            .await
            .expect("a frame in time")
            .expect("socket open")
            .expect("frame");
        match message {
            Message::Text(text) => return serde_json::from_str(text.as_str()).expect("JSON"),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
}
