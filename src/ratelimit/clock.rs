//! A `governor` clock backed by tokio's (pausable) clock.

use std::time::Duration;

use governor::clock::Clock;
use tokio::time::Instant;

/// A `governor` clock reading `tokio::time::Instant`, so limiters follow paused test time.
/// Its instants are durations since the clock was created.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: Instant,
}

impl TokioClock {
    /// A clock whose zero is now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.origin)
    }
}
