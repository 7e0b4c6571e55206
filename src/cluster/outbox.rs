//! Fleet messages published from outside a session task (the session events of REST calls,
//! mapping.md §9): one bounded queue per instance, published in order by one task. A full
//! queue or Redis down refuses the message at once (counted when full), so the caller can
//! fall back to its local behaviour; a publish that fails later is lost (Redis went down).

use std::sync::Weak;

use tokio::sync::mpsc;

use super::Cluster;

/// Messages queued for publishing (beyond: refused, counted).
const OUTBOX_QUEUE: usize = 256;

/// The instance's queue of messages to publish.
#[derive(Debug)]
pub(super) struct Outbox {
    queue: mpsc::Sender<(String, String)>,
}

impl Outbox {
    /// Spawns the publishing task; it ends with the cluster (its queue's only sender).
    pub(super) fn start(cluster: Weak<Cluster>) -> Self {
        let (queue, messages) = mpsc::channel(OUTBOX_QUEUE);
        tokio::spawn(run(cluster, messages));
        Self { queue }
    }
}

async fn run(cluster: Weak<Cluster>, mut messages: mpsc::Receiver<(String, String)>) {
    while let Some((channel, message)) = messages.recv().await {
        let Some(cluster) = cluster.upgrade() else {
            return;
        };
        let _ = cluster.publish(&channel, &message).await;
    }
}

impl Cluster {
    /// Queues `message` for publishing on the fleet channel `channel`; false when nothing was
    /// queued: Redis is down, or the queue is full (counted in `messages_dropped`).
    pub fn publish_soon(&self, channel: String, message: String) -> bool {
        if !self.is_up() {
            return false;
        }
        if self.outbox.queue.try_send((channel, message)).is_err() {
            self.metrics().messages_dropped.inc();
            return false;
        }
        true
    }
}
