//! A client's outbound queue, bounded in bytes (`limits.outbound_queue`): producers never
//! block; a push that would overflow marks the client a slow consumer, to be closed with 1008.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::{Notify, mpsc};

/// Most frames a queue holds regardless of their size.
const MAX_QUEUED_FRAMES: usize = 4096;

/// The producer side of one client's outbound queue (cheap to clone).
#[derive(Debug, Clone)]
pub struct ClientSink {
    frames: mpsc::Sender<Arc<str>>,
    shared: Arc<QueueShared>,
}

#[derive(Debug)]
struct QueueShared {
    queued_bytes: AtomicUsize,
    limit: usize,
    slow: AtomicBool,
    slow_notify: Notify,
}

/// The consumer side, owned by the client's socket task.
#[derive(Debug)]
pub struct ClientQueue {
    frames: mpsc::Receiver<Arc<str>>,
    shared: Arc<QueueShared>,
}

/// A queue holding at most `limit` bytes of frames.
pub fn client_queue(limit: usize) -> (ClientSink, ClientQueue) {
    let (tx, rx) = mpsc::channel(MAX_QUEUED_FRAMES);
    let shared = Arc::new(QueueShared {
        queued_bytes: AtomicUsize::new(0),
        limit: limit.max(1),
        slow: AtomicBool::new(false),
        slow_notify: Notify::new(),
    });
    (
        ClientSink {
            frames: tx,
            shared: Arc::clone(&shared),
        },
        ClientQueue { frames: rx, shared },
    )
}

impl ClientSink {
    /// Queues one JSON text frame; on overflow marks the client slow and drops the frame.
    /// Returns false when the frame was not queued.
    pub fn push(&self, frame: Arc<str>) -> bool {
        if self.shared.slow.load(Ordering::Acquire) {
            return false;
        }
        let len = frame.len();
        let before = self.shared.queued_bytes.fetch_add(len, Ordering::AcqRel);
        if before.saturating_add(len) > self.shared.limit || self.frames.try_send(frame).is_err() {
            self.shared.queued_bytes.fetch_sub(len, Ordering::AcqRel);
            self.mark_slow();
            return false;
        }
        true
    }

    /// True once the client's socket task has gone.
    pub fn is_closed(&self) -> bool {
        self.frames.is_closed()
    }

    fn mark_slow(&self) {
        self.shared.slow.store(true, Ordering::Release);
        self.shared.slow_notify.notify_one();
    }
}

impl ClientQueue {
    /// The next frame; `None` when every sink is gone.
    pub async fn next(&mut self) -> Option<Arc<str>> {
        let frame = self.frames.recv().await?;
        self.shared
            .queued_bytes
            .fetch_sub(frame.len(), Ordering::AcqRel);
        Some(frame)
    }

    /// A handle that resolves once a producer overflowed the queue.
    pub fn slow_signal(&self) -> SlowSignal {
        SlowSignal {
            shared: Arc::clone(&self.shared),
        }
    }
}

/// Observes whether a queue overflowed (its client is a slow consumer).
#[derive(Debug)]
pub struct SlowSignal {
    shared: Arc<QueueShared>,
}

impl SlowSignal {
    /// Resolves once a producer overflowed the queue.
    pub async fn overflowed(&self) {
        loop {
            let notified = self.shared.slow_notify.notified();
            if self.shared.slow.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }
}
