//! The limiter an upstream client uses now, swappable by a config reload.

use std::sync::{Arc, PoisonError, RwLock};

use super::UpstreamLimiter;

/// Holds the current limiter; a call takes the one current when it starts and keeps it.
#[derive(Debug)]
pub struct LimiterSlot {
    current: RwLock<Arc<UpstreamLimiter>>,
}

impl LimiterSlot {
    /// A slot holding `limiter`.
    pub fn new(limiter: Arc<UpstreamLimiter>) -> Self {
        Self {
            current: RwLock::new(limiter),
        }
    }

    /// The limiter calls go through now.
    pub fn current(&self) -> Arc<UpstreamLimiter> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Replaces the limiter: later calls use `limiter`, whose buckets start full; the old
    /// limiter's running 429 pauses and its counts are carried over.
    pub fn replace(&self, limiter: Arc<UpstreamLimiter>) {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        limiter.carry_pauses_from(&current);
        limiter.carry_counts_from(&current);
        *current = limiter;
    }
}
