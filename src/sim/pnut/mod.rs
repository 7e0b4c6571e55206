//! Simulated pnut server, split like pnut.io: the `/v1` REST subset of pnut-api.md §7
//! (envelope, pagination, rate limits: §2) and a control API (Rust handle + `/_sim/` HTTP) on the
//! API listener, and the `GET /v1/user` stream websocket on its own listener, the "stream
//! host" (pnut.io: `api.pnut.io` vs `stream.pnut.io`). The API listener answers `/v1/user`
//! with a 404 envelope, as a wrong host would.
//!
//! One in-memory [`world::World`] per server behind a `tokio::sync::Mutex`; stream fan-out
//! goes through bounded per-connection queues (a connection whose queue is full is closed).

mod activity;
mod control;
mod control_http;
mod events;
mod hub;
mod oauth;
mod ops;
mod polls;
mod ratelimit;
mod render;
mod rest;
mod stream;
mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::sync::watch;

use crate::sim::tracked::{Changes, Tracked};

use super::server::Background;

pub use control::{ControlError, ForcedFailure, SimCounts, SimPnutControl};
pub use ops::OpError;
pub use ratelimit::{PnutRateLimits, RateLimit};
pub use stream::StreamTokenPlaces;
pub use world::DEMO_USERS;

/// Options of the simulated pnut server.
#[derive(Debug, Clone)]
pub struct SimPnutOptions {
    /// Listen address of the API (`127.0.0.1:0` in tests).
    pub listen: SocketAddr,
    /// Listen address of the stream host (`127.0.0.1:0` in tests).
    pub stream_listen: SocketAddr,
    /// Where the stream host accepts the token (default: query and header).
    pub stream_tokens: StreamTokenPlaces,
    /// Interval of the activity generator; `None` turns it off (the default in tests).
    pub activity_interval: Option<Duration>,
    /// Seed of the deterministic world and activity generator.
    pub seed: u64,
    /// A stream whose client sent nothing for this long is closed (pnut: 60 s).
    pub stream_silence_timeout: Duration,
    /// Max subscriptions per stream connection (pnut: 16).
    pub max_subscriptions: usize,
    /// Capacity (frames) of each connection's outbound queue; when full, the socket is closed.
    pub stream_queue_capacity: usize,
    /// Rate-limit buckets (pnut: GET 5000/h per token, writes 20/min, anonymous 40/min).
    pub rate_limits: PnutRateLimits,
    /// Extra accounts `load-0` … `load-<n-1>` (token = username) for load tests; each follows
    /// `load-0`, so a post by `load-0` reaches every one's home timeline.
    pub extra_users: usize,
    /// Largest file content `POST /files` accepts; bigger: 413.
    pub max_upload_size: u64,
}

impl Default for SimPnutOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            stream_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            stream_tokens: StreamTokenPlaces::default(),
            activity_interval: None,
            seed: 1,
            stream_silence_timeout: Duration::from_secs(60),
            max_subscriptions: 16,
            stream_queue_capacity: 256,
            rate_limits: PnutRateLimits::default(),
            extra_users: 0,
            max_upload_size: 30 * 1024 * 1024,
        }
    }
}

/// State shared by every handler and task of one server.
#[derive(Debug)]
struct Shared {
    /// The world (records + live connections).
    world: Tracked<world::World>,
    /// Rate limits, forced failures, call counts.
    gate: Tracked<ratelimit::Gate>,
    /// Bumped whenever the world (or gate) was changed, for `wait_for_counts`.
    changes: Changes,
    /// The options the server started with.
    options: SimPnutOptions,
    /// `ws://127.0.0.1:STREAM_PORT/v1/user` (hello frame `meta.stream.endpoint`).
    stream_endpoint: String,
    /// `true` while streams are stalled (sockets stay open but send nothing).
    stall: watch::Sender<bool>,
    oauth_codes: oauth::Codes,
}

/// A running simulated pnut server.
#[derive(Debug)]
pub struct SimPnut {
    addr: SocketAddr,
    stream_addr: SocketAddr,
    shared: Arc<Shared>,
    background: Background,
    stream_background: Background,
}

impl SimPnut {
    /// Binds both listeners and starts the server in the background of the current tokio
    /// runtime.
    pub async fn start(options: SimPnutOptions) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(options.listen).await?;
        let addr = listener.local_addr()?;
        let stream_listener = tokio::net::TcpListener::bind(options.stream_listen).await?;
        let stream_addr = stream_listener.local_addr()?;
        let hub = hub::Hub::new(options.max_subscriptions, options.stream_queue_capacity);
        let mut world = world::World::seeded(format!("http://{addr}"), options.seed, hub);
        world.seed_load_users(options.extra_users);
        let (stall, _) = watch::channel(false);
        let changes = crate::sim::tracked::changes();
        let shared = Arc::new(Shared {
            world: Tracked::new(world, Arc::clone(&changes)),
            gate: Tracked::new(
                ratelimit::Gate::new(options.rate_limits),
                Arc::clone(&changes),
            ),
            changes,
            options: options.clone(),
            stream_endpoint: format!("ws://{stream_addr}/v1/user"),
            stall,
            oauth_codes: oauth::Codes::default(),
        });
        let stream_router = Router::new()
            .route("/v1/user", get(stream::upgrade))
            .layer(axum::middleware::map_response(
                crate::http::plain_errors::pnut_envelope,
            ))
            .with_state(Arc::clone(&shared));
        let router = Router::new()
            .merge(control_http::routes())
            .merge(oauth::routes())
            .merge(rest::routes(Arc::clone(&shared)))
            .layer(axum::middleware::map_response(
                crate::http::plain_errors::pnut_envelope,
            ))
            .with_state(Arc::clone(&shared));
        let activity = options
            .activity_interval
            .map(|interval| tokio::spawn(activity::run(Arc::clone(&shared), interval)));
        let background = Background::spawn("pnut", listener, router, activity);
        let stream_background =
            Background::spawn("pnut stream host", stream_listener, stream_router, None);
        Ok(Self {
            addr,
            stream_addr,
            shared,
            background,
            stream_background,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address of the stream host.
    pub fn stream_addr(&self) -> SocketAddr {
        self.stream_addr
    }

    /// `ws://127.0.0.1:STREAM_PORT/v1/user`, the user-stream endpoint (no token).
    pub fn stream_url(&self) -> String {
        self.shared.stream_endpoint.clone()
    }

    /// Both endpoints, as a pnut client is given them.
    pub fn endpoints(&self) -> crate::upstream::pnut::PnutEndpoints {
        crate::upstream::pnut::PnutEndpoints {
            api_url: format!("{}/v1", self.base_url()),
            stream_url: self.stream_url(),
        }
    }

    /// A clone-able handle to drive and inspect the world.
    pub fn control(&self) -> SimPnutControl {
        SimPnutControl::new(Arc::clone(&self.shared))
    }

    /// Stops accepting, closes every stream and waits (≤ 2 s) for the server task.
    pub async fn shutdown(mut self) {
        self.background.begin_stop();
        self.stream_background.begin_stop();
        self.shared.world.lock().await.hub.drop_all();
        self.stream_background.finish_stop().await;
        self.background.finish_stop().await;
    }
}

/// Runs the simulated pnut server standalone on `listen` until the process ends.
pub async fn run_standalone(listen: SocketAddr) -> std::io::Result<()> {
    let sim = SimPnut::start(SimPnutOptions {
        listen,
        stream_listen: SocketAddr::new(listen.ip(), 0),
        activity_interval: Some(Duration::from_secs(5)),
        ..Default::default()
    })
    .await?;
    println!("simulated pnut server on {}/v1", sim.base_url());
    println!("  user stream: {}?access_token=<token>", sim.stream_url());
    println!("  demo tokens (fake): demo-alice, demo-bob, demo-carol");
    println!("  control API: {}/_sim/", sim.base_url());
    std::future::pending::<()>().await;
    Ok(())
}
