//! The pnut user-stream front (`/v1/user`), subscriptions and the per-token Misskey hub (mapping.md §4.1, §4.2).

use std::sync::Arc;

use axum::Router;

use crate::front::BridgeContext;

/// This front's routes (none yet).
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    let _ = ctx;
    Router::new()
}
