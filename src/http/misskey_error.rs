//! The HTTP answer of a Misskey API error (misskey.md §7.2): the status, the error JSON, and
//! the `WWW-Authenticate` and `Retry-After` headers Misskey sends with it. Shared by the
//! Misskey front and the simulated Misskey.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::misskey::{ApiErrorBody, ErrorKind};

/// Builds the response for `body` with `status`, plus `Retry-After: retry_after` when given.
pub fn misskey_error_response(
    status: StatusCode,
    body: &ApiErrorBody,
    retry_after: Option<u64>,
) -> Response {
    let error = &body.error;
    let authenticate = if status == StatusCode::UNAUTHORIZED {
        if error.code == "AUTHENTICATION_FAILED" {
            Some(r#"Bearer realm="Misskey", error="invalid_token", error_description="Failed to authenticate""#.to_owned())
        } else {
            Some(r#"Bearer realm="Misskey""#.to_owned())
        }
    } else if error.code == "PERMISSION_DENIED" {
        Some(format!(
            r#"Bearer realm="Misskey", error="insufficient_scope", error_description="{}""#,
            error.message.replace('"', "'")
        ))
    } else if error.kind == ErrorKind::Client && status != StatusCode::TOO_MANY_REQUESTS {
        Some(format!(
            r#"Bearer realm="Misskey", error="invalid_request", error_description="{}""#,
            error.message.replace('"', "'")
        ))
    } else {
        None
    };
    let json = serde_json::to_string(body).unwrap_or_default();
    let mut response = Response::new(Body::from(json));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(value) = authenticate.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::WWW_AUTHENTICATE, value);
    }
    if let Some(secs) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}
