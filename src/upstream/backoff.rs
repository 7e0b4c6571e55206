//! Reconnect backoff: exponential, capped, with jitter (the `backon` crate), reset after a
//! healthy period.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use tokio::time::Instant;

/// Exponential reconnect backoff with "equal jitter": attempt n waits a random time in
/// `[d/2, d]` where `d = min(max, min · 2ⁿ)`. [`Backoff::connected`] + [`Backoff::disconnected`]
/// reset it when the connection stayed up for at least `healthy_after`.
#[derive(Debug)]
pub struct Backoff {
    /// backon's delays with half the bounds: its jitter adds up to the base delay again.
    builder: ExponentialBuilder,
    delays: ExponentialBackoff,
    healthy_after: Duration,
    attempt: u32,
    connected_at: Option<Instant>,
}

impl Backoff {
    /// A backoff between `min` and `max`, reset after `healthy_after` of uptime.
    pub fn new(min: Duration, max: Duration, healthy_after: Duration) -> Self {
        let min = min.max(Duration::from_millis(2));
        let max = max.max(min);
        let builder = ExponentialBuilder::new()
            .with_min_delay(min / 2)
            .with_max_delay(max / 2)
            .with_jitter()
            .without_max_times();
        Self {
            delays: builder.build(),
            builder,
            healthy_after,
            attempt: 0,
            connected_at: None,
        }
    }

    /// The next delay to wait before reconnecting (advances the attempt counter).
    pub fn next_delay(&mut self) -> Duration {
        self.attempt = self.attempt.saturating_add(1);
        self.delays
            .next()
            .unwrap_or_else(|| self.builder.build().next().unwrap_or_default())
    }

    /// Records that a connection is up.
    pub fn connected(&mut self) {
        self.connected_at = Some(Instant::now());
    }

    /// Records that the connection went down; resets the attempts if it had been healthy.
    pub fn disconnected(&mut self) {
        if let Some(at) = self.connected_at.take()
            && at.elapsed() >= self.healthy_after
        {
            self.attempt = 0;
            self.delays = self.builder.build();
        }
    }

    /// Attempts made since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn grows_caps_and_resets_after_a_healthy_period() {
        let mut backoff = Backoff::new(
            Duration::from_millis(100),
            Duration::from_secs(1),
            Duration::from_secs(10),
        );
        let first = backoff.next_delay();
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
        for _ in 0..10 {
            assert!(backoff.next_delay() <= Duration::from_secs(1));
        }
        let capped = backoff.next_delay();
        assert!(capped >= Duration::from_millis(500));
        backoff.connected();
        backoff.disconnected();
        assert!(backoff.attempts() > 0, "short connection does not reset");
        backoff.connected();
        tokio::time::sleep(Duration::from_secs(11)).await;
        backoff.disconnected();
        assert_eq!(backoff.attempts(), 0);
    }
}
