//! The pnut user-stream front (`/v1/user`), subscriptions and the per-token Misskey hub
//! (mapping.md §4.1, §4.2).
//!
//! The REST front owns the subscribable paths; on a call carrying `?connection_id=` it calls
//! [`subscribe`] and adds the returned id as `meta.subscription_id` to its normal answer
//! (refusals: [`SubscribeError::response`]).

mod auth;
mod backfill;
mod hub;
mod ids;
mod matching;
mod pipe;
mod registry;
mod socket;
mod subscribe;
mod test_routes;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};

pub use auth::presented_token;
#[cfg(feature = "fuzzing")]
pub(crate) use matching::{translate_channel_event, translate_note_updated};
pub use registry::{Registry, registry};

/// The handle of a pnut-front session (a token's Misskey hub): its command queue.
pub type HubHandle = tokio::sync::mpsc::Sender<hub::HubCommand>;
pub use socket::stream_endpoint;
pub use subscribe::{SubscribeError, subscribe};
pub use test_routes::{SUBSCRIBABLE_PATHS, subscribe_routes};

use auth::error_response;

/// This front's routes: `GET /v1/user` and the `DELETE /v1/users/me/streams/...` routes.
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    Router::new()
        .route("/v1/user", get(socket::upgrade))
        .route(
            "/v1/users/me/streams/{connection_id}",
            delete(delete_connection),
        )
        .route(
            "/v1/users/me/streams/{connection_id}/{subscription_id}",
            delete(delete_subscription),
        )
        .with_state(ctx)
}

use crate::front::BridgeContext;

fn token_of(ctx: &BridgeContext, headers: &HeaderMap, uri: &Uri) -> Option<String> {
    presented_token(headers, uri.query()).and_then(|t| ctx.upstream_token(&t))
}

async fn delete_connection(
    State(ctx): State<Arc<BridgeContext>>,
    Path(connection_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(token) = token_of(&ctx, &headers, &uri) else {
        return error_response(401, "Call requires authentication: token required");
    };
    if registry(&ctx).delete_connection(token, connection_id).await {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error_response(404, "unknown connection")
    }
}

async fn delete_subscription(
    State(ctx): State<Arc<BridgeContext>>,
    Path((connection_id, subscription_id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(token) = token_of(&ctx, &headers, &uri) else {
        return error_response(401, "Call requires authentication: token required");
    };
    if registry(&ctx)
        .unsubscribe(token, connection_id, subscription_id)
        .await
    {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error_response(404, "unknown connection or subscription")
    }
}
