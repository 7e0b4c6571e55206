//! Wiring: the `run` command — starts the embedded simulated upstreams when the config says
//! `sim`, binds the listener, prints how to connect, reloads the config on SIGHUP, and drains
//! on SIGINT/SIGTERM.

mod admin;
mod banner;
mod health;
pub mod log_caps;
mod plan;
pub mod probe;
mod reload;
mod signal;
pub mod tls;

pub use plan::RunPlan;

use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Config, ConfigError, ReloadReport, UpstreamTarget};
use crate::front::{self, BridgeContext};
use crate::sim::misskey::{SimMisskey, SimMisskeyOptions};
use crate::sim::pnut::{SimPnut, SimPnutOptions};
use crate::upstream::pnut::PnutEndpoints;

/// Runs the bridge with `config` until SIGINT/SIGTERM; on SIGHUP reloads the config from
/// `config_path` (or the embedded default) and the environment.
pub async fn run(config: Config, config_path: Option<PathBuf>) -> std::io::Result<()> {
    let plan = RunPlan::from_config(&config);
    let hangups = signal::Hangups::listen();
    let running = start(&plan).await?;
    let reloads = tokio::spawn(reload::on_hangups(
        Arc::clone(&running.ctx),
        config_path,
        hangups,
        running.tls.clone(),
    ));
    banner::print(&running);
    signal::shutdown_requested().await;
    reloads.abort();
    tracing::info!("shutdown requested, draining");
    running.stop(plan.grace).await;
    Ok(())
}

/// The running pieces of a bridge process.
pub struct Running {
    /// The bridge listener's address.
    pub addr: std::net::SocketAddr,
    /// The admin listener's address (`/healthz`, `/metrics`), when `listen.admin` is set.
    pub admin_addr: Option<std::net::SocketAddr>,
    /// The embedded simulated pnut server, when the pnut upstream is `sim`.
    pub sim_pnut: Option<SimPnut>,
    /// The embedded simulated Misskey server, when the Misskey upstream is `sim`.
    pub sim_misskey: Option<SimMisskey>,
    /// Where the pnut upstream is (the embedded sim's URL or the configured one, masked).
    pub pnut_url: String,
    /// Where the Misskey upstream is.
    pub misskey_url: String,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    admin_server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    stop: tokio::sync::watch::Sender<bool>,
    ctx: Arc<BridgeContext>,
    tls: Option<Arc<tls::TlsCerts>>,
}

impl Running {
    /// A snapshot of the bridge's current config.
    pub fn config(&self) -> Arc<Config> {
        self.ctx.config()
    }

    /// The running bridge's shared state (its session registries, metrics, clients).
    pub fn context(&self) -> &Arc<BridgeContext> {
        &self.ctx
    }

    /// Applies `loaded` as the SIGHUP handler does: reloadable keys take effect for new
    /// connections, connects and subscriptions; restart-only keys keep their running values.
    pub fn reload(&self, loaded: Config) -> ReloadReport {
        reload::apply(&self.ctx, loaded)
    }

    /// Like SIGHUP: loads `path` (or the embedded default) plus the environment and applies
    /// it; an invalid config is refused (problems logged) and the running one stays.
    pub fn reload_from(&self, path: Option<&Path>) -> Result<ReloadReport, ConfigError> {
        reload::reload_tls(self.tls.as_deref());
        reload::reload_from(&self.ctx, path)
    }

    /// Drains (mapping.md §7), at most `grace`: stops accepting, closes every client socket
    /// with 1001 "going away", deletes the Misskey front's upstream pnut streams and closes the
    /// pnut front's upstream Misskey streams; returns once all that is done or the grace is over.
    pub async fn stop(self, grace: Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        let _ = self.stop.send(true);
        let drain = &self.ctx.drain;
        drain.begin();
        let drained = drain.finished(grace).await;
        let servers = async {
            let _ = self.server.await;
            if let Some(admin) = self.admin_server {
                let _ = admin.await;
            }
        };
        let listener = tokio::time::timeout_at(deadline, servers).await;
        match drained {
            Ok(()) if listener.is_ok() => tracing::info!("drained"),
            Ok(()) => tracing::warn!(?grace, "grace period over before the listener stopped"),
            Err(cut) => tracing::warn!(
                ?grace,
                unfinished = cut.unfinished,
                "grace period over; client sockets, pools or hubs cut short"
            ),
        }
    }
}

/// Starts the upstream sims (if any) and the listener, in the current runtime.
pub async fn start(plan: &RunPlan) -> std::io::Result<Running> {
    // (the embedded sim, the URLs the client uses, the URL shown in logs with secrets masked)
    let (sim_pnut, pnut_endpoints, pnut_url) = match &plan.pnut {
        UpstreamTarget::Sim => {
            let sim = SimPnut::start(SimPnutOptions {
                activity_interval: plan.activity_interval,
                seed: plan.seed,
                ..Default::default()
            })
            .await?;
            let endpoints = sim.endpoints();
            let url = endpoints.api_url.clone();
            (Some(sim), endpoints, url)
        }
        UpstreamTarget::Url(url) => {
            let stream_url = plan
                .config
                .upstream
                .pnut
                .effective_stream_url()
                .unwrap_or_else(|| crate::config::default_stream_url(url));
            let endpoints = PnutEndpoints {
                api_url: url.as_str().trim_end_matches('/').to_owned(),
                stream_url: stream_url.to_string(),
            };
            (None, endpoints, plan.pnut.to_string())
        }
    };
    let (sim_misskey, misskey_api_url, misskey_url) = match &plan.misskey {
        UpstreamTarget::Sim => {
            let sim = SimMisskey::start(SimMisskeyOptions {
                activity_interval: plan.activity_interval,
                seed: plan.seed,
                ..Default::default()
            })
            .await?;
            let url = sim.base_url();
            (Some(sim), url.clone(), url)
        }
        UpstreamTarget::Url(url) => (None, url.to_string(), plan.misskey.to_string()),
    };
    let tls = match (&plan.config.listen.tls_cert, &plan.config.listen.tls_key) {
        (Some(cert), Some(key)) => {
            Some(tls::TlsCerts::load(cert, key).map_err(std::io::Error::other)?)
        }
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let listener = TcpListener::bind(plan.listen).await?;
    let addr = listener.local_addr()?;
    let pnut_api_url = pnut_endpoints.api_url.clone();
    // The start-up probe runs beside the start (logs ok/failed; the bridge starts either way).
    let (probed, shown) = (pnut_endpoints.clone(), pnut_url.clone());
    let probe_limit = plan.config.upstream.pnut.request_timeout;
    tokio::spawn(async move { probe::probe_pnut(&probed, &shown, probe_limit).await });
    let ctx = BridgeContext::new(
        plan.config.clone(),
        pnut_endpoints,
        misskey_api_url.trim_end_matches('/').to_owned(),
        format!("{scheme}://{addr}"),
    )
    .map_err(std::io::Error::other)?;
    tokio::spawn(crate::session::memory::return_freed_memory(
        ctx.drain.clone(),
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let probe_timeout = plan
        .config
        .upstream
        .pnut
        .request_timeout
        .min(plan.config.upstream.misskey.request_timeout);
    let targets = health::HealthTargets::from_urls(&pnut_api_url, &misskey_api_url, probe_timeout)
        .ok_or_else(|| std::io::Error::other("an upstream URL cannot be parsed"))?;
    let targets = targets.with_cluster(ctx.cluster.clone());
    let operator = admin::routes(Arc::clone(&ctx.metrics), targets);
    let (router, admin_server, admin_addr) = match plan.config.listen.admin {
        Some(admin_listen) => {
            let admin_listener = TcpListener::bind(admin_listen).await?;
            let admin_addr = admin_listener.local_addr()?;
            let admin_server = serve(admin_listener, operator, stopped.clone(), tls.clone())?;
            (
                front::routes(Arc::clone(&ctx)),
                Some(admin_server),
                Some(admin_addr),
            )
        }
        None => (front::routes(Arc::clone(&ctx)).merge(operator), None, None),
    };
    let server = serve(listener, router, stopped, tls.clone())?;
    Ok(Running {
        addr,
        admin_addr,
        admin_server,
        sim_pnut,
        sim_misskey,
        pnut_url,
        misskey_url,
        server,
        stop,
        ctx,
        tls,
    })
}

/// Serves `router` on `listener` (over TLS with `tls`) until `stopped` turns true.
fn serve(
    listener: TcpListener,
    router: Router,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    tls: Option<Arc<tls::TlsCerts>>,
) -> std::io::Result<tokio::task::JoinHandle<std::io::Result<()>>> {
    let stopped = async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    Ok(match tls {
        Some(certs) => {
            let listener = tls::listen(listener, certs)?;
            tokio::spawn(async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(stopped)
                    .await
            })
        }
        None => tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(stopped)
                .await
        }),
    })
}
