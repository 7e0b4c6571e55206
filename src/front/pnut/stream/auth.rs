//! Token extraction and pnut error envelopes for the pnut stream front.

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::front::pnut::PNUT_TOKEN_SOURCES;
use crate::front::token;
use crate::pnut::Envelope;

/// The token a tool presented: `Authorization: Bearer <t>` first, else `?access_token=`;
/// `None` when there is none or it is malformed (both refused with 401).
pub fn presented_token(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    token::presented(headers, query, PNUT_TOKEN_SOURCES)
        .ok()
        .flatten()
}

/// A pnut error envelope `{"meta":{"code":status,"error_message":message}}` with that status.
pub fn error_response(status: u16, message: impl Into<String>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body: Envelope<serde_json::Value> = Envelope::error(code.as_u16(), message);
    (code, Json(body)).into_response()
}
