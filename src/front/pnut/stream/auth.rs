//! Token extraction and pnut error envelopes for the pnut stream front.

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::pnut::Envelope;

/// The token a tool presented: `Authorization: Bearer <t>` first, else `?access_token=`.
pub fn presented_token(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    bearer.or_else(|| {
        url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .find(|(k, v)| k == "access_token" && !v.is_empty())
            .map(|(_, v)| v.into_owned())
    })
}

/// A pnut error envelope `{"meta":{"code":status,"error_message":message}}` with that status.
pub fn error_response(status: u16, message: impl Into<String>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body: Envelope<serde_json::Value> = Envelope::error(code.as_u16(), message);
    (code, Json(body)).into_response()
}
