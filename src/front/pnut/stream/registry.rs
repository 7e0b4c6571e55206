//! The subscription registry: one task owns every tool connection and its subscriptions;
//! handlers talk to it through a bounded command queue. Each token's events come from its
//! [`hub`](super::hub), which the registry starts with the token's first subscription and
//! stops (by dropping its command sender) when the token's last subscription ends.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Weak};

use tokio::sync::{mpsc, oneshot};

use super::hub::{self, HubCommand, SubSpec};
use super::ids::random_id;
pub use super::pipe::ConnectionPipe;
use super::subscribe::SubscribeError;
use crate::front::BridgeContext;

/// Capacity of the registry's command queue (senders wait while it is full).
const REGISTRY_QUEUE: usize = 256;

/// Why the registry refused or could not do something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such connection (or it belongs to another token, for deletes).
    UnknownConnection,
    /// The connection belongs to another token.
    ForeignConnection,
    /// The connection already has the maximum number of subscriptions.
    Full(u32),
}

enum Command {
    Open {
        token: String,
        pipe: ConnectionPipe,
        reply: oneshot::Sender<String>,
    },
    Closed {
        connection_id: String,
    },
    Subscribe {
        token: String,
        connection_id: String,
        spec: SubSpec,
        reply: oneshot::Sender<Result<(String, oneshot::Receiver<()>), Refusal>>,
    },
    Unsubscribe {
        token: String,
        connection_id: String,
        subscription_id: String,
        reply: oneshot::Sender<bool>,
    },
    DeleteConnection {
        token: String,
        connection_id: String,
        reply: oneshot::Sender<bool>,
    },
}

/// Handle of the registry task (cheap to clone).
#[derive(Clone)]
pub struct Registry {
    commands: mpsc::Sender<Command>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Registry")
    }
}

/// The registry of `ctx`: one task per context, started on first use (inside tokio) and
/// owned by the context.
pub fn registry(ctx: &Arc<BridgeContext>) -> Registry {
    ctx.pnut_streams
        .get_or_init(|| Registry::start(Arc::downgrade(ctx)))
        .clone()
}

impl Registry {
    fn start(ctx: Weak<BridgeContext>) -> Self {
        let (commands, rx) = mpsc::channel(REGISTRY_QUEUE);
        tokio::spawn(run(ctx, rx));
        Self { commands }
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(make(reply)).await.ok()?;
        answer.await.ok()
    }

    /// Registers a new tool connection of `token`; returns its connection id.
    pub async fn open(&self, token: String, pipe: ConnectionPipe) -> Option<String> {
        self.ask(|reply| Command::Open { token, pipe, reply }).await
    }

    /// The socket of `connection_id` has ended: its subscriptions end with it.
    pub async fn closed(&self, connection_id: String) {
        let _ = self.commands.send(Command::Closed { connection_id }).await;
    }

    /// Adds a subscription on `connection_id` of `token`; returns its id and a receiver that
    /// completes once the upstream channel connections are joined.
    pub async fn subscribe(
        &self,
        token: String,
        connection_id: String,
        spec: SubSpec,
    ) -> Result<(String, oneshot::Receiver<()>), SubscribeError> {
        match self
            .ask(|reply| Command::Subscribe {
                token,
                connection_id: connection_id.clone(),
                spec,
                reply,
            })
            .await
        {
            None => Err(SubscribeError::Unavailable),
            Some(Ok(done)) => Ok(done),
            Some(Err(Refusal::UnknownConnection)) => {
                Err(SubscribeError::UnknownConnection(connection_id))
            }
            Some(Err(Refusal::ForeignConnection)) => {
                Err(SubscribeError::ForeignConnection(connection_id))
            }
            Some(Err(Refusal::Full(max))) => {
                Err(SubscribeError::TooManySubscriptions { connection_id, max })
            }
        }
    }

    /// Ends subscription `subscription_id` of `connection_id` (of `token`); `false` if unknown.
    pub async fn unsubscribe(
        &self,
        token: String,
        connection_id: String,
        subscription_id: String,
    ) -> bool {
        self.ask(|reply| Command::Unsubscribe {
            token,
            connection_id,
            subscription_id,
            reply,
        })
        .await
        .unwrap_or(false)
    }

    /// Closes connection `connection_id` (of `token`); `false` if unknown.
    pub async fn delete_connection(&self, token: String, connection_id: String) -> bool {
        self.ask(|reply| Command::DeleteConnection {
            token,
            connection_id,
            reply,
        })
        .await
        .unwrap_or(false)
    }
}

struct Connection {
    token: String,
    pipe: ConnectionPipe,
    /// `limits.front_max_subscriptions_per_connection` when the connection opened.
    max_subscriptions: u32,
    subscriptions: BTreeMap<String, ()>,
}

struct HubEntry {
    commands: mpsc::Sender<HubCommand>,
    subscriptions: usize,
}

#[derive(Default)]
struct State {
    connections: HashMap<String, Connection>,
    hubs: HashMap<String, HubEntry>,
}

async fn run(ctx: Weak<BridgeContext>, mut commands: mpsc::Receiver<Command>) {
    let mut state = State::default();
    while let Some(command) = commands.recv().await {
        let Some(ctx) = ctx.upgrade() else { break };
        match command {
            Command::Open { token, pipe, reply } => {
                let id = random_id();
                state.connections.insert(
                    id.clone(),
                    Connection {
                        token,
                        pipe,
                        max_subscriptions: ctx
                            .config()
                            .limits
                            .front_max_subscriptions_per_connection,
                        subscriptions: BTreeMap::new(),
                    },
                );
                let _ = reply.send(id);
            }
            Command::Closed { connection_id } => {
                state.remove_connection(&connection_id).await;
            }
            Command::Subscribe {
                token,
                connection_id,
                spec,
                reply,
            } => {
                let answer = state.subscribe(&ctx, &token, &connection_id, spec).await;
                let _ = reply.send(answer);
            }
            Command::Unsubscribe {
                token,
                connection_id,
                subscription_id,
                reply,
            } => {
                let found = state
                    .unsubscribe(&token, &connection_id, &subscription_id)
                    .await;
                let _ = reply.send(found);
            }
            Command::DeleteConnection {
                token,
                connection_id,
                reply,
            } => {
                let owned = state
                    .connections
                    .get(&connection_id)
                    .is_some_and(|c| c.token == token);
                if owned {
                    if let Some(connection) = state.connections.get(&connection_id) {
                        connection.pipe.close();
                    }
                    state.remove_connection(&connection_id).await;
                }
                let _ = reply.send(owned);
            }
        }
    }
}

impl State {
    async fn subscribe(
        &mut self,
        ctx: &Arc<BridgeContext>,
        token: &str,
        connection_id: &str,
        spec: SubSpec,
    ) -> Result<(String, oneshot::Receiver<()>), Refusal> {
        let connection = self
            .connections
            .get_mut(connection_id)
            .ok_or(Refusal::UnknownConnection)?;
        if connection.token != token {
            return Err(Refusal::ForeignConnection);
        }
        let max = connection.max_subscriptions;
        if connection.subscriptions.len() >= max as usize {
            return Err(Refusal::Full(max));
        }
        let subscription_id = random_id();
        connection.subscriptions.insert(subscription_id.clone(), ());
        let pipe = connection.pipe.clone();
        let hub = self
            .hubs
            .entry(token.to_owned())
            .or_insert_with(|| HubEntry {
                commands: hub::start(Arc::clone(ctx), token.to_owned()),
                subscriptions: 0,
            });
        hub.subscriptions += 1;
        let (ready, ready_rx) = oneshot::channel();
        let _ = hub
            .commands
            .send(HubCommand::AddSubscription {
                connection_id: connection_id.to_owned(),
                subscription_id: subscription_id.clone(),
                pipe,
                spec,
                ready,
            })
            .await;
        Ok((subscription_id, ready_rx))
    }

    async fn unsubscribe(
        &mut self,
        token: &str,
        connection_id: &str,
        subscription_id: &str,
    ) -> bool {
        let Some(connection) = self.connections.get_mut(connection_id) else {
            return false;
        };
        if connection.token != token || connection.subscriptions.remove(subscription_id).is_none() {
            return false;
        }
        let token = connection.token.clone();
        self.release(&token, vec![subscription_id.to_owned()]).await;
        true
    }

    async fn remove_connection(&mut self, connection_id: &str) {
        let Some(connection) = self.connections.remove(connection_id) else {
            return;
        };
        let ids: Vec<String> = connection.subscriptions.into_keys().collect();
        self.release(&connection.token, ids).await;
    }

    /// Tells the token's hub to drop `subscription_ids`; stops the hub when none remain.
    async fn release(&mut self, token: &str, subscription_ids: Vec<String>) {
        if subscription_ids.is_empty() {
            return;
        }
        let Some(hub) = self.hubs.get_mut(token) else {
            return;
        };
        hub.subscriptions = hub.subscriptions.saturating_sub(subscription_ids.len());
        for subscription_id in subscription_ids {
            let _ = hub
                .commands
                .send(HubCommand::RemoveSubscription { subscription_id })
                .await;
        }
        if hub.subscriptions == 0 {
            self.hubs.remove(token);
        }
    }
}
