//! Subscribing a tool connection to an endpoint (`?connection_id=` on a subscribable REST
//! call, mapping.md §4.1): resolution through the mapping tables, the registry, and the
//! pnut error envelopes of refusals.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::response::Response;
use serde_json::{Map, Value};

use super::auth::error_response;
use super::hub::SubSpec;
use super::matching::Accept;
use super::registry::registry;
use crate::front::BridgeContext;
use crate::ids::pnut_to_misskey;
use crate::mapping::{MappingError, SubscribePlan, resolve_subscribe};

/// Why a subscribe was refused; [`SubscribeError::status`] and [`SubscribeError::response`]
/// give its pnut answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    /// The call carries no `connection_id`.
    #[error("connection_id is required to subscribe")]
    MissingConnectionId,
    /// The path has no (bridged) subscription mapping.
    #[error("{0}")]
    Mapping(MappingError),
    /// No such connection.
    #[error("unknown connection {0}")]
    UnknownConnection(String),
    /// The connection belongs to another token.
    #[error("connection {0} belongs to another token")]
    ForeignConnection(String),
    /// The connection has the maximum number of subscriptions.
    #[error("connection {connection_id} already has the maximum of {max} subscriptions")]
    TooManySubscriptions {
        /// The connection.
        connection_id: String,
        /// The limit.
        max: u32,
    },
    /// The registry is gone (shutting down).
    #[error("the stream registry is unavailable")]
    Unavailable,
}

impl SubscribeError {
    /// HTTP status of the refusal: 403 for another token's connection, 503 when shutting
    /// down, else 400.
    pub fn status(&self) -> u16 {
        match self {
            SubscribeError::ForeignConnection(_) => 403,
            SubscribeError::Unavailable => 503,
            _ => 400,
        }
    }

    /// The pnut error envelope answer.
    pub fn response(&self) -> Response {
        error_response(self.status(), self.to_string())
    }
}

/// Subscribes connection `query["connection_id"]` of upstream token `token` to `path`
/// (`/v1` prefix allowed) with the call's `query`; returns the subscription id and the
/// resolved plan (its `first_page` says which Misskey calls make the normal answer). Waits
/// until the upstream channel connections are joined (bounded by the Misskey request timeout).
pub async fn subscribe(
    ctx: &Arc<BridgeContext>,
    token: &str,
    path: &str,
    query: &BTreeMap<String, String>,
) -> Result<(String, SubscribePlan), SubscribeError> {
    let connection_id = query
        .get("connection_id")
        .filter(|id| !id.is_empty())
        .ok_or(SubscribeError::MissingConnectionId)?
        .clone();
    let plan =
        resolve_subscribe(&ctx.config().mapping, path, query).map_err(SubscribeError::Mapping)?;
    let spec = sub_spec(ctx, &plan);
    let (subscription_id, ready) = registry(ctx)
        .subscribe(token.to_owned(), connection_id, spec)
        .await?;
    let wait = ctx.config().upstream.misskey.request_timeout;
    if tokio::time::timeout(wait, ready).await.is_err() {
        tracing::warn!("pnut subscribe: upstream channel join not acknowledged in time");
    }
    Ok((subscription_id, plan))
}

/// The hub's view of a plan: pnut ids in params (`…Id` keys) and the capture become Misskey ids.
fn sub_spec(ctx: &BridgeContext, plan: &SubscribePlan) -> SubSpec {
    let format = ctx.config().ids.misskey_format;
    let to_misskey =
        |value: &str| pnut_to_misskey(value, format).unwrap_or_else(|_| value.to_owned());
    let joins = plan
        .joins
        .iter()
        .map(|join| {
            let mut params = match &join.params {
                Value::Object(map) => map.clone(),
                _ => Map::new(),
            };
            for (key, value) in params.iter_mut() {
                if let Value::String(text) = value
                    && key.ends_with("Id")
                    && !text.is_empty()
                    && text.bytes().all(|b| b.is_ascii_digit())
                {
                    *text = to_misskey(text);
                }
            }
            (join.channel.clone(), params)
        })
        .collect();
    SubSpec {
        joins,
        capture: plan.capture.as_deref().map(to_misskey),
        capture_pnut: plan.capture.clone(),
        accept: Accept::for_endpoint(&plan.endpoint),
        own_only: plan.own_only,
    }
}
