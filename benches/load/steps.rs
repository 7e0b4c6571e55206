//! Driving events at a fixed offered rate and measuring what the clients received.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::time::Instant;

use crate::bridge::ProcStats;
use crate::stats::{Latency, Stats, now_nanos};
use crate::upstream::Source;

/// How long a step may take to deliver its tail after the last event was sent.
const DRAIN: Duration = Duration::from_secs(2);
/// Granularity of the delivery check while draining (a bench, not a test: polling is fine).
const POLL: Duration = Duration::from_millis(5);

/// The outcome of one offered-rate step.
#[derive(Debug, Clone, Copy, Default)]
pub struct Step {
    /// Events per second offered upstream.
    pub offered_eps: f64,
    /// Events actually sent (the source may not keep up with the offered rate).
    pub sent: u64,
    /// Client frames expected (`sent` × clients reached).
    pub expected: u64,
    /// Client frames received.
    pub received: u64,
    /// Client frames received per second over the step (send time + tail).
    pub delivered_fps: f64,
    /// End-to-end latency.
    pub latency: Latency,
    /// CPU seconds the bridge used during the step (0 for the baseline).
    pub cpu_secs: f64,
    /// Bridge RSS at the end of the step.
    pub rss_bytes: u64,
    /// Clients whose socket was closed so far.
    pub closed: u64,
}

impl Step {
    /// Received / expected.
    pub fn ratio(&self) -> f64 {
        if self.expected == 0 {
            return 0.0;
        }
        self.received as f64 / self.expected as f64
    }

    /// Delivered at least 95 % with a p99 under one second.
    pub fn kept_up(&self) -> bool {
        self.ratio() >= 0.95 && self.latency.p99_us < 1_000_000
    }
}

/// Emits events (warm-up) until every one of `clients` received a stamped frame.
pub async fn warm_up(
    source: &Source<'_>,
    stats: &Arc<Stats>,
    clients: usize,
    limit: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    while (stats.ready.load(Ordering::Relaxed) as usize) < clients {
        if Instant::now() > deadline {
            return Err(format!(
                "warm-up: only {} of {clients} clients got an event within {limit:?}",
                stats.ready.load(Ordering::Relaxed)
            ));
        }
        source.emit(now_nanos()).await?;
        let wait_until = Instant::now() + Duration::from_millis(200);
        while Instant::now() < wait_until
            && (stats.ready.load(Ordering::Relaxed) as usize) < clients
        {
            tokio::time::sleep(POLL).await;
        }
    }
    Ok(())
}

/// Offers `rate` events/s for `duration`, each reaching `fanout` client frames.
pub async fn run_step(
    source: &Source<'_>,
    stats: &Arc<Stats>,
    rate: f64,
    duration: Duration,
    fanout: u64,
    proc: &dyn Fn() -> ProcStats,
) -> Result<Step, String> {
    stats.reset();
    let cpu_before = proc().cpu_secs;
    let total = (rate * duration.as_secs_f64()).round().max(1.0) as u64;
    let start = Instant::now();
    let mut sent = 0u64;
    while sent < total {
        let due = ((start.elapsed().as_secs_f64() * rate) as u64 + 1).min(total);
        while sent < due {
            source.emit(now_nanos()).await?;
            sent += 1;
        }
        if start.elapsed() > duration * 2 {
            break; // the source itself cannot keep up; report what was sent
        }
        let next = start + Duration::from_secs_f64(sent as f64 / rate);
        tokio::time::sleep_until(next).await;
    }
    let expected = sent * fanout;
    let sent_at = Instant::now();
    while stats.frames.load(Ordering::Relaxed) < expected && sent_at.elapsed() < DRAIN {
        tokio::time::sleep(POLL).await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let received = stats.frames.load(Ordering::Relaxed);
    let after = proc();
    Ok(Step {
        offered_eps: rate,
        sent,
        expected,
        received,
        delivered_fps: received as f64 / elapsed,
        latency: stats.latency(),
        cpu_secs: after.cpu_secs - cpu_before,
        rss_bytes: after.rss_bytes,
        closed: stats.closed.load(Ordering::Relaxed),
    })
}

/// Runs `rates` in order, stopping after the first step that fell behind.
pub async fn ladder(
    source: &Source<'_>,
    stats: &Arc<Stats>,
    rates: &[f64],
    duration: Duration,
    fanout: u64,
    proc: &dyn Fn() -> ProcStats,
) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for &rate in rates {
        let step = run_step(source, stats, rate, duration, fanout, proc).await?;
        eprintln!(
            "  {rate:>6} ev/s: {:.0} frames/s, {:.1} % delivered, p50 {} µs p99 {} µs max {} µs",
            step.delivered_fps,
            step.ratio() * 100.0,
            step.latency.p50_us,
            step.latency.p99_us,
            step.latency.max_us
        );
        let kept_up = step.kept_up();
        steps.push(step);
        if !kept_up {
            break;
        }
    }
    Ok(steps)
}

/// The fastest step that kept up (by delivered frames/s).
pub fn best(steps: &[Step]) -> Option<&Step> {
    steps
        .iter()
        .filter(|step| step.kept_up())
        .max_by(|a, b| a.delivered_fps.total_cmp(&b.delivered_fps))
}
