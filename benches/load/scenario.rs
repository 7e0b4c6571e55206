//! The four load scenarios: each starts the sims, the bridge process and the clients, warms
//! up, measures, then (for rate ladders) repeats the ladder against the raw baseline.

use std::sync::Arc;
use std::time::Duration;

use crate::baseline::Baseline;
use crate::bridge::{Bridge, ProcStats};
use crate::clients::{self, Protocol};
use crate::stats::Stats;
use crate::steps::{self, Step};
use crate::upstream::{Sims, Source, UpstreamCounts};

/// Longest a warm-up may take.
const WARM_UP: Duration = Duration::from_secs(90);

/// Sizes and rates of one run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Offered rates (events/s) of the ladder, in order.
    pub rates: Vec<f64>,
    /// Length of one ladder step.
    pub step: Duration,
    /// Also run the raw baseline.
    pub baseline: bool,
    /// Profile the bridge with `perf record` during the ladder, into this file.
    pub perf: Option<String>,
}

/// What one scenario measured.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Scenario letter and title.
    pub name: String,
    /// Client connections.
    pub clients: usize,
    /// Distinct tokens.
    pub tokens: usize,
    /// Bridge process before any client connected.
    pub before: ProcStats,
    /// Bridge process with every client connected and warmed up, idle.
    pub idle: ProcStats,
    /// Ladder against the bridge.
    pub steps: Vec<Step>,
    /// Ladder against the raw baseline.
    pub baseline: Vec<Step>,
    /// Upstream connections/subscriptions/calls at the end.
    pub upstream: UpstreamCounts,
}

impl Outcome {
    /// Resident bytes per connected idle client.
    pub fn idle_rss_per_client(&self) -> f64 {
        self.idle.rss_bytes.saturating_sub(self.before.rss_bytes) as f64
            / self.clients.max(1) as f64
    }

    /// Resident bytes per client at the end of the heaviest step.
    pub fn loaded_rss_per_client(&self) -> f64 {
        let peak = self.steps.iter().map(|s| s.rss_bytes).max().unwrap_or(0);
        peak.saturating_sub(self.before.rss_bytes) as f64 / self.clients.max(1) as f64
    }
}

/// Which front and events a scenario exercises.
pub struct Shape {
    /// Scenario letter and title.
    pub name: String,
    /// One entry per client connection.
    pub tokens: Vec<String>,
    /// How clients subscribe.
    pub protocol: Protocol,
    /// `load-<i>` pnut accounts to seed.
    pub extra_users: usize,
    /// Events are pnut posts by this user (Misskey front) or, when `misskey`, Misskey notes.
    pub author: &'static str,
    /// Events come from the simulated Misskey (pnut front).
    pub misskey: bool,
}

/// Runs one scenario.
pub async fn run(shape: Shape, plan: &Plan) -> Result<Outcome, String> {
    eprintln!("scenario {}: {} clients", shape.name, shape.tokens.len());
    let sims = Sims::start(shape.extra_users).await?;
    let bridge = Bridge::spawn(
        &format!("{}/v1", sims.pnut.base_url()),
        &sims.pnut.stream_url(),
        &sims.misskey.base_url(),
    )?;
    let proc = || bridge.stats();
    let before = proc();
    let stats = Arc::new(Stats::new());
    let clients = clients::connect(&bridge.addr, &shape.tokens, &shape.protocol, &stats).await?;
    let source = if shape.misskey {
        Source::MisskeyNote(sims.misskey.control(), shape.author)
    } else {
        Source::PnutPost(sims.pnut.control(), shape.author)
    };
    steps::warm_up(&source, &stats, clients.len(), WARM_UP).await?;
    let idle = proc();
    eprintln!(
        "  idle: RSS {:.1} MiB (before clients {:.1} MiB)",
        mib(idle.rss_bytes),
        mib(before.rss_bytes)
    );
    let fanout = clients.len() as u64;
    let profiler = plan
        .perf
        .as_deref()
        .map(|output| bridge.profile(&format!("{output}.{}", letter(&shape.name))))
        .transpose()?;
    let steps = steps::ladder(&source, &stats, &plan.rates, plan.step, fanout, &proc).await?;
    if let Some(profiler) = profiler {
        profiler.stop();
    }
    let upstream = sims.upstream_counts().await;
    let sample = clients.sample.get().cloned();
    clients.stop();
    drop(bridge);
    let mut outcome = Outcome {
        name: shape.name,
        clients: shape.tokens.len(),
        tokens: distinct(&shape.tokens),
        before,
        idle,
        steps,
        baseline: Vec::new(),
        upstream,
    };
    if plan.baseline {
        let sample = sample.ok_or("no frame to model the baseline on")?;
        outcome.baseline = run_baseline(&sample, shape.tokens.len(), plan).await?;
    }
    Ok(outcome)
}

/// The same ladder against the raw broadcaster with `count` clients.
async fn run_baseline(sample: &str, count: usize, plan: &Plan) -> Result<Vec<Step>, String> {
    eprintln!(
        "  baseline: {count} clients, frame of {} bytes",
        sample.len()
    );
    let baseline = Baseline::start(sample).await?;
    let stats = Arc::new(Stats::new());
    let tokens = vec![String::new(); count];
    let clients = clients::connect(&baseline.addr, &tokens, &Protocol::Raw, &stats).await?;
    let source = Source::Baseline(&baseline);
    steps::warm_up(&source, &stats, clients.len(), WARM_UP).await?;
    let proc = ProcStats::default;
    let steps = steps::ladder(&source, &stats, &plan.rates, plan.step, count as u64, &proc).await?;
    clients.stop();
    baseline.stop();
    Ok(steps)
}

/// The scenario letter of `name` (`a: ...` → `a`).
fn letter(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}

fn distinct(tokens: &[String]) -> usize {
    let mut sorted: Vec<&String> = tokens.iter().collect();
    sorted.sort();
    sorted.dedup();
    sorted.len()
}

/// Bytes → MiB.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// (a) `clients` clients of one token on homeTimeline.
pub fn one_token(clients: usize) -> Shape {
    Shape {
        name: "a: one token, homeTimeline".into(),
        tokens: vec!["demo-alice".into(); clients],
        protocol: Protocol::Misskey {
            channels: vec!["homeTimeline"],
        },
        extra_users: 0,
        author: "bob",
        misskey: false,
    }
}

/// (b) `clients` idle clients of one token on homeTimeline (memory).
pub fn idle(clients: usize) -> Shape {
    Shape {
        name: "b: idle clients, memory".into(),
        ..one_token(clients)
    }
}

/// (c) `tokens` tokens × `per_token` clients on main + homeTimeline.
pub fn many_tokens(tokens: usize, per_token: usize) -> Shape {
    let list = (0..tokens)
        .flat_map(|t| std::iter::repeat_n(format!("load-{t}"), per_token))
        .collect();
    Shape {
        name: "c: many tokens, main + homeTimeline".into(),
        tokens: list,
        protocol: Protocol::Misskey {
            channels: vec!["main", "homeTimeline"],
        },
        extra_users: tokens,
        author: "load-0",
        misskey: false,
    }
}

/// (d) `clients` pnut tool connections of one token on `/v1/posts/streams/me`.
pub fn pnut_front(clients: usize) -> Shape {
    Shape {
        name: "d: pnut front, streams/me".into(),
        tokens: vec!["demo-alice".into(); clients],
        protocol: Protocol::Pnut {
            path: "/v1/posts/streams/me",
        },
        extra_users: 0,
        author: "bob",
        misskey: true,
    }
}
