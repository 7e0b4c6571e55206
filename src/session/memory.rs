//! Gives the memory of ended sessions back to the operating system. glibc's allocator keeps
//! freed memory in its arenas (5,000 sessions that came and went left the bridge at its peak
//! RSS: benches/RESULTS.md, scenario e); a `malloc_trim` a few seconds after sessions ended
//! returns the free pages of every arena. Other allocators and platforms: nothing to do.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::front::Drain;

/// How often ended sessions are looked for (at most one trim per period).
pub const TRIM_EVERY: Duration = Duration::from_secs(5);

/// Sessions ended since the last trim (process-wide: the allocator is).
static ENDED_SINCE_TRIM: AtomicU64 = AtomicU64::new(0);

/// Notes that a session's task ended and freed its state.
pub fn note_ended() {
    ENDED_SINCE_TRIM.fetch_add(1, Ordering::Relaxed);
}

/// Every [`TRIM_EVERY`] until the drain: trims the allocator if sessions ended meanwhile
/// (on a blocking thread: a trim walks every arena).
pub async fn return_freed_memory(drain: Drain) {
    let mut every = tokio::time::interval(TRIM_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = drain.requested() => return,
            _ = every.tick() => {
                if ENDED_SINCE_TRIM.swap(0, Ordering::Relaxed) > 0 {
                    let _ = tokio::task::spawn_blocking(trim).await;
                }
            }
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim only releases free memory of glibc's own arenas; it has no
    // preconditions and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
