//! The Misskey REST front (`POST /api/<endpoint>`, mapping.md §3.3): the token comes from
//! `Authorization: Bearer` or body `i` (§2), every endpoint of the table is served by pnut
//! upstream calls through `ctx.pnut`, translated with [`crate::translate`]; errors are Misskey
//! error bodies with Misskey's statuses (misskey.md §7.2). Success is only ever 200 or 204.

mod call;
mod error;
mod meta;
mod notes;
mod params;
mod registry;
mod tokens;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
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

/// This front's routes: `POST /api/{*endpoint}` (and `GET` for `emojis`, which Misskey
/// flags `allowGet`).
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    Router::new()
        .route("/api/{*endpoint}", post(handle_post).get(handle_get))
        .with_state(ctx)
}

async fn handle_post(
    State(ctx): State<Arc<BridgeContext>>,
    Path(endpoint): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !ENDPOINTS.contains(&endpoint.as_str()) {
        return with_api_headers(route_not_found("POST", &endpoint));
    }
    let reply = match Call::new(&ctx, &headers, &body).await {
        Ok(call) => dispatch(&call, &endpoint).await,
        Err(error) => Err(error),
    };
    finish(reply, &endpoint)
}

/// `GET /api/<endpoint>`: served for the endpoints Misskey flags `allowGet`, 405 for the
/// other served ones, 404 `UNKNOWN_API_ENDPOINT` for the rest (as Misskey answers).
async fn handle_get(Path(endpoint): Path<String>) -> Response {
    if endpoint == "emojis" {
        return finish(Ok(emojis()), &endpoint);
    }
    if !ENDPOINTS.contains(&endpoint.as_str()) {
        return finish(Err(RestError::unknown_endpoint()), &endpoint);
    }
    with_api_headers(StatusCode::METHOD_NOT_ALLOWED.into_response())
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

/// Every endpoint [`dispatch`] serves.
pub const ENDPOINTS: &[&str] = &[
    "meta",
    "emojis",
    "i",
    "notes/timeline",
    "notes/hybrid-timeline",
    "notes/global-timeline",
    "notes/local-timeline",
    "notes/mentions",
    "notes/show",
    "notes/children",
    "notes/conversation",
    "notes/create",
    "notes/delete",
    "notes/reactions/create",
    "notes/reactions/delete",
    "users/notes",
    "users/show",
    "following/create",
    "following/delete",
    "i/notifications",
    "drive/files",
    "i/registry/get",
    "i/registry/get-all",
    "i/registry/get-detail",
    "i/registry/keys",
    "i/registry/keys-with-type",
    "i/registry/set",
    "i/registry/remove",
    "i/registry/scopes-with-domain",
    "i/revoke-token",
];

fn emojis() -> Reply {
    Reply::Json(json!({"emojis": []}))
}

/// Serves one endpoint of mapping.md §3.3's table.
async fn dispatch(call: &Call<'_>, endpoint: &str) -> Result<Reply, RestError> {
    match endpoint {
        "meta" => Ok(Reply::Json(meta::meta(call.ctx))),
        "emojis" => Ok(emojis()),
        "i" => users::me(call).await,
        "notes/timeline" => notes::timeline(call, "/posts/streams/me", true).await,
        "notes/hybrid-timeline" => notes::timeline(call, "/posts/streams/unified", true).await,
        "notes/global-timeline" | "notes/local-timeline" => {
            notes::timeline(call, "/posts/streams/global", false).await
        }
        "notes/mentions" => notes::timeline(call, "/users/me/mentions", true).await,
        "notes/show" => notes::show(call).await,
        "notes/children" => notes::children(call).await,
        "notes/conversation" => notes::conversation(call).await,
        "notes/create" => notes::create(call).await,
        "notes/delete" => notes::delete(call).await,
        "notes/reactions/create" => notes::bookmark(call, true).await,
        "notes/reactions/delete" => notes::bookmark(call, false).await,
        "users/notes" => users::notes(call).await,
        "users/show" => users::show(call).await,
        "following/create" => users::follow(call, true).await,
        "following/delete" => users::follow(call, false).await,
        "i/notifications" => users::notifications(call).await,
        "drive/files" => users::drive_files(call).await,
        "i/revoke-token" => tokens::revoke(call).await,
        _ => match endpoint.strip_prefix("i/registry/") {
            Some(name) => registry::serve(call, name).await,
            None => Err(RestError::unknown_endpoint()),
        },
    }
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
