//! The pnut user-stream front (`/v1/user`), subscriptions and the per-token Misskey hub
//! (mapping.md §4.1, §4.2).
//!
//! A token followed from the edge inward: the socket ([`socket`]) takes a lease on the
//! token's hub session (`ctx.hubs`) and registers its connection id in the [`Registry`];
//! the REST front, on a call carrying `?connection_id=`, resolves the mapping plan once and
//! calls [`subscribe`], which finds the connection's hub in the registry and asks it to join
//! the plan's [`SubSpec`]; the hub ([`hub`]) owns the token's Misskey stream and fans
//! upstream events out to the connections' pipes.

mod auth;
mod backfill;
mod fleet;
mod hub;
mod ids;
mod matching;
mod refusal;
mod registry;
mod socket;
mod spec;
mod subscribe;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};

pub use auth::presented_token;
pub use fleet::forward_call;
pub use hub::{HubHandle, Subscribed, first_page_retryable};
#[cfg(feature = "fuzzing")]
pub(crate) use matching::{translate_channel_event, translate_note_updated};

pub use refusal::Refusal;
pub use registry::{Registry, registry};
pub use socket::stream_endpoint;
pub use spec::SubSpec;
pub use subscribe::{SubscribeError, delete_connection, page_failed, subscribe, unsubscribe};

use crate::front::BridgeContext;
use auth::error_response;

/// This front's routes: `GET /v1/user` and the `DELETE /v1/users/me/streams/...` routes.
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    Router::new()
        .route("/v1/user", get(socket::upgrade))
        .route(
            "/v1/users/me/streams/{connection_id}",
            delete(delete_connection_call),
        )
        .route(
            "/v1/users/me/streams/{connection_id}/{subscription_id}",
            delete(delete_subscription_call),
        )
        .with_state(ctx)
}

fn token_of(ctx: &BridgeContext, headers: &HeaderMap, uri: &Uri) -> Option<String> {
    presented_token(headers, uri.query()).and_then(|t| ctx.upstream_token(&t))
}

async fn delete_connection_call(
    State(ctx): State<Arc<BridgeContext>>,
    Path(connection_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(token) = token_of(&ctx, &headers, &uri) else {
        return error_response(401, "Call requires authentication: token required");
    };
    let request = (&Method::DELETE, &uri, &headers, Bytes::new());
    if let Some(answer) = forward_call(&ctx, &token, &connection_id, request).await {
        return answer;
    }
    if delete_connection(&ctx, &token, &connection_id).await {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error_response(404, "unknown connection")
    }
}

async fn delete_subscription_call(
    State(ctx): State<Arc<BridgeContext>>,
    Path((connection_id, subscription_id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(token) = token_of(&ctx, &headers, &uri) else {
        return error_response(401, "Call requires authentication: token required");
    };
    let request = (&Method::DELETE, &uri, &headers, Bytes::new());
    if let Some(answer) = forward_call(&ctx, &token, &connection_id, request).await {
        return answer;
    }
    if unsubscribe(&ctx, &token, &connection_id, &subscription_id).await {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error_response(404, "unknown connection or subscription")
    }
}
