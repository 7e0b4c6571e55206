//! Load tool: the bridge (as its own process) against simulated upstreams and N websocket
//! clients on loopback, compared with a raw tokio-tungstenite broadcaster.
//!
//! `cargo bench --bench load -- [--scenario a|b|c|d|all] [--clients N] [--rates 50,100,...]`
//! runs the full load and writes `benches/RESULTS.md`. Without `--bench` (as `cargo test
//! --all-targets` runs it) every scenario runs as a tiny smoke test that asserts delivery.

mod baseline;
mod bridge;
mod clients;
mod redis;
mod report;
mod scenario;
mod sessions;
mod stats;
mod steps;
mod upstream;

use std::time::Duration;

use clap::Parser;

use scenario::{Outcome, Plan};

/// Command line of the load tool.
#[derive(Debug, Parser)]
#[command(about = "pnutkey load tool")]
struct Args {
    /// Scenario: a, b, c, d, e, f or all.
    #[arg(long, default_value = "all")]
    scenario: String,
    /// Clients of scenarios a and d (default 1000) and b (default 10000).
    #[arg(long)]
    clients: Option<usize>,
    /// Tokens of scenario c (default 100; 10 clients each).
    #[arg(long, default_value_t = 100)]
    tokens: usize,
    /// Distinct tokens of scenario e (one client each; they come and go).
    #[arg(long, default_value_t = 5000)]
    session_tokens: usize,
    /// `timeouts.session_idle` of scenario e, e.g. `2s`; `default` leaves the bridge's own.
    #[arg(long, default_value = "2s")]
    session_idle: String,
    /// Offered event rates of the ladder (events/s), in order.
    #[arg(long, value_delimiter = ',')]
    rates: Option<Vec<f64>>,
    /// Seconds per ladder step.
    #[arg(long, default_value_t = 3.0)]
    step_secs: f64,
    /// Bridge instances of scenario f (a `[cluster]` fleet on one redis-server).
    #[arg(long, default_value_t = 3)]
    instances: usize,
    /// Skip the raw baseline.
    #[arg(long)]
    no_baseline: bool,
    /// Where to write the results table (`-` for nowhere).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/RESULTS.md"))]
    results: String,
    /// Profile the bridge with `perf record` during each ladder, into FILE.<scenario letter>.
    #[arg(long)]
    perf: Option<String>,
    /// Passed by `cargo bench`: run the full load (without it: smoke test).
    #[arg(long, hide = true)]
    bench: bool,
}

const DEFAULT_RATES: [f64; 9] = [
    50.0, 100.0, 200.0, 300.0, 500.0, 750.0, 1000.0, 1500.0, 2000.0,
];

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let result = if args.bench {
        full(&args).await
    } else {
        smoke().await
    };
    if let Err(error) = result {
        eprintln!("load: {error}");
        std::process::exit(1);
    }
}

fn wanted(args: &Args, letter: &str) -> bool {
    args.scenario == "all" || args.scenario.split(',').any(|s| s == letter)
}

async fn full(args: &Args) -> Result<(), String> {
    let rates = args.rates.clone().unwrap_or_else(|| DEFAULT_RATES.to_vec());
    let plan = Plan {
        rates,
        step: Duration::from_secs_f64(args.step_secs),
        baseline: !args.no_baseline,
        perf: args.perf.clone(),
    };
    let mut outcomes: Vec<Outcome> = Vec::new();
    if wanted(args, "a") {
        let shape = scenario::one_token(args.clients.unwrap_or(1000));
        outcomes.push(scenario::run(shape, &plan).await?);
    }
    if wanted(args, "b") {
        // Idle memory: one light step for "under load"; no baseline (it would need another
        // 10 k sockets in this process, over the open-files limit).
        let idle_plan = Plan {
            rates: vec![5.0],
            step: Duration::from_secs(3),
            baseline: false,
            perf: None,
        };
        let shape = scenario::idle(args.clients.map_or(10_000, |n| n * 10));
        outcomes.push(scenario::run(shape, &idle_plan).await?);
    }
    if wanted(args, "c") {
        let shape = scenario::many_tokens(args.tokens, 10);
        outcomes.push(scenario::run(shape, &plan).await?);
    }
    if wanted(args, "d") {
        let shape = scenario::pnut_front(args.clients.unwrap_or(1000));
        outcomes.push(scenario::run(shape, &plan).await?);
    }
    if wanted(args, "f") {
        let shape = scenario::fleet(args.clients.unwrap_or(1000), args.instances);
        outcomes.push(scenario::run(shape, &plan).await?);
    }
    let mut table = report::markdown(&outcomes);
    if wanted(args, "e") {
        let idle = match args.session_idle.as_str() {
            "default" => None,
            text => {
                Some(humantime::parse_duration(text).map_err(|e| format!("--session-idle: {e}"))?)
            }
        };
        let outcome = sessions::run(args.session_tokens, idle).await?;
        table.push_str(&sessions::markdown(&outcome));
    }
    println!("{table}");
    if args.results != "-" {
        let text = format!("{}\n{table}", header(args));
        std::fs::write(&args.results, text).map_err(|e| format!("{}: {e}", args.results))?;
        eprintln!("written to {}", args.results);
    }
    Ok(())
}

fn header(args: &Args) -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let ram_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0);
    let argv: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    format!(
        "# Load results\n\nCommand: `cargo bench --bench load -- {}`\n\nDate: {} · machine: {cores} cores, {:.1} GiB RAM · step {} s per offered rate\n\nLatency is \"control call made\" (in-process, just before the simulated server writes the upstream frame) → client frame received.\n",
        argv.join(" "),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        ram_kib as f64 / (1024.0 * 1024.0),
        args.step_secs,
    )
}

/// Tiny version of every scenario (5 clients, a handful of events): asserts every client
/// received every event, from the bridge and from the baseline.
async fn smoke() -> Result<(), String> {
    stats::self_check();
    let plan = Plan {
        rates: vec![20.0],
        step: Duration::from_millis(300),
        baseline: true,
        perf: None,
    };
    let shapes = [
        scenario::one_token(5),
        scenario::idle(5),
        scenario::many_tokens(2, 2),
        scenario::pnut_front(5),
        scenario::fleet(6, 3),
    ];
    let sessions = sessions::run(5, Some(Duration::from_millis(200))).await?;
    if sessions.streams != (5, 0) || sessions.ended_after.is_none() {
        return Err(format!("smoke e: sessions did not end: {sessions:?}"));
    }
    for shape in shapes {
        let name = shape.name.clone();
        let outcome = scenario::run(shape, &plan).await?;
        for step in outcome.steps.iter().chain(&outcome.baseline) {
            if step.sent == 0 || step.received != step.expected {
                return Err(format!(
                    "smoke {name}: {} of {} frames arrived",
                    step.received, step.expected
                ));
            }
        }
        if outcome.baseline.is_empty()
            || outcome.upstream.pnut_rest_calls + outcome.upstream.misskey_rest_calls == 0
                && outcome.upstream.pnut_subscriptions + outcome.upstream.misskey_channels == 0
        {
            return Err(format!("smoke {name}: missing baseline or upstream counts"));
        }
    }
    println!("load smoke: all scenarios delivered every event");
    Ok(())
}
