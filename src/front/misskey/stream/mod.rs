//! The Misskey streaming front (`/streaming`) and the per-token pnut subscription pool
//! (mapping.md §3.1, §3.2).

mod pool;
mod socket;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use crate::front::BridgeContext;
use crate::front::token::{self, TokenSource};
use crate::ratelimit::token_hash;
use crate::upstream::UpstreamKind;

pub use pool::{PoolCommand, PoolHandle};

/// Sends the bridge-made `main` event `kind` (e.g. `registryUpdated`) to every `main`
/// connection of user `user_id`, whatever token they came with. Best effort: a pool whose
/// command queue is full does not get it (nothing waits on a busy pool). With `[cluster]` and
/// Redis up it goes to the fleet instead, whose owner of each of the user's sessions applies
/// it once (mapping.md §9); not queued there, to this instance's sessions as without one.
pub fn to_user_main(ctx: &BridgeContext, user_id: &str, kind: &str, body: &Value) {
    if let Some(cluster) = &ctx.cluster
        && crate::cluster::relay::user_main_event(cluster, user_id, kind, body)
    {
        return;
    }
    for pool in ctx.pools.handles() {
        if pool.me_id() == user_id {
            let _ = pool.try_send(PoolCommand::MainEvent {
                kind: kind.to_owned(),
                body: body.clone(),
            });
        }
    }
}
pub(crate) use pool::ClientId;
#[cfg(feature = "fuzzing")]
pub(crate) use pool::frames_for_every_target;

/// Starts a local pool session (for the fleet's relay, which owns the token's session here).
pub(crate) fn start_pool(
    ctx: Arc<BridgeContext>,
    token: String,
    me_id: String,
    end: crate::session::SessionEnd,
) -> PoolHandle {
    pool::start(ctx, token, me_id, end)
}

/// State of the streaming front: the context (whose `pools` registry holds the sessions).
#[derive(Debug)]
struct StreamFront {
    ctx: Arc<BridgeContext>,
    next_client: AtomicU64,
}

/// This front's routes: `GET /streaming` (websocket upgrade).
pub fn routes(ctx: Arc<BridgeContext>) -> Router {
    let front = Arc::new(StreamFront {
        ctx,
        next_client: AtomicU64::new(1),
    });
    Router::new()
        .route("/streaming", get(upgrade))
        .with_state(front)
}

async fn upgrade(
    State(front): State<Arc<StreamFront>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let ctx = &front.ctx;
    // `?i=` first, then `Authorization: Bearer`; a malformed token is refused like a wrong one.
    let sources = [TokenSource::Query("i"), TokenSource::Bearer];
    let Some(presented) = token::presented(&headers, query.as_deref(), &sources)
        .ok()
        .flatten()
    else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let upstream = match ctx.misskey_upstream(&presented).await {
        Ok(Some(resolved)) => resolved.upstream,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(error) => {
            tracing::warn!(%error, "streaming upgrade: the store failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    // One upstream check per token per period, not one per socket.
    let me_id = match ctx.token_checks.fresh(UpstreamKind::Pnut, &upstream) {
        Some(me_id) => me_id.to_string(),
        None => match check_token(ctx, &upstream).await {
            Ok(me_id) => {
                ctx.token_checks
                    .accepted(UpstreamKind::Pnut, &upstream, &me_id);
                me_id
            }
            Err(refused) => return refused,
        },
    };
    let config = ctx.config();
    let lease = ctx
        .pools
        .acquire(&upstream, config.timeouts.session_idle, |end| {
            match &ctx.cluster {
                // One upstream session per token across the fleet (mapping.md §9).
                Some(cluster) => crate::cluster::relay::start(
                    Arc::clone(ctx),
                    Arc::clone(cluster),
                    upstream.clone(),
                    me_id,
                    end,
                ),
                None => pool::start(Arc::clone(ctx), upstream.clone(), me_id, end),
            }
        });
    let client = front.next_client.fetch_add(1, Ordering::Relaxed);
    let max_frame = usize::try_from(config.limits.max_frame_size.as_u64())
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let queue_limit = usize::try_from(config.limits.outbound_queue.as_u64()).unwrap_or(usize::MAX);
    let ctx = Arc::clone(ctx);
    // tungstenite's own limit sits above ours so an oversized frame reaches us and gets 1009.
    crate::front::closing::bound_buffers(ws, queue_limit)
        .max_message_size(max_frame.saturating_mul(2))
        .max_frame_size(max_frame.saturating_mul(2))
        .on_upgrade(move |socket| socket::serve(socket, ctx, lease, client))
}

/// Asks the pnut upstream who `upstream` belongs to: the owner's pnut id, or the response that
/// refuses the upgrade (401 for a token pnut refused, 502 when pnut could not answer).
async fn check_token(ctx: &BridgeContext, upstream: &str) -> Result<String, Response> {
    match ctx.pnut.get::<Value>(upstream, "/users/me", &[]).await {
        Ok(envelope) => Ok(envelope
            .data
            .as_ref()
            .and_then(|user| user.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_default()),
        Err(error) => {
            tracing::info!(token = %token_hash(upstream), %error, "streaming upgrade refused");
            Err(match error.status() {
                Some(401 | 403) => {
                    ctx.token_checks.refused(UpstreamKind::Pnut, upstream);
                    StatusCode::UNAUTHORIZED.into_response()
                }
                _ => StatusCode::BAD_GATEWAY.into_response(),
            })
        }
    }
}
