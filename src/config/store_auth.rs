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
