//! The Misskey streaming front (`/streaming`) and the per-token pnut subscription pool (mapping.md §3.1, §3.2).

use std::sync::Arc;

use axum::Router;

use crate::front::BridgeContext;

/// This front's routes (none yet).
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    let _ = ctx;
    Router::new()
}
