//! The outbound side of one tool connection: a frame queue bounded in frames and in bytes
//! (`limits.outbound_queue`, mapping.md §7), and the signal that closes the connection.
//! A push that would overflow either bound marks the connection a slow consumer and closes
//! it — never unbounded buffering, never silent loss on a connection that stays open.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::{Notify, mpsc};

/// Sender side of a tool connection (cheap to clone; held by the registry and hubs).
#[derive(Debug, Clone)]
pub struct ConnectionPipe {
    outbound: mpsc::Sender<String>,
    kill: Arc<Notify>,
    queued_bytes: Arc<AtomicU64>,
    max_bytes: u64,
    slow: Arc<AtomicBool>,
}

impl ConnectionPipe {
    /// A pipe holding at most `frames` frames and `max_bytes` bytes of queued JSON text, and
    /// the receiver the socket task drains.
    pub fn new(frames: usize, max_bytes: u64) -> (Self, mpsc::Receiver<String>) {
        let (outbound, receiver) = mpsc::channel(frames.max(1));
        let pipe = Self {
            outbound,
            kill: Arc::new(Notify::new()),
            queued_bytes: Arc::new(AtomicU64::new(0)),
            max_bytes,
            slow: Arc::new(AtomicBool::new(false)),
        };
        (pipe, receiver)
    }

    /// Queues a frame; when a bound would be exceeded the frame is dropped and the connection
    /// is closed as a slow consumer.
    pub fn push(&self, text: String) {
        let len = text.len() as u64;
        let before = self.queued_bytes.fetch_add(len, Ordering::SeqCst);
        if before.saturating_add(len) > self.max_bytes || self.outbound.try_send(text).is_err() {
            self.queued_bytes.fetch_sub(len, Ordering::SeqCst);
            self.slow.store(true, Ordering::SeqCst);
            self.kill.notify_one();
        }
    }

    /// The socket task wrote a frame of `len` bytes.
    pub fn sent(&self, len: usize) {
        self.queued_bytes.fetch_sub(len as u64, Ordering::SeqCst);
    }

    /// Asks the socket task to close the connection (DELETE of the connection).
    pub fn close(&self) {
        self.kill.notify_one();
    }

    /// Completes when the connection must close.
    pub async fn closing(&self) {
        self.kill.notified().await;
    }

    /// Whether the close is for a slow consumer.
    pub fn is_slow(&self) -> bool {
        self.slow.load(Ordering::SeqCst)
    }
}
