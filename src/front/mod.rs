//! The fronts clients talk to, on one listener, routed by path (mapping.md §1):
//! the Misskey front (`/streaming`, `/api/*`) over the pnut upstream, and the pnut front
//! (`/v1/user`, `/v1/*`) over the Misskey upstream. axum's own plain-text rejections (405, 413,
//! malformed paths) are rewritten into each protocol's error body.

pub mod auth;
pub mod closing;
pub mod context;
pub mod cors;
pub mod drain;
pub mod misskey;
pub mod nodeinfo;
pub mod outbound;
pub mod pnut;
pub mod token;
pub mod token_checks;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn_with_state, map_response};
use tower::ServiceBuilder;

use crate::http::body_limit::limit_body;
use crate::http::plain_errors;

pub use context::{BridgeContext, ContextError, Resolved};
pub use drain::Drain;

/// Read buffer of each client websocket. tungstenite's default (128 KiB) is zero-filled on
/// every read and stays resident: 17 % of the bridge's CPU under load and ~130 KiB per idle
/// client (benches/RESULTS.md). Client frames are small; the buffer grows for bigger ones.
pub const CLIENT_READ_BUFFER: usize = 4 * 1024;

/// Every front route, sharing `ctx`.
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    let misskey_errors = map_response(plain_errors::misskey_error_body);
    let pnut_errors = map_response(plain_errors::pnut_envelope);
    // `limits.max_request_body`, read per request, is the only body limit of both REST fronts.
    let body_limit = || {
        ServiceBuilder::new()
            .layer(DefaultBodyLimit::disable())
            .layer(from_fn_with_state(Arc::clone(&ctx), limit_body))
    };
    Router::new()
        .merge(auth::routes(Arc::clone(&ctx)))
        .merge(nodeinfo::routes(Arc::clone(&ctx)))
        .merge(misskey::stream::routes(Arc::clone(&ctx)))
        .merge(
            misskey::rest::routes(Arc::clone(&ctx))
                .layer(body_limit())
                .layer(misskey_errors),
        )
        .merge(pnut::stream::routes(Arc::clone(&ctx)).layer(pnut_errors.clone()))
        .merge(
            pnut::rest::routes(Arc::clone(&ctx))
                .layer(body_limit())
                .layer(pnut_errors),
        )
        .layer(axum::middleware::from_fn(cors::cors))
}
