//! The pnut REST front (`/v1/*`, mapping.md §4.3): pnut tools' REST calls answered from the
//! Misskey upstream. Every answer is a pnut envelope; unknown endpoints are a 404 envelope.
//!
//! Which calls exist is the catalogue's [`PNUT_REST_ROUTES`](crate::mapping::catalog::PNUT_REST_ROUTES);
//! a GET carrying `?connection_id=` on a subscribable endpoint (`[mapping.pnut_endpoints]`) is
//! a subscription: the normal answer plus `meta.subscription_id`, through the pnut stream
//! front (mapping.md §4.1).

mod chat;
mod objects;
mod params;
mod reads;
mod reply;
mod social;
mod subscription;
mod tools;
mod upload;
mod writes;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use crate::front::BridgeContext;
use crate::mapping::catalog::pnut_rest_route;
use objects::Caller;
pub use params::{PNUT_TOKEN_SOURCES, Query, parse_query};
#[cfg(feature = "fuzzing")]
pub(crate) use params::{Page, misskey_id, new_post, upstream_token};
pub use reply::{Reply, RestError, RestResult};

/// This front's routes: one catch-all under `/v1/` (more specific routes of other fronts,
/// such as `/v1/user`, take precedence).
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    Router::new()
        .route("/v1/{*path}", any(handle))
        .route("/v1/files", any(upload::handle))
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
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = parse_query(raw_query.as_deref());
    let path = format!("/{}", path.trim_start_matches('/'));
    let token = match params::upstream_token(&ctx, &headers, raw_query.as_deref()) {
        Ok(token) => token,
        Err(error) => {
            // An unknown endpoint is a 404 whether or not a token came with it.
            if pnut_rest_route(method.as_str(), &path).is_none() {
                return not_found().await;
            }
            return error.into_response();
        }
    };
    if method == Method::GET
        && let Some(connection_id) = query.get("connection_id")
        && let Some(response) = crate::front::pnut::stream::forward_call(
            &ctx,
            &token,
            connection_id,
            (&method, &uri, &headers, body.clone()),
        )
        .await
    {
        return response;
    }
    if method == Method::GET
        && let Some(connection_id) = query.get("connection_id")
        && let Some(response) =
            subscription::subscribe_call(&ctx, &token, &path, connection_id, &query).await
    {
        return response;
    }
    let caller = Caller {
        ctx: &ctx,
        token: &token,
    };
    match dispatch(caller, &method, &path, &query, &headers, &body).await {
        Ok(reply) => reply.into_response(),
        Err(error) => error.into_response(),
    }
}

/// The answer of a GET endpoint for `token` (an upstream token), as a normal REST call gives
/// it, before rendering: `path` is below `/v1` (e.g. `/posts/streams/me`), `query` its query
/// parameters (pagination). A subscribe call adds `meta.subscription_id` to it.
pub async fn first_page(ctx: &BridgeContext, token: &str, path: &str, query: &Query) -> RestResult {
    let caller = Caller { ctx, token };
    let path = path.strip_prefix("/v1").unwrap_or(path);
    let path = format!("/{}", path.trim_start_matches('/'));
    dispatch(caller, &Method::GET, &path, query, &HeaderMap::new(), &[]).await
}

/// Runs the handler of the [`PNUT_REST_ROUTES`](crate::mapping::catalog::PNUT_REST_ROUTES)
/// route that `method` and `path` take.
async fn dispatch(
    caller: Caller<'_>,
    method: &Method,
    path: &str,
    query: &Query,
    headers: &HeaderMap,
    body: &[u8],
) -> RestResult {
    let not_found = || RestError::NotFound("Not Found".to_owned());
    let (route, captures) = pnut_rest_route(method.as_str(), path).ok_or_else(not_found)?;
    let post_id = captures.get("post_id").map_or("", String::as_str);
    let user_id = captures.get("user_id").map_or("", String::as_str);
    let channel_id = captures.get("channel_id").map_or("", String::as_str);
    let put = method == Method::PUT;
    match (route.method, route.pattern) {
        ("GET", "/token") => reads::token(caller).await,
        ("GET", "/sys/config") => reads::sys_config(caller).await,
        ("POST", "/posts") => writes::create_post(caller, headers, body).await,
        ("GET", "/posts/streams/me" | "/posts/streams/unified" | "/posts/streams/global")
        | ("GET", "/users/me/mentions") => reads::note_list(caller, route, query).await,
        ("GET", "/posts/{post_id}") => reads::post(caller, post_id).await,
        ("DELETE", "/posts/{post_id}") => writes::delete_post(caller, post_id).await,
        ("GET", "/posts/{post_id}/thread") => reads::thread(caller, post_id, query).await,
        (_, "/posts/{post_id}/repost") => writes::repost(caller, post_id, put).await,
        (_, "/posts/{post_id}/bookmark") => writes::bookmark(caller, post_id, put).await,
        ("GET", "/users/me/files") => reads::files(caller, query).await,
        ("GET", "/users/{user_id}") => reads::user(caller, user_id).await,
        ("GET", "/users/{user_id}/posts") => reads::user_posts(caller, user_id, query).await,
        ("GET", "/users/{user_id}/followers") => {
            reads::relations(caller, user_id, true, query).await
        }
        ("GET", "/users/{user_id}/following") => {
            reads::relations(caller, user_id, false, query).await
        }
        (_, "/users/{user_id}/follow") => writes::follow(caller, user_id, put).await,
        ("GET", "/channels/{channel_id}/messages") => {
            reads::channel_messages(caller, channel_id, query).await
        }
        ("GET", "/channels/{channel_id}") => chat::channel(caller, channel_id).await,
        ("POST", "/channels/{channel_id}/messages") => {
            chat::create_message(caller, channel_id, headers, body).await
        }
        ("DELETE", "/channels/{channel_id}/messages/{message_id}") => {
            let message_id = captures.get("message_id").map_or("", String::as_str);
            chat::delete_message(caller, channel_id, message_id).await
        }
        ("GET", "/users/me/channels/subscribed") => chat::subscribed(caller, query).await,
        ("GET", "/users/search") => tools::search_users(caller, query).await,
        ("GET", "/users") => tools::users_by_ids(caller, query).await,
        ("GET", "/posts/search") => tools::search_posts(caller, query).await,
        ("GET", "/posts/tag/{tag}") => {
            let tag = captures.get("tag").map_or("", String::as_str);
            tools::tagged_posts(caller, tag, query).await
        }
        ("GET", "/posts") => tools::posts_by_ids(caller, query).await,
        ("GET", "/sys/stats") => tools::sys_stats(caller).await,
        // pnut answers a logout with the token; the Misskey token itself is not revoked.
        ("DELETE", "/token") => reads::token(caller).await,
        ("PATCH", "/users/me") => tools::update_me(caller, body).await,
        (_, "/users/{user_id}/mute") => social::mute_or_block(caller, user_id, false, put).await,
        (_, "/users/{user_id}/block") => social::mute_or_block(caller, user_id, true, put).await,
        ("GET", "/users/me/muted") => social::muted_or_blocked(caller, false, query).await,
        ("GET", "/users/me/blocked") => social::muted_or_blocked(caller, true, query).await,
        ("GET", "/users/me/bookmarks") => social::bookmarks(caller, query).await,
        ("GET", "/users/me/actions") => social::actions(caller, query).await,
        (_, "/files/{file_id}") => {
            let file_id = captures.get("file_id").map_or("", String::as_str);
            tools::file(caller, file_id, method == Method::DELETE).await
        }
        _ => Err(not_found()),
    }
}
