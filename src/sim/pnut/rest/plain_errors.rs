//! Gives every error answer the pnut envelope. axum's own rejections (a method the route does
//! not allow, a malformed path or query) arrive as plain text or an empty body; pnut clients
//! expect `{"meta": {"code", "error_message"}}` on every error (pnut-api.md §2.1).

use axum::body::Body;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::Response;
use serde_json::Value;

use crate::pnut::Envelope;

/// How much of a plain-text rejection is kept as the error message.
const MAX_MESSAGE_BYTES: usize = 4096;

/// Rewrites a non-JSON 4xx/5xx response into a pnut error envelope, keeping its status and
/// headers (e.g. `Allow`, `Retry-After`); every other response passes unchanged.
pub async fn envelope_plain_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_MESSAGE_BYTES)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    let envelope = Envelope::<Value>::error(status.as_u16(), message);
    let bytes = serde_json::to_vec(&envelope).unwrap_or_default();
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}
