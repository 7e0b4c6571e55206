//! The HTTP edge of subscriptions (`?connection_id=` on a subscribable REST call, and the
//! `DELETE /v1/users/me/streams/...` calls, mapping.md §4.1): the registry's and the hub's
//! refusals become pnut error envelopes here.

use std::sync::Arc;

use axum::response::Response;

use super::auth::error_response;
use super::hub::Subscribed;
use super::refusal::Refusal;
use super::registry::registry;
use super::spec::SubSpec;
use crate::front::BridgeContext;
use crate::mapping::{MappingError, SubscribePlan};

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
    /// The token's hub is gone (shutting down).
    #[error("the stream hub is unavailable")]
    Unavailable,
}

impl SubscribeError {
    /// The answer to `refusal` on `connection_id`.
    pub fn refused(refusal: Refusal, connection_id: &str) -> Self {
        let connection_id = connection_id.to_owned();
        match refusal {
            Refusal::UnknownConnection => Self::UnknownConnection(connection_id),
            Refusal::ForeignConnection => Self::ForeignConnection(connection_id),
            Refusal::Full(max) => Self::TooManySubscriptions { connection_id, max },
            Refusal::Gone => Self::Unavailable,
        }
    }

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

/// Subscribes connection `connection_id` of upstream token `token` to the resolved `plan`;
/// returns the subscription id. Waits until the upstream channel connections are joined
/// (bounded by the Misskey request timeout). Only this token's hub is asked.
pub async fn subscribe(
    ctx: &Arc<BridgeContext>,
    token: &str,
    connection_id: &str,
    plan: &SubscribePlan,
) -> Result<String, SubscribeError> {
    let refused = |refusal| SubscribeError::refused(refusal, connection_id);
    let hub = registry(ctx)
        .hub_of(token, connection_id)
        .map_err(refused)?;
    let config = ctx.config();
    let spec = SubSpec::from_plan(plan, config.ids.misskey_format);
    let Subscribed {
        subscription_id,
        ready,
    } = hub
        .subscribe(connection_id.to_owned(), spec)
        .await
        .map_err(refused)?;
    let wait = config.upstream.misskey.request_timeout;
    if tokio::time::timeout(wait, ready).await.is_err() {
        tracing::warn!("pnut subscribe: upstream channel join not acknowledged in time");
    }
    Ok(subscription_id)
}

/// The first page of subscription `subscription_id` failed upstream (`retry_in`: the
/// upstream's pause): the token's hub retries it while the subscription lives.
pub async fn page_failed(
    ctx: &BridgeContext,
    token: &str,
    connection_id: &str,
    subscription_id: &str,
    page: (String, crate::front::pnut::rest::Query),
    retry_in: Option<std::time::Duration>,
) {
    if let Ok(hub) = registry(ctx).hub_of(token, connection_id) {
        let (path, query) = page;
        hub.page_failed(subscription_id.to_owned(), path, query, retry_in)
            .await;
    }
}

/// Ends subscription `subscription_id` of connection `connection_id` of `token`; `false` when
/// there is no such subscription of this token.
pub async fn unsubscribe(
    ctx: &BridgeContext,
    token: &str,
    connection_id: &str,
    subscription_id: &str,
) -> bool {
    match registry(ctx).hub_of(token, connection_id) {
        Ok(hub) => {
            hub.unsubscribe(connection_id.to_owned(), subscription_id.to_owned())
                .await
        }
        Err(_) => false,
    }
}

/// Closes connection `connection_id` of `token` (its socket closes); `false` when there is no
/// such connection of this token.
pub async fn delete_connection(ctx: &BridgeContext, token: &str, connection_id: &str) -> bool {
    match registry(ctx).hub_of(token, connection_id) {
        Ok(hub) => hub.delete(connection_id.to_owned()).await,
        Err(_) => false,
    }
}
