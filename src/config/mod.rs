//! `config.toml`: loading (file or embedded default, then `PNUTKEY__SECTION__KEY` environment
//! overrides), validation with key paths, masked printing.

mod cluster;
mod limits;
mod parse;
mod pnut_upstream;
mod reload;
mod secret;
mod sections;
mod store_auth;
mod validate;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

pub use cluster::{ClusterConfig, RedisUrl};
pub use limits::{
    LimitsConfig, MisskeyRateLimit, PnutRateLimit, Rate, RateLimitConfig, TimeoutsConfig,
};
pub use pnut_upstream::{
    PNUT_IO_API_HOST, PNUT_IO_STREAM_URL, PnutUpstreamConfig, StreamAuth, StreamUrl,
    default_stream_url,
};
pub use reload::{RESTART_ONLY, ReloadPlan, ReloadReport, is_restart_only, plan_reload};
pub use secret::{Secret, mask};
pub use sections::{
    BookmarkAs, IdsConfig, ListenConfig, MisskeyMetaConfig, SimConfig, TokenMapping, TokensConfig,
    TranslateConfig, UpstreamConfig, UpstreamTarget, UpstreamsConfig, Visibility,
};
pub use store_auth::{OAuthConfig, PnutOAuthConfig, StorageConfig};

use crate::mapping::MappingTables;

/// The shipped `config.toml`, used when no config file is given.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../../config.toml");

/// Prefix of environment overrides: `PNUTKEY__LISTEN__ADDR=127.0.0.1:9000` sets `listen.addr`.
pub const ENV_PREFIX: &str = "PNUTKEY";

/// Separator of environment override key segments (and between prefix and key).
pub const ENV_SEPARATOR: &str = "__";

/// The effective configuration. `Config::default()` is the built-in default, which the shipped
/// `config.toml` spells out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Config {
    /// `[listen]`: listener addresses.
    pub listen: ListenConfig,
    /// `[upstream]`: the pnut and Misskey upstreams.
    pub upstream: UpstreamsConfig,
    /// `[sim]`: the simulated upstreams.
    pub sim: SimConfig,
    /// `[tokens]`: token passthrough and mapping.
    pub tokens: TokensConfig,
    /// `[limits]`: sizes and counts.
    pub limits: LimitsConfig,
    /// `[timeouts]`: liveness, linger, polling, shutdown, backoff.
    pub timeouts: TimeoutsConfig,
    /// `[ratelimit]`: upstream quotas.
    pub ratelimit: RateLimitConfig,
    /// `[ids]`: id translation.
    pub ids: IdsConfig,
    /// `[translate]`: translation choices.
    pub translate: TranslateConfig,
    /// `[misskey_meta]`: the Misskey front's `meta` answer.
    pub misskey_meta: MisskeyMetaConfig,
    /// `[mapping]`: channel ⇄ endpoint tables.
    pub mapping: MappingTables,
    /// `[cluster]`: the fleet's shared Redis (mapping.md §9); `None`: this instance runs alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterConfig>,
    /// `[storage]`: the bridge's SQLite file.
    pub storage: StorageConfig,
    /// `[oauth]`: MiAuth logins and the operator's pnut client.
    pub oauth: OAuthConfig,
}

/// Every problem found in a configuration, one per line, each naming its key path.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problems.join("\n"))]
pub struct ConfigError {
    /// One message per problem: `key.path: what was wrong`.
    pub problems: Vec<String>,
}

impl ConfigError {
    fn new(problems: Vec<String>) -> Self {
        Self { problems }
    }
}

/// Loads the config from `path` (or the embedded default) plus `PNUTKEY__SECTION__KEY`
/// overrides from the process environment.
pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
    load_with_env(path, None)
}

/// Like [`load`], with the environment overrides taken from `env` (variable name → value)
/// instead of the process environment when `Some`.
pub fn load_with_env(
    path: Option<&Path>,
    env: Option<BTreeMap<String, String>>,
) -> Result<Config, ConfigError> {
    let (text, origin) = match path {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => (text, path.display().to_string()),
            Err(e) => {
                return Err(ConfigError::new(vec![format!(
                    "{}: cannot read the config file: {e}",
                    path.display()
                )]));
            }
        },
        None => (
            DEFAULT_CONFIG_TOML.to_owned(),
            "embedded config.toml".to_owned(),
        ),
    };
    let mut table = parse::toml_table(&text, &origin).map_err(ConfigError::new)?;
    parse::apply_env(&mut table, env).map_err(ConfigError::new)?;
    from_table(table)
}

/// Parses and validates a whole config given as TOML text (no environment overrides).
pub fn parse_str(toml: &str) -> Result<Config, ConfigError> {
    let table = parse::toml_table(toml, "config").map_err(ConfigError::new)?;
    from_table(table)
}

fn from_table(table: toml::Table) -> Result<Config, ConfigError> {
    // Sections that failed to parse keep their defaults, so validating the rest still reports
    // every other problem.
    let (config, mut problems) = parse::config_from_table(table);
    problems.extend(validate::validate(&config));
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError::new(problems))
    }
}

impl Config {
    /// The effective config as TOML with every token masked (`de****ce` or `****`).
    pub fn to_masked_toml(&self) -> String {
        match toml::to_string_pretty(self) {
            Ok(text) => text,
            Err(e) => format!("# the effective config cannot be printed as TOML: {e}\n"),
        }
    }

    /// The Misskey `meta` `uri`: configured, or derived from the main listener.
    pub fn misskey_meta_uri(&self) -> String {
        if self.misskey_meta.uri.is_empty() {
            format!("http://{}", self.listen.addr)
        } else {
            self.misskey_meta.uri.clone()
        }
    }
}
