//! The Misskey REST front (`POST /api/<endpoint>`, mapping.md §3.3): the token comes from
//! `Authorization: Bearer` or body `i` (§2), every endpoint of the table is served by pnut
//! upstream calls through `ctx.pnut`, translated with [`crate::translate`]; errors are Misskey
//! error bodies with Misskey's statuses (misskey.md §7.2). Success is only ever 200 or 204.

mod call;
mod channels;
mod drive;
mod error;
mod meta;
mod moderation;
mod notes;
mod notifications;
mod pages;
mod params;
mod polls;
mod registry;
mod renotes;
mod social;
mod startup;
mod table;
mod tokens;
mod upload;
mod users;
mod writes;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::front::BridgeContext;

pub use call::{Call, Reply};
pub use error::{Missing, RestError};
#[cfg(feature = "fuzzing")]
pub(crate) use notes::notes_json;
pub use params::{Page, Params};
pub use table::{ENDPOINTS, Endpoint, Handler, HandlerFuture, find};

/// This front's routes: `POST /api/{*endpoint}`, and `GET` for the endpoints Misskey flags
/// `allowGet`.
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    Router::new()
        .route("/api/{*endpoint}", post(handle_post).get(handle_get))
        .with_state(ctx)
}

async fn handle_post(
    State(ctx): State<Arc<BridgeContext>>,
    Path(endpoint): Path<String>,
    request: Request,
) -> Response {
    let Some(served) = find(&endpoint) else {
        return with_api_headers(route_not_found("POST", &endpoint));
    };
    let headers = request.headers().clone();
    if endpoint == upload::ENDPOINT && is_multipart(&headers) {
        return finish(upload::create(&ctx, request).await, &endpoint);
    }
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let reply = match Call::new(&ctx, &headers, &body).await {
        Ok(call) => (served.handler)(&call).await,
        Err(error) => Err(error),
    };
    finish(reply, &endpoint)
}

/// Whether the body is `multipart/form-data` (an upload).
fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// `GET /api/<endpoint>`: served with the query string as parameters for the endpoints
/// Misskey flags `allowGet`, 405 for the other served ones, 404 `UNKNOWN_API_ENDPOINT` for the
/// rest (as Misskey answers, real-servers.md §1).
async fn handle_get(
    State(ctx): State<Arc<BridgeContext>>,
    Path(endpoint): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(served) = find(&endpoint) else {
        return finish(Err(RestError::unknown_endpoint()), &endpoint);
    };
    if !served.allow_get {
        return with_api_headers(StatusCode::METHOD_NOT_ALLOWED.into_response());
    }
    let params = Params::from_query(query.as_deref().unwrap_or(""));
    let reply = match Call::with_params(&ctx, &headers, params).await {
        Ok(call) => (served.handler)(&call).await,
        Err(error) => Err(error),
    };
    finish(reply, &endpoint)
}

/// A `POST` to an endpoint the bridge does not serve: Misskey's web framework answers 404
/// with its own route-not-found body (not Misskey's error shape; misskey-js rejects with it).
fn route_not_found(method: &str, endpoint: &str) -> Response {
    let shown: String = endpoint.chars().take(100).collect();
    let body = json!({
        "message": format!("Route {method}:/api/{shown} not found"),
        "error": "Not Found",
        "statusCode": 404,
    });
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

/// The HTTP answer: 200 + JSON, 204 empty, or the error body; always with Misskey's `/api`
/// headers.
fn finish(reply: Result<Reply, RestError>, endpoint: &str) -> Response {
    let response = match reply {
        Ok(Reply::Json(value)) => axum::Json::<Value>(value).into_response(),
        Ok(Reply::NoContent) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            tracing::debug!(endpoint, code = %error.body.error.code, status = %error.status, "misskey REST error");
            error.into_response()
        }
    };
    with_api_headers(response)
}

fn with_api_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=0, must-revalidate"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}
