//! Bad input at both fronts' doors, through the production routes of a running bridge on its
//! simulated upstreams: request bodies over `limits.max_request_body` (413 with the front's
//! error body, on both fronts) and tokens that cannot be tokens (401, never a 502 from
//! sending them upstream).

mod common;

use common::app::start;
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Error as WsError;

/// A JSON body of about `len` bytes.
fn body_of(len: usize) -> String {
    json!({ "i": "demo-alice", "text": "x".repeat(len) }).to_string()
}

#[tokio::test]
async fn bodies_over_the_configured_limit_get_413_with_each_fronts_error_body() {
    let running = start(|config| {
        config.limits.max_request_body = bytesize::ByteSize::kib(2);
    })
    .await;
    let http = reqwest::Client::new();
    let misskey = format!("http://{}/api/notes/create", running.addr);
    let pnut = format!("http://{}/v1/posts", running.addr);

    // Misskey front: over the limit → 413 with a Misskey error body; under it → created.
    let big = http
        .post(&misskey)
        .body(body_of(4096))
        .header("content-type", "application/json");
    let response = big.send().await.expect("answer");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let error: Value = response.json().await.expect("JSON error body");
    assert!(
        error["error"]["code"].is_string(),
        "Misskey error body: {error}"
    );
    let small = http
        .post(&misskey)
        .body(body_of(100))
        .header("content-type", "application/json");
    assert_eq!(small.send().await.expect("answer").status(), StatusCode::OK);

    // pnut front: over the limit → 413 envelope; under it → 201.
    let big = http
        .post(&pnut)
        .bearer_auth("demo-alice")
        .json(&json!({ "text": "x".repeat(4096) }));
    let response = big.send().await.expect("answer");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let envelope: Value = response.json().await.expect("JSON envelope");
    assert_eq!(envelope["meta"]["code"], 413, "{envelope}");
    let small = http
        .post(&pnut)
        .bearer_auth("demo-alice")
        .json(&json!({ "text": "hello" }));
    assert_eq!(
        small.send().await.expect("answer").status(),
        StatusCode::CREATED
    );

    // A chunked body (no Content-Length) that grows past the limit is cut off the same way.
    let mut socket = tokio::net::TcpStream::connect(running.addr)
        .await
        .expect("connect");
    let head = "POST /v1/posts HTTP/1.1\r\nHost: bridge\r\nAuthorization: Bearer demo-alice\r\n\
                Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
    socket.write_all(head.as_bytes()).await.expect("head");
    let chunk = format!("400\r\n{}\r\n", "x".repeat(1024));
    for _ in 0..4 {
        // The bridge may answer (and stop reading) as soon as the limit is passed.
        if socket.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = socket.write_all(b"0\r\n\r\n").await;
    let mut status_line = vec![0u8; 12];
    socket
        .read_exact(&mut status_line)
        .await
        .expect("status line");
    assert_eq!(
        &status_line,
        b"HTTP/1.1 413",
        "{}",
        String::from_utf8_lossy(&status_line)
    );
    running.stop(std::time::Duration::from_secs(5)).await;
}

/// The HTTP status a websocket upgrade to `url` was refused with.
async fn refused_upgrade(url: String) -> u16 {
    match tokio_tungstenite::connect_async(url).await {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Ok((mut ws, _)) => panic!("upgrade accepted: {:?}", ws.next().await),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

#[tokio::test]
async fn a_token_with_a_control_character_is_refused_with_401_on_every_door() {
    let running = start(|_| {}).await;
    let addr = running.addr;
    let http = reqwest::Client::new();
    for token in ["X%0AY", "demo-alice%00", "a%09b"] {
        assert_eq!(
            refused_upgrade(format!("ws://{addr}/streaming?i={token}")).await,
            401,
            "Misskey streaming, {token}"
        );
        assert_eq!(
            refused_upgrade(format!("ws://{addr}/v1/user?access_token={token}")).await,
            401,
            "pnut user stream, {token}"
        );
        let pnut_rest = http
            .get(format!("http://{addr}/v1/users/me?access_token={token}"))
            .send()
            .await
            .expect("answer");
        assert_eq!(
            pnut_rest.status(),
            StatusCode::UNAUTHORIZED,
            "pnut REST, {token}"
        );
    }
    let misskey_rest = http
        .post(format!("http://{addr}/api/i"))
        .json(&json!({ "i": "X\nY" }))
        .send()
        .await
        .expect("answer");
    assert_eq!(misskey_rest.status(), StatusCode::UNAUTHORIZED);
    let body: Value = misskey_rest.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "AUTHENTICATION_FAILED", "{body}");
    running.stop(std::time::Duration::from_secs(5)).await;
}

/// The next close code of `ws` (`None` when the connection ends without a close frame).
async fn close_code(ws: &mut common::ws::Ws) -> Option<u16> {
    use tokio_tungstenite::tungstenite::Message;
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("the bridge closes in time")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

#[tokio::test]
async fn a_pnut_tool_frame_over_max_frame_size_is_closed_1009() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let running = start(|config| {
        config.limits.max_frame_size = bytesize::ByteSize::kib(1);
    })
    .await;
    let url = format!("ws://{}/v1/user?access_token=demo-alice", running.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade");
    let hello = common::ws::next_json(&mut ws).await;
    assert!(hello["meta"]["connection_id"].is_string());
    ws.send(Message::Text("x".repeat(2048).into()))
        .await
        .expect("sent");
    assert_eq!(close_code(&mut ws).await, Some(1009));

    // A frame far over the limit is refused before it is buffered: the connection ends.
    let url = format!("ws://{}/v1/user?access_token=demo-alice", running.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade");
    let _hello = common::ws::next_json(&mut ws).await;
    let _ = ws.send(Message::Text("x".repeat(1 << 20).into())).await;
    let code = close_code(&mut ws).await;
    assert!(matches!(code, None | Some(1009)), "{code:?}");
    running.stop(std::time::Duration::from_secs(5)).await;
}
