//! `[upstream.pnut]`: the pnut API and, on its own host, the user stream (mapping.md §3.2,
//! real-servers.md §3): pnut.io serves the API at `api.pnut.io` and user streams at
//! `wss://stream.pnut.io/v1/user`.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::Url;

use super::sections::{UpstreamTarget, masked_url};
pub use crate::upstream::pnut::StreamAuth;

/// The API host of pnut.io, whose user streams live on [`PNUT_IO_STREAM_URL`].
pub const PNUT_IO_API_HOST: &str = "api.pnut.io";
/// pnut.io's user-stream endpoint (pnut-api.md §1).
pub const PNUT_IO_STREAM_URL: &str = "wss://stream.pnut.io/v1/user";

/// A user-stream URL, `ws(s)://host[:port]/…/user`. `Debug` and `Display` mask token-like
/// query values (validation refuses them anyway).
#[derive(Clone, PartialEq, Eq)]
pub struct StreamUrl(Url);

impl StreamUrl {
    /// The URL.
    pub fn url(&self) -> &Url {
        &self.0
    }
}

impl fmt::Debug for StreamUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StreamUrl({})", masked_url(&self.0))
    }
}

impl fmt::Display for StreamUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&masked_url(&self.0))
    }
}

impl<'de> Deserialize<'de> for StreamUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let url = Url::parse(&text)
            .map_err(|e| serde::de::Error::custom(format!("{text:?} is not a URL ({e})")))?;
        match url.scheme() {
            "ws" | "wss" => Ok(Self(url)),
            other => Err(serde::de::Error::custom(format!(
                "scheme {other:?} is not allowed: use a ws(s)://…/v1/user URL"
            ))),
        }
    }
}

/// `[upstream.pnut]`: the pnut upstream of the Misskey front.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PnutUpstreamConfig {
    /// `"sim"` or the API base URL ending in `/v1`.
    pub url: UpstreamTarget,
    /// Timeout of one upstream REST call.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// The user-stream URL; `None`: derived from `url` (see [`default_stream_url`]).
    pub stream_url: Option<StreamUrl>,
    /// Where the stream upgrade carries the token (default: the `access_token` query).
    pub stream_auth: StreamAuth,
}

impl Default for PnutUpstreamConfig {
    fn default() -> Self {
        Self {
            url: UpstreamTarget::Sim,
            request_timeout: Duration::from_secs(10),
            stream_url: None,
            stream_auth: StreamAuth::Query,
        }
    }
}

impl PnutUpstreamConfig {
    /// The effective user-stream URL: `stream_url`, else derived from `url`; `None` for
    /// `sim` (the embedded simulated pnut has its own stream host).
    pub fn effective_stream_url(&self) -> Option<Url> {
        match (&self.url, &self.stream_url) {
            (UpstreamTarget::Sim, _) => None,
            (UpstreamTarget::Url(_), Some(configured)) => Some(configured.url().clone()),
            (UpstreamTarget::Url(api), None) => Some(default_stream_url(api)),
        }
    }
}

/// The default user-stream URL of an API base URL: [`PNUT_IO_STREAM_URL`] for
/// [`PNUT_IO_API_HOST`]; otherwise the API's scheme (http→ws, https→wss), host, port and
/// path prefix with `/v1/user` (a server serving both on one host, like the simulated one
/// used to).
pub fn default_stream_url(api: &Url) -> Url {
    if api.host_str() == Some(PNUT_IO_API_HOST)
        && let Ok(url) = Url::parse(PNUT_IO_STREAM_URL)
    {
        return url;
    }
    let mut url = api.clone();
    let scheme = if api.scheme() == "https" { "wss" } else { "ws" };
    // http(s) → ws(s) is a change between "special" schemes, which `set_scheme` allows.
    let _ = url.set_scheme(scheme);
    let path = api.path().trim_end_matches('/');
    let prefix = path.strip_suffix("/v1").unwrap_or(path);
    url.set_path(&format!("{prefix}/v1/user"));
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// How `check-config` shows the section: with the effective `stream_url`.
#[derive(Serialize)]
struct Shown<'a> {
    url: &'a UpstreamTarget,
    #[serde(with = "humantime_serde")]
    request_timeout: Duration,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_url: Option<String>,
    stream_auth: StreamAuth,
}

impl Serialize for PnutUpstreamConfig {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Shown {
            url: &self.url,
            request_timeout: self.request_timeout,
            stream_url: self.effective_stream_url().map(|url| masked_url(&url)),
            stream_auth: self.stream_auth,
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derived(api: &str) -> String {
        default_stream_url(&Url::parse(api).expect("url")).to_string()
    }

    #[test]
    fn stream_url_defaults() {
        assert_eq!(
            derived("https://api.pnut.io/v1"),
            "wss://stream.pnut.io/v1/user"
        );
        assert_eq!(
            derived("http://127.0.0.1:9000/v1"),
            "ws://127.0.0.1:9000/v1/user"
        );
        assert_eq!(
            derived("https://pnut.example/api/v1/"),
            "wss://pnut.example/api/v1/user"
        );
    }
}
