//! The instance's one Redis pub/sub connection, shared by every session relay: a task owns it
//! and the channel → listeners table, reconnects it when Redis comes back (resubscribing every
//! channel), and hands each message to its channel's listeners on their bounded queues (a full
//! queue drops the message: counted, and the fleet's periodic announcements repair lost state).
//!
//! Pub/sub rather than streams: an event is for the instances connected now (a missed one is
//! recovered by the takeover's backfill, not by replaying a log), and a message costs Redis
//! nothing once delivered — no trimming, no consumer groups, no per-event memory.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use prometheus_client::metrics::counter::Counter;
use tokio::sync::mpsc;

/// Commands the bus task takes (senders wait while it is full).
const COMMAND_QUEUE: usize = 256;

/// Where one listener gets its channel's messages.
pub type Listener = mpsc::Sender<Arc<str>>;

enum BusCommand {
    Subscribe {
        channel: String,
        listener: Listener,
        id: u64,
    },
    Unsubscribe {
        channel: String,
        id: u64,
    },
}

/// Handle on the pub/sub task (cheap to clone).
#[derive(Debug, Clone)]
pub struct Bus {
    commands: mpsc::Sender<BusCommand>,
    next_id: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for BusCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BusCommand")
    }
}

/// One subscription of a listener; unsubscribes when dropped.
#[derive(Debug)]
pub struct Subscription {
    bus: Bus,
    channel: String,
    id: u64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let command = BusCommand::Unsubscribe {
            channel: std::mem::take(&mut self.channel),
            id: self.id,
        };
        if let Err(mpsc::error::TrySendError::Full(command)) = self.bus.commands.try_send(command) {
            let commands = self.bus.commands.clone();
            tokio::spawn(async move { commands.send(command).await });
        }
    }
}

impl Bus {
    /// Spawns the pub/sub task for `client`; it ends when every handle is gone.
    pub(super) fn start(client: redis::Client, retry_every: Duration, dropped: Counter) -> Self {
        let (commands, inbox) = mpsc::channel(COMMAND_QUEUE);
        tokio::spawn(run(client, inbox, retry_every, dropped));
        Self {
            commands,
            next_id: Arc::new(std::sync::atomic::AtomicU64::new(1)),
        }
    }

    /// Delivers the messages of `channel` to `listener` while the returned handle lives.
    pub async fn subscribe(&self, channel: String, listener: Listener) -> Subscription {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let _ = self
            .commands
            .send(BusCommand::Subscribe {
                channel: channel.clone(),
                listener,
                id,
            })
            .await;
        Subscription {
            bus: self.clone(),
            channel,
            id,
        }
    }
}

type Table = HashMap<String, Vec<(u64, Listener)>>;

async fn run(
    client: redis::Client,
    mut inbox: mpsc::Receiver<BusCommand>,
    retry_every: Duration,
    dropped: Counter,
) {
    let mut table: Table = HashMap::new();
    loop {
        let connected = tokio::time::timeout(retry_every.max(Duration::from_millis(100)), async {
            client.get_async_pubsub().await
        })
        .await;
        let Ok(Ok(pubsub)) = connected else {
            // Redis down: keep the table current until the next attempt.
            let retry = tokio::time::sleep(retry_every);
            tokio::pin!(retry);
            loop {
                tokio::select! {
                    () = &mut retry => break,
                    command = inbox.recv() => match command {
                        Some(command) => { apply(&mut table, command); }
                        None => return,
                    },
                }
            }
            continue;
        };
        let (sink, mut stream) = pubsub.split();
        for channel in table.keys() {
            spawn_subscribe(&sink, channel.clone(), true);
        }
        loop {
            tokio::select! {
                command = inbox.recv() => match command {
                    Some(command) => {
                        if let Some((channel, subscribe)) = apply(&mut table, command) {
                            spawn_subscribe(&sink, channel, subscribe);
                        }
                    }
                    None => return,
                },
                message = stream.next() => match message {
                    Some(message) => dispatch(&mut table, &message, &dropped),
                    None => break,
                },
            }
        }
        tracing::debug!("cluster: pub/sub connection lost; reconnecting");
    }
}

/// Applies a command; returns the Redis (un)subscribe it needs (first listener, last one gone).
fn apply(table: &mut Table, command: BusCommand) -> Option<(String, bool)> {
    match command {
        BusCommand::Subscribe {
            channel,
            listener,
            id,
        } => {
            let listeners = table.entry(channel.clone()).or_default();
            listeners.push((id, listener));
            (listeners.len() == 1).then_some((channel, true))
        }
        BusCommand::Unsubscribe { channel, id } => {
            let listeners = table.get_mut(&channel)?;
            listeners.retain(|(held, _)| *held != id);
            if listeners.is_empty() {
                table.remove(&channel);
                return Some((channel, false));
            }
            None
        }
    }
}

/// The (un)subscribe call runs in its own task: the bus task never awaits Redis.
fn spawn_subscribe(sink: &redis::aio::PubSubSink, channel: String, subscribe: bool) {
    let mut sink = sink.clone();
    tokio::spawn(async move {
        let done = if subscribe {
            sink.subscribe(&channel).await
        } else {
            sink.unsubscribe(&channel).await
        };
        if let Err(error) = done {
            tracing::debug!(%error, "cluster: pub/sub (un)subscribe failed");
        }
    });
}

fn dispatch(table: &mut Table, message: &redis::Msg, dropped: &Counter) {
    let Some(listeners) = table.get_mut(message.get_channel_name()) else {
        return;
    };
    let Ok(payload) = message.get_payload::<String>() else {
        return;
    };
    let payload: Arc<str> = Arc::from(payload);
    listeners.retain(|(_, listener)| !listener.is_closed());
    for (_, listener) in listeners.iter() {
        if listener.try_send(Arc::clone(&payload)).is_err() {
            dropped.inc();
        }
    }
}
