//! Gives every error answer its protocol's error body. axum's own rejections (a method the
//! route does not allow, a malformed path or query, a body over the limit) arrive as plain text
//! or an empty body; pnut clients expect `{"meta": {"code", "error_message"}}` on every error
//! (pnut-api.md §2.1), Misskey clients `{"error": {message, code, id, kind}}` (misskey.md §7.2).

use axum::body::Body;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::Response;
use serde_json::Value;

use crate::misskey::ApiErrorBody;
use crate::pnut::Envelope;

/// How much of a plain-text rejection is kept as the error message.
const MAX_MESSAGE_BYTES: usize = 4096;

/// Rewrites a non-JSON 4xx/5xx response into a pnut error envelope, keeping its status and
/// headers (e.g. `Allow`, `Retry-After`); every other response passes unchanged.
pub async fn pnut_envelope(response: Response) -> Response {
    rewrite(response, |status, message| {
        serde_json::to_vec(&Envelope::<Value>::error(status, message)).unwrap_or_default()
    })
    .await
}

/// Rewrites a non-JSON 4xx/5xx response into a Misskey error body (`INVALID_PARAM` with the
/// rejection as its reason for client errors, `INTERNAL_ERROR` for server errors), keeping its
/// status and headers.
pub async fn misskey_error_body(response: Response) -> Response {
    rewrite(response, |status, message| {
        let body = if status >= 500 {
            ApiErrorBody::internal_error()
        } else {
            ApiErrorBody::invalid_param("request", message)
        };
        serde_json::to_vec(&body).unwrap_or_default()
    })
    .await
}

/// Replaces the body of a non-JSON error response with `body(status, message)` as JSON.
async fn rewrite(response: Response, body: impl FnOnce(u16, String) -> Vec<u8>) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, original) = response.into_parts();
    let text = axum::body::to_bytes(original, MAX_MESSAGE_BYTES)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    let bytes = body(status.as_u16(), message);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}
