//! A mutex whose writers announce themselves: every guard that was used mutably bumps a shared
//! change counter when it is released, so the control API can await "the state changed"
//! instead of polling (`wait_for_counts`).

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use tokio::sync::{Mutex, MutexGuard, watch};

/// A shared change counter, bumped once per released mutable guard.
pub type Changes = Arc<watch::Sender<u64>>;

/// A new change counter starting at 0.
pub fn changes() -> Changes {
    Arc::new(watch::Sender::new(0))
}

/// A `tokio::sync::Mutex` whose mutable uses bump `changes` on release.
#[derive(Debug)]
pub struct Tracked<T> {
    inner: Mutex<T>,
    changes: Changes,
}

impl<T> Tracked<T> {
    /// Wraps `value`; its mutable uses bump `changes`.
    pub fn new(value: T, changes: Changes) -> Self {
        Self {
            inner: Mutex::new(value),
            changes,
        }
    }

    /// Locks the value.
    pub async fn lock(&self) -> TrackedGuard<'_, T> {
        TrackedGuard {
            guard: self.inner.lock().await,
            changes: &self.changes,
            dirty: false,
        }
    }
}

/// A lock on a [`Tracked`] value; bumps the change counter on drop if it was used mutably.
#[derive(Debug)]
pub struct TrackedGuard<'a, T> {
    guard: MutexGuard<'a, T>,
    changes: &'a watch::Sender<u64>,
    dirty: bool,
}

impl<T> Deref for TrackedGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for TrackedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.dirty = true;
        &mut self.guard
    }
}

impl<T> Drop for TrackedGuard<'_, T> {
    fn drop(&mut self) {
        if self.dirty {
            self.changes.send_modify(|n| *n = n.wrapping_add(1));
        }
    }
}

/// Re-reads `read` after every change until `done` holds; returns that reading.
pub async fn wait_until<C, R, F>(changes: &Changes, mut read: R, done: impl Fn(&C) -> bool) -> C
where
    R: FnMut() -> F,
    F: Future<Output = C>,
{
    let mut seen = changes.subscribe();
    loop {
        seen.mark_unchanged();
        let current = read().await;
        if done(&current) || seen.changed().await.is_err() {
            return current;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_mutable_uses_bump_and_waiters_see_them() {
        let changes = changes();
        let value = Arc::new(Tracked::new(0_u32, Arc::clone(&changes)));
        let _ = *value.lock().await;
        assert_eq!(*changes.borrow(), 0, "a read-only lock is not a change");
        let writer = Arc::clone(&value);
        let task = tokio::spawn(async move {
            for _ in 0..3 {
                tokio::task::yield_now().await;
                *writer.lock().await += 1;
            }
        });
        let seen = wait_until(&changes, || async { *value.lock().await }, |n| *n == 3).await;
        assert_eq!(seen, 3);
        task.await.expect("writer");
        assert_eq!(*changes.borrow(), 3);
    }
}
