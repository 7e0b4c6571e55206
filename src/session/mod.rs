//! Sessions: everything the bridge holds for one upstream token — its upstream streams,
//! subscriptions or channel connections, caches (mapping.md §8). Both fronts keep their
//! per-token state (the Misskey front's pnut pool, the pnut front's Misskey hub) as a session
//! in a [`Sessions`] registry, with one lifecycle:
//!
//! - a client takes a [`Lease`] on its token's session ([`Sessions::acquire`]), which starts
//!   the session on first use;
//! - when the last lease of a session is dropped, the session is idle; if no new lease comes
//!   within `idle_after` (`timeouts.session_idle`), the registry forgets it and cancels its
//!   [`SessionEnd`]: the session's task closes its upstream streams and frees its memory;
//! - a session whose task stopped on its own calls [`SessionEnd::ended`], and the next
//!   `acquire` starts a fresh one.
//!
//! The registry never awaits anything while it holds its lock (a std mutex: every critical
//! section is a map lookup or insert).

pub mod memory;

use std::collections::{HashMap, hash_map};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use prometheus_client::metrics::gauge::Gauge;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The end signal of one session (cheap to clone): the registry cancels it when the session
/// has been idle for its `idle_after`; the session's task cancels it when it stops on its own.
#[derive(Debug, Clone, Default)]
pub struct SessionEnd(CancellationToken);

impl SessionEnd {
    /// Resolves once the session must end (at once if it already must).
    pub async fn requested(&self) {
        self.0.cancelled().await;
    }

    /// Whether the session must end (or has ended).
    pub fn is_requested(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Marks the session ended by its own task (its state freed): the registry starts a
    /// fresh one next time, and the freed memory is returned ([`memory`]).
    pub fn ended(&self) {
        self.0.cancel();
        memory::note_ended();
    }
}

/// One live session in the registry.
#[derive(Debug)]
struct Entry<H> {
    handle: H,
    end: SessionEnd,
    generation: u64,
    leases: usize,
    /// When the last lease was dropped (`None` while leased).
    idle_since: Option<Instant>,
}

#[derive(Debug)]
struct Inner<H> {
    entries: Mutex<HashMap<String, Entry<H>>>,
    next_generation: AtomicU64,
    /// Live sessions (`pnutkey_sessions{upstream}`).
    gauge: Gauge,
    /// The number of sessions, published on every change (see [`Sessions::wait_for_len`]).
    len: tokio::sync::watch::Sender<usize>,
}

/// A registry of sessions keyed by upstream token (cheap to clone). `H` is the session's
/// handle (typically the sender of its task's command queue).
#[derive(Debug)]
pub struct Sessions<H> {
    inner: Arc<Inner<H>>,
}

impl<H> Clone for Sessions<H> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<H: Clone + Send + 'static> Sessions<H> {
    /// An empty registry whose live-session count is kept in `gauge`.
    pub fn new(gauge: Gauge) -> Self {
        Self {
            inner: Arc::new(Inner {
                entries: Mutex::new(HashMap::new()),
                next_generation: AtomicU64::new(1),
                gauge,
                len: tokio::sync::watch::Sender::new(0),
            }),
        }
    }

    /// A lease on the session of `token`: the live one, or a new one whose handle `start`
    /// makes (it gets the session's [`SessionEnd`] and must spawn, not await). The session
    /// lives while any lease does, and ends `idle_after` after its last lease is dropped.
    /// Must be called inside a tokio runtime (the idle timer is a spawned task).
    pub fn acquire(
        &self,
        token: &str,
        idle_after: Duration,
        start: impl FnOnce(SessionEnd) -> H,
    ) -> Lease<H> {
        let mut entries = self.lock();
        let new_entry = |start: Box<dyn FnOnce(SessionEnd) -> H + '_>| {
            let end = SessionEnd::default();
            Entry {
                handle: start(end.clone()),
                end,
                generation: self.inner.next_generation.fetch_add(1, Ordering::Relaxed),
                leases: 0,
                idle_since: None,
            }
        };
        let entry = match entries.entry(token.to_owned()) {
            hash_map::Entry::Occupied(live) if !live.get().end.is_requested() => live.into_mut(),
            hash_map::Entry::Occupied(mut ended) => {
                ended.insert(new_entry(Box::new(start)));
                ended.into_mut()
            }
            hash_map::Entry::Vacant(vacant) => {
                self.inner.gauge.inc();
                self.inner.len.send_modify(|n| *n += 1);
                vacant.insert(new_entry(Box::new(start)))
            }
        };
        entry.leases += 1;
        entry.idle_since = None;
        Lease {
            handle: entry.handle.clone(),
            end: entry.end.clone(),
            token: token.to_owned(),
            generation: entry.generation,
            idle_after,
            registry: self.clone(),
        }
    }

    /// The handle of `token`'s live session, without leasing it (e.g. to route a REST call to
    /// a session that clients keep alive); `None` when there is none.
    pub fn peek(&self, token: &str) -> Option<H> {
        self.lock()
            .get(token)
            .filter(|entry| !entry.end.is_requested())
            .map(|entry| entry.handle.clone())
    }

    /// The handles of every live session (e.g. to find those of one user).
    pub fn handles(&self) -> Vec<H> {
        self.lock()
            .values()
            .filter(|entry| !entry.end.is_requested())
            .map(|entry| entry.handle.clone())
            .collect()
    }

    /// Number of sessions in the registry (live or idle, not yet ended).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Awaits a moment when the number of sessions satisfies `done` (checked now and after
    /// every change); returns that number.
    pub async fn wait_for_len(&self, done: impl Fn(usize) -> bool) -> usize {
        let mut len = self.inner.len.subscribe();
        len.wait_for(|n| done(*n)).await.map_or(0, |n| *n)
    }

    /// Whether the registry holds no session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry<H>>> {
        self.inner
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A lease of generation `generation` was dropped.
    fn release(&self, token: &str, generation: u64, idle_after: Duration) {
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(token) else {
            return;
        };
        if entry.generation != generation {
            return;
        }
        entry.leases = entry.leases.saturating_sub(1);
        if entry.leases > 0 {
            return;
        }
        if entry.end.is_requested() {
            // The session already stopped on its own: forget it now.
            entries.remove(token);
            self.inner.gauge.dec();
            self.inner.len.send_modify(|n| *n = n.saturating_sub(1));
            return;
        }
        let since = Instant::now();
        entry.idle_since = Some(since);
        let registry = self.clone();
        let token = token.to_owned();
        tokio::spawn(async move {
            tokio::time::sleep_until(since + idle_after).await;
            registry.expire(&token, generation, since);
        });
    }

    /// Ends the session of `token` if it is still the one of `generation`, idle since `since`.
    fn expire(&self, token: &str, generation: u64, since: Instant) {
        let mut entries = self.lock();
        let idle = entries.get(token).is_some_and(|entry| {
            entry.generation == generation && entry.leases == 0 && entry.idle_since == Some(since)
        });
        if idle && let Some(entry) = entries.remove(token) {
            self.inner.gauge.dec();
            self.inner.len.send_modify(|n| *n = n.saturating_sub(1));
            entry.end.0.cancel();
        }
    }
}

/// One client's hold on a session; dropping it releases the hold.
#[derive(Debug)]
pub struct Lease<H: Clone + Send + 'static> {
    handle: H,
    end: SessionEnd,
    token: String,
    generation: u64,
    idle_after: Duration,
    registry: Sessions<H>,
}

impl<H: Clone + Send + 'static> Lease<H> {
    /// The session's handle.
    pub fn handle(&self) -> &H {
        &self.handle
    }

    /// Whether the session has ended (its task stopped, or it was ended): take a new lease.
    pub fn is_ended(&self) -> bool {
        self.end.is_requested()
    }
}

impl<H: Clone + Send + 'static> Drop for Lease<H> {
    fn drop(&mut self) {
        self.registry
            .release(&self.token, self.generation, self.idle_after);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Sessions<u32> {
        Sessions::new(Gauge::default())
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_ends_after_its_idle_time_and_not_before() {
        let sessions = registry();
        let idle = Duration::from_secs(300);
        let mut ends = Vec::new();
        let lease = sessions.acquire("t", idle, |end| {
            ends.push(end);
            1
        });
        let end = ends.pop().expect("started");
        drop(lease);
        tokio::time::sleep(idle - Duration::from_secs(1)).await;
        assert!(!end.is_requested(), "still within the idle time");
        let again = sessions.acquire("t", idle, |_| panic!("must reuse the live session"));
        assert_eq!(*again.handle(), 1);
        tokio::time::sleep(idle * 2).await;
        assert!(!end.is_requested(), "leased sessions never end");
        drop(again);
        tokio::time::sleep(idle + Duration::from_secs(1)).await;
        assert!(end.is_requested(), "ended after the idle time");
        assert!(sessions.is_empty());
        assert_eq!(sessions.inner.gauge.get(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_that_ended_itself_is_replaced() {
        let sessions = registry();
        let idle = Duration::from_secs(10);
        let mut first_end = None;
        let lease = sessions.acquire("t", idle, |end| {
            first_end = Some(end);
            1
        });
        first_end.expect("started").ended();
        assert!(lease.is_ended());
        let fresh = sessions.acquire("t", idle, |_| 2);
        assert_eq!(*fresh.handle(), 2);
        drop(lease);
        assert_eq!(
            sessions.len(),
            1,
            "the old lease does not touch the new session"
        );
        drop(fresh);
        tokio::time::sleep(idle * 2).await;
        assert!(sessions.is_empty());
        assert_eq!(sessions.inner.gauge.get(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_have_separate_sessions() {
        let sessions = registry();
        let idle = Duration::from_secs(10);
        let a = sessions.acquire("a", idle, |_| 1);
        let b = sessions.acquire("b", idle, |_| 2);
        assert_eq!((*a.handle(), *b.handle()), (1, 2));
        assert_eq!(sessions.peek("a"), Some(1));
        assert_eq!(sessions.inner.gauge.get(), 2);
        drop(a);
        tokio::time::sleep(idle * 2).await;
        assert_eq!(sessions.peek("a"), None);
        assert_eq!(sessions.peek("b"), Some(2));
    }
}
