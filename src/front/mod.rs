//! The fronts clients talk to, on one listener, routed by path (mapping.md §1):
//! the Misskey front (`/streaming`, `/api/*`) over the pnut upstream, and the pnut front
//! (`/v1/user`, `/v1/*`) over the Misskey upstream.

pub mod context;
pub mod misskey;
pub mod pnut;

use std::sync::Arc;

use axum::Router;

pub use context::BridgeContext;

/// Every front route, sharing `ctx`.
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    Router::new()
        .merge(misskey::stream::routes(Arc::clone(&ctx)))
        .merge(misskey::rest::routes(Arc::clone(&ctx)))
        .merge(pnut::stream::routes(Arc::clone(&ctx)))
        .merge(pnut::rest::routes(ctx))
}
