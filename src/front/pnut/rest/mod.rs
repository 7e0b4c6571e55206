//! The pnut REST front (`/v1/*`, mapping.md §4.3): pnut tools' REST calls answered from the
//! Misskey upstream. Every answer is a pnut envelope; unknown endpoints are a 404 envelope.
//!
//! A GET carrying `?connection_id=` on a subscribable endpoint is a subscription: the normal
//! answer plus `meta.subscription_id`, through the pnut stream front (mapping.md §4.1).

mod objects;
mod params;
mod reads;
mod reply;
mod subscription;
mod writes;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use crate::front::BridgeContext;
use objects::Caller;
pub use params::{PNUT_TOKEN_SOURCES, Query, parse_query};
#[cfg(feature = "fuzzing")]
pub(crate) use params::{Page, misskey_id, new_post, upstream_token};
pub use reply::RestError;

/// This front's routes: one catch-all under `/v1/` (more specific routes of other fronts,
/// such as `/v1/user`, take precedence).
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    Router::new()
        .route("/v1/{*path}", any(handle))
        .route("/v1", any(not_found))
        .with_state(ctx)
}

async fn not_found() -> Response {
    RestError::NotFound("Not Found".to_owned()).into_response()
}

async fn handle(
    State(ctx): State<Arc<BridgeContext>>,
    method: Method,
    Path(path): Path<String>,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = parse_query(raw_query.as_deref());
    let token = match params::upstream_token(&ctx, &headers, raw_query.as_deref()) {
        Ok(token) => token,
        Err(error) => {
            // An unknown endpoint is a 404 whether or not a token came with it.
            if !is_known(&method, &path) {
                return not_found().await;
            }
            return error.into_response();
        }
    };
    if method == Method::GET
        && query.contains_key("connection_id")
        && let Some(response) = subscription::subscribe_call(&ctx, &token, &path, &query).await
    {
        return response;
    }
    let caller = Caller {
        ctx: &ctx,
        token: &token,
    };
    dispatch(caller, &method, &path, &query, &headers, &body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// The answer of a subscribable GET endpoint for `token` (an upstream token), as a normal
/// REST call would give it: `path` is below `/v1` (e.g. `/posts/streams/me`), `query` its
/// query parameters (pagination). The stream front wraps it when subscribing.
pub async fn first_page(ctx: &BridgeContext, token: &str, path: &str, query: &Query) -> Response {
    let caller = Caller { ctx, token };
    let path = path.trim_start_matches("/v1").trim_start_matches('/');
    dispatch(caller, &Method::GET, path, query, &HeaderMap::new(), &[])
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// Largest first-page body [`first_page_json`] reads back.
const FIRST_PAGE_MAX_BYTES: usize = 16 * 1024 * 1024;

/// [`first_page`] as status and JSON envelope, for callers that add keys to `meta`
/// (e.g. `subscription_id`). An unreadable body becomes a 500 envelope.
pub async fn first_page_json(
    ctx: &BridgeContext,
    token: &str,
    path: &str,
    query: &Query,
) -> (StatusCode, serde_json::Value) {
    let response = first_page(ctx, token, path, query).await;
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), FIRST_PAGE_MAX_BYTES).await;
    match body.map(|b| serde_json::from_slice::<serde_json::Value>(&b)) {
        Ok(Ok(value)) => (status, value),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            serde_json::json!({"meta": {"code": 500, "error_message": "Internal Server Error"}}),
        ),
    }
}

/// Whether `method` + `path` is an endpoint of this front.
fn is_known(method: &Method, path: &str) -> bool {
    route_of(method, &segments(path)).is_some()
}

fn segments(path: &str) -> Vec<&str> {
    path.trim_matches('/').split('/').collect()
}

/// The endpoints, by method and path segments.
#[derive(Debug, Clone, Copy)]
enum Route<'a> {
    User(&'a str),
    Token,
    Post(&'a str),
    Thread(&'a str),
    Stream(&'a str),
    UserPosts(&'a str),
    Mentions,
    Relations(&'a str, bool),
    Files,
    SysConfig,
    CreatePost,
    DeletePost(&'a str),
    Repost(&'a str, bool),
    Bookmark(&'a str, bool),
    Follow(&'a str, bool),
}

fn route_of<'a>(method: &Method, seg: &[&'a str]) -> Option<Route<'a>> {
    let get = method == Method::GET;
    let put = method == Method::PUT;
    let delete = method == Method::DELETE;
    Some(match seg {
        ["token"] if get => Route::Token,
        ["sys", "config"] if get => Route::SysConfig,
        ["posts"] if method == Method::POST => Route::CreatePost,
        ["posts", "streams", s @ ("me" | "unified" | "global")] if get => Route::Stream(s),
        ["posts", id] if get => Route::Post(id),
        ["posts", id] if delete => Route::DeletePost(id),
        ["posts", id, "thread"] if get => Route::Thread(id),
        ["posts", id, "repost"] if put || delete => Route::Repost(id, put),
        ["posts", id, "bookmark"] if put || delete => Route::Bookmark(id, put),
        ["users", "me", "mentions"] if get => Route::Mentions,
        ["users", "me", "files"] if get => Route::Files,
        ["users", id] if get => Route::User(id),
        ["users", id, "posts"] if get => Route::UserPosts(id),
        ["users", id, "followers"] if get => Route::Relations(id, true),
        ["users", id, "following"] if get => Route::Relations(id, false),
        ["users", id, "follow"] if put || delete => Route::Follow(id, put),
        _ => return None,
    })
}

async fn dispatch(
    caller: Caller<'_>,
    method: &Method,
    path: &str,
    query: &Query,
    headers: &HeaderMap,
    body: &[u8],
) -> reply::RestResult {
    let seg = segments(path);
    let route =
        route_of(method, &seg).ok_or_else(|| RestError::NotFound("Not Found".to_owned()))?;
    match route {
        Route::User(id) => reads::user(caller, id).await,
        Route::Token => reads::token(caller).await,
        Route::Post(id) => reads::post(caller, id).await,
        Route::Thread(id) => reads::thread(caller, id, query).await,
        Route::Stream(name) => reads::post_stream(caller, name, query).await,
        Route::UserPosts(id) => reads::user_posts(caller, id, query).await,
        Route::Mentions => reads::mentions(caller, query).await,
        Route::Relations(id, followers) => reads::relations(caller, id, followers, query).await,
        Route::Files => reads::files(caller, query).await,
        Route::SysConfig => reads::sys_config(caller).await,
        Route::CreatePost => writes::create_post(caller, headers, body).await,
        Route::DeletePost(id) => writes::delete_post(caller, id).await,
        Route::Repost(id, on) => writes::repost(caller, id, on).await,
        Route::Bookmark(id, on) => writes::bookmark(caller, id, on).await,
        Route::Follow(id, on) => writes::follow(caller, id, on).await,
    }
}
