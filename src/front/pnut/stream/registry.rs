//! The directory of open tool connections: connection id → the token that opened it and that
//! token's hub. A map behind a mutex (no task; nothing is awaited while it is locked): HTTP
//! handlers look a connection up, check its owner, then talk to the hub themselves, so a
//! slow hub only ever delays the requests of its own token.

use std::collections::HashMap;
use std::collections::hash_map::Entry as MapEntry;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::hub::HubHandle;
use super::ids::random_id;
use super::refusal::Refusal;
use crate::front::BridgeContext;

/// The open tool connections of one bridge (in the [`BridgeContext`]).
#[derive(Default)]
pub struct Registry {
    connections: Mutex<HashMap<String, Connection>>,
}

struct Connection {
    token: String,
    hub: HubHandle,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the tokens.
        write!(f, "Registry({} connections)", self.lock().len())
    }
}

/// The registry of `ctx`.
pub fn registry(ctx: &BridgeContext) -> &Registry {
    ctx.pnut_streams.get_or_init(Registry::default)
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Connection>> {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a new connection of `token`, served by `hub`; returns its fresh id.
    pub fn register(&self, token: &str, hub: HubHandle) -> String {
        let mut connections = self.lock();
        loop {
            let id = random_id();
            if let MapEntry::Vacant(vacant) = connections.entry(id.clone()) {
                vacant.insert(Connection {
                    token: token.to_owned(),
                    hub,
                });
                return id;
            }
        }
    }

    /// Forgets a connection (its socket ended).
    pub fn remove(&self, connection_id: &str) {
        self.lock().remove(connection_id);
    }

    /// The hub serving `connection_id`, if `token` opened it.
    pub fn hub_of(&self, token: &str, connection_id: &str) -> Result<HubHandle, Refusal> {
        match self.lock().get(connection_id) {
            None => Err(Refusal::UnknownConnection),
            Some(connection) if connection.token != token => Err(Refusal::ForeignConnection),
            Some(connection) => Ok(connection.hub.clone()),
        }
    }

    /// Number of open connections.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
