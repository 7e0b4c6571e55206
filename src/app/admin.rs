//! The operator routes: `/healthz` and `/metrics` (mapping.md §1), served on the main
//! listener, or only on the admin listener when `listen.admin` is set.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::health;
use crate::metrics::{self, Metrics};

/// `GET /healthz` and `GET /metrics`.
pub fn routes(metrics: Arc<Metrics>, targets: health::HealthTargets) -> Router {
    let health = Router::new()
        .route("/healthz", get(health::healthz))
        .with_state(Arc::new(targets));
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(metrics)
        .merge(health)
}

/// `GET /metrics`: the OpenMetrics text of every family.
async fn scrape(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        metrics.encode(),
    )
}
