//! Latency histogram (lock-free, log-linear µs buckets) and delivery counters shared by all
//! load clients.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Exact buckets below this many µs; log-linear (128 per power of two) above.
const LINEAR: u64 = 1024;
const SUB_BITS: u32 = 7;
const BUCKETS: usize = LINEAR as usize + 54 * (1 << SUB_BITS);

/// Marker in front of the send timestamp (nanos since the UNIX epoch) in an event's text.
pub const MARK: &str = "~T~";

/// Nanoseconds since the UNIX epoch.
pub fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Text of an event sent at `nanos`: the marker, the timestamp, padding words.
pub fn event_text(nanos: u64) -> String {
    format!("{MARK}{nanos}{MARK} load event")
}

/// The timestamp carried by a frame (the digits between the first two markers).
pub fn parse_stamp(frame: &str) -> Option<u64> {
    let start = frame.find(MARK)? + MARK.len();
    let rest = frame.get(start..)?;
    let end = rest.find(MARK)?;
    rest.get(..end)?.parse().ok()
}

fn bucket(us: u64) -> usize {
    if us < LINEAR {
        return us as usize;
    }
    let exp = 63 - us.leading_zeros();
    let sub = (us >> (exp - SUB_BITS)) & ((1 << SUB_BITS) - 1);
    let index = LINEAR as usize + (exp as usize - 10) * (1 << SUB_BITS) + sub as usize;
    index.min(BUCKETS - 1)
}

fn bucket_value(index: usize) -> u64 {
    if index < LINEAR as usize {
        return index as u64;
    }
    let rel = index - LINEAR as usize;
    let exp = (rel >> SUB_BITS) as u32 + 10;
    let sub = (rel & ((1 << SUB_BITS) - 1)) as u64;
    (1u64 << exp) + (sub << (exp - SUB_BITS))
}

/// Counters every client updates on each frame.
pub struct Stats {
    buckets: Vec<AtomicU64>,
    /// Frames carrying a timestamp received by all clients.
    pub frames: AtomicU64,
    /// Largest latency seen (µs).
    pub max_us: AtomicU64,
    /// Clients whose socket ended.
    pub closed: AtomicU64,
    /// Clients that received at least one stamped frame.
    pub ready: AtomicU64,
}

/// A summary of the latencies recorded since the last reset.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    /// Median (µs).
    pub p50_us: u64,
    /// 99th percentile (µs).
    pub p99_us: u64,
    /// Maximum (µs).
    pub max_us: u64,
}

impl Stats {
    /// Empty counters.
    pub fn new() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            frames: AtomicU64::new(0),
            max_us: AtomicU64::new(0),
            closed: AtomicU64::new(0),
            ready: AtomicU64::new(0),
        }
    }

    /// Records one frame that arrived at `now` carrying `sent` (both nanos).
    pub fn record(&self, sent: u64, now: u64) {
        let us = now.saturating_sub(sent) / 1000;
        if let Some(b) = self.buckets.get(bucket(us)) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        self.frames.fetch_add(1, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
    }

    /// Clears the latency histogram and frame count.
    pub fn reset(&self) {
        for b in &self.buckets {
            b.store(0, Ordering::Relaxed);
        }
        self.frames.store(0, Ordering::Relaxed);
        self.max_us.store(0, Ordering::Relaxed);
    }

    /// Percentiles of the samples since the last reset.
    pub fn latency(&self) -> Latency {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let count: u64 = counts.iter().sum();
        let pick = |q: f64| {
            let wanted = ((count as f64) * q).ceil().max(1.0) as u64;
            let mut seen = 0;
            for (index, c) in counts.iter().enumerate() {
                seen += c;
                if seen >= wanted {
                    return bucket_value(index);
                }
            }
            0
        };
        Latency {
            p50_us: pick(0.50),
            p99_us: pick(0.99),
            max_us: self.max_us.load(Ordering::Relaxed),
        }
    }
}

/// Self-checks of the histogram and stamp parsing (run by the smoke mode).
pub fn self_check() {
    buckets_round_trip_within_one_percent();
    stamp_round_trips_through_text();
}

fn buckets_round_trip_within_one_percent() {
    for us in [0, 1, 999, 1023, 1024, 1500, 50_000, 3_000_000] {
        let v = bucket_value(bucket(us));
        assert!(v <= us && us - v <= us / 100 + 1, "{us} -> {v}");
    }
}

fn stamp_round_trips_through_text() {
    let frame = format!(r#"{{"text":"{}"}}"#, event_text(42));
    assert_eq!(parse_stamp(&frame), Some(42));
}
