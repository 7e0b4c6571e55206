//! The fleet's members as peers: each instance advertises the base URL the others reach it at
//! (`cluster.advertise_url`, default its listen URL) under its instance id, renewed every
//! third of `lease_ttl` (so a dead instance's address runs out with its leases), and reads
//! the fleet's peer secret: a random value created once in Redis (`SET NX`). A request one
//! instance forwards to another carries that secret in [`PEER_HEADER`]; only a request
//! carrying it is served as forwarded (never forwarded again), so clients cannot bypass the
//! fleet's routing and nothing loops.

use std::sync::{Mutex, PoisonError, Weak};
use std::time::Duration;

use axum::http::HeaderMap;
use url::Url;

use super::{Cluster, ClusterError};

/// The header of a request forwarded by a peer: the fleet's peer secret.
pub const PEER_HEADER: &str = "x-pnutkey-peer";

/// Random bytes of a fresh peer secret (hex-encoded in Redis).
const SECRET_BYTES: usize = 32;

/// This instance's address and the fleet's peer secret as last read.
#[derive(Debug)]
pub(crate) struct Peers {
    advertise: String,
    secret: Mutex<Option<String>>,
    http: reqwest::Client,
}

impl Peers {
    /// `configured` or else `listen_url`, without a trailing slash.
    pub(super) fn new(configured: Option<&str>, listen_url: &str) -> Result<Self, ClusterError> {
        let advertise = configured.unwrap_or(listen_url).to_owned();
        let parsed =
            Url::parse(&advertise).map_err(|error| ClusterError::Url(error.to_string()))?;
        if parsed.host_str().is_some_and(|host| {
            host == "0.0.0.0" || host == "[::]" || host == "::" || host.is_empty()
        }) {
            tracing::warn!(
                url = %advertise,
                "cluster: advertised address is unspecified; set cluster.advertise_url so peers can reach this instance"
            );
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| ClusterError::Url(error.to_string()))?;
        Ok(Self {
            advertise: advertise.trim_end_matches('/').to_owned(),
            secret: Mutex::new(None),
            http,
        })
    }

    fn secret(&self) -> Option<String> {
        self.secret
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_secret(&self, secret: String) {
        *self.secret.lock().unwrap_or_else(PoisonError::into_inner) = Some(secret);
    }
}

impl Cluster {
    /// Where the other instances reach this one.
    pub fn advertise_url(&self) -> &str {
        &self.peers.advertise
    }

    /// The HTTP client calls are forwarded to peers with.
    pub fn peer_http(&self) -> &reqwest::Client {
        &self.peers.http
    }

    /// The fleet's peer secret, once read from Redis (`None` before: nothing is forwarded).
    pub fn peer_secret(&self) -> Option<String> {
        self.peers.secret()
    }

    /// The fleet's peer secret, advertising this instance first if that has not happened yet
    /// (so an instance that forwards or owns anything is known to its peers).
    pub(super) async fn ensure_advertised(&self) -> Option<String> {
        if let Some(secret) = self.peer_secret() {
            return Some(secret);
        }
        self.advertise().await.ok()?;
        self.peer_secret()
    }

    /// Whether `headers` carry the fleet's peer secret (a request a peer forwarded).
    pub fn is_from_peer(&self, headers: &HeaderMap) -> bool {
        let (Some(presented), Some(secret)) = (
            headers.get(PEER_HEADER).map(|v| v.as_bytes()),
            self.peer_secret(),
        ) else {
            return false;
        };
        let secret = secret.as_bytes();
        // Constant time over the secret's length.
        presented.len() == secret.len()
            && presented
                .iter()
                .zip(secret)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// The base URL instance `instance` advertises (`None`: it advertises none, it is gone).
    pub async fn peer_url(&self, instance: &str) -> Result<Option<String>, ClusterError> {
        self.get_string(self.instance_key(instance)).await
    }

    fn instance_key(&self, instance: &str) -> String {
        self.key(&format!("instance:{instance}"))
    }

    /// Advertises this instance's URL for a lease time and reads (creating it if absent) the
    /// fleet's peer secret.
    pub(super) async fn advertise(&self) -> Result<(), ClusterError> {
        let key = self.instance_key(self.instance_id());
        let url = self.peers.advertise.clone();
        let ttl = u64::try_from(self.settings().lease_ttl.as_millis()).unwrap_or(u64::MAX);
        let secret_key = self.key("peer-secret");
        let fresh = hex::encode(rand::random::<[u8; SECRET_BYTES]>());
        let secret: String = self
            .call(|mut redis| async move {
                redis::pipe()
                    .cmd("SET")
                    .arg(key)
                    .arg(url)
                    .arg("PX")
                    .arg(ttl)
                    .ignore()
                    .cmd("SET")
                    .arg(&secret_key)
                    .arg(fresh)
                    .arg("NX")
                    .ignore()
                    .cmd("GET")
                    .arg(&secret_key)
                    .query_async::<(String,)>(&mut redis)
                    .await
                    .map(|(secret,)| secret)
            })
            .await?;
        self.peers.set_secret(secret);
        Ok(())
    }
}

/// Advertises this instance every third of `lease_ttl` (and as soon as Redis comes up) while
/// the cluster lives.
pub(super) async fn advertise_loop(cluster: Weak<Cluster>) {
    let every = match cluster.upgrade() {
        Some(cluster) => (cluster.settings().lease_ttl / 3).max(Duration::from_millis(10)),
        None => return,
    };
    loop {
        let Some(strong) = cluster.upgrade() else {
            return;
        };
        if !strong.is_up() {
            // Wait for Redis without keeping the cluster alive past its last user.
            let up = Weak::clone(&cluster);
            drop(strong);
            let waited = tokio::time::timeout(every, async move {
                if let Some(cluster) = up.upgrade() {
                    cluster.wait_until_up(true).await;
                }
            });
            let _ = waited.await;
            continue;
        }
        if let Err(error) = strong.advertise().await {
            tracing::debug!(%error, "cluster: advertising this instance failed");
        }
        drop(strong);
        tokio::time::sleep(every).await;
    }
}
