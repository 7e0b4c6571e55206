//! `config.toml`: loading, validation with key paths, masked printing (stub).

use std::path::Path;

/// The effective configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {}

/// Every problem found in a configuration, one per line, each naming its key path.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problems.join("\n"))]
pub struct ConfigError {
    /// One message per problem: `key.path: what was wrong`.
    pub problems: Vec<String>,
}

/// Loads the config from `path` (or the embedded default) plus `PNUTKEY__SECTION__KEY` overrides.
pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
    let _ = path;
    Ok(Config::default())
}

impl Config {
    /// The effective config as TOML with every token masked.
    pub fn to_masked_toml(&self) -> String {
        String::new()
    }
}
