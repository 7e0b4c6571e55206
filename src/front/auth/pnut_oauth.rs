//! The pnut side of MiAuth: which pnut client the bridge logs in with (`[oauth.pnut]`, or the
//! simulator's own client with the `sim` upstream), Misskey permissions as pnut scopes, and the
//! authorization-code exchange (`POST /v1/oauth/access_token`, pnut-api.md §1).

use serde_json::Value;

use crate::config::UpstreamTarget;
use crate::front::BridgeContext;

/// pnut.io's authorize page.
pub const PNUT_IO_AUTHORIZE_URL: &str = "https://pnut.io/oauth/authenticate";
/// The client id the simulated pnut accepts when `[oauth.pnut] client_id` is empty.
pub const SIM_CLIENT_ID: &str = "pnutkey-sim";
/// Where pnut sends the browser back (on this listener).
pub const CALLBACK_PATH: &str = "/oauth/pnut/callback";

/// The effective pnut OAuth client.
#[derive(Clone)]
pub struct PnutClient {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
    /// The authorize page.
    pub authorize_url: String,
    /// The token exchange.
    pub token_url: String,
    /// Where pnut sends the browser back.
    pub redirect_url: String,
}

impl std::fmt::Debug for PnutClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PnutClient")
            .field("client_id", &self.client_id)
            .field("authorize_url", &self.authorize_url)
            .finish_non_exhaustive()
    }
}

/// Why a code could not be exchanged.
#[derive(Debug, thiserror::Error)]
#[error("pnut's token exchange failed: {0}")]
pub struct ExchangeError(String);

/// The user's pnut token and id, from the exchange.
#[derive(Clone)]
pub struct Exchanged {
    /// The pnut token.
    pub access_token: String,
    /// The user's pnut id (when pnut said it).
    pub user_id: Option<String>,
}

impl PnutClient {
    /// The client of the current config; `None` without one (MiAuth then takes a pasted token).
    pub fn of(ctx: &BridgeContext) -> Option<Self> {
        let config = ctx.config();
        let c = &config.oauth.pnut;
        let sim = matches!(config.upstream.pnut.url, UpstreamTarget::Sim);
        let api_base = ctx
            .pnut
            .settings()
            .base_url
            .trim_end_matches('/')
            .to_owned();
        let client_id = match (c.client_id.is_empty(), sim) {
            (false, _) => c.client_id.clone(),
            (true, true) => SIM_CLIENT_ID.to_owned(),
            (true, false) => return None,
        };
        let or = |value: &str, default: String| {
            if value.is_empty() {
                default
            } else {
                value.to_owned()
            }
        };
        let default_authorize = if sim {
            format!("{api_base}/oauth/authenticate")
        } else {
            PNUT_IO_AUTHORIZE_URL.to_owned()
        };
        Some(Self {
            client_id,
            client_secret: c.client_secret.expose().to_owned(),
            authorize_url: or(&c.authorize_url, default_authorize),
            token_url: or(&c.token_url, format!("{api_base}/v1/oauth/access_token")),
            redirect_url: or(
                &c.redirect_url,
                format!("{}{CALLBACK_PATH}", ctx.bridge_url),
            ),
        })
    }

    /// The authorize URL the browser is sent to for login `state` with `scope`.
    pub fn authorize(&self, state: &str, scope: &str) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_url)
            .append_pair("response_type", "code")
            .append_pair("scope", scope)
            .append_pair("state", state)
            .finish();
        let joiner = if self.authorize_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{joiner}{query}", self.authorize_url)
    }

    /// Exchanges the authorization `code` for the user's token.
    pub async fn exchange(
        &self,
        http: &reqwest::Client,
        code: &str,
    ) -> Result<Exchanged, ExchangeError> {
        let form = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
            ("code", code),
            ("redirect_uri", self.redirect_url.as_str()),
            ("grant_type", "authorization_code"),
        ];
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = http
            .post(&self.token_url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| ExchangeError(e.without_url().to_string()))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|e| ExchangeError(e.without_url().to_string()))?;
        let Some(access_token) = body.get("access_token").and_then(Value::as_str) else {
            let message = body
                .pointer("/meta/error_message")
                .or_else(|| body.get("error"))
                .and_then(Value::as_str)
                .unwrap_or("no access_token");
            return Err(ExchangeError(format!("{status}: {message}")));
        };
        let user_id = match body.get("user_id") {
            Some(Value::String(id)) => Some(id.clone()),
            Some(Value::Number(id)) => Some(id.to_string()),
            _ => None,
        };
        Ok(Exchanged {
            access_token: access_token.to_owned(),
            user_id,
        })
    }
}

/// Misskey permissions as pnut scopes: `basic` and `stream` always (the Misskey front's
/// `/streaming` rides on pnut user streams), then what each permission needs.
pub fn pnut_scopes(permissions: &[String]) -> String {
    let mut scopes = vec!["basic", "stream"];
    for permission in permissions {
        let scope = match permission.as_str() {
            "write:notes" => "write_post",
            "write:account" => "update_profile",
            "read:following" | "write:following" => "follow",
            "read:drive" | "write:drive" => "files",
            "read:messaging" | "write:messaging" | "read:chat" | "write:chat" => "messages",
            "write:votes" => "polls",
            _ => continue,
        };
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    scopes.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_become_pnut_scopes() {
        let asked: Vec<String> = [
            "read:account",
            "write:notes",
            "write:following",
            "read:following",
            "write:drive",
            "write:votes",
            "read:chat",
            "write:account",
            "no:such",
        ]
        .iter()
        .map(|p| (*p).to_owned())
        .collect();
        assert_eq!(
            pnut_scopes(&asked),
            "basic,stream,write_post,follow,files,polls,messages,update_profile"
        );
        assert_eq!(pnut_scopes(&[]), "basic,stream");
    }
}
