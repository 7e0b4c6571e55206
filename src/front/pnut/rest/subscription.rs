//! A REST call carrying `?connection_id=` on a subscribable endpoint is a subscription
//! (mapping.md §4.1): the mapping plan is resolved once, the stream front joins its Misskey
//! channels, and the normal answer goes out once, with `meta.subscription_id` added.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};

use super::{Query, first_page};
use crate::front::BridgeContext;
use crate::front::pnut::stream::{self, SubscribeError};
use crate::mapping::{MappingError, resolve_subscribe};

/// Answers a GET of `path` (below `/v1`, e.g. `/posts/streams/me`) that carries
/// `connection_id`: `None` when the path has no subscription mapping at all (pnut ignores
/// `connection_id` there, so the call is answered normally); otherwise the first page with
/// `meta.subscription_id`, or the refusal (non-bridged endpoint, unknown or foreign
/// connection, the 17th subscription) — a refused subscribe changes nothing.
pub async fn subscribe_call(
    ctx: &Arc<BridgeContext>,
    token: &str,
    path: &str,
    connection_id: &str,
    query: &Query,
) -> Option<Response> {
    let plan = match resolve_subscribe(&ctx.config().mapping, path, query) {
        Err(MappingError::UnknownEndpoint { .. }) => return None,
        Err(error) => return Some(SubscribeError::Mapping(error).response()),
        Ok(plan) => plan,
    };
    if connection_id.is_empty() {
        return Some(SubscribeError::MissingConnectionId.response());
    }
    // Subscribe first (it waits for the upstream joins), so nothing between the first page
    // and the first event is missed; a page that then fails releases the subscription.
    let subscription_id = match stream::subscribe(ctx, token, connection_id, &plan).await {
        Ok(id) => id,
        Err(refusal) => return Some(refusal.response()),
    };
    let mut page_query = query.clone();
    page_query.remove("connection_id");
    Some(match first_page(ctx, token, path, &page_query).await {
        Ok(mut reply) => {
            reply.envelope.meta.subscription_id = Some(subscription_id);
            reply.into_response()
        }
        Err(error) => match stream::first_page_retryable(&error) {
            // The upstream may answer later: the subscription stays, the page comes as a
            // frame once a retry gets it (issue 14), and the tool is told it is subscribed.
            Some(retry_in) => {
                tracing::warn!(%error, "pnut subscribe: first page failed, retrying");
                stream::page_failed(
                    ctx,
                    token,
                    connection_id,
                    &subscription_id,
                    (path.to_owned(), page_query),
                    retry_in,
                )
                .await;
                pending_page(subscription_id)
            }
            None => {
                stream::unsubscribe(ctx, token, connection_id, &subscription_id).await;
                error.into_response()
            }
        },
    })
}

/// The answer to a subscribe whose first page is still to come: 200, `meta.subscription_id`,
/// an empty `data` list and `meta.more` (older items may exist).
fn pending_page(subscription_id: String) -> Response {
    let envelope = crate::pnut::Envelope {
        meta: crate::pnut::Meta {
            code: Some(200),
            subscription_id: Some(subscription_id),
            more: Some(true),
            ..crate::pnut::Meta::default()
        },
        data: Some(serde_json::Value::Array(Vec::new())),
    };
    (axum::http::StatusCode::OK, axum::Json(envelope)).into_response()
}
