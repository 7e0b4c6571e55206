//! The pnut REST front (`/v1/*`, mapping.md §4.3).

use std::sync::Arc;

use axum::Router;

use crate::front::BridgeContext;

/// This front's routes (none yet).
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    let _ = ctx;
    Router::new()
}
