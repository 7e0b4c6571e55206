//! Bridging a tool's user-stream websocket to the instance owning its token's session: the
//! follower dials the owner's `/v1/user` first (so the owner's refusal, a 401 or 503 envelope,
//! reaches the tool as it is), then upgrades the tool and copies frames both ways, one at a
//! time (each side's send awaited before the next read: nothing queues here; the owner's
//! outbound queue and its slow-consumer rule bound what waits). Close codes pass through;
//! the owner gone without a close ends the tool's socket with 1001, as a restarting server.
//! The hello frame's `meta.stream.endpoint` is rewritten to this instance's endpoint.

use std::time::Duration;

use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame as OwnerCloseFrame;
use tokio_tungstenite::tungstenite::{self, Message as OwnerMessage};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::cluster::PEER_HEADER;
use crate::front::Drain;
use crate::front::closing::{CLOSE_GOING_AWAY, CLOSE_HANDSHAKE, REASON_DRAIN};

/// The websocket to the owner.
pub type OwnerSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Headers of the tool's upgrade passed on to the owner.
const PASSED: &[&str] = &["authorization", "user-agent", "x-forwarded-for"];

/// Close reason when the owner went away without a close.
const REASON_OWNER_GONE: &str = "session owner gone";

/// Dialing the owner failed.
#[derive(Debug)]
pub enum DialError {
    /// The owner answered the upgrade with this HTTP answer (passed to the tool).
    Answered(Response),
    /// The owner could not be reached.
    Unreachable(String),
}

/// Opens `/v1/user` (with the tool's query) at the owner's `base`, presenting the tool's
/// headers and the peer `secret`; frames up to `max_message` bytes.
pub async fn dial(
    base: &str,
    secret: &str,
    uri: &Uri,
    headers: &HeaderMap,
    max_message: usize,
) -> Result<OwnerSocket, DialError> {
    let unreachable = |error: &dyn std::fmt::Display| DialError::Unreachable(error.to_string());
    let ws_base = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    };
    let path = uri.path_and_query().map_or("/v1/user", |p| p.as_str());
    let mut request = format!("{ws_base}{path}")
        .into_client_request()
        .map_err(|_| DialError::Unreachable("the owner's URL is not usable".to_owned()))?;
    for (name, value) in headers {
        if PASSED.contains(&name.as_str()) {
            request.headers_mut().append(name.clone(), value.clone());
        }
    }
    let secret = HeaderValue::from_str(secret).map_err(|e| unreachable(&e))?;
    request.headers_mut().insert(PEER_HEADER, secret);
    let config = WebSocketConfig::default()
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message));
    match tokio_tungstenite::connect_async_with_config(request, Some(config), true).await {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::Error::Http(answer)) => {
            let status =
                StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
            let body = answer.into_body().unwrap_or_default();
            let mut response = (status, Body::from(body)).into_response();
            if let Some(content_type) = content_type {
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, content_type);
            }
            Err(DialError::Answered(response))
        }
        // Never the error's request details (the URL carries the token).
        Err(error) => Err(DialError::Unreachable(kind_of(&error))),
    }
}

fn kind_of(error: &tungstenite::Error) -> String {
    match error {
        tungstenite::Error::Io(io) => format!("io: {}", io.kind()),
        tungstenite::Error::Tls(_) => "tls".to_owned(),
        _ => "handshake failed".to_owned(),
    }
}

/// Copies frames between `tool` and `owner` until either ends or `drain` is requested (then the
/// tool gets 1001). A send to the tool taking longer than `stall` ends the bridge. `endpoint`
/// replaces the hello frame's `meta.stream.endpoint`.
pub async fn bridge(
    mut tool: WebSocket,
    mut owner: OwnerSocket,
    endpoint: String,
    drain: Drain,
    stall: Duration,
) {
    let _tracked = drain.track();
    let mut hello = Some(endpoint);
    let close: Option<(u16, String)> = loop {
        tokio::select! {
            biased;
            () = drain.requested() => break Some((CLOSE_GOING_AWAY, REASON_DRAIN.to_owned())),
            from_owner = owner.next() => {
                let message = match from_owner {
                    Some(Ok(message)) => message,
                    _ => break Some((CLOSE_GOING_AWAY, REASON_OWNER_GONE.to_owned())),
                };
                let message = match message {
                    OwnerMessage::Text(text) => {
                        let text = match hello.take() {
                            Some(endpoint) => with_endpoint(text.as_str(), &endpoint),
                            None => text.as_str().to_owned(),
                        };
                        Message::Text(text.into())
                    }
                    OwnerMessage::Binary(bytes) => Message::Binary(bytes),
                    OwnerMessage::Ping(bytes) => Message::Ping(bytes),
                    OwnerMessage::Pong(_) | OwnerMessage::Frame(_) => continue,
                    OwnerMessage::Close(frame) => {
                        break frame.map(|f| (u16::from(f.code), f.reason.as_str().to_owned()));
                    }
                };
                match tokio::time::timeout(stall, tool.send(message)).await {
                    Ok(Ok(())) => {}
                    _ => {
                        let _ = owner.close(None).await;
                        return;
                    }
                }
            }
            from_tool = tool.recv() => {
                let message = match from_tool {
                    Some(Ok(Message::Text(text))) => OwnerMessage::text(text.as_str()),
                    Some(Ok(Message::Binary(bytes))) => OwnerMessage::Binary(bytes),
                    Some(Ok(Message::Ping(bytes))) => OwnerMessage::Ping(bytes),
                    Some(Ok(Message::Pong(bytes))) => OwnerMessage::Pong(bytes),
                    Some(Ok(Message::Close(frame))) => {
                        let frame = frame.map(|f| OwnerCloseFrame {
                            code: f.code.into(),
                            reason: f.reason.as_str().into(),
                        });
                        let _ = tokio::time::timeout(CLOSE_HANDSHAKE, owner.close(frame)).await;
                        return;
                    }
                    None | Some(Err(_)) => {
                        let _ = tokio::time::timeout(CLOSE_HANDSHAKE, owner.close(None)).await;
                        return;
                    }
                };
                if tokio::time::timeout(stall, owner.send(message)).await.is_err() {
                    break Some((CLOSE_GOING_AWAY, REASON_OWNER_GONE.to_owned()));
                }
            }
        }
    };
    let frame = close.map(|(code, reason)| CloseFrame {
        code,
        reason: reason.into(),
    });
    let _ = tokio::time::timeout(CLOSE_HANDSHAKE, tool.send(Message::Close(frame))).await;
    let _ = tokio::time::timeout(CLOSE_HANDSHAKE, owner.close(None)).await;
}

/// `text` with `meta.stream.endpoint` set to `endpoint` when it is a hello frame.
fn with_endpoint(text: &str, endpoint: &str) -> String {
    let Ok(mut frame) = serde_json::from_str::<serde_json::Value>(text) else {
        return text.to_owned();
    };
    if frame.pointer("/meta/connection_id").is_none() || frame.get("data").is_some() {
        return text.to_owned();
    }
    match frame.pointer_mut("/meta/stream/endpoint") {
        Some(value) => {
            *value = serde_json::Value::String(endpoint.to_owned());
            frame.to_string()
        }
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::with_endpoint;

    #[test]
    fn the_hello_frame_names_this_instance_and_other_frames_pass_unchanged() {
        let hello =
            r#"{"meta":{"stream":{"endpoint":"ws://owner/v1/user"},"connection_id":"abc"}}"#;
        let rewritten: serde_json::Value =
            serde_json::from_str(&with_endpoint(hello, "ws://me/v1/user")).expect("json");
        assert_eq!(rewritten["meta"]["stream"]["endpoint"], "ws://me/v1/user");
        assert_eq!(rewritten["meta"]["connection_id"], "abc");
        let event = r#"{"meta":{"subscription_ids":["x"]},"data":[]}"#;
        assert_eq!(with_endpoint(event, "ws://me/v1/user"), event);
    }
}
