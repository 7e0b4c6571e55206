//! One pnut-front session per token across the fleet (`[cluster]`, mapping.md §9): the
//! instance holding the token's `pnut` lease runs the token's hub exactly as a lone bridge
//! does; every other instance forwards the token's user-stream websocket ([`ws`]) and its
//! connection-bound REST calls (`?connection_id=` subscribes, `DELETE /v1/users/me/streams/…`,
//! [`rest`]) to it, at the base URL it advertises. So connection ids, the 16-subscription
//! rule and the upstream Misskey stream are the owner's, whichever instance a call reaches.
//!
//! A forwarded request carries the fleet's peer secret and is served where it lands (never
//! forwarded again). The owner dies: proxied websockets close, tools reconnect anywhere, and
//! the first instance to claim the lease after it ran out becomes the owner. Redis down: each
//! instance serves its tools locally ([`keeper`] re-decides once Redis is back).

mod keeper;
pub mod rest;
pub mod ws;

use std::sync::Arc;

use axum::http::HeaderMap;

pub(crate) use keeper::Keepers;
pub use keeper::LocalSession;

use super::{Cluster, ClusterError, Holder};

/// The lease name of the pnut front's sessions (the Misskey front's is `misskey`).
pub const FRONT: &str = "pnut";

/// Where a token's pnut-front traffic is served.
#[derive(Debug)]
pub enum Route {
    /// Here; a new user-stream connection keeps the lease through its [`LocalSession`].
    Local,
    /// At the owner, this base URL, with this peer secret.
    Forward {
        /// The owner's advertised base URL.
        base: String,
        /// The fleet's peer secret to present.
        secret: String,
    },
    /// Another instance owns the session but cannot be reached now (it died; its lease has
    /// not run out yet): the tool should retry.
    OwnerUnreachable,
}

impl Cluster {
    /// Where a new user-stream connection of `token` (request `headers`) is served: here when a
    /// peer forwarded it, when Redis is down or this instance holds (or now takes) the lease;
    /// else at the owner.
    pub async fn pnut_stream_route(&self, token: &str, headers: &HeaderMap) -> Route {
        if self.is_from_peer(headers) {
            return Route::Local;
        }
        let Some(secret) = self.ensure_advertised().await else {
            return Route::Local;
        };
        match self.claim(FRONT, token).await {
            Ok(Holder::Other(owner)) => self.forward_to(&owner, secret).await,
            Ok(Holder::Me) | Err(_) => Route::Local,
        }
    }

    /// Where a REST call bound to a connection of `token` is served: here when the connection
    /// is `known_here`, a peer forwarded the call, or Redis cannot tell; else at the lease
    /// holder (where the connection lives).
    pub async fn pnut_call_route(
        &self,
        token: &str,
        known_here: bool,
        headers: &HeaderMap,
    ) -> Route {
        if known_here || self.is_from_peer(headers) {
            return Route::Local;
        }
        let Some(secret) = self.ensure_advertised().await else {
            return Route::Local;
        };
        match self.holder(FRONT, token).await {
            Ok(Some(owner)) if owner != self.instance_id() => self.forward_to(&owner, secret).await,
            _ => Route::Local,
        }
    }

    async fn forward_to(&self, owner: &str, secret: String) -> Route {
        match self.peer_url(owner).await {
            Ok(Some(base)) => Route::Forward { base, secret },
            Ok(None) => Route::OwnerUnreachable,
            Err(ClusterError::Down | ClusterError::Timeout | ClusterError::Redis(_)) => {
                Route::Local
            }
            Err(ClusterError::Url(_)) => Route::OwnerUnreachable,
        }
    }

    /// Holds `token`'s pnut-front lease while the returned session lives (a connection served
    /// here); see [`LocalSession`].
    pub fn pnut_local_session(self: &Arc<Self>, token: &str) -> LocalSession {
        LocalSession::hold(self, token)
    }
}
