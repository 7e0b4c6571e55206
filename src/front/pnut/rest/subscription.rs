//! A REST call carrying `?connection_id=` on a subscribable endpoint is a subscription
//! (mapping.md §4.1): the normal answer plus `meta.subscription_id`, with the stream front
//! joining the mapped Misskey channels.

use std::sync::Arc;

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{Query, first_page_json};
use crate::front::BridgeContext;
use crate::front::pnut::stream::{self, SubscribeError};
use crate::mapping::{MappingError, resolve_subscribe};

/// Answers a GET of `path` (below `/v1`) that carries `connection_id`: `None` when the path
/// has no subscription mapping at all (pnut ignores `connection_id` there, so the call is
/// answered normally); otherwise the first page with `meta.subscription_id`, or the refusal
/// (non-bridged endpoint, unknown or foreign connection, the 17th subscription) — a refused
/// subscribe changes nothing.
pub async fn subscribe_call(
    ctx: &Arc<BridgeContext>,
    token: &str,
    path: &str,
    query: &Query,
) -> Option<Response> {
    let full = format!("/{}", path.trim_start_matches('/'));
    match resolve_subscribe(&ctx.config().mapping, &full, query) {
        Err(MappingError::UnknownEndpoint { .. }) => return None,
        Err(error) => return Some(SubscribeError::Mapping(error).response()),
        Ok(_) => {}
    }
    // Subscribe first (it waits for the upstream joins), so nothing between the first page
    // and the first event is missed; a page that then fails releases the subscription.
    let (subscription_id, _plan) = match stream::subscribe(ctx, token, &full, query).await {
        Ok(done) => done,
        Err(refusal) => return Some(refusal.response()),
    };
    let mut page_query = query.clone();
    page_query.remove("connection_id");
    let (status, mut body) = first_page_json(ctx, token, &full, &page_query).await;
    if !status.is_success() {
        if let Some(connection_id) = query.get("connection_id") {
            stream::registry(ctx)
                .unsubscribe(token.to_owned(), connection_id.clone(), subscription_id)
                .await;
        }
        return Some((status, Json(body)).into_response());
    }
    if let Some(meta) = body.get_mut("meta").and_then(Value::as_object_mut) {
        meta.insert("subscription_id".to_owned(), Value::String(subscription_id));
    }
    Some((status, Json(body)).into_response())
}
