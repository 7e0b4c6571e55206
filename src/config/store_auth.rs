//! Config sections of the bridge's own state and logins: `[storage]` (the SQLite file) and
//! `[oauth]` / `[oauth.pnut]` (MiAuth over pnut's OAuth web flow).

use std::time::Duration;

use bytesize::ByteSize;
use serde::{Deserialize, Serialize};

use super::secret::Secret;

/// `[storage]`: where the bridge keeps MiAuth sessions, bridge tokens and registry data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// The SQLite file (created with its directory when missing); `:memory:` keeps nothing.
    pub path: String,
    /// Largest size the file may grow to; writes past it fail (nothing written). Unset: no
    /// limit but the disk's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_size: Option<ByteSize>,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            path: "data/pnutkey.sqlite".to_owned(),
            max_size: None,
        }
    }
}

/// `[oauth]`: MiAuth logins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OAuthConfig {
    /// How long a MiAuth session may wait for approval and for the app's `check`.
    #[serde(with = "humantime_serde")]
    pub miauth_lifetime: Duration,
    /// Most MiAuth logins under way at once (more are refused until some end).
    pub max_pending: u64,
    /// The operator's pnut OAuth client.
    pub pnut: PnutOAuthConfig,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        Self {
            miauth_lifetime: Duration::from_secs(15 * 60),
            max_pending: 10_000,
            pnut: PnutOAuthConfig::default(),
        }
    }
}

/// `[oauth.pnut]`: the pnut client MiAuth logs in with (registered by the operator at pnut).
/// Without a `client_id` (and a real pnut upstream) the MiAuth page asks for a pasted token.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PnutOAuthConfig {
    /// The client id; empty: none (with the `sim` upstream, the simulator's own client).
    pub client_id: String,
    /// The client secret (masked when printed).
    pub client_secret: Secret,
    /// The authorize page; empty: `https://pnut.io/oauth/authenticate` (or the simulator's).
    pub authorize_url: String,
    /// The token exchange; empty: the upstream API's `/oauth/access_token`.
    pub token_url: String,
    /// Where pnut sends the browser back (register it with the client); empty: this listener's
    /// `/oauth/pnut/callback`.
    pub redirect_url: String,
}

#[cfg(test)]
mod tests {
    use crate::config::parse_str;

    #[test]
    fn the_client_secret_is_masked_and_sections_parse() {
        let config = parse_str(
            "[storage]\npath = \":memory:\"\nmax_size = \"1MiB\"\n\
             [oauth]\nmiauth_lifetime = \"2m\"\n\
             [oauth.pnut]\nclient_id = \"my-client\"\nclient_secret = \"a-very-secret-value\"\n",
        )
        .expect("valid");
        assert_eq!(
            config.oauth.pnut.client_secret.expose(),
            "a-very-secret-value"
        );
        assert_eq!(config.oauth.miauth_lifetime.as_secs(), 120);
        assert_eq!(
            config.storage.max_size.map(|s| s.as_u64()),
            Some(1024 * 1024)
        );
        let printed = config.to_masked_toml();
        assert!(!printed.contains("a-very-secret-value"), "{printed}");
        assert!(printed.contains("a-****ue"), "{printed}");
        assert!(format!("{config:?}").contains("Secret(a-****ue)"));
    }
}
