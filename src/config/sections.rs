//! Config sections about where things are: listeners, upstreams, the simulator, tokens, ids,
//! translation choices and the Misskey `meta` answer.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

use super::secret::{Secret, mask};
use crate::ids::IdFormat;

/// `[listen]`: where the bridge accepts clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListenConfig {
    /// Main listener: Misskey front, pnut front, `/healthz`, `/metrics`.
    pub addr: SocketAddr,
    /// Extra listeners serving only the Misskey front.
    pub misskey_extra: Vec<SocketAddr>,
    /// Extra listeners serving only the pnut front.
    pub pnut_extra: Vec<SocketAddr>,
    /// Separate listener for `/healthz` and `/metrics` (then not served on `addr`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<SocketAddr>,
    /// TLS certificate chain (PEM) of every listener; with `tls_key`, the listeners speak
    /// https and wss. Re-read on SIGHUP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// TLS private key (PEM) going with `tls_cert`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<std::path::PathBuf>,
}

impl Default for ListenConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            misskey_extra: Vec::new(),
            pnut_extra: Vec::new(),
            admin: None,
            tls_cert: None,
            tls_key: None,
        }
    }
}

/// An upstream server: the built-in simulator or a real server's URL. `Debug`, `Display` and
/// `Serialize` mask a password or token in the URL.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum UpstreamTarget {
    /// The built-in simulated server.
    #[default]
    Sim,
    /// A real server (`http` or `https`).
    Url(Url),
}

impl UpstreamTarget {
    /// The URL with any password or token-like query value masked, or `sim`.
    pub fn masked(&self) -> String {
        match self {
            Self::Sim => "sim".to_owned(),
            Self::Url(url) => masked_url(url),
        }
    }
}

impl fmt::Debug for UpstreamTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UpstreamTarget({})", self.masked())
    }
}

impl fmt::Display for UpstreamTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// `url` with any password or token-like query value masked.
pub(super) fn masked_url(url: &Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("****"));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let secret = ["i", "access_token", "token", "key"].contains(&k.as_ref());
                let value = if secret { mask(&v) } else { v.into_owned() };
                (k.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

impl Serialize for UpstreamTarget {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

impl<'de> Deserialize<'de> for UpstreamTarget {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text == "sim" {
            return Ok(Self::Sim);
        }
        let url = Url::parse(&text).map_err(|e| {
            serde::de::Error::custom(format!("{text:?} is neither \"sim\" nor a URL ({e})"))
        })?;
        match url.scheme() {
            "http" | "https" => Ok(Self::Url(url)),
            other => Err(serde::de::Error::custom(format!(
                "scheme {other:?} is not allowed: use \"sim\" or an http(s) URL"
            ))),
        }
    }
}

/// `[upstream.misskey]`: one upstream server (`[upstream.pnut]` is a
/// [`super::PnutUpstreamConfig`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpstreamConfig {
    /// `"sim"` or the server URL.
    pub url: UpstreamTarget,
    /// Timeout of one upstream REST call.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            url: UpstreamTarget::Sim,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// `[upstream]`: the upstream of each front.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpstreamsConfig {
    /// pnut upstream (behind the Misskey front).
    pub pnut: super::PnutUpstreamConfig,
    /// Misskey upstream (behind the pnut front).
    pub misskey: UpstreamConfig,
}

/// `[sim]`: the built-in simulated servers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// How often simulated users post; `None` (`"off"`) for no background activity.
    #[serde(with = "duration_or_off")]
    pub activity_interval: Option<Duration>,
    /// Seed of the simulator's random choices (same seed, same activity).
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            activity_interval: Some(Duration::from_secs(1)),
            seed: 1,
        }
    }
}

/// Serde for an optional duration written as a humantime string or `"off"`.
mod duration_or_off {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.serialize_str(&humantime::format_duration(*d).to_string()),
            None => s.serialize_str("off"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let text = String::deserialize(d)?;
        if text == "off" {
            return Ok(None);
        }
        humantime::parse_duration(&text).map(Some).map_err(|e| {
            serde::de::Error::custom(format!("{text:?} is not a duration or \"off\" ({e})"))
        })
    }
}

/// `[tokens]`: how client tokens become upstream tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokensConfig {
    /// Tokens not in `map` are used upstream as they are.
    pub passthrough: bool,
    /// Bridge token → upstream token.
    pub map: Vec<TokenMapping>,
}

impl Default for TokensConfig {
    fn default() -> Self {
        Self {
            passthrough: true,
            map: Vec::new(),
        }
    }
}

impl TokensConfig {
    /// The upstream token for a token a client presented: the mapped one, else the token itself
    /// when `passthrough`, else `None` (refuse the client).
    pub fn upstream_token<'a>(&'a self, presented: &'a str) -> Option<&'a str> {
        match self.map.iter().find(|m| m.bridge.expose() == presented) {
            Some(mapping) => Some(mapping.upstream.expose()),
            None if self.passthrough => Some(presented),
            None => None,
        }
    }
}

/// One `[[tokens.map]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenMapping {
    /// The token clients present to the bridge.
    pub bridge: Secret,
    /// The token the bridge uses upstream.
    pub upstream: Secret,
}

/// `[ids]`: id translation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdsConfig {
    /// Id format of the Misskey upstream (`aid` is also detected by length).
    pub misskey_format: IdFormat,
    /// pnut ids shown to Misskey clients are left-padded with zeros to this width.
    pub pnut_id_width: usize,
}

impl Default for IdsConfig {
    fn default() -> Self {
        Self {
            misskey_format: IdFormat::Aidx,
            pnut_id_width: 16,
        }
    }
}

/// What a pnut bookmark becomes on Misskey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BookmarkAs {
    /// A ⭐ reaction (`notes/reactions/create`).
    #[default]
    Reaction,
    /// A favorite (`notes/favorites/create`).
    Favorite,
}

/// A Misskey note visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Everyone, on all timelines.
    Public,
    /// Everyone, home timelines only.
    Home,
    /// Followers only.
    Followers,
    /// Listed users only.
    Specified,
}

/// `[translate]`: translation choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TranslateConfig {
    /// Send post revisions to Misskey clients as `noteUpdated` `updated`.
    pub note_updated_revisions: bool,
    /// What a pnut bookmark becomes on Misskey.
    pub bookmark_as: BookmarkAs,
    /// The reaction a bookmark shows as (and counts as) on the Misskey front.
    pub bookmark_reaction: String,
    /// Misskey note visibilities that become pnut posts.
    pub visibilities: Vec<Visibility>,
}

impl Default for TranslateConfig {
    fn default() -> Self {
        Self {
            note_updated_revisions: true,
            bookmark_as: BookmarkAs::Reaction,
            bookmark_reaction: "⭐".to_owned(),
            visibilities: vec![Visibility::Public, Visibility::Home],
        }
    }
}

/// `[misskey_meta]`: what the Misskey front's `meta` endpoint says about this server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MisskeyMetaConfig {
    /// The Misskey version `meta` reports: the release whose behaviour the bridge follows
    /// (apps read it for feature detection).
    pub version: String,
    /// Server name.
    pub name: String,
    /// Public base URL; empty: `http://<listen.addr>`.
    pub uri: String,
    /// Server description.
    pub description: String,
}

impl Default for MisskeyMetaConfig {
    fn default() -> Self {
        Self {
            version: "2025.11.1".to_owned(),
            name: "pnutkey".to_owned(),
            uri: String::new(),
            description: "A Misskey front for pnut.io, bridged by pnutkey.".to_owned(),
        }
    }
}
