//! The `pnutkey` binary: command-line parsing and dispatch.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// pnutkey — bridges Misskey clients to pnut and pnut tools to Misskey.
#[derive(Debug, Parser)]
#[command(name = "pnutkey", version, about)]
struct Cli {
    /// Config file (default: the embedded default config, which uses the simulated upstreams).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Log output format.
    #[arg(long, value_enum, default_value_t = LogFormat::Pretty, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the bridge (the default command).
    Run,
    /// Validate a config file and print the effective config with tokens masked (exit 0 or 2).
    CheckConfig {
        /// Config file to check (default: --config, or the embedded default).
        path: Option<PathBuf>,
    },
    /// Run one simulated upstream server standalone.
    Sim {
        /// Which server.
        #[arg(value_enum)]
        kind: SimKind,
        /// Listen address.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SimKind {
    Pnut,
    Misskey,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let most_verbose = filter.max_level_hint();
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // Dependency caps hold whatever RUST_LOG says (no token reaches a log line).
    let caps = pnutkey::app::log_caps::dependency_caps();
    match format {
        LogFormat::Json => builder.json().finish().with(caps).init(),
        LogFormat::Pretty => builder.finish().with(caps).init(),
    }
    // The caps layer admits every level, which makes the `log` bridge forward every `log`
    // record (tungstenite logs each frame at TRACE) only for the filter to drop it: 5 % of the
    // bridge's CPU under load. `log` records above what RUST_LOG admits stop at the macro.
    if let Some(level) = most_verbose {
        log::set_max_level(as_log_level(level));
    }
}

/// The `log` crate's level filter for a tracing one.
fn as_log_level(level: tracing_subscriber::filter::LevelFilter) -> log::LevelFilter {
    use tracing_subscriber::filter::LevelFilter;
    match level {
        LevelFilter::OFF => log::LevelFilter::Off,
        LevelFilter::ERROR => log::LevelFilter::Error,
        LevelFilter::WARN => log::LevelFilter::Warn,
        LevelFilter::INFO => log::LevelFilter::Info,
        LevelFilter::DEBUG => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let command = cli.command.unwrap_or(Command::Run);
    if let Command::CheckConfig { path } = &command {
        let path = path.as_deref().or(cli.config.as_deref());
        return match pnutkey::config::load(path) {
            Ok(config) => {
                print!("{}", config.to_masked_toml());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        };
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        Command::Sim {
            kind: SimKind::Pnut,
            listen,
        } => runtime.block_on(pnutkey::sim::pnut::run_standalone(listen)),
        Command::Sim {
            kind: SimKind::Misskey,
            listen,
        } => runtime.block_on(pnutkey::sim::misskey::run_standalone(listen)),
        _ => {
            let config = match pnutkey::config::load(cli.config.as_deref()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(2);
                }
            };
            runtime.block_on(pnutkey::app::run(config, cli.config.clone()))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pnutkey: {e}");
            ExitCode::FAILURE
        }
    }
}
