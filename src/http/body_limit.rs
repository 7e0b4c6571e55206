//! The request body limit of both REST fronts (`limits.max_request_body`), read from the
//! current config on every request (so a reload applies to the next request). A declared
//! `Content-Length` over the limit is answered 413 before the body is read; a body that grows
//! past the limit while it is read fails its extractor with 413. The front's error layer then
//! gives the 413 its protocol's error body.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::Limited;

use crate::front::BridgeContext;

/// Middleware (`axum::middleware::from_fn_with_state(ctx, limit_body)`): bounds the body of
/// every request to `limits.max_request_body`. Use with `DefaultBodyLimit::disable()`, so that
/// this is the only limit.
pub async fn limit_body(
    State(ctx): State<Arc<BridgeContext>>,
    request: Request,
    next: Next,
) -> Response {
    let config = ctx.config();
    let limits = &config.limits;
    let mut limit = limits.max_request_body.as_u64();
    if is_upload(request.method(), request.uri().path()) {
        limit = limit.saturating_add(limits.max_upload_size.as_u64());
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        if request.uri().path().starts_with("/api/")
            && is_upload(request.method(), request.uri().path())
        {
            // What Misskey answers an upload over its largest file.
            return crate::http::misskey_error::misskey_error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &crate::misskey::ApiErrorBody::file_size_too_large(),
                None,
            );
        }
        return too_large(limit);
    }
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, Body::new(Limited::new(body, limit)));
    next.run(request).await
}

/// The file uploads of the fronts: pnut `POST /v1/files`, Misskey `POST /api/drive/files/create`.
pub fn is_upload(method: &axum::http::Method, path: &str) -> bool {
    method == axum::http::Method::POST
        && matches!(
            path.trim_end_matches('/'),
            "/v1/files" | "/api/drive/files/create"
        )
}

fn too_large(limit: usize) -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body larger than {limit} bytes (limits.max_request_body)"),
    )
        .into_response()
}
