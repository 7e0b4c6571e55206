//! Token objects (pnut-api.md §6.7, §1 OAuth exchange).

use serde::{Deserialize, Serialize};

use super::user::User;

/// `GET /token` data and `token` stream-event data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Token {
    /// The client the token belongs to.
    pub app: TokenApp,
    /// Granted scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The token's user (absent for app tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// File storage quota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<TokenStorage>,
    /// E-mail, with the `email` scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The client (app) of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TokenApp {
    /// Client id.
    pub id: String,
    /// Client name.
    #[serde(default)]
    pub name: String,
    /// Client URL.
    #[serde(default)]
    pub url: String,
}

/// File storage quota in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TokenStorage {
    /// Bytes still available.
    pub available: u64,
    /// Total bytes.
    pub total: u64,
}

/// `POST /oauth/access_token` response (not wrapped in an envelope).
/// `Debug` masks `access_token`.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AccessTokenResponse {
    /// The bearer token. Never log it.
    pub access_token: String,
    /// The token object.
    pub token: Token,
    /// User id.
    pub user_id: String,
    /// Username.
    pub username: String,
}

impl std::fmt::Debug for AccessTokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessTokenResponse")
            .field("access_token", &"<redacted>")
            .field("token", &self.token)
            .field("user_id", &self.user_id)
            .field("username", &self.username)
            .finish()
    }
}
