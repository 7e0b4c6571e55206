//! Reconnect backoff: exponential, capped, with jitter, reset after a healthy period.

use std::time::Duration;

use tokio::time::Instant;

/// Exponential reconnect backoff with "equal jitter": attempt n waits a random time in
/// `[d/2, d]` where `d = min(max, min · 2ⁿ)`. [`Backoff::connected`] + [`Backoff::disconnected`]
/// reset it when the connection stayed up for at least `healthy_after`.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    healthy_after: Duration,
    attempt: u32,
    connected_at: Option<Instant>,
}

impl Backoff {
    /// A backoff between `min` and `max`, reset after `healthy_after` of uptime.
    pub fn new(min: Duration, max: Duration, healthy_after: Duration) -> Self {
        Self {
            min: min.max(Duration::from_millis(1)),
            max: max.max(min),
            healthy_after,
            attempt: 0,
            connected_at: None,
        }
    }

    /// The next delay to wait before reconnecting (advances the attempt counter).
    pub fn next_delay(&mut self) -> Duration {
        let factor = 2u32.saturating_pow(self.attempt.min(20));
        let full = self.min.saturating_mul(factor).min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let half = full / 2;
        let spread = u64::try_from((full - half).as_millis()).unwrap_or(0);
        half + Duration::from_millis(rand::random_range(0..=spread))
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
