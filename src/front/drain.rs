//! The bridge's graceful drain (mapping.md §7): one signal every client socket, Misskey-front
//! pool and pnut-front hub watches, and a tracker of those tasks so a stop can wait for them
//! (bounded by `timeouts.shutdown_grace`).

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TaskTrackerToken;

/// The drain signal and the tasks that must finish before a stop is complete (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct Drain {
    requested: CancellationToken,
    tasks: TaskTracker,
}

/// A drain that ran out of grace: how many tracked tasks were still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{unfinished} task(s) still running when the grace period ended")]
pub struct CutShort {
    /// Tracked tasks still running.
    pub unfinished: usize,
}

impl Drain {
    /// A drain that has not begun, tracking no task.
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns `task`, tracked: a stop waits for it.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tasks.spawn(task)
    }

    /// Counts the caller as a tracked task until the returned token is dropped (for tasks
    /// something else spawned, like axum's websocket upgrades).
    pub fn track(&self) -> TaskTrackerToken {
        self.tasks.token()
    }

    /// Resolves once the drain has begun (at once if it already has).
    pub async fn requested(&self) {
        self.requested.cancelled().await;
    }

    /// Whether the drain has begun.
    pub fn is_requested(&self) -> bool {
        self.requested.is_cancelled()
    }

    /// Begins the drain: every watcher is told to wrap up.
    pub fn begin(&self) {
        self.tasks.close();
        self.requested.cancel();
    }

    /// Waits until every tracked task has ended, at most `grace`; call after [`Drain::begin`].
    pub async fn finished(&self, grace: Duration) -> Result<(), CutShort> {
        match tokio::time::timeout(grace, self.tasks.wait()).await {
            Ok(()) => Ok(()),
            Err(_) => Err(CutShort {
                unfinished: self.tasks.len(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn finished_waits_for_tracked_tasks_that_watch_the_signal() {
        let drain = Drain::new();
        let watcher = drain.clone();
        drain.spawn(async move { watcher.requested().await });
        drain.begin();
        assert!(drain.is_requested());
        assert_eq!(drain.finished(Duration::from_secs(5)).await, Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn finished_reports_what_the_grace_cut_short() {
        let drain = Drain::new();
        let _held = drain.track();
        drain.spawn(std::future::pending::<()>());
        drain.begin();
        assert_eq!(
            drain.finished(Duration::from_secs(1)).await,
            Err(CutShort { unfinished: 2 })
        );
    }
}
