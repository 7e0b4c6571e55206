//! What both upstream stream clients share: the owner's handle on a background stream task,
//! how one connection attempt of that task ends, and how its websocket is opened.

use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::client::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Read buffer of each upstream websocket. tungstenite's default (128 KiB per connection) is
/// what one session cost most (5,000 sessions: ~640 MiB), and glibc kept it after the
/// sessions ended (benches/RESULTS.md, scenario e). Stream frames are small; the buffer grows
/// for bigger ones.
pub const UPSTREAM_READ_BUFFER: usize = 8 * 1024;

/// Idle keep-alive connections each REST client keeps per upstream host (reqwest's default is
/// unbounded: a burst of thousands of concurrent calls left as many idle connections, with
/// their buffers, for 90 s).
pub const MAX_IDLE_CONNECTIONS: usize = 32;

/// How long an idle keep-alive connection is kept.
pub const IDLE_CONNECTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A REST client builder with the bridge's connection-pool bounds and `request_timeout`.
pub fn rest_client_builder(request_timeout: std::time::Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(request_timeout)
        .pool_max_idle_per_host(MAX_IDLE_CONNECTIONS)
        .pool_idle_timeout(IDLE_CONNECTION_TIMEOUT)
}

/// Opens an upstream websocket with [`UPSTREAM_READ_BUFFER`] (TLS by the URL's scheme).
pub async fn connect_upstream(
    request: Request,
) -> Result<
    (WebSocketStream<MaybeTlsStream<TcpStream>>, Response),
    tokio_tungstenite::tungstenite::Error,
> {
    let config = WebSocketConfig::default().read_buffer_size(UPSTREAM_READ_BUFFER);
    tokio_tungstenite::connect_async_with_config(request, Some(config), false).await
}

/// The owner's side of a stream task: its events, its counters, and a way to stop it.
/// Dropping the handle aborts the task.
#[derive(Debug)]
pub struct TaskHandle<E, S> {
    events: mpsc::Receiver<E>,
    close: mpsc::Sender<()>,
    stats: watch::Receiver<S>,
    task: Option<JoinHandle<()>>,
}

impl<E, S> TaskHandle<E, S> {
    /// Wraps a spawned `task` that sends `events`, publishes `stats` and stops on `close`.
    pub fn new(
        events: mpsc::Receiver<E>,
        close: mpsc::Sender<()>,
        stats: watch::Receiver<S>,
        task: JoinHandle<()>,
    ) -> Self {
        Self {
            events,
            close,
            stats,
            task: Some(task),
        }
    }

    /// The next event; `None` once the task has ended.
    pub async fn next_event(&mut self) -> Option<E> {
        self.events.recv().await
    }

    /// A receiver of the task's counters.
    pub fn stats(&self) -> watch::Receiver<S> {
        self.stats.clone()
    }

    /// Closes the socket and waits for the task to end.
    pub async fn close(mut self) {
        let _ = self.close.try_send(());
        self.events.close();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl<E, S> Drop for TaskHandle<E, S> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// How a connection ended.
pub(crate) enum End {
    /// The owner asked to close or went away: stop for good.
    Stop,
    /// Lost: reconnect.
    Lost(String),
}

/// Why opening a connection failed.
pub(crate) enum OpenError {
    /// The upgrade was refused with this status: stop for good.
    Rejected(u16),
    /// Anything else: retry.
    Failed(String),
}

/// Sleeps until `deadline`, or forever without one (a `select!` branch for an optional timer).
pub async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
