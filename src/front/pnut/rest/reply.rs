//! pnut envelopes out of the REST front: success bodies, paginated lists and typed errors
//! (pnut-api.md §2: `meta.code` mirrors the HTTP status, errors carry no `data`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::ids::cmp_decimal;
use crate::pnut::{Envelope, Meta};
use crate::translate::TranslateError;
use crate::upstream::UpstreamError;

/// Why a pnut REST call failed; each variant maps to one pnut error envelope.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// No token, or a token the bridge refuses.
    #[error("{0}")]
    Unauthorized(String),
    /// Malformed input (bad id, bad JSON or form, missing field).
    #[error("{0}")]
    BadRequest(String),
    /// Unknown endpoint or object.
    #[error("{0}")]
    NotFound(String),
    /// An upload over `limits.max_upload_size` (413).
    #[error("{0}")]
    TooLarge(String),
    /// `limits.max_concurrent_uploads` uploads are in flight (429, retry in a second).
    #[error("{0}")]
    Busy(String),
    /// The upstream call failed.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The upstream answer could not be translated.
    #[error(transparent)]
    Translate(#[from] TranslateError),
    /// An answer could not be put into JSON.
    #[error("cannot render the answer: {0}")]
    Render(#[from] serde_json::Error),
}

/// Misskey error codes that mean "no such object" (Misskey answers them with HTTP 400).
const NOT_FOUND_CODES: &[&str] = &[
    "NO_SUCH_NOTE",
    "NO_SUCH_USER",
    "NO_SUCH_FILE",
    "NO_SUCH_CHANNEL",
];

impl RestError {
    /// HTTP status, message and `retry_in` seconds of this error.
    fn parts(&self) -> (StatusCode, String, Option<u64>) {
        match self {
            RestError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m.clone(), None),
            RestError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone(), None),
            RestError::NotFound(m) => (StatusCode::NOT_FOUND, m.clone(), None),
            RestError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m.clone(), None),
            RestError::Busy(m) => (StatusCode::TOO_MANY_REQUESTS, m.clone(), Some(1)),
            RestError::Translate(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
            RestError::Render(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string(), None),
            RestError::Upstream(e) => upstream_parts(e),
        }
    }
}

/// Maps an upstream error to the front's status: rate limits → 429 with `retry_in`,
/// "no such" codes → 404, 4xx kept, 5xx → 502, unreachable/undecodable → 502.
fn upstream_parts(error: &UpstreamError) -> (StatusCode, String, Option<u64>) {
    match error {
        UpstreamError::RateLimited { retry_in, .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests".to_owned(),
            Some(retry_in.as_secs_f64().ceil().max(1.0) as u64),
        ),
        UpstreamError::Status {
            status,
            message,
            code,
            ..
        } => {
            let not_found = code
                .as_deref()
                .is_some_and(|c| NOT_FOUND_CODES.contains(&c));
            let code = code.as_deref().unwrap_or_default();
            let status = match *status {
                _ if not_found => StatusCode::NOT_FOUND,
                _ if code == "ACCESS_DENIED" => StatusCode::FORBIDDEN,
                401 => StatusCode::UNAUTHORIZED,
                403 => StatusCode::FORBIDDEN,
                s @ 400..=499 => StatusCode::from_u16(s).unwrap_or(StatusCode::BAD_REQUEST),
                _ => StatusCode::BAD_GATEWAY,
            };
            (status, message.clone(), None)
        }
        UpstreamError::Transport { .. } | UpstreamError::Decode { .. } => {
            (StatusCode::BAD_GATEWAY, error.to_string(), None)
        }
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let (status, message, retry_in) = self.parts();
        let mut envelope = Envelope::<serde_json::Value>::error(status.as_u16(), message);
        envelope.meta.retry_in = retry_in.map(|s| i64::try_from(s).unwrap_or(i64::MAX));
        let mut response = (status, axum::Json(envelope)).into_response();
        if let Some(value) = retry_in.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// A successful REST answer before it is rendered: the HTTP status and the envelope (whose
/// `meta` a subscribe call extends with `subscription_id`).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status (mirrored in `meta.code`).
    pub status: StatusCode,
    /// The envelope.
    pub envelope: Envelope<Value>,
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.envelope)).into_response()
    }
}

/// A REST handler's result.
pub type RestResult = Result<Reply, RestError>;

/// A success envelope with `data` and `meta.code` = `status`.
pub fn ok<T: Serialize>(status: StatusCode, data: T) -> RestResult {
    Ok(Reply {
        status,
        envelope: Envelope::ok(status.as_u16(), serde_json::to_value(data)?),
    })
}

/// A newest-first list page: `meta.min_id`/`max_id` from `pagination_id`s, `meta.more`.
pub fn page<T: Serialize>(items: Vec<(String, T)>, more: bool) -> RestResult {
    let max_id = items.first().map(|(id, _)| id.clone());
    let min_id = items.last().map(|(id, _)| id.clone());
    let data: Vec<T> = items.into_iter().map(|(_, item)| item).collect();
    let envelope = Envelope {
        meta: Meta {
            code: Some(200),
            min_id,
            max_id,
            more: Some(more),
            ..Meta::default()
        },
        data: Some(serde_json::to_value(data)?),
    };
    Ok(Reply {
        status: StatusCode::OK,
        envelope,
    })
}

/// Sorts `(pagination_id, item)` pairs newest first (decimal ids) and drops duplicate ids.
pub fn newest_first<T>(items: &mut Vec<(String, T)>) {
    items.sort_by(|a, b| cmp_decimal(&b.0, &a.0).unwrap_or(std::cmp::Ordering::Equal));
    items.dedup_by(|a, b| a.0 == b.0);
}
