//! `[cluster]`: several bridge instances sharing one Redis (mapping.md §9). Absent: the
//! instance runs alone, exactly as without clustering.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

/// `[cluster]`: where the fleet's Redis is and how this instance takes part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// The Redis server (`redis://[:password@]host:port[/db]`); printed with the password masked.
    pub redis_url: RedisUrl,
    /// Prefix of every Redis key and channel of this fleet (several fleets may share a Redis).
    pub key_prefix: String,
    /// This instance's name in leases and logs; empty: `<hostname>-<pid>`.
    pub instance_id: String,
    /// How long a session lease lasts unless renewed; the owner renews it every third of it,
    /// and another instance takes it over once it ran out (the owner died).
    #[serde(with = "humantime_serde")]
    pub lease_ttl: Duration,
    /// Longest a single Redis call may take before the instance treats Redis as down.
    #[serde(with = "humantime_serde")]
    pub op_timeout: Duration,
    /// How often Redis is pinged (to notice it went down, or came back).
    #[serde(with = "humantime_serde")]
    pub health_interval: Duration,
    /// The base URL other instances reach this one at (`http://host:port`), to which they
    /// forward the pnut-front traffic of the tokens whose session this instance owns;
    /// absent: this instance's own listen URL (set it when listening on `0.0.0.0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advertise_url: Option<String>,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            redis_url: RedisUrl::default(),
            key_prefix: "pnutkey:".to_owned(),
            instance_id: String::new(),
            lease_ttl: Duration::from_secs(15),
            op_timeout: Duration::from_millis(500),
            health_interval: Duration::from_secs(1),
            advertise_url: None,
        }
    }
}

impl ClusterConfig {
    /// The configured instance id, or `<hostname>-<pid>`.
    pub fn effective_instance_id(&self) -> String {
        if !self.instance_id.is_empty() {
            return self.instance_id.clone();
        }
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|h| h.trim().to_owned())
            })
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "host".to_owned());
        format!("{host}-{}", std::process::id())
    }
}

/// A Redis URL whose `Debug`, `Display` and `Serialize` forms mask its password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(Url);

impl RedisUrl {
    /// Parses a `redis://` or `rediss://` URL.
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
        if !["redis", "rediss"].contains(&url.scheme()) {
            return Err(format!("{:?} is not a redis:// URL", super::mask(text)));
        }
        Ok(Self(url))
    }

    /// The URL itself (to connect; never log it).
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl Default for RedisUrl {
    fn default() -> Self {
        Self::parse("redis://127.0.0.1:6379").unwrap_or_else(|_| unreachable!())
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::sections::masked_url(&self.0))
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({self})")
    }
}

impl Serialize for RedisUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for RedisUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}
