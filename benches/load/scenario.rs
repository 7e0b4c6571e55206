//! The four load scenarios: each starts the sims, the bridge process and the clients, warms
//! up, measures, then (for rate ladders) repeats the ladder against the raw baseline.

use std::sync::Arc;
use std::time::Duration;

use crate::baseline::Baseline;
use crate::bridge::{Bridge, ProcStats};
use crate::clients::{self, Protocol};
use crate::redis::Redis;
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
    /// Bridge instances (more than one: a fleet on one Redis, clients spread evenly).
    pub instances: usize,
    /// Fleet only: Redis commands, and `PUBLISH`es, per event sent during the ladder.
    pub redis_per_event: Option<(f64, f64)>,
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
    /// Bridge instances; more than one run as a `[cluster]` fleet on one `redis-server`.
    pub instances: usize,
}

/// Runs one scenario.
pub async fn run(shape: Shape, plan: &Plan) -> Result<Outcome, String> {
    eprintln!("scenario {}: {} clients", shape.name, shape.tokens.len());
    let sims = Sims::start(shape.extra_users).await?;
    let redis = (shape.instances > 1).then(Redis::start).transpose()?;
    let mut bridges = Vec::new();
    for instance in 0..shape.instances.max(1) {
        let cluster: Vec<(&str, String)> = match &redis {
            Some(redis) => vec![
                ("PNUTKEY__CLUSTER__REDIS_URL", redis.url.clone()),
                ("PNUTKEY__CLUSTER__INSTANCE_ID", format!("load-{instance}")),
            ],
            None => Vec::new(),
        };
        bridges.push(Bridge::spawn_with(
            &format!("{}/v1", sims.pnut.base_url()),
            &sims.pnut.stream_url(),
            &sims.misskey.base_url(),
            &cluster,
        )?);
    }
    let proc = || {
        bridges
            .iter()
            .map(Bridge::stats)
            .fold(ProcStats::default(), |a, b| ProcStats {
                rss_bytes: a.rss_bytes + b.rss_bytes,
                cpu_secs: a.cpu_secs + b.cpu_secs,
            })
    };
    let before = proc();
    let stats = Arc::new(Stats::new());
    // Clients spread evenly over the instances (as a load balancer would).
    let mut groups = Vec::new();
    let per = shape.tokens.len().div_ceil(bridges.len());
    for (bridge, tokens) in bridges.iter().zip(shape.tokens.chunks(per.max(1))) {
        groups.push(clients::connect(&bridge.addr, tokens, &shape.protocol, &stats).await?);
    }
    let clients = Group(groups);
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
    let profiler = match (&plan.perf, bridges.first()) {
        (Some(output), Some(bridge)) => {
            Some(bridge.profile(&format!("{output}.{}", letter(&shape.name)))?)
        }
        _ => None,
    };
    let redis_before = match &redis {
        Some(redis) => Some(redis.commands().await?),
        None => None,
    };
    let steps = steps::ladder(&source, &stats, &plan.rates, plan.step, fanout, &proc).await?;
    if let Some(profiler) = profiler {
        profiler.stop();
    }
    let redis_per_event = match (&redis, redis_before) {
        (Some(redis), Some((total, publishes))) => {
            let (total_after, publishes_after) = redis.commands().await?;
            let sent = steps.iter().map(|s| s.sent).sum::<u64>().max(1) as f64;
            Some((
                (total_after - total) as f64 / sent,
                (publishes_after - publishes) as f64 / sent,
            ))
        }
        _ => None,
    };
    let upstream = sims.upstream_counts().await;
    let sample = clients.sample();
    clients.stop();
    drop(bridges);
    let mut outcome = Outcome {
        name: shape.name,
        clients: shape.tokens.len(),
        tokens: distinct(&shape.tokens),
        before,
        idle,
        steps,
        baseline: Vec::new(),
        upstream,
        instances: shape.instances.max(1),
        redis_per_event,
    };
    if plan.baseline {
        let sample = sample.ok_or("no frame to model the baseline on")?;
        outcome.baseline = run_baseline(&sample, shape.tokens.len(), plan).await?;
    }
    Ok(outcome)
}

/// The clients of every instance.
struct Group(Vec<clients::Clients>);

impl Group {
    fn len(&self) -> usize {
        self.0.iter().map(clients::Clients::len).sum()
    }

    fn sample(&self) -> Option<String> {
        self.0.iter().find_map(|c| c.sample.get().cloned())
    }

    fn stop(self) {
        for clients in self.0 {
            clients.stop();
        }
    }
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
        instances: 1,
    }
}

/// (f) `clients` clients of one token on homeTimeline spread over `instances` bridges sharing
/// one Redis (`[cluster]`): one owner holds the pnut subscription, the others relay.
pub fn fleet(clients: usize, instances: usize) -> Shape {
    Shape {
        name: format!("f: one token, homeTimeline, {instances} instances (Redis)"),
        instances,
        ..one_token(clients)
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
        instances: 1,
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
        instances: 1,
    }
}
