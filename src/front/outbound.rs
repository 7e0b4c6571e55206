//! A client connection's outbound queue, for both fronts, bounded in bytes
//! (`limits.outbound_queue`) and in frames: producers never block; a push that would overflow
//! marks the client a slow consumer, to be closed with 1008 (mapping.md §7). Producers can
//! also ask the socket to close (the pnut front's `DELETE /users/me/streams/{id}`). Frames
//! are shared (`Arc<str>`): one serialised frame goes to every client it is for, and reaches
//! the websocket without a copy ([`frame_text`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
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
    /// A producer asked the socket to close.
    close_requested: AtomicBool,
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
        close_requested: AtomicBool::new(false),
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

    /// Asks the socket to close (not as a slow consumer).
    pub fn close(&self) {
        self.shared.close_requested.store(true, Ordering::Release);
        self.shared.slow_notify.notify_one();
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

/// Why the socket of a queue must close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseCause {
    /// A producer overflowed the queue: a slow consumer.
    SlowConsumer,
    /// A producer asked for the close ([`ClientSink::close`]).
    Requested,
}

/// Observes whether the socket of a queue must close (a slow consumer, or a requested close).
#[derive(Debug)]
pub struct SlowSignal {
    shared: Arc<QueueShared>,
}

impl SlowSignal {
    /// Resolves once a producer overflowed the queue or asked for the close.
    pub async fn closing(&self) -> CloseCause {
        loop {
            let notified = self.shared.slow_notify.notified();
            if self.shared.slow.load(Ordering::Acquire) {
                return CloseCause::SlowConsumer;
            }
            if self.shared.close_requested.load(Ordering::Acquire) {
                return CloseCause::Requested;
            }
            notified.await;
        }
    }

    /// Resolves once a producer overflowed the queue (a requested close is not waited for).
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

/// A queued frame shared by every client it goes to, lent to the websocket without a copy.
struct SharedFrame(Arc<str>);

impl AsRef<[u8]> for SharedFrame {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// A queued frame as websocket text, without copying it (it is valid UTF-8 already; the
/// check is one pass over the bytes).
pub fn frame_text(frame: Arc<str>) -> Option<Utf8Bytes> {
    Utf8Bytes::try_from(Bytes::from_owner(SharedFrame(frame))).ok()
}
