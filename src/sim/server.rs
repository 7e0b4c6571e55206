//! The task plumbing both simulated servers share: serving a router on a bound listener with
//! graceful shutdown, an optional activity-generator task, and stopping both.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long a stopping server may take to finish its connections before it is aborted.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// A simulated server's background tasks: the HTTP server and its activity generator.
/// Dropping it aborts both.
#[derive(Debug)]
pub struct Background {
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    activity: Option<JoinHandle<()>>,
}

impl Background {
    /// Serves `router` on `listener` (with each connection's peer address available) and
    /// keeps the optional `activity` task, in the current runtime. `name` labels log lines.
    pub fn spawn(
        name: &'static str,
        listener: TcpListener,
        router: Router,
        activity: Option<JoinHandle<()>>,
    ) -> Self {
        let (shutdown, mut shutdown_rx) = watch::channel(false);
        let server = tokio::spawn(async move {
            let stopped = async move {
                let _ = shutdown_rx.wait_for(|stop| *stop).await;
            };
            let service = router.into_make_service_with_connect_info::<SocketAddr>();
            if let Err(error) = axum::serve(listener, service)
                .with_graceful_shutdown(stopped)
                .await
            {
                tracing::warn!(%error, "simulated {name} server stopped");
            }
        });
        Self {
            shutdown,
            server: Some(server),
            activity,
        }
    }

    /// Stops the activity generator and tells the server to stop accepting.
    pub fn begin_stop(&mut self) {
        if let Some(activity) = self.activity.take() {
            activity.abort();
        }
        let _ = self.shutdown.send(true);
    }

    /// Waits (at most 2 s) for the server task to finish its connections, then aborts it.
    pub async fn finish_stop(mut self) {
        self.begin_stop();
        if let Some(mut server) = self.server.take()
            && tokio::time::timeout(STOP_GRACE, &mut server).await.is_err()
        {
            server.abort();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(activity) = self.activity.take() {
            activity.abort();
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
