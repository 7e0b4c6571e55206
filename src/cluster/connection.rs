//! The fleet's Redis connection, its health loop and up/down state.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::watch;

use super::ClusterError;
use super::bus::Bus;
use crate::config::ClusterConfig;

/// The cluster's metric handles (`pnutkey_cluster_*`).
#[derive(Debug, Clone, Default)]
pub struct ClusterMetrics {
    /// 1 while Redis answers, 0 while it is down (`pnutkey_cluster_redis_up`).
    pub up: Gauge,
    /// Redis calls that failed or timed out (`pnutkey_cluster_redis_errors_total`).
    pub errors: Counter,
    /// Rate-limit decisions taken on local limits only because Redis was down
    /// (`pnutkey_cluster_local_decisions_total`).
    pub local_decisions: Counter,
    /// 429 pauses this instance published to the fleet (`pnutkey_cluster_pauses_shared_total`).
    pub pauses_shared: Counter,
    /// Fleet messages dropped: a full relay or publish queue
    /// (`pnutkey_cluster_messages_dropped_total`).
    pub messages_dropped: Counter,
    /// Session leases this instance took, first or over from a dead owner
    /// (`pnutkey_cluster_leases_taken_total`).
    pub leases_taken: Counter,
    /// pnut-front user streams and connection-bound REST calls this instance forwarded to the
    /// owner of their token's session (`pnutkey_cluster_pnut_forwards_total`).
    pub pnut_forwards: Counter,
}

/// This instance's membership in the fleet: the Redis connection and whether Redis is up.
/// Share it as `Arc<Cluster>`.
#[derive(Debug)]
pub struct Cluster {
    settings: ClusterConfig,
    instance_id: String,
    redis: ConnectionManager,
    up: AtomicBool,
    up_watch: watch::Sender<bool>,
    metrics: ClusterMetrics,
    bus: Bus,
    /// This instance's address for its peers and the fleet's peer secret.
    pub(super) peers: super::peers::Peers,
    /// The pnut-front session leases this instance holds.
    pub(super) keepers: super::pnut_front::Keepers,
    /// Messages published from outside a session task ([`Cluster::publish_soon`]).
    pub(super) outbox: super::outbox::Outbox,
}

impl Cluster {
    /// Connects (lazily: a Redis down at start is only a degraded start) and spawns the health
    /// loop and the advertising of `advertise_url` (`cluster.advertise_url` or, by default,
    /// `listen_url`: where peers reach this instance), which end when the cluster is dropped.
    /// Must run inside a tokio runtime.
    pub fn start(
        settings: &ClusterConfig,
        metrics: ClusterMetrics,
        listen_url: &str,
    ) -> Result<Arc<Self>, ClusterError> {
        let client = redis::Client::open(settings.redis_url.expose())
            .map_err(|error| ClusterError::Url(error.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(settings.op_timeout))
            .set_response_timeout(Some(settings.op_timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(10))
            .set_max_delay(settings.health_interval);
        let bus = Bus::start(
            client.clone(),
            settings.health_interval,
            metrics.messages_dropped.clone(),
        );
        let redis = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|error| ClusterError::Redis(error.to_string()))?;
        let peers = super::peers::Peers::new(settings.advertise_url.as_deref(), listen_url)?;
        let cluster = Arc::new_cyclic(|weak| Self {
            instance_id: settings.effective_instance_id(),
            settings: settings.clone(),
            redis,
            up: AtomicBool::new(false),
            up_watch: watch::Sender::new(false),
            metrics,
            bus,
            peers,
            keepers: super::pnut_front::Keepers::default(),
            outbox: super::outbox::Outbox::start(weak.clone()),
        });
        tracing::info!(
            instance = %cluster.instance_id,
            redis = %settings.redis_url,
            "cluster: joining the fleet"
        );
        tokio::spawn(health_loop(Arc::downgrade(&cluster)));
        tokio::spawn(super::peers::advertise_loop(Arc::downgrade(&cluster)));
        Ok(cluster)
    }

    /// This instance's id (in leases and logs).
    pub fn instance_id(&self) -> &str {
        &self.instance_id
    }

    /// The `[cluster]` settings this instance runs with.
    pub fn settings(&self) -> &ClusterConfig {
        &self.settings
    }

    /// The shared pub/sub connection.
    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// The metric handles.
    pub fn metrics(&self) -> &ClusterMetrics {
        &self.metrics
    }

    /// Whether Redis answered the last call or ping.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Awaits a moment when Redis' state is `up` (now or after a change).
    pub async fn wait_until_up(&self, up: bool) {
        let mut state = self.up_watch.subscribe();
        let _ = state.wait_for(|now| *now == up).await;
    }

    /// A key (or channel) of this fleet: the prefix, then `rest`.
    pub fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.settings.key_prefix)
    }

    /// Runs one Redis call on a clone of the connection, within `op_timeout`; a failure marks
    /// Redis down (the health loop marks it up again). Refused at once while Redis is down.
    pub async fn call<T, F, Fut>(&self, call: F) -> Result<T, ClusterError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if !self.is_up() {
            return Err(ClusterError::Down);
        }
        self.try_call(call).await
    }

    /// The string at `key` (`None`: no such key), as [`Self::call`].
    pub async fn get_string(&self, key: String) -> Result<Option<String>, ClusterError> {
        self.call(|mut redis| async move {
            redis::cmd("GET")
                .arg(key)
                .query_async::<Option<String>>(&mut redis)
                .await
        })
        .await
    }

    async fn try_call<T, F, Fut>(&self, call: F) -> Result<T, ClusterError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let outcome =
            tokio::time::timeout(self.settings.op_timeout, call(self.redis.clone())).await;
        let error = match outcome {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) => ClusterError::Redis(error.to_string()),
            Err(_) => ClusterError::Timeout,
        };
        self.metrics.errors.inc();
        self.set_up(false, Some(&error));
        Err(error)
    }

    fn set_up(&self, up: bool, error: Option<&ClusterError>) {
        let was = self.up.swap(up, Ordering::Relaxed);
        self.metrics.up.set(i64::from(up));
        self.up_watch.send_if_modified(|state| {
            let changed = *state != up;
            *state = up;
            changed
        });
        match (was, up) {
            (false, true) => {
                tracing::info!(instance = %self.instance_id, "cluster: redis up; fleet-wide limits")
            }
            (true, false) => tracing::warn!(
                instance = %self.instance_id,
                error = %error.map(ToString::to_string).unwrap_or_default(),
                "cluster: redis down; serving on local limits (degraded)"
            ),
            _ => {}
        }
    }

    async fn ping(&self) {
        let answered = self
            .try_call(|mut redis| async move {
                redis::cmd("PING").query_async::<String>(&mut redis).await
            })
            .await;
        if answered.is_ok() {
            self.set_up(true, None);
        }
    }
}

/// Pings Redis every `health_interval` while the cluster lives.
async fn health_loop(cluster: std::sync::Weak<Cluster>) {
    let every = match cluster.upgrade() {
        Some(cluster) => cluster.settings.health_interval,
        None => return,
    };
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(cluster) = cluster.upgrade() else {
            return;
        };
        cluster.ping().await;
    }
}
