//! The pnut-front session lease of a token on the instance serving it: one keeper task per
//! token while any of its tool connections is served here, renewing the lease every third of
//! `lease_ttl`. A renewal that finds the lease held elsewhere (Redis was down and another
//! instance took it, or Redis lost it) tells the local connections to close, so their tools
//! reconnect and reach the owner; Redis down: the connections stay (served locally,
//! degraded), and the next renewal after Redis came back decides.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::watch;

use super::FRONT;
use crate::cluster::{Cluster, Holder, token_key};

/// One token's keeper, shared by the token's local connections.
#[derive(Debug)]
struct Keeper {
    generation: u64,
    users: usize,
    lost: watch::Receiver<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// The keepers of this instance, by token key.
#[derive(Debug, Default)]
pub(crate) struct Keepers {
    keepers: Mutex<HashMap<String, Keeper>>,
    next: AtomicU64,
}

impl Keepers {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Keeper>> {
        self.keepers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn next_generation(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }
}

/// A local connection's hold on its token's lease keeper: [`LocalSession::moved`] resolves
/// when the session is owned elsewhere and the connection should close. Dropping the last
/// hold of a token stops its keeper and releases the lease.
#[derive(Debug)]
pub struct LocalSession {
    cluster: Arc<Cluster>,
    token: String,
    generation: u64,
    lost: watch::Receiver<bool>,
}

impl LocalSession {
    /// Holds `token`'s keeper on `cluster`, starting it if this is the token's first local
    /// connection.
    pub(crate) fn hold(cluster: &Arc<Cluster>, token: &str) -> Self {
        let key = token_key(token);
        let mut keepers = cluster.keepers.lock();
        if let Some(keeper) = keepers.get_mut(&key)
            && !*keeper.lost.borrow()
        {
            keeper.users += 1;
            return Self {
                cluster: Arc::clone(cluster),
                token: token.to_owned(),
                generation: keeper.generation,
                lost: keeper.lost.clone(),
            };
        }
        let generation = cluster.keepers.next_generation();
        let (lost_tx, lost) = watch::channel(false);
        let task = tokio::spawn(keep(Arc::downgrade(cluster), token.to_owned(), lost_tx));
        if let Some(old) = keepers.insert(
            key,
            Keeper {
                generation,
                users: 1,
                lost: lost.clone(),
                task,
            },
        ) {
            old.task.abort();
        }
        Self {
            cluster: Arc::clone(cluster),
            token: token.to_owned(),
            generation,
            lost,
        }
    }

    /// Resolves once the token's session is owned by another instance.
    pub async fn moved(&mut self) {
        if self.lost.wait_for(|lost| *lost).await.is_err() {
            // The keeper ended without a verdict (the cluster is going away): never resolves.
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for LocalSession {
    fn drop(&mut self) {
        let key = token_key(&self.token);
        let mut keepers = self.cluster.keepers.lock();
        let Some(keeper) = keepers.get_mut(&key) else {
            return;
        };
        if keeper.generation != self.generation {
            return;
        }
        keeper.users = keeper.users.saturating_sub(1);
        if keeper.users > 0 {
            return;
        }
        if let Some(keeper) = keepers.remove(&key) {
            keeper.task.abort();
            let lost = *keeper.lost.borrow();
            drop(keepers);
            // Let the lease go at once (another instance need not wait for it to run out).
            if !lost && let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let cluster = Arc::clone(&self.cluster);
                let token = std::mem::take(&mut self.token);
                runtime.spawn(async move {
                    let _ = cluster.release(FRONT, &token).await;
                });
            }
        }
    }
}

/// Renews `token`'s lease every third of `lease_ttl` until another instance holds it.
async fn keep(cluster: Weak<Cluster>, token: String, lost: watch::Sender<bool>) {
    let every = match cluster.upgrade() {
        Some(cluster) => (cluster.settings().lease_ttl / 3).max(Duration::from_millis(10)),
        None => return,
    };
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(cluster) = cluster.upgrade() else {
            return;
        };
        if !cluster.is_up() {
            continue;
        }
        if let Ok(Holder::Other(owner)) = cluster.claim(FRONT, &token).await {
            tracing::info!(
                token = %crate::ratelimit::token_hash(&token),
                owner = %owner,
                "cluster: the pnut session moved to another instance; closing its local connections"
            );
            let _ = lost.send(true);
            return;
        }
    }
}
