//! How the simulated Misskey ends sockets: stalled and dropped streams, protocol pings, and a
//! socket that never answers them.

use std::time::Duration;

use futures_util::StreamExt;
use pnutkey::sim::misskey::{NewNote, SimMisskeyOptions};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use super::support::{WAIT, join, next_json, open, start_with};

#[tokio::test]
async fn stall_drop_and_protocol_pings() {
    let sim = start_with(SimMisskeyOptions {
        rate_limit: None,
        ping_interval: Duration::from_millis(20),
        ..Default::default()
    })
    .await;
    let control = sim.control();
    let mut ws = open(&sim, "demo-alice").await;
    // A protocol ping arrives (next_json would skip it, so read raw frames).
    loop {
        let frame = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a ping in time");
        if let Some(Ok(Message::Ping(_))) = frame {
            break;
        }
    }
    join(&mut ws, "globalTimeline", "g", None).await;
    control.stall_streams(true).await;
    control.post("bob", "lost while stalled").await.unwrap();
    control.stall_streams(false).await;
    let after = control
        .create_note(
            "carol",
            NewNote {
                text: Some("after stall".into()),
                ..NewNote::default()
            },
        )
        .await
        .unwrap();
    let frame = next_json(&mut ws).await;
    assert_eq!(frame["body"]["body"]["id"], after["id"]);
    control.drop_streams().await;
    let closed = loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("close in time")
        {
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break true,
            Some(Ok(_)) => continue,
        }
    };
    assert!(closed);
    assert_eq!(control.counts().await.connections, 0);
    let http = reqwest::Client::new();
    let note: Value = http
        .post(format!("{}/_sim/notes", sim.base_url()))
        .json(&json!({"user": "alice", "text": "over http"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(note["text"], "over http");
    sim.shutdown().await;
}

#[tokio::test]
async fn socket_that_never_answers_pings_is_terminated() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sim = start_with(SimMisskeyOptions {
        rate_limit: None,
        ping_interval: Duration::from_millis(20),
        stream_silence_timeout: Duration::from_millis(100),
        ..Default::default()
    })
    .await;
    let mut tcp = TcpStream::connect(sim.addr()).await.unwrap();
    let handshake = format!(
        "GET /streaming?i=demo-alice HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        sim.addr()
    );
    tcp.write_all(handshake.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout(WAIT, tcp.read(&mut buffer))
            .await
            .expect("server ends the socket")
        {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 101"), "{text}");
    assert!(
        received.contains(&0x89),
        "at least one ping frame (opcode 0x9) was sent"
    );
}
