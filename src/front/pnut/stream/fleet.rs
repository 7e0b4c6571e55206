//! The pnut front's hook into the fleet (`[cluster]`, mapping.md §9): a token's user stream
//! and its connection-bound REST calls are served by the instance owning the token's session;
//! here they are either served locally or forwarded there ([`crate::cluster::pnut_front`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use tokio::time::Instant;

use super::auth::error_response;
use super::registry::registry;
use super::socket::stream_endpoint;
use crate::cluster::pnut_front::{LocalSession, Route, rest, ws};
use crate::front::BridgeContext;
use crate::front::closing::bound_buffers;

/// Where a user-stream connection goes: served here (with the lease hold in a fleet), or
/// already answered (forwarded to the owner, or refused).
pub enum StreamPlace {
    /// Serve it here (the upgrade given back); in a fleet, the connection holds the token's
    /// session lease.
    Local(Option<LocalSession>, Option<WebSocketUpgrade>),
    /// The answer (the upgrade bridged to the owner, or the owner's refusal).
    Answered(Response),
}

/// Decides where `token`'s new user stream is served. An owner that cannot be reached (it
/// died; its lease has not run out) is retried every sixth of `lease_ttl` for a lease time:
/// by then this or another instance took the lease, and the tool's connect succeeds.
pub async fn place_stream(
    ctx: &Arc<BridgeContext>,
    token: &str,
    uri: &Uri,
    headers: &HeaderMap,
    upgrade: Option<WebSocketUpgrade>,
) -> StreamPlace {
    let Some(cluster) = ctx.cluster.clone() else {
        return StreamPlace::Local(None, upgrade);
    };
    let settings = cluster.settings();
    let deadline = Instant::now() + settings.lease_ttl + settings.op_timeout;
    let retry_every = settings.lease_ttl / 6;
    let mut upgrade = upgrade;
    loop {
        match cluster.pnut_stream_route(token, headers).await {
            Route::Local => {
                return StreamPlace::Local(Some(cluster.pnut_local_session(token)), upgrade);
            }
            Route::OwnerUnreachable => {}
            Route::Forward { base, secret } => {
                let Some(tool) = upgrade.take() else {
                    return StreamPlace::Answered(error_response(
                        400,
                        "A websocket upgrade is required",
                    ));
                };
                match ws::dial(&base, &secret, uri, headers, max_frame(ctx)).await {
                    Ok(owner) => {
                        cluster.metrics().pnut_forwards.inc();
                        return StreamPlace::Answered(bridge_to(ctx, tool, owner));
                    }
                    Err(ws::DialError::Answered(answer)) => return StreamPlace::Answered(answer),
                    Err(ws::DialError::Unreachable(why)) => {
                        tracing::debug!(%why, "pnut user stream: the session's owner is unreachable");
                        upgrade = Some(tool);
                    }
                }
            }
        }
        if Instant::now() >= deadline {
            return StreamPlace::Answered(owner_unreachable());
        }
        tokio::time::sleep(retry_every).await;
    }
}

/// Frames up to this many bytes pass the proxy (the owner enforces `limits.max_frame_size`).
fn max_frame(ctx: &BridgeContext) -> usize {
    usize::try_from(ctx.config().limits.max_frame_size.as_u64())
        .unwrap_or(usize::MAX)
        .saturating_add(1)
        .saturating_mul(2)
}

/// Upgrades the tool and bridges it to `owner`.
fn bridge_to(ctx: &BridgeContext, upgrade: WebSocketUpgrade, owner: ws::OwnerSocket) -> Response {
    let config = ctx.config();
    let queue_limit = usize::try_from(config.limits.outbound_queue.as_u64()).unwrap_or(usize::MAX);
    let max_frame = max_frame(ctx);
    let endpoint = stream_endpoint(&ctx.bridge_url);
    let drain = ctx.drain.clone();
    let stall = config.timeouts.pnut_front_client_silence;
    bound_buffers(upgrade, queue_limit)
        .max_message_size(max_frame)
        .max_frame_size(max_frame)
        .on_upgrade(move |tool| ws::bridge(tool, owner, endpoint, drain, stall))
}

/// A REST call bound to connection `connection_id` of `token`: `Some(answer)` when it was
/// forwarded to the instance holding the connection (or that instance could not be reached),
/// `None` when it is served here.
pub async fn forward_call(
    ctx: &BridgeContext,
    token: &str,
    connection_id: &str,
    request: (&Method, &Uri, &HeaderMap, Bytes),
) -> Option<Response> {
    let cluster = ctx.cluster.as_ref()?;
    let (_, _, headers, _) = request;
    let known_here = registry(ctx).hub_of(token, connection_id).is_ok();
    match cluster.pnut_call_route(token, known_here, headers).await {
        Route::Local => None,
        Route::OwnerUnreachable => Some(owner_unreachable()),
        Route::Forward { base, secret } => {
            cluster.metrics().pnut_forwards.inc();
            let timeout = ctx
                .config()
                .upstream
                .misskey
                .request_timeout
                .saturating_mul(3);
            let forwarded =
                rest::forward(cluster.peer_http(), &base, &secret, request, timeout).await;
            Some(forwarded.unwrap_or_else(|error| {
                tracing::warn!(%error, "pnut call: forwarding to the session's owner failed");
                owner_unreachable()
            }))
        }
    }
}

fn owner_unreachable() -> Response {
    error_response(
        503,
        "the instance holding this token's stream session is unreachable; retry shortly",
    )
}
