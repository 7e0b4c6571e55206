//! Simulated Misskey server: `/streaming` websocket, the `POST /api/<endpoint>` subset of
//! misskey.md §8, and a control API (Rust handle + `/_sim/` HTTP) for tests and demos.
//!
//! One in-memory [`world::World`] per server, guarded by a `tokio::sync::Mutex`; stream
//! fan-out goes through bounded per-socket queues (a socket whose queue is full is closed).

mod activity;
mod aidx;
mod control;
mod control_http;
mod events;
mod filter;
mod hub;
mod ops;
mod pack;
mod profile;
mod ratelimit;
mod rest;
mod stream;
mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get};
use tokio::sync::watch;

use crate::sim::tracked::{Changes, Tracked};

use super::server::Background;

pub use control::{ControlError, SimCounts, SimMisskeyControl, SocketCounts};
pub use ops::NewNote;
pub use ratelimit::RateLimit;

/// Options of the simulated misskey server.
#[derive(Debug, Clone)]
pub struct SimMisskeyOptions {
    /// Listen address (`127.0.0.1:0` in tests).
    pub listen: SocketAddr,
    /// Interval of the activity generator; `None` turns it off (the default in tests).
    pub activity_interval: Option<Duration>,
    /// Seed of the deterministic world and activity generator.
    pub seed: u64,
    /// Interval of the WS ping frames sent to every socket (misskey.md §11.2: ≤ 30 s).
    pub ping_interval: Duration,
    /// A socket that has not answered a ping (pong frame) for this long is terminated.
    pub stream_silence_timeout: Duration,
    /// Capacity of each socket's outbound queue; a socket whose queue is full is closed.
    pub stream_queue_capacity: usize,
    /// Per-token REST rate limit (`None`: unlimited, like a non-production Misskey).
    pub rate_limit: Option<RateLimit>,
    /// Extra users seeded after the demo ones: `user1` … `userN`, tokens `demo-user1` …
    /// (for tests that need many distinct tokens).
    pub extra_users: usize,
    /// Largest file `drive/files/create` accepts (Misskey's `maxFileSize`); bigger:
    /// `FILE_SIZE_TOO_LARGE` (413).
    pub max_upload_size: u64,
}

impl Default for SimMisskeyOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            activity_interval: None,
            seed: 1,
            ping_interval: Duration::from_secs(30),
            stream_silence_timeout: Duration::from_secs(120),
            stream_queue_capacity: 256,
            rate_limit: Some(RateLimit {
                max: 300,
                window: Duration::from_secs(60),
            }),
            extra_users: 0,
            max_upload_size: 30 * 1024 * 1024,
        }
    }
}

/// State shared by every handler and task of one server.
#[derive(Debug)]
struct Shared {
    /// The world (records + live sockets + gate).
    world: Tracked<world::World>,
    /// Bumped whenever the world (or gate) was changed, for `wait_for_counts`.
    changes: Changes,
    /// The options the server started with.
    options: SimMisskeyOptions,
    /// `true` while streams are stalled (sockets stop pinging and sending).
    stall: watch::Sender<bool>,
    /// Tokens whose REST calls are held until released (`stall_calls`).
    stalled_calls: watch::Sender<std::collections::BTreeSet<String>>,
}

/// A running simulated misskey server.
#[derive(Debug)]
pub struct SimMisskey {
    addr: SocketAddr,
    shared: Arc<Shared>,
    background: Background,
}

impl SimMisskey {
    /// Binds and starts the server in the background of the current tokio runtime.
    pub async fn start(options: SimMisskeyOptions) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(options.listen).await?;
        let addr = listener.local_addr()?;
        let gate = ratelimit::CallGate::new(options.rate_limit);
        let mut world = world::World::seeded(
            format!("http://{addr}"),
            options.seed,
            gate,
            options.stream_queue_capacity,
        );
        world.add_numbered_users(options.extra_users);
        let (stall, _) = watch::channel(false);
        let (stalled_calls, _) = watch::channel(std::collections::BTreeSet::new());
        let changes = crate::sim::tracked::changes();
        let shared = Arc::new(Shared {
            world: Tracked::new(world, Arc::clone(&changes)),
            changes,
            options: options.clone(),
            stall,
            stalled_calls,
        });
        let router = Router::new()
            .route("/streaming", get(stream::upgrade))
            .route(
                "/api/{*endpoint}",
                any(rest::handle).layer(DefaultBodyLimit::max(
                    usize::try_from(options.max_upload_size.saturating_mul(2))
                        .unwrap_or(usize::MAX)
                        .saturating_add(1 << 20),
                )),
            )
            .merge(control_http::routes())
            .with_state(Arc::clone(&shared));
        let activity = options
            .activity_interval
            .map(|interval| tokio::spawn(activity::run(Arc::clone(&shared), interval)));
        let background = Background::spawn("misskey", listener, router, activity);
        Ok(Self {
            addr,
            shared,
            background,
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

    /// A clone-able handle to drive and inspect the world.
    pub fn control(&self) -> SimMisskeyControl {
        SimMisskeyControl::new(Arc::clone(&self.shared))
    }

    /// Stops accepting, closes every stream and waits (≤ 2 s) for the server task.
    pub async fn shutdown(mut self) {
        self.background.begin_stop();
        self.shared.world.lock().await.hub.drop_all();
        self.background.finish_stop().await;
    }
}

/// Runs the simulated misskey server standalone on `listen` until the process ends.
pub async fn run_standalone(listen: SocketAddr) -> std::io::Result<()> {
    let sim = SimMisskey::start(SimMisskeyOptions {
        listen,
        activity_interval: Some(Duration::from_secs(5)),
        ..Default::default()
    })
    .await?;
    println!("simulated Misskey server on {}", sim.base_url());
    println!("  streaming: ws://{}/streaming?i=<token>", sim.addr());
    println!("  demo tokens (fake): demo-alice, demo-bob, demo-carol");
    std::future::pending::<()>().await;
    Ok(())
}
