//! The Misskey REST front (`POST /api/*`, mapping.md §3.3).

use std::sync::Arc;

use axum::Router;

use crate::front::BridgeContext;

/// This front's routes (none yet).
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    let _ = ctx;
    Router::new()
}
